"""Commands of the synthetic survey: ``synthesize`` (the survey in the real formats, with its
truth) and ``priors`` (re-derive the shipped priors from the real catalogues)."""

from __future__ import annotations

import argparse
import dataclasses
import logging
from pathlib import Path

from gzxai.core.io import write_json

log = logging.getLogger(__name__)


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("synthesize", help="generate the synthetic survey in the real formats")
    p.add_argument("--params", required=True, help="JSON: seed, synthetic and conventions blocks")
    p.add_argument("--root", required=True, help="source root to write")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--summary", help="JSON summary to write")
    p.set_defaults(func=synthesize)

    p = commands.add_parser(
        "priors", help="re-derive resources/synthetic_priors.json from the real catalogues"
    )
    p.add_argument("--hoyle", required=True, help="hoyle_barlengths.csv")
    p.add_argument("--erwin", required=True, help="GalaxyZoo2_barlengths_alldata.txt")
    p.add_argument(
        "--gz2-votes",
        help="gz2_stripe82_coadd_table5.csv.gz: fit the volunteers' clarity and concentration",
    )
    p.add_argument("--out", required=True)
    p.set_defaults(func=derive_priors)


def synthesize(args: argparse.Namespace) -> None:
    from gzxai.synthetic.settings import SynthesizeSettings
    from gzxai.synthetic.survey import SurveyConfig, write_survey

    settings = SynthesizeSettings.from_json(args.params)
    cfg = SurveyConfig.from_config(dataclasses.asdict(settings))
    summary = write_survey(cfg, Path(args.root), threads=args.threads, progress=not args.quiet)
    log.info("synthetic survey: %s", summary)
    if args.summary:
        write_json(summary, args.summary)


def derive_priors(args: argparse.Namespace) -> None:
    from gzxai.synthetic import priors, volunteer_fit

    derived = priors.derive(Path(args.hoyle), Path(args.erwin))
    if args.gz2_votes:
        derived["volunteers"] = volunteer_fit.derive(Path(args.gz2_votes))
        log.info("volunteers: %s", derived["volunteers"])
    write_json(derived, args.out)
