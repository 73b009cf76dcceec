"""Mutual information between a galaxy's votes and the model's weights (BALD; Walmsley et al.
2020 eq. 24), from T MC-dropout samples of a binomial model.

    I[k, w] = H[⟨Bin(k | ρ̂_t, N)⟩_t] − ⟨H[Bin(k | ρ̂_t, N)]⟩_t

The first term is the entropy of the MC posterior of the votes, the second the mean entropy of
each pass's binomial: their difference is what the passes disagree on, which labelling the
galaxy would resolve. In nats, vectorised over k = 0 … N and over galaxies in chunks.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

#: Galaxies per chunk: bounds the (chunk × T × (N + 1)) probability array.
CHUNK = 4096


def binomial_entropy_terms(rho: np.ndarray, n_votes: int) -> tuple[np.ndarray, np.ndarray]:
    """(entropy of the mean posterior, mean entropy of the passes) per galaxy, in nats.

    ``rho``: galaxies × T predicted vote probabilities; ``n_votes``: the N the votes are for.
    """
    rho = np.atleast_2d(np.asarray(rho, float))
    k = np.arange(int(n_votes) + 1)
    pmf = stats.binom.pmf(k[None, None, :], int(n_votes), rho[:, :, None])
    predictive = special.entr(pmf.mean(axis=1)).sum(axis=1)
    expected = special.entr(pmf).sum(axis=2).mean(axis=1)
    return predictive, expected


def binomial_bald(rho: np.ndarray, n_votes: int) -> np.ndarray:
    """BALD I[k, w] (nats, ≥ 0) of each galaxy (row of ``rho``: its T MC samples of ρ̂)."""
    rho = np.atleast_2d(np.asarray(rho, float))
    if not 0 <= int(n_votes) == n_votes:
        raise ValueError(f"N = {n_votes}: the number of votes must be a whole number ≥ 0")
    scores = np.empty(len(rho))
    for start in range(0, len(rho), CHUNK):
        predictive, expected = binomial_entropy_terms(rho[start : start + CHUNK], n_votes)
        # Jensen: the entropy of a mixture is at least the mean entropy; clip rounding below 0.
        scores[start : start + CHUNK] = np.maximum(predictive - expected, 0.0)
    return scores


def expected_votes(n_labelled: np.ndarray) -> int:
    """The N for acquisition: the mean number of votes of the labelled galaxies (§3.4)."""
    n_labelled = np.asarray(n_labelled, float)
    if not len(n_labelled):
        raise ValueError("no labelled galaxies to take the expected number of votes from")
    return round(float(n_labelled.mean()))
