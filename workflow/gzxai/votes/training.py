"""The vote models' training data: each model's targets for the imaged GZ2 galaxies and
their part of the vote models' split (the file edge of ``votes-train``)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from gzxai.core.arrays import with_images
from gzxai.core.errors import InputError
from gzxai.core.splits import read_split
from gzxai.votes.settings import TREE_MODEL, TargetSettings
from gzxai.votes.targets import binary_targets, tree_targets

log = logging.getLogger(__name__)


def training_targets(
    gz2: str | Path, images: str | Path, split: str | Path, settings: TargetSettings
) -> tuple[pd.DataFrame, pd.Series]:
    """A model's targets ((k, N) of its question, or the tree's 37 counts) for the galaxies
    with a readable image, and their part of the vote models' split."""
    table = with_images(pd.read_parquet(gz2), images, "dr7objid", f"{settings.model} model")
    if settings.model == TREE_MODEL:
        targets = tree_targets(table)
    else:
        targets = binary_targets(table, settings.question())
    parts = read_split(split)
    missing = targets.index.difference(parts.index)
    if len(missing):
        raise InputError(
            f"{split}: galaxy {missing[0]} of the GZ2 table is not in the split: delete it so"
            " that the split rule writes it again"
        )
    log.info("%s model: %d galaxies (%s)", settings.model, len(targets), _counts(parts, targets))
    return targets.astype(np.float32), parts.loc[targets.index]


def _counts(parts: pd.Series, targets: pd.DataFrame) -> str:
    counts = parts.loc[targets.index].value_counts()
    return ", ".join(f"{k} {v}" for k, v in counts.items())
