"""The statistics every stage shares: min–max normalisation, equal-count bins, Pearson ρ
with its bootstrap interval, partial ρ, and the weighted fit through the origin."""

from __future__ import annotations

import numpy as np
from scipy import stats


def min_max(values: np.ndarray) -> np.ndarray:
    """Min–max normalisation to [0, 1] in the array's own dtype (a constant array becomes
    all zeros)."""
    span = values.max() - values.min()
    return (values - values.min()) / span if span > 0 else np.zeros_like(values)


def equal_count_bins(values: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """(bin index of every value, bin edges) for ``n_bins`` bins of equal population."""
    values = np.asarray(values, float)
    order = np.argsort(values, kind="stable")
    index = np.empty(len(values), dtype=int)
    index[order] = np.arange(len(values)) * n_bins // len(values)
    starts = np.searchsorted(index[order], np.arange(1, n_bins))
    edges = np.concatenate([[values[order[0]]], values[order[starts]], [values[order[-1]]]])
    return index, edges


def bootstrap_rho(x: np.ndarray, y: np.ndarray, n_boot: int, seed: int) -> tuple[float, float]:
    """Percentile 95% interval of Pearson ρ over galaxies resampled with replacement."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(x), size=(n_boot, len(x)))
    xs, ys = x[picks], y[picks]
    xs = xs - xs.mean(axis=1, keepdims=True)
    ys = ys - ys.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = (xs * ys).sum(1) / np.sqrt((xs**2).sum(1) * (ys**2).sum(1))
    low, high = np.nanpercentile(rho, [2.5, 97.5])
    return float(low), float(high)


def wls_through_origin(
    x: np.ndarray, y: np.ndarray, sigma_x: np.ndarray, sigma_y: np.ndarray
) -> tuple[float, float]:
    """Slope and its standard error of y = a·x, weights 1/(σ_y² + a²σ_x²) iterated to a."""
    slope = float(np.sum(x * y) / np.sum(x * x))
    for _ in range(20):
        weights = 1.0 / (sigma_y**2 + slope**2 * sigma_x**2)
        new = float(np.sum(weights * x * y) / np.sum(weights * x * x))
        if abs(new - slope) < 1e-10 * max(1.0, abs(slope)):
            slope = new
            break
        slope = new
    weights = 1.0 / (sigma_y**2 + slope**2 * sigma_x**2)
    return slope, float(np.sqrt(1.0 / np.sum(weights * x * x)))


def partial_rho(x: np.ndarray, y: np.ndarray, control: np.ndarray) -> float:
    """Pearson ρ of x and y after removing the linear effect of ``control`` from both."""
    design = np.column_stack([np.ones_like(control), control])
    rx = x - design @ np.linalg.lstsq(design, x, rcond=None)[0]
    ry = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
    return float(stats.pearsonr(rx, ry).statistic)
