"""Resize stage: GZ2/Kaggle JPEGs -> centre crop -> resized uint8 shards for streaming.

A shard is an ``.npz`` with ``ids`` (int64), ``images`` (uint8, n × size × size × 3),
``crop_px`` and ``size_px`` (see :data:`gzxai.core.contracts.SHARD_ARRAYS`). Galaxies are split
into a fixed number of contiguous shards (a config key), so one shard can be redone alone and
tf.data can interleave them. An unreadable image goes to the shard's quarantine report, and
from there into the table's image index (:func:`image_index`), from which every stage that
works on images takes its galaxies (:func:`with_images`).
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
from gzxai.core.errors import InputError
from gzxai.core.io import open_npz, save_npz
from gzxai.core.units import GZ2_IMAGE_PX

log = logging.getLogger(__name__)

#: Arrays every image shard holds (:data:`gzxai.core.contracts.SHARD_ARRAYS`).
SHARD_KEYS = ("ids", "images", "crop_px", "size_px")

#: Canonical table of each dataset the resize stage can shard.
DATASETS = {"kaggle": c.KAGGLE_TABLE, "gz2": c.GZ2_TABLE, "bars": c.BARS_TABLE}


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
    id_column = DATASETS[dataset].key
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
    return arrays, c.quarantine_frame(problems)


def write_shard(arrays: dict[str, np.ndarray], path: Path) -> None:
    save_npz(path, **arrays)


def read_shard(path: Path) -> dict[str, np.ndarray]:
    with open_npz(path, required=SHARD_KEYS) as data:
        return {key: data[key] for key in data.files}


def image_index(shard_paths: Sequence[str | Path]) -> pd.DataFrame:
    """The :data:`gzxai.core.contracts.IMAGE_INDEX` of a dataset's shards (in shard order)."""
    frames = []
    for k, path in enumerate(shard_paths):
        with open_npz(path, required=SHARD_KEYS) as shard:
            frames.append(pd.DataFrame({"id": shard["ids"].astype(np.int64), "shard": k}))
    index = (
        pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["id", "shard"])
    )
    index, problems = c.conform(index, c.IMAGE_INDEX, "image shards")
    if len(problems):
        raise InputError(f"{shard_paths[0]}…: galaxy {problems['id'].iloc[0]} in two shards")
    return index


def read_quarantines(paths: Sequence[str | Path]) -> pd.DataFrame:
    """The shards' quarantine reports (unreadable images) as one report."""
    frames = [pd.read_csv(p, dtype="string") for p in paths]
    return c.quarantine_frame(
        pd.concat(frames, ignore_index=True).to_dict("records") if frames else []
    )


def with_images(
    table: pd.DataFrame, index_path: str | Path | None, id_column: str, label: str
) -> pd.DataFrame:
    """The rows of a canonical table whose galaxy has a readable image (``index_path``: its
    :data:`gzxai.core.contracts.IMAGE_INDEX`; None keeps every row). The rows left out are logged:
    their images are listed in the table's ``unreadable.csv``."""
    if index_path is None:
        return table
    ids = pd.read_parquet(index_path, columns=["id"])["id"]
    keep = table[id_column].isin(ids).to_numpy()
    if not keep.all():
        log.warning(
            "%s: %d galaxy(ies) without a readable image left out: %s",
            label,
            int((~keep).sum()),
            ", ".join(map(str, table.loc[~keep, id_column].head(10))),
        )
    return table.loc[keep].reset_index(drop=True)


def read_by_id(shard_paths, ids) -> np.ndarray:
    """uint8 images of the given galaxy ids, in that order, gathered from the shards.

    Each shard's arrays are read once (indexing an ``NpzFile`` re-reads the whole array),
    and only the wanted images are copied out of them.
    """
    ids = np.asarray(ids, dtype=np.int64)
    wanted = set(ids.tolist())
    found: dict[int, np.ndarray] = {}
    for path in shard_paths:
        with open_npz(path) as shard:
            shard_ids = shard["ids"].astype(np.int64)
            rows = np.flatnonzero(np.isin(shard_ids, ids))
            if rows.size:
                images = shard["images"]
                found.update(zip(shard_ids[rows].tolist(), images[rows], strict=True))
    missing = wanted - found.keys()
    if missing:
        raise KeyError(f"{len(missing)} id(s) in none of the shards, e.g. {sorted(missing)[:3]}")
    if not len(ids):
        return np.zeros((0, 0, 0, 3), np.uint8)
    return np.stack([found[i] for i in ids.tolist()])
