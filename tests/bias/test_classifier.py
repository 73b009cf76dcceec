import numpy as np
import pandas as pd
import pytest

from gzxai.bias import classifier
from gzxai.bias.resolution import flip_probability
from gzxai.bias.settings import Cv18Settings

keras = pytest.importorskip("keras")


def gz2_rows():
    return pd.DataFrame(
        {
            "dr7objid": [1, 2, 3, 4],
            classifier.SMOOTH_VOTES: [30, 5, 1, 20],
            classifier.DISK_VOTES: [10, 35, 2, 20],
            classifier.STAR_VOTES: [0, 0, 40, 0],
            "alpha": [10.0, 30.0, 20.0, np.nan],
        }
    )


def test_usable_galaxies_drop_stars_and_missing_alpha():
    galaxies = classifier.usable_galaxies(gz2_rows())
    assert galaxies.index.tolist() == [1, 2]
    assert galaxies["label"].tolist() == [1, 0]


def test_targets_of_the_two_classifiers_differ_only_in_the_flip_probability():
    galaxies = classifier.usable_galaxies(gz2_rows())
    naive = classifier.training_targets(galaxies, "naive", theta=15.0)
    debiased = classifier.training_targets(galaxies, "debiased", theta=15.0)
    assert naive["label"].tolist() == debiased["label"].tolist() == [1.0, 0.0]
    assert naive["flip"].tolist() == [0.0, 0.0]
    np.testing.assert_allclose(
        debiased["flip"], flip_probability(np.array([10.0, 30.0]), 15.0), rtol=1e-6
    )
    with pytest.raises(ValueError, match="unknown classifier kind"):
        classifier.training_targets(galaxies, "clever", 15.0)


def test_classification_scores():
    scores = classifier.classification_scores(np.array([1, 1, 0, 0]), np.array([1, 0, 0, 0]))
    assert scores["accuracy"] == pytest.approx(0.75)
    assert scores["precision"] == pytest.approx((0.5 + 1.0) / 2)
    assert scores["recall"] == pytest.approx((2 / 3 + 1.0) / 2)


def test_radial_profile_of_a_ring():
    rows, cols = np.indices((40, 40))
    radius = np.hypot(rows - 19.5, cols - 19.5)
    ring = ((radius > 9) & (radius < 11)).astype(float)
    r, profile = classifier.radial_profile(ring)
    assert r[np.argmax(profile)] == pytest.approx(9.5, abs=1.0)
    assert profile[:5].max() == 0.0


def test_medina_table_scores_the_truth_perfectly_against_itself():
    rng = np.random.default_rng(0)
    n = 400
    test = pd.DataFrame(
        {
            "alpha": rng.uniform(5, 60, n),
            "label": rng.integers(0, 2, n),
            "petro_r50_kpc": rng.normal(size=n),
            "abs_mag_r": rng.normal(size=n),
            "redshift": rng.normal(size=n),
        }
    )
    truth = rng.integers(0, 2, n)
    predictions = {"naive": rng.uniform(size=n), "debiased": rng.uniform(size=n)}
    cv18 = Cv18Settings(intrinsic_splits=2, alpha_bins=4, bootstrap=3)
    sets = classifier.label_sets(test, predictions, truth)
    draws = classifier.cv18_draws(test, sets, cv18, seed=0)
    table = classifier.medina_table(test, sets, draws).set_index("labels")
    assert table.index.tolist() == [
        "labels (GZ2 votes)",
        "naive classifier",
        "debiased classifier",
        "true classes",
    ]
    assert table.loc["true classes", "accuracy_vs_truth"] == 1.0
    assert table.loc["labels (GZ2 votes)", "f1_vs_labels"] == 1.0
    assert "| true classes |" in classifier.markdown(table.reset_index())


def test_the_summary_says_whether_debiasing_lowered_cv18_with_its_paired_interval():
    from gzxai.bias import resolution, stage

    rng = np.random.default_rng(1)
    n = 3000
    alpha = rng.uniform(2, 60, n)
    truth = (rng.uniform(size=n) < 0.35).astype(int)
    flipped = (truth == 0) & (rng.uniform(size=n) < resolution.flip_probability(alpha, 20.0))
    test = pd.DataFrame(
        {
            "alpha": alpha,
            "label": np.where(flipped, 1, truth),
            "petro_r50_kpc": rng.normal(size=n),
            "abs_mag_r": rng.normal(size=n),
            "redshift": rng.normal(size=n),
        }
    )
    # The naive classifier copies the biased labels, the debiased one recovers the truth.
    predictions = {"naive": test["label"].to_numpy() * 0.8 + 0.1, "debiased": truth * 0.8 + 0.1}
    sets = classifier.label_sets(test, predictions, truth)
    draws = classifier.cv18_draws(
        test, sets, Cv18Settings(intrinsic_splits=2, alpha_bins=5, bootstrap=50), 0
    )
    table = classifier.medina_table(test, sets, draws)
    differences = resolution.paired_differences(draws, classifier.comparisons(sets))
    theta = {"theta": 19.0, "theta_std": 0.5, "f_s": 0.35, "f_s_std": 0.01, "n_galaxies": n,
             "injected_theta": 20.0, "relative_error": 0.05}  # fmt: skip
    result = stage.summary(theta, table, differences, n)
    assert result["theta"]["within_10_percent"]
    verdict = result["debiased_below_naive"]
    assert verdict["holds"] and verdict["significant"]
    assert verdict["interval_95"][0] > 0.05
    # The debiased predictions are the truth: their paired difference to it is exactly zero.
    versus_truth = differences.set_index("a").loc["debiased classifier"]
    assert versus_truth["difference"] == versus_truth["low"] == versus_truth["high"] == 0.0
    assert "naive classifier − debiased classifier" in classifier.markdown(table, differences)

    reversed_pair = resolution.paired_differences(
        draws, [("debiased classifier", "naive classifier")]
    )
    swapped = stage.summary(theta | {"relative_error": 0.2}, table, reversed_pair, n)
    assert not swapped["theta"]["within_10_percent"]
    assert "debiased_below_naive" not in swapped
