"""The one reader-writer of gzxai's array files (image shards, saliency maps, vote samples),
checked against their contracts (:data:`gzxai.core.contracts.IMAGE_SHARD`,
:data:`SALIENCY_MAPS`, :data:`VOTE_SAMPLES`) on write and on read, and the image index built
from the shards.

Arrays are stored uncompressed in ``.npz`` files: images are already uint8, and compression
costs more time than it saves space.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from gzxai.core import contracts as c
from gzxai.core import validation
from gzxai.core.errors import InputError
from gzxai.core.io import open_npz, save_npz
from gzxai.core.validation import NpzSpec

log = logging.getLogger(__name__)


def write(spec: NpzSpec, arrays: dict[str, np.ndarray], path: str | Path) -> None:
    """Write ``arrays`` atomically, after checking them against ``spec`` (a mismatch is a bug
    in the writer, so it raises ValueError)."""
    problem = spec.problem(arrays)
    if problem:
        raise ValueError(f"{path}: {problem}")
    save_npz(path, **{name: arrays[name] for name in spec.names})


def read(spec: NpzSpec, path: str | Path) -> dict[str, np.ndarray]:
    """Every array of a file ``spec`` describes; a file that breaks the contract raises an
    InputError naming it."""
    with open_npz(path, required=spec.names) as data:
        arrays = {name: data[name] for name in spec.names}
    problem = spec.problem(arrays)
    if problem:
        raise InputError(f"{path}: {problem}; not a file this stage wrote: delete it")
    return arrays


def read_shard(path: str | Path) -> dict[str, np.ndarray]:
    return read(c.IMAGE_SHARD, path)


def write_shard(arrays: dict[str, np.ndarray], path: str | Path) -> None:
    write(c.IMAGE_SHARD, arrays, path)


def read_maps(path: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ids, noise_levels, maps as float32) of one saliency file."""
    arrays = read(c.SALIENCY_MAPS, path)
    return arrays["ids"], arrays["noise_levels"], arrays["maps"].astype(np.float32)


def write_maps(ids: np.ndarray, noise_levels, maps: np.ndarray, path: str | Path) -> None:
    write(
        c.SALIENCY_MAPS,
        {
            "ids": np.asarray(ids).astype(np.int64),
            "noise_levels": np.asarray(noise_levels, np.float64),
            "maps": np.asarray(maps).astype(np.float16),
        },
        path,
    )


def shard_ids(path: str | Path) -> np.ndarray:
    """The galaxy ids of one image shard, without reading its images."""
    with open_npz(path, required=c.IMAGE_SHARD.names) as data:
        ids = data["ids"]
    problem = c.IMAGE_SHARD.problem({"ids": ids})
    if problem:
        raise InputError(f"{path}: {problem}; not a file this stage wrote: delete it")
    return ids


def read_vote_samples(paths: Sequence[str | Path]) -> dict[str, np.ndarray]:
    """ids, samples and single outputs of a vote model's sample files, concatenated."""
    parts = [read(c.VOTE_SAMPLES, path) for path in paths]
    return {key: np.concatenate([p[key] for p in parts]) for key in ("ids", "samples", "single")}


def write_vote_samples(
    ids: np.ndarray, samples: np.ndarray, single: np.ndarray, path: str | Path
) -> None:
    write(
        c.VOTE_SAMPLES,
        {
            "ids": np.asarray(ids, np.int64),
            "samples": np.asarray(samples, np.float32),
            "single": np.asarray(single, np.float32),
        },
        path,
    )


def read_by_id(shard_paths: Sequence[str | Path], ids) -> np.ndarray:
    """uint8 images of the given galaxy ids, in that order, gathered from the shards.

    Each shard's arrays are read once (indexing an ``NpzFile`` re-reads the whole array),
    and only the wanted images are copied out of them.
    """
    ids = np.asarray(ids, dtype=np.int64)
    wanted = set(ids.tolist())
    found: dict[int, np.ndarray] = {}
    for path in shard_paths:
        with open_npz(path, required=c.IMAGE_SHARD.names) as shard:
            in_shard = shard["ids"].astype(np.int64)
            rows = np.flatnonzero(np.isin(in_shard, ids))
            if rows.size:
                images = shard["images"]
                found.update(zip(in_shard[rows].tolist(), images[rows], strict=True))
    missing = wanted - found.keys()
    if missing:
        raise KeyError(f"{len(missing)} id(s) in none of the shards, e.g. {sorted(missing)[:3]}")
    if not len(ids):
        return np.zeros((0, 0, 0, 3), np.uint8)
    return np.stack([found[i] for i in ids.tolist()])


def image_index(shard_paths: Sequence[str | Path]) -> pd.DataFrame:
    """The :data:`gzxai.core.contracts.IMAGE_INDEX` of a dataset's shards (in shard order)."""
    frames = [
        pd.DataFrame({"id": shard_ids(path).astype(np.int64), "shard": k})
        for k, path in enumerate(shard_paths)
    ]
    index = (
        pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["id", "shard"])
    )
    index, problems = validation.conform(index, c.IMAGE_INDEX, "image shards")
    if len(problems):
        raise InputError(f"{shard_paths[0]}…: galaxy {problems['id'].iloc[0]} in two shards")
    return index


def with_images(
    table: pd.DataFrame, index_path: str | Path | None, id_column: str, label: str
) -> pd.DataFrame:
    """The rows of a canonical table whose galaxy has a readable image (``index_path``: its
    :data:`gzxai.core.contracts.IMAGE_INDEX`; None keeps every row). The rows left out are
    logged: their images are listed in the table's ``unreadable.csv``."""
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
