import numpy as np
import pytest
import yaml

from gzxai.synthetic import priors, volunteer_fit

from ..conftest import REPO, shared_file


def test_the_fit_recovers_the_parameters_that_made_the_counts():
    rng = np.random.default_rng(5)
    n_votes = rng.integers(15, 30, size=4000)
    counts = volunteer_fit.simulate_counts(n_votes, 3, clarity=0.7, concentration=8.0, seed=11)
    fitted = volunteer_fit.fit(counts)
    assert fitted["clarity"] == pytest.approx(0.7, abs=0.05)
    assert fitted["perception_concentration"] == pytest.approx(8.0, rel=0.35)
    assert fitted["fit_rms"] < 0.02


def test_decisive_and_ambiguous_volunteers_give_different_top_shares():
    n_votes = np.full(3000, 40)
    decisive = volunteer_fit.simulate_counts(n_votes, 3, clarity=0.95, concentration=50.0)
    ambiguous = volunteer_fit.simulate_counts(n_votes, 3, clarity=0.4, concentration=5.0)
    assert np.median(volunteer_fit.top_share_quantiles(decisive)) > 0.9
    assert np.median(volunteer_fit.top_share_quantiles(ambiguous)) < 0.75
    statistics = volunteer_fit.question_statistics(ambiguous)
    assert statistics["galaxies"] == 3000
    assert 0.2 < statistics["intermediate_share"] < 0.9


def test_galaxies_with_few_votes_are_left_out_of_the_statistics():
    counts = np.array([[3, 0, 0], [6, 4, 0]])
    assert volunteer_fit.question_statistics(counts)["galaxies"] == 1
    np.testing.assert_allclose(volunteer_fit.top_share_quantiles(counts), 0.6)


def test_the_config_uses_the_shipped_fit():
    shipped = priors.load()["volunteers"]
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    volunteers = config["synthetic"]["volunteers"]
    assert volunteers["clarity"] == shipped["clarity"]
    assert volunteers["perception_concentration"] == shipped["perception_concentration"]


def test_shipped_volunteers_still_match_the_real_votes():
    derived = volunteer_fit.derive(shared_file("gz2_stripe82_coadd_table5.csv.gz"))
    shipped = priors.load()["volunteers"]
    assert derived["n_galaxies"] == shipped["n_galaxies"] == 19742
    assert derived["clarity"] == shipped["clarity"]
    assert derived["perception_concentration"] == shipped["perception_concentration"]
    np.testing.assert_allclose(
        derived["fitted_top_share_quantiles"], derived["real_top_share_quantiles"], atol=0.02
    )


def test_a_missing_count_column_is_named(tmp_path):
    path = tmp_path / "votes.csv"
    path.write_text("objid,t01_smooth_or_features_a01_smooth_count\n1,3\n")
    with pytest.raises(ValueError, match="a02_features_or_disk_count"):
        volunteer_fit.read_task_counts(path, volunteer_fit.FIT_TASK)
