"""Commands of the CNNs: ``train`` (one ensemble member) and ``predict`` (a model's outputs
for every image of some shards), and the training arguments and job every stage that trains
a CNN shares (:func:`add_training_outputs`, :func:`fit`)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import pandas as pd

from gzxai.cnn.settings import TrainingSettings
from gzxai.core.errors import GzxaiError
from gzxai.core.io import write_parquet

log = logging.getLogger(__name__)


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("train", help="train one ensemble member")
    p.add_argument("--params", required=True, help="JSON: model, training, seed, image_size")
    p.add_argument("--table", required=True, help="kaggle.parquet")
    p.add_argument("--split", required=True, help="the members' split file")
    p.add_argument("--shards", nargs="+", required=True)
    add_training_outputs(p)
    p.set_defaults(func=train)

    p = commands.add_parser("predict", help="a model's outputs for every image of the shards")
    p.add_argument("--model", required=True)
    p.add_argument("--shards", nargs="+", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.set_defaults(func=predict)


def add_training_outputs(parser: argparse.ArgumentParser) -> None:
    """Arguments of every command that trains a model through :func:`fit`."""
    parser.add_argument("--work-dir", required=True, help="backups for resuming a killed run")
    parser.add_argument("--model", required=True, help="output .keras file")
    parser.add_argument("--history", required=True, help="per-epoch CSV")
    parser.add_argument("--summary", required=True, help="training.json")
    parser.add_argument("--threads", type=int, default=1)


def fit(args: argparse.Namespace, settings: TrainingSettings, labels: pd.DataFrame, splits) -> dict:
    """One training run with the job's files: the members, the classifiers, the direct CNN."""
    from gzxai.cnn.models import ModelConfig
    from gzxai.cnn.train import TrainingConfig, train_member

    return train_member(
        model_cfg=ModelConfig.from_config(settings.model),
        train_cfg=TrainingConfig.from_config(settings.training),
        shard_paths=[Path(p) for p in args.shards],
        labels=labels,
        splits=splits,
        image_size=settings.image_size,
        seed=settings.seed,
        work_dir=Path(args.work_dir),
        model_path=Path(args.model),
        history_path=Path(args.history),
        summary_path=Path(args.summary),
        threads=args.threads,
    )


def train(args: argparse.Namespace) -> None:
    from gzxai.cnn.labels import kaggle_labels
    from gzxai.core.splits import read_split

    settings = TrainingSettings.from_json(args.params)
    summary = fit(args, settings, kaggle_labels(args.table), read_split(args.split))
    log.info("trained: %s", summary)


def predict(args: argparse.Namespace) -> None:
    from gzxai.cnn.train import configure_tensorflow, predict_shards
    from gzxai.core.trees import load_tree

    configure_tensorflow(args.threads, seed=0)
    predictions = predict_shards(Path(args.model), [Path(p) for p in args.shards])
    names = {37: load_tree().kaggle_columns, 1: ["p_smooth"]}
    if predictions.shape[1] not in names:
        raise GzxaiError(
            f"{args.model}: {predictions.shape[1]} outputs; expected 37 vote fractions or 1"
        )
    predictions.columns = names[predictions.shape[1]]
    write_parquet(predictions.reset_index(), args.out)
