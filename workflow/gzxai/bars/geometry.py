"""Bar lengths from saliency maps: Algorithm 1 of Bhambra et al. (2022), exact and fast.

Algorithm 1 raises a threshold from 0.5 to 1.0 in steps of 1e-4 over a min–max normalised
map, keeps the pixels above it, and stops at the first threshold where the kept pixels are
"linear enough" (|Pearson corr(x, y)| > t_corr) or too few (< t_len); the bar length is the
largest distance between two kept pixels, in pixels of the map's grid.

The kept set at any threshold is a prefix of the pixels sorted by value, so one sort and
cumulative sums of x, y, x², y², xy give the statistics of every threshold at once; the
largest distance comes from the convex hull of the final prefix. :func:`bar_length_literal`
is the algorithm as written, the reference the fast one must equal on every map.

``rule="rotation_invariant"`` replaces |corr(x, y)|, which is near 0 (or undefined) for a
perfectly straight horizontal or vertical bar, by (λ₁ − λ₂)/(λ₁ + λ₂) of the kept pixels'
coordinate covariance: 1 for a line at any angle, 0 for a round blob, and equal to
|corr(x, y)| for a bar at 45°.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import numpy as np
from scipy.spatial import ConvexHull, QhullError
from scipy.spatial.distance import pdist

from gzxai.core.stats import min_max

THRESHOLDS = np.round(np.linspace(0.5, 1.0, 5001), 4)
RULES = ("paper", "rotation_invariant")


def normalise(saliency_map: np.ndarray) -> np.ndarray:
    """Min–max normalisation to [0, 1] (a constant map becomes all zeros)."""
    return min_max(np.asarray(saliency_map, dtype=np.float64))


def _max_distance(points: np.ndarray) -> float:
    if len(points) < 2:
        return 0.0
    if len(points) > 64:  # below this, all pairs cost less than building the hull
        # Collinear points have no hull; pdist over all of them is then still exact.
        with contextlib.suppress(QhullError):
            points = points[ConvexHull(points).vertices]
    return float(pdist(points).max())


def bar_length_literal(saliency_map: np.ndarray, t_corr: float, t_len: int) -> float:
    """Algorithm 1 exactly as written (and as the authors ran it): the slow reference."""
    image = normalise(saliency_map)
    for threshold in THRESHOLDS:
        x, y = np.where(image > threshold)
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = np.corrcoef(x, y)[0, 1] if len(x) > 1 else np.nan
        if abs(corr) > t_corr or len(x) < t_len:
            break
    x, y = np.where(image > threshold)
    return _max_distance(np.column_stack([x, y]).astype(float))


class _Prefixes:
    """Statistics of every 'pixels above threshold' set of one map, from one sort."""

    def __init__(self, saliency_map: np.ndarray):
        image = normalise(saliency_map)
        # Only pixels above the lowest threshold can ever be kept: sort just those. Ties
        # may come in any order, since tied pixels are always kept or dropped together.
        candidates = np.flatnonzero(image.ravel() > THRESHOLDS[0])
        order = candidates[np.argsort(-image.ravel()[candidates])]
        self.values = image.ravel()[order]
        rows, cols = np.divmod(order, image.shape[1])
        self.points = np.column_stack([rows, cols]).astype(np.float64)
        # Centre the coordinates so the cumulative sums do not cancel catastrophically.
        centred = self.points - np.array(image.shape, float) / 2
        x, y = centred[:, 0], centred[:, 1]
        zero = np.zeros(1)
        self.sums = {
            name: np.concatenate([zero, np.cumsum(v)])
            for name, v in {"x": x, "y": y, "xx": x * x, "yy": y * y, "xy": x * y}.items()
        }
        # Number of pixels strictly above each threshold (values sorted descending).
        self.kept = np.searchsorted(-self.values, -THRESHOLDS, side="left")

    def moments(self, k: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Population variances of x and y and their covariance for prefixes of length k."""
        n = np.maximum(k, 1).astype(np.float64)
        s = self.sums
        mx, my = s["x"][k] / n, s["y"][k] / n
        vx = s["xx"][k] / n - mx**2
        vy = s["yy"][k] / n - my**2
        cxy = s["xy"][k] / n - mx * my
        return vx, vy, cxy

    def linearity(self, rule: str) -> np.ndarray:
        """The stopping statistic at every threshold (NaN where undefined)."""
        k = self.kept
        vx, vy, cxy = self.moments(k)
        tiny = 1e-12
        with np.errstate(invalid="ignore", divide="ignore"):
            if rule == "paper":
                stat = np.abs(cxy) / np.sqrt(vx * vy)
                stat[(vx < tiny) | (vy < tiny) | (k < 2)] = np.nan
            else:
                trace = vx + vy
                gap = np.sqrt((vx - vy) ** 2 + 4 * cxy**2)
                stat = gap / trace
                stat[(trace < tiny) | (k < 2)] = np.nan
        return stat

    def exact_paper_corr(self, k: int) -> float:
        x, y = self.points[:k, 0], self.points[:k, 1]
        if k < 2:
            return np.nan
        with np.errstate(invalid="ignore", divide="ignore"):
            return abs(np.corrcoef(x, y)[0, 1])

    def stop_index(self, statistic: np.ndarray, t_corr: float, t_len: int, rule: str) -> int:
        """First threshold index where the statistic exceeds t_corr or too few pixels remain."""
        above = statistic > t_corr  # NaN compares False, as NumPy does in Algorithm 1
        if rule == "paper":
            # Within rounding of t_corr, decide with np.corrcoef, exactly as the literal one.
            close = np.flatnonzero(np.abs(statistic - t_corr) < 1e-9)
            for i in close:
                above[i] = self.exact_paper_corr(int(self.kept[i])) > t_corr
        stop = above | (self.kept < t_len)
        return int(np.argmax(stop)) if stop.any() else len(THRESHOLDS) - 1

    def length(self, index: int) -> float:
        return _max_distance(self.points[: self.kept[index]])


def bar_length(saliency_map: np.ndarray, t_corr: float, t_len: int, rule: str = "paper") -> float:
    """Bar length in pixels of the map's grid (Algorithm 1; fast, same result as the literal)."""
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}; choose from {RULES}")
    prefixes = _Prefixes(saliency_map)
    return prefixes.length(prefixes.stop_index(prefixes.linearity(rule), t_corr, t_len, rule))


def bar_length_grid(
    saliency_map: np.ndarray, t_corrs: Sequence[float], t_lens: Sequence[int], rule: str = "paper"
) -> np.ndarray:
    """Lengths for every (t_corr, t_len) combination from one pass, shape (n_corr, n_len)."""
    prefixes = _Prefixes(saliency_map)
    statistic = prefixes.linearity(rule)
    lengths: dict[int, float] = {}
    out = np.empty((len(t_corrs), len(t_lens)))
    for i, t_corr in enumerate(t_corrs):
        for j, t_len in enumerate(t_lens):
            index = prefixes.stop_index(statistic, t_corr, t_len, rule)
            k = int(prefixes.kept[index])
            if k not in lengths:
                lengths[k] = prefixes.length(index)
            out[i, j] = lengths[k]
    return out


def bar_mask(
    saliency_map: np.ndarray, t_corr: float, t_len: int, rule: str = "paper"
) -> np.ndarray:
    """The pixels Algorithm 1 keeps at its stopping threshold (the isolated bar, Fig. 3)."""
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}; choose from {RULES}")
    prefixes = _Prefixes(saliency_map)
    index = prefixes.stop_index(prefixes.linearity(rule), t_corr, t_len, rule)
    mask = np.zeros(np.shape(saliency_map), bool)
    kept = prefixes.points[: prefixes.kept[index]].astype(int)
    mask[kept[:, 0], kept[:, 1]] = True
    return mask
