"""The campaign's sets, acquisitions, scores and label saving."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from gzxai.active.campaign import (
    acquire,
    epochs_for_steps,
    evaluation_scores,
    evaluation_set,
    first_reaching,
    initial_set,
    label_saving,
    pool_of,
    saving_summary,
    smoothed,
)

IDS = np.arange(5_000, 7_000, dtype=np.int64)


def test_sets_are_disjoint_seeded_and_shared_within_a_repeat():
    evaluation = evaluation_set(IDS, 300, 1)
    pool = pool_of(IDS, evaluation, None, 1)
    assert len(np.intersect1d(evaluation, pool)) == 0 and len(pool) == len(IDS) - 300
    np.testing.assert_array_equal(evaluation, evaluation_set(IDS[::-1], 300, 1))
    first, again = initial_set(pool, 128, 1, repeat=0), initial_set(pool, 128, 1, repeat=0)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, initial_set(pool, 128, 1, repeat=1))
    assert len(pool_of(IDS, evaluation, 500, 1)) == 500
    with pytest.raises(ValueError, match="none would be left"):
        evaluation_set(IDS, len(IDS), 1)


@pytest.mark.parametrize("strategy", ["bald", "random"])
def test_acquisition_returns_exactly_n_unlabelled_galaxies(strategy):
    evaluation = evaluation_set(IDS, 300, 2)
    pool = pool_of(IDS, evaluation, None, 2)
    labelled = initial_set(pool, 200, 2, repeat=0)
    unlabelled = np.setdiff1d(pool, labelled)
    scores = np.random.default_rng(0).uniform(size=len(unlabelled))
    chosen = acquire(strategy, unlabelled, scores, 64, seed=2, repeat=0, iteration=3)
    assert len(chosen) == 64 and len(np.unique(chosen)) == 64
    assert not np.isin(chosen, evaluation).any() and not np.isin(chosen, labelled).any()
    again = acquire(strategy, unlabelled, scores, 64, seed=2, repeat=0, iteration=3)
    np.testing.assert_array_equal(chosen, again)
    assert len(acquire(strategy, unlabelled[:10], scores[:10], 64, seed=2, repeat=0,
                       iteration=3)) == 10  # fmt: skip


def test_bald_acquires_the_highest_scores_ties_broken_by_id():
    unlabelled = np.array([40, 10, 30, 20])
    scores = np.array([0.5, 0.9, 0.9, 0.1])
    np.testing.assert_array_equal(
        acquire("bald", unlabelled, scores, 3, seed=0, repeat=0, iteration=0), [10, 30, 40]
    )
    with pytest.raises(ValueError, match="unknown acquisition"):
        acquire("margin", unlabelled, scores, 1, seed=0, repeat=0, iteration=0)


def test_evaluation_scores_use_the_mc_posterior_and_the_mean_prediction():
    rho = np.array([[0.2, 0.4], [0.9, 0.7]])
    k, n = np.array([3, 8]), np.array([10, 10])
    scores = evaluation_scores(rho, k, n, true_rho=np.array([0.3, 0.8]))
    expected_loss = -np.mean(np.log(stats.binom.pmf(k[:, None], n[:, None], rho).mean(axis=1)))
    assert scores.loss == pytest.approx(expected_loss)
    assert scores.rmse_vs_fraction == pytest.approx(np.sqrt(np.mean([0.0, 0.0])))
    assert scores.rmse_vs_true_rho == pytest.approx(0.0)


def curve(strategy, repeat, values):
    return pd.DataFrame(
        {
            "strategy": strategy,
            "repeat": repeat,
            "n_labelled": [100, 200, 300, 400],
            "rmse_smoothed": values,
        }
    )


def test_label_saving_counts_newly_labelled_galaxies_at_each_rmse_random_reaches():
    curves = pd.concat(
        [
            curve("random", 0, [0.30, 0.25, 0.22, 0.20]),
            curve("bald", 0, [0.30, 0.22, 0.18, 0.16]),
            curve("random", 1, [0.30, 0.25, 0.22, 0.20]),
            curve("bald", 1, [0.30, 0.28, 0.26, 0.24]),  # never reaches random's end
        ]
    )
    savings = label_saving(curves)
    first = savings[savings["repeat"] == 0].set_index("new_random")
    # Random reaches 0.20 with 300 new galaxies, BALD with 150 (between 100 and 200 new).
    assert first.loc[300.0, "new_bald"] == pytest.approx(150.0)
    assert first.loc[300.0, "saving"] == pytest.approx(0.5)
    assert first.loc[100.0, "new_bald"] == pytest.approx(100 * 0.05 / 0.08)
    summary = saving_summary(savings)
    repeat_0, repeat_1 = summary["per_repeat"]
    assert repeat_0["final"] == pytest.approx(0.5)
    assert repeat_0["best"] == pytest.approx(0.5)  # 100 new against 200, and 150 against 300
    assert first.loc[100.0, "saving"] == pytest.approx(1 - 62.5 / 100)
    # BALD reaches random's first RMSE only after 250 new galaxies against 100: a loss.
    assert repeat_1["final"] is None and repeat_1["best"] == pytest.approx(-1.5)
    assert summary["final"]["mean"] == pytest.approx(0.5)
    assert (summary["final"]["std"], summary["final"]["repeats_reached"]) == (None, 1)
    assert first_reaching(np.array([1.0, 2.0]), np.array([0.1, 0.05]), 0.2) == 1.0


def test_lowess_smooths_a_noisy_curve_towards_its_trend():
    rng = np.random.default_rng(5)
    n = np.arange(100, 2100, 100)
    trend = 0.3 - 0.00005 * n
    noisy = pd.DataFrame({"n_labelled": n, "rmse": trend + 0.01 * rng.standard_normal(len(n))})
    fitted = smoothed(noisy, "rmse", frac=0.6)
    assert np.abs(fitted - trend).mean() < np.abs(noisy["rmse"] - trend).mean()


def test_the_step_budget_sets_fewer_epochs_as_the_labelled_set_grows():
    # 435 training galaxies in batches of 16: 28 steps an epoch (the last batch short).
    assert epochs_for_steps(2000, 435, 16) == 72  # 72 × 28 = 2,016 ≥ 2,000 > 71 × 28
    assert epochs_for_steps(2000, 1088, 16) == 30  # 68 steps an epoch
    assert epochs_for_steps(2000, 64_000, 16) == 1  # one epoch is more than the budget
    assert epochs_for_steps(28, 435, 16) == 1 and epochs_for_steps(29, 435, 16) == 2
    with pytest.raises(ValueError, match="no training galaxies"):
        epochs_for_steps(2000, 0, 16)


def test_the_step_budget_comes_from_the_config(default_config):
    from gzxai.active.settings import IterationSettings

    settings = IterationSettings.from_config(default_config, "smooth")
    assert settings.training_steps == 2000
    assert IterationSettings.from_json(settings.to_json()) == settings
    config = {**default_config, "active": {**default_config["active"], "training_steps": None}}
    assert IterationSettings.from_config(config, "smooth").training_steps is None
