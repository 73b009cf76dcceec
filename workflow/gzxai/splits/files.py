"""The split rule's file edges."""

from __future__ import annotations

from gzxai.core import paths
from gzxai.splits.settings import SPLITS


def split_inputs(name: str) -> dict[str, str]:
    """The table a split divides, and its image index where only imaged galaxies count."""
    split = SPLITS[name]
    inputs = {"table": paths.table(split.table)}
    if split.with_images:
        inputs["images"] = paths.image_index(split.table)
    return inputs
