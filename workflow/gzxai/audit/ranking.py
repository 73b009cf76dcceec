"""Where the Bayesian CNN and the volunteers disagree most (Su et al., Appendix E.4.2).

Per galaxy and answer, the binary cross-entropy between the volunteers' observed fraction y
(the answer's votes over its question's) and the model's predicted fraction p (the mean over
MC passes of α / Σα within the question), with p clipped away from 0 and 1. Questions whose
observed fractions are balanced (not piled up at 0 and 1) weigh more: late questions of the
tree get few votes, so one errant volunteer makes their fractions extreme and their
cross-entropy large. Each galaxy is ranked by its largest weighted term, and that term names
the question and answer it comes from.

Pure functions on arrays: galaxies × answers in the tree's order, with the answer slices of
each question (:meth:`gzxai.core.trees.DecisionTree.answer_slices`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

#: Predicted fractions are kept this far from 0 and 1, so that one confident miss cannot
#: make a term infinite.
CLIP = 1e-6


def fractions_within_questions(values: np.ndarray, questions: Mapping[str, slice]) -> np.ndarray:
    """Each answer's share of its question (galaxies × answers): counts become observed
    fractions, concentrations become the Dirichlet's mean. A question with nothing in it (no
    volunteer reached it) is NaN."""
    values = np.asarray(values, np.float64)
    out = np.full(values.shape, np.nan)
    for answers in questions.values():
        total = values[:, answers].sum(axis=1, keepdims=True)
        np.divide(values[:, answers], total, out=out[:, answers], where=total > 0)
    return out


def predicted_fractions(concentrations: np.ndarray, questions: Mapping[str, slice]) -> np.ndarray:
    """The predicted fractions of MC samples of concentrations (galaxies × answers × T): the
    mean over the passes of each pass's α / Σα."""
    samples = np.moveaxis(np.asarray(concentrations, np.float64), -1, 0)
    return np.mean([fractions_within_questions(s, questions) for s in samples], axis=0)


def cross_entropy(observed: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """−y log p − (1 − y) log(1 − p) per galaxy and answer; NaN where y is undefined."""
    p = np.clip(predicted, CLIP, 1.0 - CLIP)
    return -(observed * np.log(p) + (1.0 - observed) * np.log1p(-p))


def balanced_questions(
    observed: np.ndarray,
    questions: Mapping[str, slice],
    *,
    middle: tuple[float, float] = (0.2, 0.8),
    min_share: float = 0.25,
) -> list[str]:
    """The questions whose observed-fraction histogram is balanced: at least ``min_share`` of
    the (galaxy, answer) fractions of the galaxies asked the question lie strictly inside
    ``middle``. The paper picks them by eye from the histograms (its Appendix C); this is
    that reading as a rule."""
    low, high = middle
    chosen = []
    for name, answers in questions.items():
        values = observed[:, answers]
        values = values[np.isfinite(values)]
        if values.size and np.mean((values > low) & (values < high)) >= min_share:
            chosen.append(name)
    return chosen


def answer_weights(
    questions: Mapping[str, slice], heavier: list[str], weight: float = 5.0
) -> np.ndarray:
    """One weight per answer: ``weight`` for the answers of the ``heavier`` questions, else 1.
    The paper's 5 brings their terms to the size of the most discrepant unweighted ones."""
    unknown = set(heavier) - set(questions)
    if unknown:
        raise ValueError(f"unknown question(s) {sorted(unknown)}; the tree has {list(questions)}")
    n = max(s.stop for s in questions.values())
    weights = np.ones(n)
    for name in heavier:
        weights[questions[name]] = weight
    return weights


def rank(
    ids: np.ndarray,
    observed: np.ndarray,
    predicted: np.ndarray,
    weights: np.ndarray,
    answers: list[str],
) -> pd.DataFrame:
    """Every galaxy with at least one defined term, by its largest weighted cross-entropy,
    highest first: ``loss`` (that term), ``answer`` (where it comes from), its observed and
    predicted fraction and ``rank`` (1 = the model's worst disagreement with the volunteers)."""
    terms = cross_entropy(observed, predicted) * weights
    defined = np.isfinite(terms).any(axis=1)
    filled = np.where(np.isfinite(terms), terms, -np.inf)[defined]
    worst = filled.argmax(axis=1)
    rows = np.arange(len(worst))
    table = pd.DataFrame(
        {
            "galaxy_id": np.asarray(ids)[defined],
            "loss": filled[rows, worst],
            "answer": np.asarray(answers)[worst],
            "observed": observed[defined][rows, worst],
            "predicted": predicted[defined][rows, worst],
        }
    )
    table = table.sort_values(["loss", "galaxy_id"], ascending=[False, True], kind="stable")
    return table.reset_index(drop=True).assign(rank=lambda t: np.arange(1, len(t) + 1))
