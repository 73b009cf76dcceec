"""The split command: which galaxies train, validate and test each model, or validate and
test the bar measurements, written once to a file that every rule needing it reads."""

from __future__ import annotations

import argparse
import logging

import numpy as np
import pandas as pd

from gzxai.splits.settings import SPLITS

log = logging.getLogger(__name__)


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("split", help="write one split file (members, classifiers, ...)")
    p.add_argument(
        "name",
        choices=sorted(SPLITS),
        help="; ".join(f"{k}: {v.description}" for k, v in SPLITS.items()),
    )
    p.add_argument("--table", required=True, help="the canonical table the galaxies come from")
    p.add_argument("--images", help="its image index: only galaxies with a readable image")
    p.add_argument("--params", required=True, help="JSON: seed and fractions")
    p.add_argument("--out", required=True)
    p.set_defaults(func=split)


def split(args: argparse.Namespace) -> None:
    from gzxai.core import splits
    from gzxai.core.arrays import with_images
    from gzxai.core.contracts import CANONICAL_TABLES
    from gzxai.splits.settings import SplitSettings

    settings = SplitSettings.from_json(args.params)
    table = pd.read_parquet(args.table)
    key = CANONICAL_TABLES[SPLITS[args.name].table].key
    table = with_images(table, args.images, key, f"{args.name} split")
    ids = _galaxies(args.name, table, key)
    if args.name == "bars":
        parts = splits.validation_or_test(ids, settings.seed, settings.validation_fraction)
        parts = parts.to_numpy()
    else:
        parts = splits.assign_splits(
            ids, settings.seed, settings.validation_fraction, settings.test_fraction
        )
        chosen = splits.subsample(ids, settings.seed, settings.sample_size)
        parts = np.where(chosen, parts, splits.UNUSED)
    splits.write_split(ids, parts, key, args.out)
    log.info("%s split: %s", args.name, pd.Series(parts).value_counts().to_dict())


def _galaxies(name: str, table: pd.DataFrame, key: str) -> np.ndarray:
    """The ids a split divides: labelled Kaggle galaxies, the classifiers' usable GZ2
    galaxies, or the bar catalogue's."""
    if name == "members":
        return table.loc[table["labelled"], key].to_numpy(np.int64)
    if name == "classifiers":
        from gzxai.bias.classifier import usable_galaxies

        return usable_galaxies(table).index.to_numpy(np.int64)
    return table[key].to_numpy(np.int64)
