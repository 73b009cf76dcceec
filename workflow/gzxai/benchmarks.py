"""Benchmarks as a command (never timed unit tests): ratios measured in one run.

``python -m gzxai benchmark bars`` times the fast Algorithm 1 against the literal one on the
same maps, checks that every length agrees, and merges the result into a JSON file
(default ``results/benchmarks.json``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from scipy import ndimage

from gzxai import bars
from gzxai.io import write_json


def saliency_like_maps(n: int, size: int, seed: int) -> list[np.ndarray]:
    """Smoothed noise with an elongated bright blob: maps with saliency-like structure."""
    rng = np.random.default_rng(seed)
    rows, cols = np.indices((size, size)) - size / 2
    maps = []
    for _ in range(n):
        angle, length = rng.uniform(0, np.pi), rng.uniform(3, size / 4)
        u = rows * np.cos(angle) + cols * np.sin(angle)
        v = -rows * np.sin(angle) + cols * np.cos(angle)
        blob = np.exp(-((u / length) ** 4) - (v / rng.uniform(1, 3)) ** 2)
        noise = ndimage.gaussian_filter(rng.normal(size=(size, size)), rng.uniform(0.7, 2.0))
        maps.append(blob + rng.uniform(0.05, 0.3) * noise)
    return maps


def bars_benchmark(
    n_maps: int = 200, size: int = 64, t_corr: float = 0.85, t_len: int = 40
) -> dict:
    maps = saliency_like_maps(n_maps, size, seed=0)
    start = time.perf_counter()
    literal = [bars.bar_length_literal(m, t_corr, t_len) for m in maps]
    literal_seconds = time.perf_counter() - start
    start = time.perf_counter()
    fast = [bars.bar_length(m, t_corr, t_len) for m in maps]
    fast_seconds = time.perf_counter() - start
    agree = int(np.sum(np.isclose(literal, fast)))
    return {
        "maps": n_maps,
        "map_size_px": size,
        "t_corr": t_corr,
        "t_len": t_len,
        "literal_maps_per_second": n_maps / literal_seconds,
        "fast_maps_per_second": n_maps / fast_seconds,
        "speedup": literal_seconds / fast_seconds,
        "identical_lengths": agree,
    }


def record(name: str, result: dict, path: Path) -> None:
    """Merge one benchmark's result into the JSON file of all benchmarks."""
    results = json.loads(path.read_text()) if path.is_file() else {}
    results[name] = result
    write_json(results, path)
