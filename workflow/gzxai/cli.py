"""Command line of every stage: ``python -m gzxai <stage> ...`` (or the ``gzxai`` script).

The Snakemake rules call exactly these commands, so a stage can be rerun or debugged by
hand with the same arguments the workflow used (``snakemake -p`` prints them).
Stage settings arrive as one JSON object (``--params``), which Snakemake also records, so a
changed setting reruns exactly the jobs it affects.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import pandas as pd

from gzxai import catalogues, images
from gzxai.errors import GzxaiError
from gzxai.io import write_csv, write_json, write_parquet
from gzxai.layout import SourceLayout
from gzxai.units import HoyleLengthUnits, LengthScaled

log = logging.getLogger("gzxai")


def _synthesize(args: argparse.Namespace) -> None:
    from gzxai.synthetic.survey import SurveyConfig, write_survey

    cfg = SurveyConfig.from_config(json.loads(args.params))
    summary = write_survey(cfg, Path(args.root), threads=args.threads, progress=not args.quiet)
    log.info("synthetic survey: %s", summary)
    if args.summary:
        write_json(summary, args.summary)


def _catalogue(args: argparse.Namespace) -> None:
    params = json.loads(args.params)
    layout = SourceLayout(Path(args.source_root))
    if args.table == "kaggle":
        built = catalogues.build_kaggle(layout, tree_sum_tolerance=params["tree_sum_tolerance"])
    elif args.table == "gz2":
        built = catalogues.build_gz2(layout)
    else:
        built = catalogues.build_bars(
            layout,
            length_units=HoyleLengthUnits(params["hoyle_length_units"]),
            length_scaled=LengthScaled(params["length_scaled"]),
            hubble_h=params["cosmology"]["h0"] / 100.0,
        )
    write_parquet(built.table, args.out)
    write_csv(built.quarantine, args.quarantine)
    write_json(built.summary, args.summary)
    log.info("%s table: %s", args.table, built.summary)
    if built.quarantine.shape[0]:
        log.warning("%d row(s) set aside, see %s", len(built.quarantine), args.quarantine)


def _resize(args: argparse.Namespace) -> None:
    table = pd.read_parquet(args.table)
    arrays, quarantine = images.build_shard(
        table,
        dataset=args.dataset,
        source_root=Path(args.source_root),
        shard=args.shard,
        n_shards=args.n_shards,
        crop_px=args.crop_px,
        size_px=args.size_px,
        progress=not args.quiet,
    )
    images.write_shard(arrays, Path(args.out))
    write_csv(quarantine, args.quarantine)
    if len(quarantine):
        log.warning("%d unreadable image(s), see %s", len(quarantine), args.quarantine)


def _priors(args: argparse.Namespace) -> None:
    from gzxai.synthetic import priors

    write_json(priors.derive(Path(args.hoyle), Path(args.erwin)), args.out)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gzxai", description=__doc__.splitlines()[0])
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    sub = parser.add_subparsers(dest="stage", required=True)

    p = sub.add_parser("synthesize", help="generate the synthetic survey in the real formats")
    p.add_argument("--params", required=True, help="JSON: seed, synthetic and conventions blocks")
    p.add_argument("--root", required=True, help="source root to write")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--summary", help="JSON summary to write")
    p.set_defaults(func=_synthesize)

    p = sub.add_parser("catalogue", help="build one canonical table from the source files")
    p.add_argument("table", choices=["kaggle", "gz2", "bars"])
    p.add_argument("--source-root", required=True)
    p.add_argument("--params", default="{}", help="JSON: the catalogues block and conventions")
    p.add_argument("--out", required=True, help="canonical Parquet table")
    p.add_argument("--quarantine", required=True, help="CSV report of rows set aside")
    p.add_argument("--summary", required=True, help="JSON summary")
    p.set_defaults(func=_catalogue)

    p = sub.add_parser("resize", help="crop and resize one shard of a table's images")
    p.add_argument("--table", required=True)
    p.add_argument("--dataset", required=True, choices=sorted(images.DATASETS))
    p.add_argument("--source-root", required=True)
    p.add_argument("--shard", type=int, required=True)
    p.add_argument("--n-shards", type=int, required=True)
    p.add_argument("--crop-px", type=int, required=True)
    p.add_argument("--size-px", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--quarantine", required=True)
    p.set_defaults(func=_resize)

    p = sub.add_parser(
        "priors", help="re-derive resources/synthetic_priors.json from the real catalogues"
    )
    p.add_argument("--hoyle", required=True, help="hoyle_barlengths.csv")
    p.add_argument("--erwin", required=True, help="GalaxyZoo2_barlengths_alldata.txt")
    p.add_argument("--out", required=True)
    p.set_defaults(func=_priors)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        args.func(args)
    except GzxaiError as err:
        log.error("%s", err)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
