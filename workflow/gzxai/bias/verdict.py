"""Medina's two claims measured against the truth of the synthetic survey.

Claim (1): a CNN trained on biased labels inherits the bias — among the *true* disks it calls
more of the poorly resolved ones smooth, as the labels do. Claim (2): the eq. (8) model
removes it — its smooth fraction of poorly resolved true disks is below the naive one's and
close to zero. Both are read from the fraction of true disks each labelling calls smooth,
per α bin and per α tercile, with bootstrap intervals. Every labelling is resampled with the
same galaxy indices, so differences between labellings are paired.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gzxai.bias.classifier import LABELS, TRUTH, classification_scores, classifier_name

NAIVE, DEBIASED = classifier_name("naive"), classifier_name("debiased")
LOW, HIGH = "lowest α tercile", "highest α tercile"
#: Fewest true test disks the terciles are computed from (one per tercile).
MIN_DISKS = 3
#: Percentiles of the 95% bootstrap intervals.
INTERVAL = (2.5, 97.5)


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float

    @classmethod
    def of(cls, estimate: float, draws: np.ndarray) -> Interval:
        low, high = np.percentile(draws, INTERVAL)
        return cls(float(estimate), float(low), float(high))

    @property
    def excludes_zero_above(self) -> bool:
        return self.low > 0

    def as_dict(self) -> dict[str, float]:
        return {"estimate": self.estimate, "low": self.low, "high": self.high}


def equal_count_edges(values: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin edges holding about equal numbers of ``values`` (outer edges open)."""
    edges = np.quantile(values, np.linspace(0.0, 1.0, n_bins + 1))
    edges[0], edges[-1] = -np.inf, np.inf
    return edges


def _fractions(called: np.ndarray, which_bin: np.ndarray, n_bins: int) -> np.ndarray:
    """Smooth fraction per bin of the rows of ``called`` (labellings × galaxies)."""
    counts = np.bincount(which_bin, minlength=n_bins)
    sums = np.stack([np.bincount(which_bin, weights=row, minlength=n_bins) for row in called])
    return sums / np.maximum(counts, 1)


def _bootstrap_fractions(
    called: np.ndarray, which_bin: np.ndarray, n_bins: int, n_bootstrap: int, seed: int
) -> np.ndarray:
    """(draws, labellings, bins) smooth fractions on shared resamples of the galaxies."""
    rng = np.random.default_rng(seed)
    n = called.shape[1]
    draws = np.empty((n_bootstrap, len(called), n_bins))
    for b in range(n_bootstrap):
        rows = rng.integers(0, n, n)
        draws[b] = _fractions(called[:, rows], which_bin[rows], n_bins)
    return draws


def disks_called_smooth(
    alpha: np.ndarray,
    calls: Mapping[str, np.ndarray],
    n_bins: int,
    n_bootstrap: int,
    seed: int,
) -> pd.DataFrame:
    """Per equal-count α bin of the true disks: each labelling's smooth fraction with its
    bootstrap interval. ``calls`` maps a labelling to 1 (smooth) / 0 per true disk."""
    alpha = np.asarray(alpha, float)
    names = list(calls)
    called = np.stack([np.asarray(calls[name], float) for name in names])
    edges = equal_count_edges(alpha, n_bins)
    which = np.clip(np.searchsorted(edges, alpha, side="right") - 1, 0, n_bins - 1)
    point = _fractions(called, which, n_bins)
    draws = _bootstrap_fractions(called, which, n_bins, n_bootstrap, seed)
    low, high = np.percentile(draws, INTERVAL, axis=0)
    centre = pd.Series(alpha).groupby(which).median().reindex(range(n_bins)).to_numpy()
    rows = [
        {
            "labelling": name,
            "alpha_bin": k,
            "alpha_median": centre[k],
            "n_disks": int(np.sum(which == k)),
            "smooth_fraction": point[i, k],
            "low": low[i, k],
            "high": high[i, k],
        }
        for i, name in enumerate(names)
        for k in range(n_bins)
    ]
    return pd.DataFrame(rows)


def claims(
    alpha: np.ndarray,
    calls: Mapping[str, np.ndarray],
    n_bootstrap: int,
    seed: int,
    close_to_zero: float,
) -> dict:
    """Terciles of the true disks' α: each labelling's smooth fraction in the lowest and the
    highest, the low − high differences, the paired naive − debiased difference in the lowest
    tercile, and whether each of Medina's two claims holds."""
    names = list(calls)
    called = np.stack([np.asarray(calls[name], float) for name in names])
    edges = equal_count_edges(np.asarray(alpha, float), 3)
    which = np.clip(np.searchsorted(edges, alpha, side="right") - 1, 0, 2)
    point = _fractions(called, which, 3)
    draws = _bootstrap_fractions(called, which, 3, n_bootstrap, seed)
    index = {name: i for i, name in enumerate(names)}

    def tercile(name: str, k: int) -> Interval:
        return Interval.of(point[index[name], k], draws[:, index[name], k])

    def low_minus_high(name: str) -> Interval:
        i = index[name]
        return Interval.of(point[i, 0] - point[i, 2], draws[:, i, 0] - draws[:, i, 2])

    result: dict = {
        "n_true_disks": int(called.shape[1]),
        "tercile_alpha_edges": [float(e) for e in np.quantile(alpha, [1 / 3, 2 / 3])],
        "smooth_fraction_of_true_disks": {
            name: {LOW: tercile(name, 0).as_dict(), HIGH: tercile(name, 2).as_dict()}
            for name in names
        },
        "low_minus_high": {name: low_minus_high(name).as_dict() for name in names},
    }
    labels_biased = low_minus_high(LABELS).excludes_zero_above
    if NAIVE in index:
        inherits = low_minus_high(NAIVE).excludes_zero_above
        result["claim_1_naive_inherits_bias"] = {
            "holds": bool(labels_biased and inherits),
            "labels_biased": bool(labels_biased),
            "naive_low_minus_high_excludes_zero": bool(inherits),
        }
    if NAIVE in index and DEBIASED in index:
        i, j = index[NAIVE], index[DEBIASED]
        removed = Interval.of(point[i, 0] - point[j, 0], draws[:, i, 0] - draws[:, j, 0])
        debiased_low = tercile(DEBIASED, 0)
        result["naive_minus_debiased_lowest_tercile"] = removed.as_dict()
        result["claim_2_debiasing_removes_bias"] = {
            "holds": bool(removed.excludes_zero_above and debiased_low.estimate <= close_to_zero),
            "naive_minus_debiased_excludes_zero": bool(removed.excludes_zero_above),
            "debiased_lowest_tercile_close_to_zero": bool(debiased_low.estimate <= close_to_zero),
            "close_to_zero": close_to_zero,
        }
    return result


def accuracy_by_tercile(alpha: np.ndarray, sets: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Accuracy of every labelling against the truth in the α terciles of all galaxies."""
    alpha = np.asarray(alpha, float)
    edges = equal_count_edges(alpha, 3)
    which = np.clip(np.searchsorted(edges, alpha, side="right") - 1, 0, 2)
    truth = np.asarray(sets[TRUTH])
    rows = []
    for name, values in sets.items():
        if name == TRUTH:
            continue
        for k, part in enumerate(("lowest", "middle", "highest")):
            chosen = which == k
            scores = classification_scores(np.asarray(values)[chosen], truth[chosen])
            rows.append(
                {
                    "labelling": name,
                    "alpha_tercile": part,
                    "alpha_median": float(np.median(alpha[chosen])),
                    "n_galaxies": int(chosen.sum()),
                    "accuracy_vs_truth": scores["accuracy"],
                }
            )
    return pd.DataFrame(rows)


def sentences(result: Mapping) -> list[str]:
    """The claims in words, with the numbers they rest on."""
    fractions = result["smooth_fraction_of_true_disks"]
    out = []

    def share(name: str, part: str) -> str:
        f = fractions[name][part]
        return f"{f['estimate']:.2f} [{f['low']:.2f}, {f['high']:.2f}]"

    if "claim_1_naive_inherits_bias" in result:
        claim = result["claim_1_naive_inherits_bias"]
        out.append(
            f"Claim 1 (a CNN trained on biased labels inherits the bias) "
            f"{'holds' if claim['holds'] else 'does not hold'}: of the true disks, the labels "
            f"call {share(LABELS, LOW)} smooth in the lowest α tercile and {share(LABELS, HIGH)}"
            f" in the highest; the naive classifier {share(NAIVE, LOW)} and {share(NAIVE, HIGH)}."
        )
    if "claim_2_debiasing_removes_bias" in result:
        claim = result["claim_2_debiasing_removes_bias"]
        d = result["naive_minus_debiased_lowest_tercile"]
        out.append(
            f"Claim 2 (the eq. (8) model removes the bias) "
            f"{'holds' if claim['holds'] else 'does not hold'}: in the lowest α tercile the "
            f"debiased classifier calls {share(DEBIASED, LOW)} of the true disks smooth "
            f"(close to zero: ≤ {claim['close_to_zero']:g}), naive − debiased "
            f"{d['estimate']:+.2f} [{d['low']:+.2f}, {d['high']:+.2f}]."
        )
    return out
