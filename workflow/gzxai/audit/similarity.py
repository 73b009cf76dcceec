"""Look-alike galaxies for a disagreement (Su et al., Appendix E.4.3).

Two vectors of vote fractions p and q are compared as independent binomials per answer,

    s(p, q) = Σ_i w_i [p_i log q_i + (1 − p_i) log(1 − q_i)] / Σ_i w_i,

over the answers both galaxies have (a question nobody was asked has no fraction); higher =
more alike (it is minus a weighted mean cross-entropy). The mean, not the sum: every term is
at most 0, so a sum would favour galaxies that were asked fewer questions.

For a galaxy g whose answer a the model and the volunteers disagree on:

- the *observed-similar* galaxy has observed fractions like g's, except that its observed
  value for a is g's *prediction*: "what g would look like if the volunteers had agreed with
  the model";
- the *predicted-similar* galaxy has predictions like g's, except that its prediction for a
  is g's *observation*: "what the model does with a galaxy it reads like the volunteers".

Over a catalogue, s of every query against every galaxy is three matrix products, the sum
(P∘W)·log Qᵀ + ((1 − P)∘W)·log(1 − Q)ᵀ and the weight of the shared answers (M_p∘W)·M_qᵀ,
computed in chunks of catalogue rows so that memory stays bounded whatever the catalogue's
size; undefined fractions are masked on both sides before the products. A control must have
the selected answer itself.
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
    """s(query_m, catalogue_n) for every pair (queries × catalogue), by matrix products;
    ``weights`` per answer (answers,) or per query and answer (queries × answers). Pairs
    with no answer in common are −inf."""
    query_defined = np.isfinite(queries)
    w = np.where(query_defined, 1.0, 0.0) * weights
    p = np.where(query_defined, queries, 0.0) * w
    not_p = np.where(query_defined, 1.0 - queries, 0.0) * w
    defined, log_q, log_not_q = _sides(catalogue)
    shared = w @ defined.T
    total = p @ log_q.T + not_p @ log_not_q.T
    return np.divide(total, shared, out=np.full(total.shape, -np.inf), where=shared > 0)


def most_similar(
    queries: np.ndarray,
    catalogue: np.ndarray,
    weights: np.ndarray,
    *,
    exclude: np.ndarray | None = None,
    required: np.ndarray | None = None,
    chunk: int = 4096,
) -> tuple[np.ndarray, np.ndarray]:
    """(catalogue row, score) of each query's most similar galaxy, streaming the catalogue in
    chunks of ``chunk`` rows; ``exclude[m]`` is a catalogue row query m may not pick (itself),
    or −1; ``required[m]`` an answer the pick must have a fraction for. Ties go to the lower
    row; a query nothing qualifies for gets row −1."""
    n_queries = len(queries)
    best_row = np.full(n_queries, -1, np.int64)
    best_score = np.full(n_queries, -np.inf)
    for start in range(0, len(catalogue), chunk):
        part = catalogue[start : start + chunk]
        scores = similarity_matrix(queries, part, weights)
        if exclude is not None:
            own = exclude - start
            inside = (own >= 0) & (own < scores.shape[1])
            scores[np.flatnonzero(inside), own[inside]] = -np.inf
        if required is not None:
            scores[~np.isfinite(part[:, required].T)] = -np.inf
        row = scores.argmax(axis=1)
        score = scores[np.arange(n_queries), row]
        better = score > best_score
        best_row[better], best_score[better] = row[better] + start, score[better]
    return best_row, best_score


def pairwise_most_similar(
    queries: np.ndarray,
    catalogue: np.ndarray,
    weights: np.ndarray,
    exclude: np.ndarray | None,
    required: np.ndarray | None = None,
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
            if required is not None and not np.isfinite(other[required[m]]):
                continue
            total = shared = 0.0
            for i, (p, q) in enumerate(zip(query, other, strict=True)):
                if np.isfinite(p) and np.isfinite(q):
                    q = min(max(q, CLIP), 1.0 - CLIP)
                    total += weights[m, i] * (p * np.log(q) + (1.0 - p) * np.log(1.0 - q))
                    shared += weights[m, i]
            score = total / shared if shared > 0 else -np.inf
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
