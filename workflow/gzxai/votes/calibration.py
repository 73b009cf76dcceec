"""Posteriors for the votes and their calibration (Walmsley et al. 2020 §2.6, eq. 11–13).

A model predicts ρ̂ (the probability that a volunteer gives the answer) for each galaxy, once
or T times with MC dropout. The posterior of k votes of N is the mean over the T passes of
Bin(k | ρ̂_t, N); for a Dirichlet model the answer's marginal is a Beta-binomial per pass.
Within a maximum error ε of the predicted k̂ = N·ρ̂ (ρ̂ the posterior's mean fraction), the
expected count sums the posterior's probability over the galaxies, the actual count counts the
observed k; the coverage error is (expected − actual) / actual: positive when the model is
overconfident.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

#: The paper's maximum errors (Tables 1–2).
EPSILONS = (0.02, 0.05, 0.10, 0.20)


@dataclass(frozen=True)
class VotePosterior:
    """p(k | x, N) for k = 0 … max N (galaxies × (max N + 1); zero beyond a galaxy's own N),
    its mean vote fraction ρ̂ per galaxy and the N it is for."""

    pmf: np.ndarray
    fraction: np.ndarray
    n: np.ndarray


def posterior(rho: np.ndarray, n: np.ndarray) -> np.ndarray:
    """p(k | x, N) for k = 0 … max N (galaxies × (max N + 1)), averaged over the samples.

    ``rho``: galaxies × T predictions (T = 1 without MC dropout); ``n``: votes per galaxy.
    A galaxy's probabilities beyond its own N are zero.
    """
    rho, n = _as_samples(rho), np.asarray(n, np.int64)
    k = np.arange(n.max(initial=0) + 1)
    pmf = stats.binom.pmf(k[None, None, :], n[:, None, None], rho[:, :, None])
    return pmf.mean(axis=1)


def binomial_posterior(rho: np.ndarray, n: np.ndarray) -> VotePosterior:
    """The mixture of Bin(k | ρ̂_t, N) over the T samples (galaxies × T, or galaxies)."""
    rho = _as_samples(rho)
    return VotePosterior(posterior(rho, n), rho.mean(axis=1), np.asarray(n, np.int64))


def beta_binomial_posterior(a: np.ndarray, b: np.ndarray, n: np.ndarray) -> VotePosterior:
    """The mixture over the T samples of BetaBin(k | N, a_t, b_t): one answer's marginal of a
    Dirichlet-multinomial with concentrations a_t (the answer) and b_t (the others' sum)."""
    a, b, n = _as_samples(a), _as_samples(b), np.asarray(n, np.int64)
    k = np.arange(n.max(initial=0) + 1)
    pmf = stats.betabinom.pmf(k[None, None, :], n[:, None, None], a[:, :, None], b[:, :, None])
    return VotePosterior(pmf.mean(axis=1), (a / (a + b)).mean(axis=1), n)


def counts_within(post: VotePosterior, k: np.ndarray, epsilon: float) -> tuple[float, int]:
    """(expected, actual) counts of galaxies with k within N·ε of k̂ (eq. 11 and 12)."""
    k = np.asarray(k, np.int64)
    k_hat = post.n * post.fraction
    low, high = k_hat - post.n * epsilon, k_hat + post.n * epsilon
    grid = np.arange(post.pmf.shape[1])
    window = (grid[None, :] > low[:, None]) & (grid[None, :] < high[:, None])
    expected = float((post.pmf * window).sum())
    actual = int(((k > low) & (k < high)).sum())
    return expected, actual


def calibration_table(
    post: VotePosterior, k: np.ndarray, epsilons: Sequence[float] = EPSILONS
) -> pd.DataFrame:
    """Expected and actual counts and the coverage error (eq. 13) at each ε."""
    rows = []
    for epsilon in epsilons:
        expected, actual = counts_within(post, k, epsilon)
        error = (expected - actual) / actual if actual else np.nan
        rows.append(
            {"epsilon": epsilon, "expected": expected, "actual": actual, "coverage_error": error}
        )
    return pd.DataFrame(rows)


def _as_samples(rho: np.ndarray) -> np.ndarray:
    rho = np.asarray(rho, np.float64)
    return rho[:, None] if rho.ndim == 1 else rho
