"""Look-alike galaxies for a disagreement (Su et al., Appendix E.4.3).

Two vectors of vote fractions p and q are compared as independent binomials per answer,

    s(p, q) = Σ_i w_i [p_i log q_i + (1 − p_i) log(1 − q_i)],

higher = more alike (it is minus a weighted cross-entropy). For a galaxy g whose answer a the
model and the volunteers disagree on:

- the *observed-similar* galaxy has observed fractions like g's, except that its observed
  value for a is g's *prediction*: "what g would look like if the volunteers had agreed with
  the model";
- the *predicted-similar* galaxy has predictions like g's, except that its prediction for a
  is g's *observation*: "what the model does with a galaxy it reads like the volunteers".

Over a catalogue, s of every query against every galaxy is two matrix products
(P·W·log Qᵀ + (1 − P)·W·log(1 − Q)ᵀ), computed in chunks of catalogue rows so that memory
stays bounded whatever the catalogue's size. Undefined fractions (questions nobody was asked)
contribute nothing: they are masked on both sides before the products.
"""

from __future__ import annotations

import numpy as np

from gzxai.audit.ranking import CLIP


def _sides(fractions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mask of defined entries, log q, log(1 − q)) with undefined entries' logs set to 0."""
    defined = np.isfinite(fractions)
    q = np.clip(np.where(defined, fractions, 0.5), CLIP, 1.0 - CLIP)
    return defined, np.where(defined, np.log(q), 0.0), np.where(defined, np.log1p(-q), 0.0)


def similarity_matrix(
    queries: np.ndarray, catalogue: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """s(query_m, catalogue_n) for every pair (queries × catalogue), by two matrix products;
    ``weights`` per answer (answers,) or per query and answer (queries × answers)."""
    query_defined = np.isfinite(queries)
    p = np.where(query_defined, queries, 0.0) * weights
    not_p = np.where(query_defined, 1.0 - queries, 0.0) * weights
    _, log_q, log_not_q = _sides(catalogue)
    return p @ log_q.T + not_p @ log_not_q.T


def most_similar(
    queries: np.ndarray,
    catalogue: np.ndarray,
    weights: np.ndarray,
    *,
    exclude: np.ndarray | None = None,
    chunk: int = 4096,
) -> tuple[np.ndarray, np.ndarray]:
    """(catalogue row, score) of each query's most similar galaxy, streaming the catalogue in
    chunks of ``chunk`` rows; ``exclude[m]`` is a catalogue row query m may not pick (itself),
    or −1. Ties go to the lower row."""
    n_queries = len(queries)
    best_row = np.full(n_queries, -1, np.int64)
    best_score = np.full(n_queries, -np.inf)
    for start in range(0, len(catalogue), chunk):
        scores = similarity_matrix(queries, catalogue[start : start + chunk], weights)
        if exclude is not None:
            own = exclude - start
            inside = (own >= 0) & (own < scores.shape[1])
            scores[np.flatnonzero(inside), own[inside]] = -np.inf
        row = scores.argmax(axis=1)
        score = scores[np.arange(n_queries), row]
        better = score > best_score
        best_row[better], best_score[better] = row[better] + start, score[better]
    return best_row, best_score


def pairwise_most_similar(
    queries: np.ndarray, catalogue: np.ndarray, weights: np.ndarray, exclude: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """The same answer as :func:`most_similar` by a Python loop over every pair: the
    reference the benchmark and the tests compare against."""
    best_row = np.full(len(queries), -1, np.int64)
    best_score = np.full(len(queries), -np.inf)
    weights = np.broadcast_to(weights, np.shape(queries))
    for m, query in enumerate(queries):
        for n, other in enumerate(catalogue):
            if exclude is not None and exclude[m] == n:
                continue
            score = 0.0
            for i, (p, q) in enumerate(zip(query, other, strict=True)):
                if np.isfinite(p) and np.isfinite(q):
                    q = min(max(q, CLIP), 1.0 - CLIP)
                    score += weights[m, i] * (p * np.log(q) + (1.0 - p) * np.log(1.0 - q))
            if score > best_score[m]:
                best_row[m], best_score[m] = n, score
    return best_row, best_score


def control_queries(
    observed: np.ndarray, predicted: np.ndarray, rows: np.ndarray, answers: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The two query vectors of each selected (galaxy row, answer): g's observed fractions
    with answer a set to g's prediction (searched among observed fractions), and g's
    predictions with a set to g's observation (searched among predictions)."""
    picked = np.arange(len(rows))
    as_predicted = observed[rows].copy()
    as_predicted[picked, answers] = predicted[rows, answers]
    as_observed = predicted[rows].copy()
    as_observed[picked, answers] = observed[rows, answers]
    return as_predicted, as_observed


def question_weights(weights: np.ndarray, answers: np.ndarray, factor: float) -> np.ndarray:
    """Per query, the answer weights with the selected answer ``factor`` times heavier (the
    paper's "specific weight for a particular question of interest")."""
    out = np.tile(np.asarray(weights, np.float64), (len(answers), 1))
    out[np.arange(len(answers)), answers] *= factor
    return out
