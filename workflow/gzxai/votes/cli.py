"""Commands of the vote models: ``votes-train`` (a binomial model of one question or the
Dirichlet model of the tree), ``votes-predict`` (MC-dropout samples for one GZ2 shard) and
``votes-evaluate`` (calibration, truth comparison, figures and summary)."""

from __future__ import annotations

import argparse
import logging
import re
from pathlib import Path

from gzxai.cnn.cli import add_training_outputs
from gzxai.votes.settings import VOTE_MODELS

log = logging.getLogger(__name__)


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("votes-train", help="train a vote model on raw GZ2 counts")
    p.add_argument("--model-name", required=True, choices=VOTE_MODELS)
    p.add_argument("--targets", required=True, help="JSON: the model's question and cut")
    p.add_argument("--params", required=True, help="JSON: model, training, seed, image_size")
    p.add_argument("--gz2", required=True, help="gz2.parquet")
    p.add_argument("--images", required=True, help="gz2.images.parquet")
    p.add_argument("--split", required=True, help="the vote models' split file")
    p.add_argument("--shards", nargs="+", required=True)
    add_training_outputs(p)
    p.set_defaults(func=train)

    p = commands.add_parser("votes-predict", help="MC-dropout samples for one GZ2 shard")
    p.add_argument("--model", required=True)
    p.add_argument("--shard", required=True, help="results/images/gz2/shard-<k>.npz")
    p.add_argument("--params", required=True, help="JSON: passes, batch size, seed")
    p.add_argument("--out", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.set_defaults(func=predict)

    p = commands.add_parser("votes-evaluate", help="calibration, truth comparison, figures")
    p.add_argument("--gz2", required=True)
    p.add_argument("--split", required=True)
    p.add_argument("--truth", help="the synthetic truth (omit for real data)")
    p.add_argument(
        "--samples", nargs="+", required=True, help="<model>=<shard samples>,... per model"
    )
    p.add_argument("--shards", nargs="+", required=True, help="GZ2 image shards (Figs. 4–5)")
    p.add_argument("--params", required=True)
    p.add_argument("--out-dir", required=True)
    p.add_argument("--figures-dir", required=True)
    p.set_defaults(func=evaluate)


def train(args: argparse.Namespace) -> None:
    from gzxai.cnn.cli import fit
    from gzxai.cnn.settings import TrainingSettings
    from gzxai.votes.settings import TargetSettings
    from gzxai.votes.training import training_targets

    target_settings = TargetSettings.from_json(args.targets)
    settings = TrainingSettings.from_json(args.params)
    targets, parts = training_targets(args.gz2, args.images, args.split, target_settings)
    summary = fit(args, settings, targets, parts)
    log.info("%s vote model: %s", args.model_name, summary)


def predict(args: argparse.Namespace) -> None:
    from gzxai.cnn.train import configure_tensorflow
    from gzxai.votes.mc import predict_shard
    from gzxai.votes.settings import PredictionSettings

    settings = PredictionSettings.from_json(args.params)
    configure_tensorflow(args.threads, settings.seed)
    n = predict_shard(args.model, args.shard, _shard_number(args.shard), settings, args.out)
    log.info("%d galaxies × %d passes", n, settings.passes)


def _shard_number(path: str) -> int:
    """k of a ``shard-<k>.npz`` path: part of the seed of its galaxies' passes."""
    match = re.search(r"shard-(\d+)\.npz$", str(path))
    if not match:
        raise ValueError(f"{path}: not a shard-<k>.npz file")
    return int(match.group(1))


def evaluate(args: argparse.Namespace) -> None:
    from gzxai.votes.settings import EvaluationSettings
    from gzxai.votes.stage import run_evaluate

    samples = {}
    for item in args.samples:
        name, _, paths = item.partition("=")
        samples[name] = [Path(p) for p in paths.split(",") if p]
    summary = run_evaluate(
        gz2=args.gz2,
        split=args.split,
        samples=samples,
        shards=args.shards,
        truth=args.truth,
        settings=EvaluationSettings.from_json(args.params),
        out_dir=args.out_dir,
        figures_dir=args.figures_dir,
    )
    for question, entry in summary["questions"].items():
        for model, result in entry["models"].items():
            log.info("%s, %s: %s", question, model, result["mc_lowers_coverage_error"])
