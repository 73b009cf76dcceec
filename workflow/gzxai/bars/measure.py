"""Bar lengths of one galaxy shard over the whole hyperparameter grid (paper §4.4–4.5).

Every map of a shard is measured once per (X_input, rule) with :func:`geometry.bar_length_grid`,
which returns all (T_c, T_l) combinations from one pass. The result is a long table
(:data:`gzxai.core.contracts.MEASUREMENTS`): one row per galaxy × method × run × noise level ×
X_input × rule × T_c × T_l, with the length in pixels of the map's grid.

Methods: each member's map, ``mean_map`` (the element-wise mean of the members' normalised
maps) and two references that need no CNN: ``image`` (the galaxy image itself as the map)
and, on the synthetic survey, ``oracle`` (the noiseless bar component alone, cropped and
resized as the images are). The fifth method of the paper, the mean of the members'
lengths, is formed at evaluation (:mod:`gzxai.bars.evaluate`) from the members' rows.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd
from tqdm import tqdm

from gzxai.bars import geometry
from gzxai.bars.settings import Grid, MeasureSettings
from gzxai.core.arrays import read_maps, read_shard
from gzxai.core.contracts import MEASUREMENTS
from gzxai.core.errors import InputError
from gzxai.core.io import write_parquet
from gzxai.core.validation import conform
from gzxai.synthetic.oracle import oracle_maps

log = logging.getLogger(__name__)

MEAN_MAP = "mean_map"
MEAN_LENGTH = "mean_length"
IMAGE = "image"
ORACLE = "oracle"
REFERENCES = (IMAGE, ORACLE)


def grey(images: np.ndarray) -> np.ndarray:
    """uint8 RGB images as one [0, 1] brightness plane each (mean over the colour channels)."""
    return np.asarray(images, np.float32).mean(axis=-1) / 255.0


def measure_maps(
    maps: np.ndarray,
    ids: np.ndarray,
    grid: Grid,
    *,
    brightness: np.ndarray | None = None,
    progress: bool = False,
    **labels: object,
) -> pd.DataFrame:
    """Lengths (px) of every map over the grid; ``brightness`` enables X_input = True.

    X_input multiplies the saliency map element-wise by the input image (paper §4.4) before
    Algorithm 1 normalises it; without ``brightness`` only X_input = False is measured.
    ``labels`` (method, run, noise, …) become constant columns.
    """
    x_inputs = [x for x in grid.x_input if brightness is not None or not x]
    n_corr, n_len = len(grid.t_corr), len(grid.t_len)
    blocks = []
    for k in tqdm(range(len(ids)), disable=not progress, desc=str(labels.get("method", ""))):
        for x_input in x_inputs:
            image = maps[k] * brightness[k] if x_input else maps[k]
            for rule in grid.rules:
                lengths = geometry.bar_length_grid(image, grid.t_corr, grid.t_len, rule)
                blocks.append((ids[k], x_input, rule, lengths.ravel()))
    per_block = n_corr * n_len
    n = len(blocks)
    table = pd.DataFrame(
        {
            "dr7objid": np.repeat([b[0] for b in blocks], per_block).astype(np.int64),
            "x_input": np.repeat([b[1] for b in blocks], per_block).astype(bool),
            "rule": np.repeat([b[2] for b in blocks], per_block),
            "t_corr": np.tile(np.repeat(grid.t_corr, n_len), n),
            "t_len": np.tile(np.tile(grid.t_len, n_corr), n).astype(np.int64),
            "length_px": np.concatenate([b[3] for b in blocks]) if blocks else np.zeros(0),
        }
    )
    for name, value in labels.items():
        table.insert(0, name, value)
    return table


def mean_map(member_maps: Sequence[np.ndarray]) -> np.ndarray:
    """Element-wise mean of the members' (already normalised) maps, renormalised per map."""
    mean = np.mean(np.stack(member_maps), axis=0)
    return np.stack([geometry.normalise(m) for m in mean]) if len(mean) else mean


def number_of_rows(n_maps: int, grid: Grid, with_brightness: bool) -> int:
    """Rows :func:`measure_maps` returns for ``n_maps`` maps (used by the shard's checks)."""
    x_inputs = [x for x in grid.x_input if with_brightness or not x]
    return n_maps * len(x_inputs) * len(grid.rules) * len(grid.t_corr) * len(grid.t_len)


def measure_shard(
    saliency_files: Sequence[tuple[str, str]],
    shard_path: str,
    grid: Grid,
    *,
    run: int,
    truth_path: str | None = None,
    seed: int = 0,
    progress: bool = True,
) -> pd.DataFrame:
    """All lengths of one shard: members' maps, their mean map, and (run 1) the references.

    ``saliency_files`` pairs each member's name with one of its saliency files of this shard
    and run (one file per noise level, or one file holding several). Members must hold maps
    of the same galaxies at the same noise levels; the error names the files otherwise.
    """

    shard = read_shard(shard_path)
    brightness_by_id = dict(zip(shard["ids"].tolist(), grey(shard["images"]), strict=True))
    by_level: dict[float, dict[str, tuple[np.ndarray, np.ndarray, str]]] = {}
    for member, path in saliency_files:
        ids, levels, maps = read_maps(path)
        for level, level_maps in zip(levels, maps, strict=True):
            by_level.setdefault(round(float(level), 6), {})[member] = (ids, level_maps, path)

    tables = []
    for level, members in sorted(by_level.items()):
        names = sorted(members)
        ids = members[names[0]][0]
        for name in names[1:]:
            if not np.array_equal(members[name][0], ids):
                raise InputError(
                    f"{members[name][2]} and {members[names[0]][2]}: maps of different galaxies"
                )
        brightness = np.stack([brightness_by_id[int(i)] for i in ids]) if len(ids) else None
        common = {"run": run, "noise": level}
        maps_by_method = {name: members[name][1] for name in names}
        maps_by_method[MEAN_MAP] = mean_map([members[name][1] for name in names])
        for method, maps in maps_by_method.items():
            tables.append(
                measure_maps(
                    maps,
                    ids,
                    grid,
                    brightness=brightness,
                    progress=progress,
                    method=method,
                    **common,
                )
            )
    if run == 1:
        tables.extend(_references(shard, grid, truth_path, seed, progress))
    table = pd.concat(tables, ignore_index=True)[MEASUREMENTS.names]
    conformed, problems = conform(table, MEASUREMENTS, shard_path)
    if not problems.empty:  # our own output: a broken row is a bug, never quarantined
        raise InputError(f"{shard_path}: measurements break their contract: {problems.head()}")
    return conformed


def _references(shard: dict, grid: Grid, truth_path: str | None, seed: int, progress: bool):
    """The image itself and, with a truth table, the noiseless bar: no CNN in either."""
    ids = shard["ids"]
    no_input = Grid(grid.t_corr, grid.t_len, grid.rules, (False,))
    common = {"run": 1, "noise": 0.0}
    yield measure_maps(grey(shard["images"]), ids, no_input, method=IMAGE, **common)
    if truth_path is not None:
        truth = pd.read_parquet(truth_path).set_index("dr7objid").loc[ids].reset_index()
        size, crop = int(shard["size_px"]), int(shard["crop_px"])
        maps = oracle_maps(truth, seed, crop, size)
        yield measure_maps(maps, ids, no_input, progress=progress, method=ORACLE, **common)


def run_measure(
    *,
    saliency: Sequence[str],
    shard: str,
    out: str,
    settings: MeasureSettings,
    run: int,
    truth: str | None,
    progress: bool = True,
) -> None:
    """``saliency`` items are ``member=path``."""
    pairs = [tuple(item.split("=", 1)) for item in saliency]
    table = measure_shard(
        pairs,
        shard,
        settings.grid,
        run=run,
        truth_path=truth,
        seed=settings.seed,
        progress=progress,
    )
    write_parquet(table, out)
    log.info("%d lengths -> %s", len(table), out)
