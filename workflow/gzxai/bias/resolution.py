"""Resolution labelling bias (Cabrera-Vives et al. 2014, 2018; Medina Rosales 2023).

A disk galaxy at low resolution α (Petrosian radius over PSF σ) is labelled smooth by
volunteers with probability p(smooth | disk, α) = exp(−α²/2θ²). This module fits θ from the
labels (Medina eq. 17–18), measures the bias of any set of labels with CV14 (eq. 19–20) and
CV18 (Cabrera-Vives et al. 2018's public code), and provides the debiasing likelihood of
eq. (8) for training a classifier on biased labels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize

from gzxai.core.stats import equal_count_bins


def labels_from_votes(
    smooth_votes: np.ndarray, disk_votes: np.ndarray, star_votes: np.ndarray
) -> np.ndarray:
    """Majority label of the GZ2 first task: 1 smooth, 0 disk, −1 star/artifact (discarded).

    Ties go to the answer listed first in the tree (smooth before disk), as argmax does.
    """
    votes = np.stack([smooth_votes, disk_votes, star_votes], axis=1)
    winner = votes.argmax(axis=1)
    return np.select([winner == 0, winner == 1], [1, 0], -1)


def flip_probability(alpha: np.ndarray, theta: float) -> np.ndarray:
    """p(labelled smooth | disk, α) = exp(−α²/2θ²) (Medina eq. 4)."""
    return np.exp(-(np.asarray(alpha, float) ** 2) / (2.0 * theta**2))


def observed_smooth_fraction(alpha: np.ndarray, f_s: float, theta: float) -> np.ndarray:
    """f̃_s(α) = f_s + (1 − f_s)·exp(−α²/2θ²) (Medina eq. 17)."""
    return f_s + (1.0 - f_s) * flip_probability(alpha, theta)


@dataclass
class ThetaFit:
    theta: float
    f_s: float
    alpha_centre: np.ndarray
    smooth_fraction: np.ndarray
    counts: np.ndarray
    theta_std: float = float("nan")
    f_s_std: float = float("nan")
    bootstrap: np.ndarray = field(default_factory=lambda: np.empty((0, 2)))

    def summary(self) -> dict:
        return {
            "theta": self.theta,
            "theta_std": self.theta_std,
            "f_s": self.f_s,
            "f_s_std": self.f_s_std,
            "n_bins": len(self.counts),
            "n_galaxies": int(self.counts.sum()),
        }


def _binned(alpha: np.ndarray, is_smooth: np.ndarray, n_bins: int, centre: str):
    index, edges = equal_count_bins(alpha, n_bins)
    counts = np.bincount(index, minlength=n_bins)
    fraction = np.bincount(index, weights=is_smooth, minlength=n_bins) / counts
    if centre == "midpoint":  # Medina: "for the value of α ... we use the midpoint of the bin"
        centres = 0.5 * (edges[:-1] + edges[1:])
    else:
        centres = np.array([np.median(alpha[index == k]) for k in range(n_bins)])
    return centres, fraction, counts


def _fit(centres: np.ndarray, fraction: np.ndarray) -> tuple[float, float]:
    start = (float(np.median(centres)), float(fraction[-1]))  # f_s from the least-biased bin

    def residuals(params: np.ndarray) -> np.ndarray:
        return observed_smooth_fraction(centres, params[1], params[0]) - fraction

    fit = optimize.least_squares(residuals, start, bounds=([1e-6, 0.0], [np.inf, 1.0]))
    return float(fit.x[0]), float(fit.x[1])


def fit_theta(
    alpha: np.ndarray,
    is_smooth: np.ndarray,
    n_bins: int,
    *,
    n_bootstrap: int = 0,
    seed: int = 0,
    centre: str = "median",
) -> ThetaFit:
    """θ and the true smooth fraction f_s by least squares over equal-count α bins.

    ``centre`` is the α that stands for a bin: ``median`` of its galaxies (default) or the
    ``midpoint`` of its edges (Medina's text); the midpoint misplaces the wide, sparse end
    bins. The uncertainty is the spread over ``n_bootstrap`` resamplings of the galaxies.
    """
    alpha = np.asarray(alpha, float)
    is_smooth = np.asarray(is_smooth, float)
    if n_bins < 3 or n_bins > len(alpha):
        raise ValueError(f"need 3 <= n_bins <= number of galaxies ({len(alpha)}), got {n_bins}")
    centres, fraction, counts = _binned(alpha, is_smooth, n_bins, centre)
    theta, f_s = _fit(centres, fraction)
    result = ThetaFit(theta, f_s, centres, fraction, counts)
    if n_bootstrap:
        rng = np.random.default_rng(seed)
        draws = []
        for _ in range(n_bootstrap):
            pick = rng.integers(0, len(alpha), len(alpha))
            draws.append(_fit(*_binned(alpha[pick], is_smooth[pick], n_bins, centre)[:2]))
        result.bootstrap = np.array(draws)
        result.theta_std, result.f_s_std = (float(s) for s in result.bootstrap.std(axis=0, ddof=1))
    return result


def _class_deviations(
    alpha: np.ndarray, labels: np.ndarray, classes: Sequence, n_bins: int
) -> np.ndarray:
    """σ_k² per class: mean over α bins of (fraction − fraction in the highest-α bin)²."""
    n_bins = min(n_bins, len(alpha))  # a small intrinsic bin cannot fill more α bins
    if n_bins < 2:
        return np.zeros(len(classes))
    index, _ = equal_count_bins(alpha, n_bins)
    counts = np.bincount(index, minlength=n_bins)
    sigma2 = []
    for k in classes:
        fraction = (
            np.bincount(index, weights=(labels == k).astype(float), minlength=n_bins) / counts
        )
        sigma2.append(np.mean((fraction - fraction[-1]) ** 2))
    return np.array(sigma2)


def cv14(alpha: np.ndarray, labels: np.ndarray, n_bins: int) -> float:
    """CV14 (Medina eq. 19–20): √(mean over classes of σ_k²), reference = highest-α bin."""
    labels = np.asarray(labels)
    classes = np.unique(labels)
    return float(
        np.sqrt(np.mean(_class_deviations(np.asarray(alpha, float), labels, classes, n_bins)))
    )


def intrinsic_bins(intrinsic: pd.DataFrame, n_splits: int) -> np.ndarray:
    """Bin index (0 … 2**n_splits − 1) from median splits cycling through the columns."""
    index = np.zeros(len(intrinsic), dtype=int)
    columns = list(intrinsic.columns)
    for level in range(n_splits):
        values = intrinsic[columns[level % len(columns)]].to_numpy(float)
        upper = np.zeros(len(values), dtype=int)
        for b in np.unique(index):
            members = index == b
            upper[members] = values[members] > np.median(values[members])
        index = index * 2 + upper
    return index


def cv18_once(
    alpha: np.ndarray, labels: np.ndarray, bins: np.ndarray, n_alpha_bins: int, classes: Sequence
) -> float:
    total = 0.0
    for b in np.unique(bins):
        members = bins == b
        total += _class_deviations(alpha[members], labels[members], classes, n_alpha_bins).sum()
    n_observables = 1
    return float(np.sqrt(total / (n_observables * len(classes) * len(np.unique(bins)))))


def cv18(
    alpha: np.ndarray,
    labels: np.ndarray,
    intrinsic: pd.DataFrame,
    *,
    n_splits: int,
    n_alpha_bins: int,
    n_bootstrap: int,
    seed: int,
) -> tuple[float, float]:
    """CV18 (Cabrera-Vives et al. 2018): bias within bins of intrinsic properties.

    Galaxies are split into 2**n_splits equal-count bins of the intrinsic properties
    (median splits cycling through ``intrinsic``'s columns: radius in kpc, absolute
    magnitude, redshift), each into ``n_alpha_bins`` equal-count bins of α with the highest-α
    bin as reference; returns the mean ± std over bootstrap resamplings.
    """
    draws = cv18_bootstrap(
        alpha,
        {"labels": labels},
        intrinsic,
        n_splits=n_splits,
        n_alpha_bins=n_alpha_bins,
        n_bootstrap=n_bootstrap,
        seed=seed,
    )["labels"]
    return float(draws.mean()), float(draws.std(ddof=1)) if len(draws) > 1 else 0.0


def cv18_bootstrap(
    alpha: np.ndarray,
    label_sets: Mapping[str, np.ndarray],
    intrinsic: pd.DataFrame,
    *,
    n_splits: int,
    n_alpha_bins: int,
    n_bootstrap: int,
    seed: int,
) -> pd.DataFrame:
    """CV18 of several labellings of the same galaxies on shared bootstrap resamples.

    One row per resample (one row, the sample itself, when ``n_bootstrap`` is 0), one column
    per labelling. Sharing the resamples makes differences between labellings paired: their
    spread is far smaller than either CV18's own bootstrap spread.
    """
    alpha = np.asarray(alpha, float)
    sets = {name: np.asarray(values) for name, values in label_sets.items()}
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(max(1, n_bootstrap)):
        pick = rng.integers(0, len(alpha), len(alpha)) if n_bootstrap else np.arange(len(alpha))
        bins = intrinsic_bins(intrinsic.iloc[pick].reset_index(drop=True), n_splits)
        rows.append(
            {
                name: cv18_once(alpha[pick], values[pick], bins, n_alpha_bins, np.unique(values))
                for name, values in sets.items()
            }
        )
    return pd.DataFrame(rows, columns=list(sets))


def paired_differences(
    draws: pd.DataFrame, pairs: Sequence[tuple[str, str]], level: float = 0.95
) -> pd.DataFrame:
    """Mean and percentile interval of CV18(a) − CV18(b) over shared bootstrap resamples."""
    tail = 100 * (1 - level) / 2
    rows = []
    for a, b in pairs:
        difference = (draws[a] - draws[b]).to_numpy()
        low, high = np.percentile(difference, [tail, 100 - tail])
        rows.append(
            {
                "a": a,
                "b": b,
                "difference": float(difference.mean()),
                "low": float(low),
                "high": float(high),
                "fraction_positive": float(np.mean(difference > 0)),
            }
        )
    return pd.DataFrame(rows)
