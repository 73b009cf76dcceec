"""Train / validation / test splits: a function of (galaxy id, seed) alone, so a galaxy keeps
its part whatever else is in the table, on every machine."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gzxai.core.errors import InputError
from gzxai.core.io import write_parquet

VALIDATION, TEST = "validation", "test"

SPLITS = ("train", "val", "test")


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a fixed, well-mixed hash of 64-bit integers."""
    z = values.astype(np.uint64)
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def assign_splits(
    ids: np.ndarray, seed: int, val_fraction: float, test_fraction: float
) -> np.ndarray:
    """'train', 'val' or 'test' for each galaxy id: a function of (id, seed) alone."""
    with np.errstate(over="ignore"):
        keyed = np.asarray(ids, dtype=np.int64).astype(np.uint64) + np.uint64(seed) * np.uint64(
            0x9E3779B97F4A7C15
        )
    u = (_mix(keyed) >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    return np.where(
        u < test_fraction, "test", np.where(u < test_fraction + val_fraction, "val", "train")
    )


UNUSED = "unused"
#: Salt of the subsample hash, so that membership is independent of the split's parts.
_SUBSAMPLE_SALT = np.uint64(0xD1B54A32D192ED03)


def subsample(ids: np.ndarray, seed: int, size: int | None) -> np.ndarray:
    """Whether each galaxy is among ``size`` chosen by a hash of (id, seed) (all if None).

    The chosen galaxies are those of smallest hash, so a smaller sample is part of every
    larger one and a galaxy's part never changes with the sample size.
    """
    ids = np.asarray(ids, dtype=np.int64)
    if size is None or size >= len(ids):
        return np.ones(len(ids), dtype=bool)
    with np.errstate(over="ignore"):
        keyed = ids.astype(np.uint64) + np.uint64(seed) * _SUBSAMPLE_SALT
    order = np.argsort(_mix(keyed), kind="stable")
    chosen = np.zeros(len(ids), dtype=bool)
    chosen[order[:size]] = True
    return chosen


def validation_or_test(ids: np.ndarray, seed: int, validation_fraction: float) -> pd.Series:
    """'validation' or 'test' for each galaxy, a function of (id, seed) alone (the bar
    catalogue's split: the maps come from members trained on other galaxies)."""
    labels = assign_splits(ids, seed, validation_fraction, 0.0)
    return pd.Series(
        np.where(labels == "val", VALIDATION, TEST), index=pd.Index(ids, name="dr7objid")
    )


def read_split(path: str | Path) -> pd.Series:
    """A split file (written by the ``split`` rule): the part of each galaxy, indexed by its
    id (the file's first column)."""
    table = pd.read_parquet(path)
    if table.shape[1] != 2 or table.columns[1] != "split":
        raise InputError(
            f"{path}: not a split file (columns {', '.join(table.columns)}; expected an id and "
            "split): delete it so that it is made again"
        )
    key = table.columns[0]
    if table[key].duplicated().any():
        raise InputError(f"{path}: galaxy {table.loc[table[key].duplicated(), key].iloc[0]} twice")
    return table.set_index(key)["split"]


def write_split(ids: np.ndarray, parts: np.ndarray, key: str, path: str | Path) -> None:
    write_parquet(pd.DataFrame({key: np.asarray(ids, np.int64), "split": parts}), path)
