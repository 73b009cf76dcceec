"""BALD for binomial outputs: zero without disagreement, never negative, equal to the mutual
information enumerated from the joint distribution of votes and passes."""

import numpy as np
import pytest
from scipy import stats

from gzxai.active.bald import binomial_bald, expected_votes


def enumerated_mutual_information(rho: np.ndarray, n: int) -> float:
    """I(k; t) from p(k, t) = Bin(k | ρ_t, N) / T by brute force over every (k, t)."""
    joint = np.array([[stats.binom.pmf(k, n, r) / len(rho) for k in range(n + 1)] for r in rho])
    p_k, p_t = joint.sum(axis=0), joint.sum(axis=1)
    total = 0.0
    for t in range(len(rho)):
        for k in range(n + 1):
            if joint[t, k] > 0:
                total += joint[t, k] * np.log(joint[t, k] / (p_t[t] * p_k[k]))
    return total


def test_bald_is_zero_when_every_pass_agrees_and_for_a_single_pass():
    agree = np.full((5, 30), 0.37)
    np.testing.assert_allclose(binomial_bald(agree, 40), 0.0, atol=1e-12)
    single = np.random.default_rng(0).uniform(size=(7, 1))
    np.testing.assert_allclose(binomial_bald(single, 40), 0.0, atol=1e-12)


def test_bald_is_never_negative_and_grows_with_disagreement():
    rng = np.random.default_rng(1)
    rho = rng.uniform(size=(500, 20))
    scores = binomial_bald(rho, 25)
    assert (scores >= 0).all() and scores.max() > 0.3
    narrow = 0.5 + 0.01 * rng.standard_normal((1, 20))
    wide = 0.5 + 0.3 * rng.uniform(-1, 1, (1, 20))
    assert binomial_bald(wide, 25)[0] > binomial_bald(narrow, 25)[0]


@pytest.mark.parametrize("n", [0, 1, 5, 12])
def test_bald_equals_the_enumerated_mutual_information(n):
    rho = np.random.default_rng(n).uniform(0.02, 0.98, 6)
    assert binomial_bald(rho[None, :], n)[0] == pytest.approx(
        enumerated_mutual_information(rho, n), abs=1e-10
    )


def test_bald_is_the_same_in_chunks(monkeypatch):
    import gzxai.active.bald as bald

    rho = np.random.default_rng(3).uniform(size=(10, 8))
    whole = binomial_bald(rho, 30)
    monkeypatch.setattr(bald, "CHUNK", 3)
    np.testing.assert_array_equal(bald.binomial_bald(rho, 30), whole)


def test_the_expected_number_of_votes_is_the_labelled_mean():
    assert expected_votes(np.array([38, 40, 45])) == 41
    with pytest.raises(ValueError, match="no labelled"):
        expected_votes(np.array([]))
    with pytest.raises(ValueError, match="whole number"):
        binomial_bald(np.full((1, 2), 0.5), 2.5)
