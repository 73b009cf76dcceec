"""Resize stage: GZ2/Kaggle JPEGs -> centre crop -> resized uint8 shards for streaming.

A shard is an ``.npz`` with ``ids`` (int64), ``images`` (uint8, n × size × size × 3),
``crop_px`` and ``size_px`` (:data:`gzxai.core.contracts.IMAGE_SHARD`, read and written by
:mod:`gzxai.core.arrays`). Galaxies are split into a fixed number of contiguous shards (a
config key), so one shard can be redone alone. An unreadable image goes to the shard's
quarantine report, and from there into the table's image index
(:func:`gzxai.core.arrays.image_index`), from which every stage that works on images takes its
galaxies (:func:`gzxai.core.arrays.with_images`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, UnidentifiedImageError
from tqdm import tqdm

from gzxai.core import contracts as c
from gzxai.core import validation
from gzxai.core.errors import InputError
from gzxai.core.units import GZ2_IMAGE_PX

log = logging.getLogger(__name__)


def crop_and_resize(image: np.ndarray, crop_px: int, size_px: int) -> np.ndarray:
    """Centre-crop ``crop_px`` pixels of a square image, then resize (antialiased) to size_px."""
    height, width = image.shape[:2]
    if crop_px > min(height, width):
        raise ValueError(f"crop of {crop_px} px is larger than the {height}×{width} image")
    top, left = (height - crop_px) // 2, (width - crop_px) // 2
    pil = Image.fromarray(image[top : top + crop_px, left : left + crop_px])
    if crop_px != size_px:
        pil = pil.resize((size_px, size_px), Image.Resampling.BILINEAR)
    return np.asarray(pil, dtype=np.uint8)


def load_rgb(path: Path) -> np.ndarray:
    """A JPEG as uint8 RGB; a missing or corrupt file raises :class:`InputError` naming it."""
    try:
        with Image.open(path) as image:
            image.load()
            rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
    except (OSError, UnidentifiedImageError, SyntaxError) as err:
        raise InputError(f"{path}: unreadable image ({err})") from err
    if rgb.shape[:2] != (GZ2_IMAGE_PX, GZ2_IMAGE_PX):
        raise InputError(f"{path}: image is {rgb.shape[1]}×{rgb.shape[0]}, expected 424×424")
    return rgb


def shard_rows(n_rows: int, n_shards: int, shard: int) -> np.ndarray:
    """Row indices of one of ``n_shards`` contiguous, near-equal shards."""
    if not 0 <= shard < n_shards:
        raise ValueError(f"shard {shard} outside 0..{n_shards - 1}")
    return np.array_split(np.arange(n_rows), n_shards)[shard]


def build_shard(
    table: pd.DataFrame,
    *,
    dataset: str,
    source_root: Path,
    shard: int,
    n_shards: int,
    crop_px: int,
    size_px: int,
    progress: bool = True,
) -> tuple[dict[str, np.ndarray], pd.DataFrame]:
    """Arrays of one shard and the quarantine report of the images that could not be read."""
    id_column = c.CANONICAL_TABLES[dataset].key
    rows = table.iloc[shard_rows(len(table), n_shards, shard)]
    ids, images, problems = [], [], []
    for galaxy_id, rel_path in tqdm(
        zip(rows[id_column], rows["image_path"], strict=True),
        total=len(rows),
        desc=f"resizing {dataset} shard {shard}",
        unit="img",
        disable=not progress,
    ):
        path = Path(source_root) / rel_path
        try:
            images.append(crop_and_resize(load_rgb(path), crop_px, size_px))
            ids.append(int(galaxy_id))
        except InputError as err:
            problems.append(
                {
                    "file": str(path),
                    "row": None,
                    "id": str(galaxy_id),
                    "column": "image_path",
                    "value": rel_path,
                    "reason": str(err).split(": ", 1)[-1],
                }
            )
    arrays = {
        "ids": np.asarray(ids, dtype=np.int64),
        "images": np.stack(images) if images else np.zeros((0, size_px, size_px, 3), np.uint8),
        "crop_px": np.int64(crop_px),
        "size_px": np.int64(size_px),
    }
    return arrays, validation.quarantine_frame(problems)


def read_quarantines(paths: Sequence[str | Path]) -> pd.DataFrame:
    """The shards' quarantine reports (unreadable images) as one report."""
    frames = [pd.read_csv(p, dtype="string") for p in paths]
    return validation.quarantine_frame(
        pd.concat(frames, ignore_index=True).to_dict("records") if frames else []
    )
