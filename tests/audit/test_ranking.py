import numpy as np
import pytest

from gzxai.audit.ranking import (
    answer_weights,
    balanced_questions,
    cross_entropy,
    fractions_within_questions,
    predicted_fractions,
    rank,
)

QUESTIONS = {"shape": slice(0, 2), "bar": slice(2, 4)}
ANSWERS = ["smooth", "featured", "bar", "no_bar"]


def test_fractions_are_shares_of_their_question_and_undefined_where_nobody_was_asked():
    counts = np.array([[30, 10, 0, 0], [5, 15, 3, 1]])
    fractions = fractions_within_questions(counts, QUESTIONS)
    np.testing.assert_allclose(fractions[0, :2], [0.75, 0.25])
    assert np.isnan(fractions[0, 2:]).all()
    np.testing.assert_allclose(fractions[1], [0.25, 0.75, 0.75, 0.25])


def test_predicted_fractions_average_the_passes_dirichlet_means():
    passes = np.stack([[[1.0, 3.0, 2.0, 2.0]], [[3.0, 1.0, 1.0, 3.0]]], axis=-1)  # 1 × 4 × T=2
    np.testing.assert_allclose(predicted_fractions(passes, QUESTIONS), [[0.5, 0.5, 0.375, 0.625]])


def test_cross_entropy_is_the_binary_one_and_stays_finite_for_confident_misses():
    observed = np.array([[0.2, 1.0]])
    predicted = np.array([[0.6, 0.0]])
    terms = cross_entropy(observed, predicted)
    assert terms[0, 0] == pytest.approx(-(0.2 * np.log(0.6) + 0.8 * np.log(0.4)))
    assert np.isfinite(terms[0, 1]) and terms[0, 1] > 10


def test_the_ranking_takes_each_galaxys_worst_weighted_term_highest_first():
    observed = np.array(
        [
            [0.9, 0.1, np.nan, np.nan],  # agrees
            [0.1, 0.9, np.nan, np.nan],  # disagrees on shape, never asked about a bar
            [0.5, 0.5, 0.6, 0.4],  # mild disagreement on the bar, weighted 5×
            [np.nan, np.nan, np.nan, np.nan],  # no votes at all: not ranked
        ]
    )
    predicted = np.array(
        [
            [0.9, 0.1, 0.5, 0.5],
            [0.9, 0.1, 0.5, 0.5],
            [0.5, 0.5, 0.3, 0.7],
            [0.5, 0.5, 0.5, 0.5],
        ]
    )
    weights = answer_weights(QUESTIONS, ["bar"], 5.0)
    np.testing.assert_array_equal(weights, [1, 1, 5, 5])
    table = rank(np.array([10, 11, 12, 13]), observed, predicted, weights, ANSWERS)
    assert table["galaxy_id"].tolist() == [12, 11, 10]
    assert table["rank"].tolist() == [1, 2, 3]
    assert table.loc[0, "answer"] in {"bar", "no_bar"}
    assert table.loc[1, "answer"] in {"smooth", "featured"}
    expected = 5 * -(0.6 * np.log(0.3) + 0.4 * np.log(0.7))
    assert table.loc[0, "loss"] == pytest.approx(expected)
    assert table.loc[0, "observed"] == pytest.approx(0.6)


def test_the_term_is_a_cross_entropy_not_a_divergence_it_is_not_zero_at_agreement():
    # The paper's measure: a balanced fraction predicted exactly still costs its entropy.
    terms = cross_entropy(np.array([[0.5, 1.0]]), np.array([[0.5, 1.0]]))
    assert terms[0, 0] == pytest.approx(np.log(2))
    assert terms[0, 1] == pytest.approx(0.0, abs=1e-5)


def test_balanced_questions_are_those_with_enough_fractions_inside_the_middle():
    rng = np.random.default_rng(0)
    decisive = rng.choice([0.02, 0.98], size=200)
    spread = rng.uniform(size=200)
    observed = np.column_stack([decisive, 1 - decisive, spread, 1 - spread])
    assert balanced_questions(observed, QUESTIONS) == ["bar"]
    assert balanced_questions(observed, QUESTIONS, min_share=0.0) == ["shape", "bar"]


def test_an_unknown_weighted_question_is_named():
    with pytest.raises(ValueError, match="spiral"):
        answer_weights(QUESTIONS, ["spiral"])
