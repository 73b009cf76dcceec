import numpy as np
import pytest
from scipy import optimize

from gzxai.core.trees import load_tree
from gzxai.synthetic.survey import SurveyConfig, draw_survey
from gzxai.synthetic.votes import bias_flip_probability

from ..conftest import small_config


@pytest.fixture(scope="module")
def big_survey(default_config):
    """Votes for 20,000 galaxies (no pixels), half of them in the GZ2 part, where α is
    GZ2-like: enough to see the injected bias."""
    cfg = SurveyConfig.from_config(small_config(default_config, 10_000, flux_limited=10_000))
    return cfg, draw_survey(cfg)


def test_counts_obey_the_tree(big_survey):
    _, survey = big_survey
    tree = load_tree()
    slices = tree.answer_slices()
    reaching = {t.gz2: np.zeros(len(survey.counts), dtype=np.int64) for t in tree.tasks}
    for task in tree.tasks:
        for j, answer in enumerate(task.answers):
            if answer.next:
                reaching[answer.next] += survey.counts[:, slices[task.gz2]][:, j]
    for task in tree.tasks[1:]:
        np.testing.assert_array_equal(
            survey.counts[:, slices[task.gz2]].sum(axis=1), reaching[task.gz2]
        )
    first = survey.counts[:, slices["t01_smooth_or_features"]].sum(axis=1)
    assert first.min() >= 20
    assert first.mean() == pytest.approx(44, abs=1)


def test_kaggle_fractions_satisfy_every_tree_sum(big_survey):
    _, survey = big_survey
    tree = load_tree()
    labelled = survey.truth["kaggle_labelled"].to_numpy()
    deviations = tree.kaggle_sum_deviations(tree.kaggle_fractions(survey.counts[labelled]))
    assert deviations.max() < 1e-12
    # Only galaxies whose every volunteer said star/artifact (Q6 never reached) are kept out.
    odd_votes = survey.counts[:, tree.answer_slices()["t06_odd"]].sum(axis=1)
    all_star = survey.counts[:, 2] == survey.counts[:, :3].sum(axis=1)
    np.testing.assert_array_equal(odd_votes == 0, all_star)
    assert not labelled[all_star].any()


def test_the_injected_theta_is_visible_in_the_smooth_fraction_versus_alpha(big_survey):
    cfg, survey = big_survey
    truth = survey.truth
    galaxies = truth["true_class"].to_numpy() != "star"
    counts = survey.counts[galaxies, :3]
    labelled_smooth = counts[:, 0] > counts[:, 1]
    alpha = truth.loc[galaxies, "alpha"].to_numpy()
    edges = np.quantile(alpha, np.linspace(0, 1, 21))
    which = np.clip(np.searchsorted(edges, alpha, side="right") - 1, 0, 19)
    centre = np.array([np.median(alpha[which == k]) for k in range(20)])
    observed = np.array([labelled_smooth[which == k].mean() for k in range(20)])

    def model(a, theta, f_s):
        return f_s + (1 - f_s) * bias_flip_probability(a, theta)

    (theta, f_s), _ = optimize.curve_fit(model, centre, observed, p0=(10.0, observed[-1]))
    assert theta == pytest.approx(cfg.votes.theta, rel=0.1)
    true_smooth = (truth.loc[galaxies, "true_class"] == "smooth").mean()
    assert f_s == pytest.approx(true_smooth, abs=0.03)
    assert observed[0] > observed[-1] + 0.2


def test_the_bias_flips_only_disks_and_more_often_at_low_alpha(big_survey):
    _, survey = big_survey
    truth = survey.truth
    assert (truth.loc[truth["bias_flipped"], "true_class"] == "disk").all()
    disks = truth[truth["true_class"] == "disk"]
    low = disks["alpha"] < disks["alpha"].quantile(0.25)
    assert disks.loc[low, "bias_flipped"].mean() > 2 * disks.loc[~low, "bias_flipped"].mean()


def test_volunteers_see_bars_in_barred_galaxies(big_survey):
    _, survey = big_survey
    tree = load_tree()
    truth = survey.truth
    bar = survey.counts[:, tree.answer_index("Class3.1")]
    votes = survey.counts[:, tree.answer_slices()["t03_bar"]].sum(axis=1)
    reached = votes >= 10
    fraction = bar[reached] / votes[reached]
    barred = truth["has_bar"].to_numpy()[reached]
    assert np.median(fraction[barred]) > 0.6
    assert np.median(fraction[~barred]) < 0.2


def test_the_truth_records_the_vote_probabilities_the_counts_are_drawn_from(big_survey):
    """Per task, ρ sums to 1, and the counts are multinomial draws from it: the mean of
    k − N·ρ is zero and its variance N·ρ(1 − ρ)."""
    from gzxai.core.contracts import TRUTH_RHO_COLUMNS

    _, survey = big_survey
    tree = load_tree()
    rho = survey.truth[list(TRUTH_RHO_COLUMNS)].to_numpy()
    for task, columns in tree.answer_slices().items():
        np.testing.assert_allclose(rho[:, columns].sum(axis=1), 1.0, err_msg=task)
    smooth = tree.answer_index("t01_smooth_or_features_a01_smooth")
    first = tree.answer_slices()["t01_smooth_or_features"]
    n = survey.counts[:, first].sum(axis=1)
    k, p = survey.counts[:, smooth], rho[:, smooth]
    z = (k - n * p) / np.sqrt(n * p * (1 - p) + 1e-12)
    assert abs(z.mean()) < 0.03
    assert z.std() == pytest.approx(1.0, abs=0.03)
