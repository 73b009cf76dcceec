"""Medina's claims read from the true disks' smooth fractions per α tercile."""

import numpy as np
import pytest

from gzxai.bias.classifier import LABELS, TRUTH
from gzxai.bias.verdict import (
    DEBIASED,
    HIGH,
    LOW,
    NAIVE,
    accuracy_by_tercile,
    claims,
    disks_called_smooth,
    sentences,
)


def biased_disks(n: int = 3000, theta: float = 10.0, seed: int = 0):
    rng = np.random.default_rng(seed)
    alpha = rng.uniform(2.0, 30.0, n)
    labels = (rng.uniform(size=n) < np.exp(-(alpha**2) / (2 * theta**2))).astype(int)
    return alpha, labels, rng


def test_a_classifier_copying_biased_labels_inherits_the_bias_and_an_unbiased_one_removes_it():
    alpha, labels, rng = biased_disks()
    naive = labels ^ (rng.uniform(size=len(labels)) < 0.05)  # the labels with 5% noise
    debiased = (rng.uniform(size=len(labels)) < 0.02).astype(int)
    result = claims(alpha, {LABELS: labels, NAIVE: naive, DEBIASED: debiased}, 300, 1, 0.1)
    assert result["claim_1_naive_inherits_bias"]["holds"]
    assert result["claim_2_debiasing_removes_bias"]["holds"]
    low = result["smooth_fraction_of_true_disks"][LABELS][LOW]
    assert low["low"] <= low["estimate"] <= low["high"]
    # The lowest tercile (α ≲ 11) of exp(−α²/200): about 0.8 of the disks are flipped.
    assert low["estimate"] == pytest.approx(0.8, abs=0.06)
    assert result["smooth_fraction_of_true_disks"][LABELS][HIGH]["estimate"] < 0.1
    words = sentences(result)
    assert words[0].startswith("Claim 1") and "holds" in words[0]
    assert "does not hold" not in " ".join(words)


def test_a_classifier_ignoring_the_bias_does_not_inherit_it_and_debiasing_has_nothing_to_do():
    alpha, labels, rng = biased_disks(seed=3)
    unbiased = (rng.uniform(size=len(labels)) < 0.03).astype(int)
    result = claims(alpha, {LABELS: labels, NAIVE: unbiased, DEBIASED: unbiased}, 300, 1, 0.1)
    assert not result["claim_1_naive_inherits_bias"]["holds"]
    assert result["claim_1_naive_inherits_bias"]["labels_biased"]
    claim_2 = result["claim_2_debiasing_removes_bias"]
    assert not claim_2["holds"] and claim_2["debiased_lowest_tercile_close_to_zero"]
    assert not claim_2["naive_minus_debiased_excludes_zero"]
    assert "does not hold" in sentences(result)[0]


def test_debiasing_that_leaves_many_disks_smooth_is_not_close_to_zero():
    alpha, labels, rng = biased_disks(seed=4)
    half = labels * (rng.uniform(size=len(labels)) < 0.5)
    result = claims(alpha, {LABELS: labels, NAIVE: labels, DEBIASED: half}, 300, 2, 0.1)
    claim_2 = result["claim_2_debiasing_removes_bias"]
    assert claim_2["naive_minus_debiased_excludes_zero"]
    assert not claim_2["debiased_lowest_tercile_close_to_zero"] and not claim_2["holds"]


def test_per_bin_fractions_follow_the_injected_curve_with_reproducible_intervals():
    alpha, labels, _ = biased_disks(n=8000, seed=5)
    calls = {LABELS: labels, NAIVE: labels}
    table = disks_called_smooth(alpha, calls, 8, 200, 7)
    assert len(table) == 16 and table["n_disks"].sum() == 2 * 8000
    rows = table[table["labelling"] == LABELS]
    expected = np.exp(-(rows["alpha_median"] ** 2) / 200.0)
    # Equal-count bins are 3.5 α wide; the bin's mean flip probability is near its median's.
    np.testing.assert_allclose(rows["smooth_fraction"], expected, atol=0.07)
    assert (rows["low"] <= rows["smooth_fraction"]).all()
    assert (rows["smooth_fraction"] <= rows["high"]).all()
    assert table.equals(disks_called_smooth(alpha, calls, 8, 200, 7))
    assert not table.equals(disks_called_smooth(alpha, calls, 8, 200, 8))


def test_accuracy_per_tercile_against_the_truth():
    alpha = np.arange(9, dtype=float)
    truth = np.array([0, 0, 0, 1, 1, 1, 0, 1, 0])
    wrong_at_low = truth.copy()
    wrong_at_low[:3] = 1
    table = accuracy_by_tercile(alpha, {TRUTH: truth, LABELS: wrong_at_low})
    assert list(table["alpha_tercile"]) == ["lowest", "middle", "highest"]
    np.testing.assert_allclose(table["accuracy_vs_truth"], [0.0, 1.0, 1.0])
