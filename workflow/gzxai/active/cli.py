"""Commands of the active-learning stage: ``active-sets``, ``active-iterate``,
``active-evaluate``."""

from __future__ import annotations

import argparse
import logging

log = logging.getLogger(__name__)


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("active-sets", help="a repeat's evaluation, pool and initial sets")
    p.add_argument("--gz2", required=True)
    p.add_argument("--images", help="the GZ2 image index: only galaxies with a readable image")
    p.add_argument("--repeat", type=int, required=True)
    p.add_argument("--params", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=sets)

    p = commands.add_parser("active-iterate", help="one campaign iteration: train, score, acquire")
    p.add_argument("--gz2", required=True)
    p.add_argument("--images")
    p.add_argument("--shards", nargs="+", required=True)
    p.add_argument("--sets", required=True, help="the repeat's sets (active-sets)")
    p.add_argument("--labelled", help="the previous iteration's labelled list (none: initial)")
    p.add_argument("--previous-model", help="the previous iteration's model (warm start)")
    p.add_argument("--truth", help="the synthetic truth (omit for real data)")
    p.add_argument("--strategy", choices=["bald", "random"], required=True)
    p.add_argument("--repeat", type=int, required=True)
    p.add_argument("--iteration", type=int, required=True)
    p.add_argument("--params", required=True)
    p.add_argument("--out-dir", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.set_defaults(func=iterate)

    p = commands.add_parser("active-evaluate", help="curves, label saving, figures, summary")
    p.add_argument("--question", required=True)
    p.add_argument("--gz2", required=True)
    p.add_argument("--metrics", nargs="+", required=True)
    p.add_argument("--acquired", nargs="+", required=True)
    p.add_argument("--evaluation", required=True, help="the last BALD iteration's scores")
    p.add_argument("--shards", nargs="+", required=True)
    p.add_argument("--params", required=True)
    p.add_argument("--out-dir", required=True)
    p.add_argument("--figures-dir", required=True)
    p.set_defaults(func=evaluate)


def sets(args: argparse.Namespace) -> None:
    from gzxai.active.settings import SetSettings
    from gzxai.active.stage import run_sets

    run_sets(
        gz2=args.gz2,
        images=args.images,
        settings=SetSettings.from_json(args.params),
        repeat=args.repeat,
        out=args.out,
    )


def iterate(args: argparse.Namespace) -> None:
    from gzxai.active.settings import IterationSettings
    from gzxai.active.stage import run_iteration

    run_iteration(
        gz2=args.gz2,
        images=args.images,
        shards=args.shards,
        sets=args.sets,
        labelled=args.labelled,
        previous_model=args.previous_model,
        truth=args.truth,
        strategy=args.strategy,
        repeat=args.repeat,
        iteration=args.iteration,
        settings=IterationSettings.from_json(args.params),
        out_dir=args.out_dir,
        threads=args.threads,
    )


def evaluate(args: argparse.Namespace) -> None:
    from gzxai.active.settings import EvaluationSettings
    from gzxai.active.stage import run_evaluate

    run_evaluate(
        question=args.question,
        metrics=args.metrics,
        acquired=args.acquired,
        evaluation=args.evaluation,
        shards=args.shards,
        gz2=args.gz2,
        settings=EvaluationSettings.from_json(args.params),
        out_dir=args.out_dir,
        figures_dir=args.figures_dir,
    )
