"""The best constant prediction of the Dirichlet-multinomial tree likelihood: the same
concentrations for every galaxy, fitted to the training counts by maximum likelihood.

It is where the tree model's head starts (``output_start: constant_fit``) and the baseline the
model must beat (its validation loss, in the training summary). From Keras's zero bias the
head starts at concentrations floor + scale/2 for every answer (51 with Zoobot's range), far
from what the counts support, and climbs down before the trunk has features; started at the
constant fit it begins where a model without features can be, and every step after that is
what the images add.

Plain numpy and scipy, so that it can be tested against ``scipy.stats.dirichlet_multinomial``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import minimize
from scipy.special import digamma, gammaln, logit

#: Fitted concentrations stay this far inside the head's open range (floor, floor + scale),
#: so that their logits are finite and the sigmoid is not saturated.
RANGE_MARGIN = 1e-3


def dirichlet_multinomial_log_likelihood(
    counts: np.ndarray, concentrations: np.ndarray, questions: Sequence[slice]
) -> np.ndarray:
    """Σ_q log DirMult(k_q | N_q, α_q) per galaxy (galaxies × answers in, galaxies out);
    ``concentrations`` is one row for all galaxies or one row per galaxy. A question with
    N_q = 0 contributes 0."""
    counts = np.asarray(counts, float)
    alpha = np.broadcast_to(np.asarray(concentrations, float), counts.shape)
    total = np.zeros(len(counts))
    for answers in questions:
        k, a = counts[:, answers], alpha[:, answers]
        n, a_sum = k.sum(axis=1), a.sum(axis=1)
        total += (
            gammaln(n + 1)
            - gammaln(k + 1).sum(axis=1)
            + gammaln(a_sum)
            - gammaln(n + a_sum)
            + (gammaln(k + a) - gammaln(a)).sum(axis=1)
        )
    return total


def dirichlet_multinomial_fit(
    counts: np.ndarray, questions: Sequence[slice], bounds: tuple[float, float] = (1e-3, 1e3)
) -> np.ndarray:
    """Per-answer concentrations maximising the mean log-likelihood of ``counts`` (galaxies
    × answers), question by question, over the galaxies asked it; ``bounds`` on each α. A
    question nobody was asked keeps α = 1."""
    counts = np.asarray(counts, float)
    alpha = np.ones(counts.shape[1])
    for answers in questions:
        k = counts[:, answers]
        k = k[k.sum(axis=1) > 0]
        if len(k):
            alpha[answers] = _fit_question(k, bounds)
    return alpha


def _fit_question(k: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    """One question's maximum-likelihood α, optimised in log α (analytic gradient)."""
    n = k.sum(axis=1)

    def objective(log_alpha: np.ndarray) -> tuple[float, np.ndarray]:
        a = np.exp(log_alpha)
        ll = dirichlet_multinomial_log_likelihood(k, a, (slice(None),))
        grad = digamma(a.sum()) - digamma(n + a.sum())
        grad_a = grad.mean() + (digamma(k + a) - digamma(a)).mean(axis=0)
        return -ll.mean(), -grad_a * a

    start = np.log(np.clip(k.mean(axis=0) / n.mean() * 2.0, *bounds))
    result = minimize(
        objective, start, jac=True, method="L-BFGS-B", bounds=[np.log(bounds)] * k.shape[1]
    )
    return np.exp(result.x)


def concentration_logits(concentrations: np.ndarray, floor: float, scale: float) -> np.ndarray:
    """The logits at which floor + scale·sigmoid gives ``concentrations`` (those outside the
    range are brought inside it first)."""
    share = (np.asarray(concentrations, float) - floor) / scale
    return logit(np.clip(share, RANGE_MARGIN, 1 - RANGE_MARGIN))
