from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from gzxai.votes.calibration import (
    EPSILONS,
    beta_binomial_posterior,
    binomial_posterior,
    calibration_table,
    counts_within,
    posterior,
)
from gzxai.votes.targets import BAR, SMOOTH, binary_targets, count_columns

from ..conftest import shared_file


def oracle(n_galaxies=20_000, seed=0):
    rng = np.random.default_rng(seed)
    rho = rng.beta(2, 2, n_galaxies)
    n = rng.integers(10, 45, n_galaxies)
    return rho, n, rng.binomial(n, rho)


def test_a_posterior_is_the_mean_of_the_samples_binomials():
    rho = np.array([[0.2, 0.6], [0.5, 0.5]])
    n = np.array([3, 2])
    p = posterior(rho, n)
    assert p.shape == (2, 4)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    expected = 0.5 * (stats.binom.pmf(np.arange(4), 3, 0.2) + stats.binom.pmf(np.arange(4), 3, 0.6))
    np.testing.assert_allclose(p[0], expected)
    assert p[1, 3] == 0.0  # beyond that galaxy's N


def test_a_perfectly_calibrated_oracle_has_no_coverage_error():
    """Votes drawn from Binomial(ρ, N), predictions ρ: expected and actual counts agree."""
    rho, n, k = oracle()
    table = calibration_table(binomial_posterior(rho, n), k)
    assert table["epsilon"].tolist() == list(EPSILONS)
    assert (table["coverage_error"].abs() < 0.02).all(), table


def test_an_overconfident_model_has_a_positive_coverage_error():
    rho, n, k = oracle()
    noisy = np.clip(rho + np.random.default_rng(1).normal(0, 0.15, len(rho)), 0.01, 0.99)
    table = calibration_table(binomial_posterior(noisy, n), k)
    assert (table["coverage_error"] > 0.05).all(), table


def test_averaging_spread_samples_lowers_the_overconfidence():
    """MC-dropout-like samples around a noisy prediction widen the posterior (paper §2.6)."""
    rho, n, k = oracle(8000)
    rng = np.random.default_rng(2)
    centre = np.clip(rho + rng.normal(0, 0.15, len(rho)), 0.01, 0.99)
    samples = np.clip(centre[:, None] + rng.normal(0, 0.15, (len(rho), 30)), 0.01, 0.99)
    single = calibration_table(binomial_posterior(centre, n), k)["coverage_error"]
    marginal = calibration_table(binomial_posterior(samples, n), k)["coverage_error"]
    assert (marginal < single).all()


def test_the_window_is_open_at_both_ends():
    expected, actual = counts_within(
        binomial_posterior(np.array([0.5]), np.array([10])), np.array([6]), 0.1
    )
    assert actual == 0  # k̂ = 5, |6 − 5| is not < N·ε = 1
    assert expected == pytest.approx(stats.binom.pmf(5, 10, 0.5))


def test_a_dirichlet_oracle_drawing_from_beta_binomials_is_calibrated():
    """Votes drawn from the Beta-binomial the concentrations give: no coverage error."""
    rng = np.random.default_rng(3)
    a, b = rng.uniform(1, 30, 20_000), rng.uniform(1, 30, 20_000)
    n = rng.integers(10, 45, 20_000)
    k = stats.betabinom.rvs(n, a, b, random_state=rng)
    post = beta_binomial_posterior(a, b, n)
    np.testing.assert_allclose(post.pmf.sum(axis=1), 1.0)
    np.testing.assert_allclose(post.fraction, a / (a + b))
    table = calibration_table(post, k)
    assert (table["coverage_error"].abs() < 0.02).all(), table
    # The same galaxies read as binomials at the mean fraction are overconfident.
    assert (calibration_table(binomial_posterior(a / (a + b), n), k)["coverage_error"] > 0).all()


def test_binary_targets_count_the_answer_against_every_answer_of_its_task():
    gz2 = pd.DataFrame(
        {
            "dr7objid": [1, 2, 3],
            "t01_smooth_or_features_a01_smooth_count": [30, 5, 20],
            "t01_smooth_or_features_a02_features_or_disk_count": [10, 35, 10],
            "t01_smooth_or_features_a03_star_or_artifact_count": [1, 0, 2],
            "t03_bar_a06_bar_count": [0, 12, 2],
            "t03_bar_a07_no_bar_count": [0, 20, 5],
        }
    )
    smooth = binary_targets(gz2, SMOOTH)
    assert smooth.index.tolist() == [1, 2]  # galaxy 3 has N = 32 < 36
    assert smooth.loc[1].tolist() == [30, 41]
    bar = binary_targets(gz2, BAR)
    assert bar.index.tolist() == [2] and bar.loc[2].tolist() == [12, 32]
    assert count_columns(BAR)[0] == "t03_bar_a06_bar_count"


def test_the_real_stripe82_votes_give_targets_through_the_same_code():
    """Real GZ2 counts (Willett et al. 2013 Table 5): N is every vote for the task."""
    path = shared_file("gz2_stripe82_coadd_table5.csv.gz")
    real = pd.read_csv(path, usecols=lambda c: c == "objid" or c.endswith("_count"))
    real = real.rename(columns={"objid": "dr7objid"})
    smooth = binary_targets(
        real.assign(dr7objid=np.arange(len(real))), replace(SMOOTH, min_votes=0)
    )
    assert len(smooth) == len(real) and (smooth["k"] <= smooth["n"]).all()
    assert 10 < smooth["n"].median() < 40  # about 20 classifications each (the coadds)
