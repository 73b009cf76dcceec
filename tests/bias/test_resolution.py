import numpy as np
import pandas as pd
import pytest

from gzxai.bias import resolution
from gzxai.core import stats

keras = pytest.importorskip("keras")


def biased_labels(n, theta, f_s, seed):
    """Labels drawn from the bias model itself: the fit must give back θ and f_s."""
    rng = np.random.default_rng(seed)
    alpha = rng.lognormal(np.log(25), 0.5, n)
    smooth = rng.uniform(size=n) < f_s
    flipped = ~smooth & (rng.uniform(size=n) < resolution.flip_probability(alpha, theta))
    return alpha, (smooth | flipped).astype(int), smooth.astype(int)


@pytest.mark.parametrize("theta", [8.0, 15.0, 25.0])
def test_theta_is_recovered_from_labels_with_known_theta(theta):
    alpha, labels, _ = biased_labels(40_000, theta, 0.4, seed=int(theta))
    fit = resolution.fit_theta(alpha, labels, n_bins=40, n_bootstrap=20, seed=1)
    assert fit.theta == pytest.approx(theta, rel=0.05)
    assert fit.f_s == pytest.approx(0.4, abs=0.02)
    assert 0 < fit.theta_std < 0.1 * theta
    assert fit.counts.sum() == 40_000
    assert fit.counts.max() - fit.counts.min() <= 1


def test_equal_count_bins_hold_equal_populations():
    values = np.random.default_rng(0).exponential(size=1003)
    index, edges = stats.equal_count_bins(values, 10)
    counts = np.bincount(index)
    assert counts.max() - counts.min() <= 1
    assert edges[0] == values.min() and edges[-1] == values.max()
    assert np.all(np.diff(edges) >= 0)


def test_cv14_is_zero_for_labels_independent_of_alpha():
    alpha = np.arange(1000, dtype=float)
    labels = np.tile([1, 0, 0, 1, 0], 200)  # every α bin of 100 holds 40% smooth exactly
    assert resolution.cv14(alpha, labels, n_bins=10) == 0.0


def test_cv14_and_cv18_grow_with_the_bias():
    alpha, labels, truth = biased_labels(20_000, 20.0, 0.4, seed=3)
    rng = np.random.default_rng(4)
    intrinsic = pd.DataFrame({"radius": rng.normal(size=20_000), "mag": rng.normal(size=20_000),
                              "z": rng.normal(size=20_000)})  # fmt: skip
    assert resolution.cv14(alpha, truth, 20) < 0.05 < resolution.cv14(alpha, labels, 20)
    biased, biased_std = resolution.cv18(
        alpha, labels, intrinsic, n_splits=3, n_alpha_bins=10, n_bootstrap=10, seed=0
    )
    clean, _ = resolution.cv18(
        alpha, truth, intrinsic, n_splits=3, n_alpha_bins=10, n_bootstrap=10, seed=0
    )
    assert clean < biased
    assert biased_std > 0


def test_intrinsic_bins_are_nested_median_splits():
    frame = pd.DataFrame({"a": np.arange(16.0), "b": np.tile([0.0, 1.0], 8)})
    bins = resolution.intrinsic_bins(frame, 2)
    assert sorted(np.bincount(bins)) == [4, 4, 4, 4]
    assert set(bins[:8]) == {0, 1} and set(bins[8:]) == {2, 3}


def test_majority_labels_discard_stars():
    labels = resolution.labels_from_votes(
        np.array([30, 5, 2, 10]), np.array([10, 35, 3, 10]), np.array([0, 0, 40, 0])
    )
    assert labels.tolist() == [1, 0, -1, 1]


def test_cv18_bootstrap_shares_resamples_across_labellings():
    rng = np.random.default_rng(4)
    n = 1500
    alpha = rng.uniform(2, 60, n)
    intrinsic = pd.DataFrame({"r": rng.normal(size=n), "m": rng.normal(size=n)})
    clean = (rng.uniform(size=n) < 0.4).astype(int)
    biased = np.where(rng.uniform(size=n) < resolution.flip_probability(alpha, 20.0), 1, clean)
    settings = {"n_splits": 2, "n_alpha_bins": 5, "n_bootstrap": 40, "seed": 9}
    draws = resolution.cv18_bootstrap(alpha, {"clean": clean, "biased": biased, "copy": clean},
                                intrinsic, **settings)  # fmt: skip
    assert draws.shape == (40, 3)
    np.testing.assert_array_equal(draws["clean"], draws["copy"])
    mean, std = resolution.cv18(alpha, biased, intrinsic, **settings)
    assert mean == pytest.approx(draws["biased"].mean())
    assert std == pytest.approx(draws["biased"].std(ddof=1))
    differences = resolution.paired_differences(draws, [("biased", "clean"), ("clean", "copy")])
    first, second = differences.itertuples()
    assert first.low > 0 and first.fraction_positive == 1.0
    # Paired: two labellings that differ in 2% of galaxies differ far less from resample to
    # resample than two independent CV18 estimates would.
    nudged = np.where(rng.uniform(size=n) < 0.02, 1 - clean, clean)
    near = resolution.cv18_bootstrap(
        alpha, {"clean": clean, "nudged": nudged}, intrinsic, **settings
    )
    independent = np.hypot(near["clean"].std(), near["nudged"].std())
    assert (near["nudged"] - near["clean"]).std() < 0.5 * independent
    assert (second.difference, second.low, second.high) == (0.0, 0.0, 0.0)
