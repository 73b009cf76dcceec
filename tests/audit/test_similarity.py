import numpy as np
import pytest

from gzxai.audit.similarity import (
    control_queries,
    most_similar,
    pairwise_most_similar,
    question_weights,
    similarity_matrix,
)


def fractions(rng, n, answers=6, missing=0.2):
    values = rng.uniform(size=(n, answers))
    values[rng.uniform(size=values.shape) < missing] = np.nan
    return values


def test_chunked_search_equals_the_pairwise_loop():
    rng = np.random.default_rng(1)
    catalogue = fractions(rng, 57)
    queries = catalogue[[3, 10, 40]].copy()
    weights = question_weights(np.ones(6), np.array([0, 2, 5]), 5.0)
    exclude = np.array([3, 10, 40])
    required = np.array([0, 2, 5])
    for chunk in (1, 7, 100):
        rows, scores = most_similar(
            queries, catalogue, weights, exclude=exclude, required=required, chunk=chunk
        )
        ref_rows, ref_scores = pairwise_most_similar(queries, catalogue, weights, exclude, required)
        np.testing.assert_array_equal(rows, ref_rows)
        np.testing.assert_allclose(scores, ref_scores, rtol=1e-12)
    assert not np.isin(rows, exclude).any()
    assert np.isfinite(catalogue[rows, required]).all()  # a control has the selected answer


def test_a_galaxy_asked_fewer_questions_is_not_favoured():
    query = np.array([[0.9, 0.9]])
    catalogue = np.array([[0.9, 0.9], [0.6, np.nan]])
    rows, scores = most_similar(query, catalogue, np.ones(2))
    assert rows[0] == 0
    cross_entropy = -(0.9 * np.log(0.9) + 0.1 * np.log(0.1))
    assert scores[0] == pytest.approx(-cross_entropy)  # a mean over the shared answers
    rows, _ = most_similar(query, catalogue[1:], np.ones(2), required=np.array([1]))
    assert rows[0] == -1  # nothing has the required answer


def test_a_galaxy_is_most_like_itself_unless_excluded():
    rng = np.random.default_rng(2)
    catalogue = rng.uniform(0.05, 0.95, size=(30, 4))
    catalogue[7] = [0.99, 0.01, 0.99, 0.01]
    rows, _ = most_similar(catalogue[[7]], catalogue, np.ones(4))
    assert rows[0] == 7
    rows, _ = most_similar(catalogue[[7]], catalogue, np.ones(4), exclude=np.array([7]))
    assert rows[0] != 7


def test_undefined_fractions_contribute_nothing():
    query = np.array([[0.9, np.nan]])
    catalogue = np.array([[0.8, 0.5], [0.8, np.nan]])
    scores = similarity_matrix(query, catalogue, np.ones(2))
    assert scores[0, 0] == scores[0, 1]


def test_the_control_queries_swap_the_disagreeing_answer():
    observed = np.array([[0.1, 0.9], [0.5, 0.5]])
    predicted = np.array([[0.8, 0.2], [0.5, 0.5]])
    as_predicted, as_observed = control_queries(observed, predicted, np.array([0]), np.array([0]))
    np.testing.assert_allclose(as_predicted, [[0.8, 0.9]])
    np.testing.assert_allclose(as_observed, [[0.1, 0.2]])


def test_the_benchmark_compares_equal_answers(tmp_path):
    from gzxai.studies.benchmarks import audit_benchmark

    result = audit_benchmark(tmp_path / "no_table.parquet", n_catalogue=60, n_queries=3)
    assert result["source"] == "random fractions"
    assert result["identical_choices"] is True
    assert result["max_score_difference"] < 1e-9
    assert result["catalogue_galaxies"] == 60
