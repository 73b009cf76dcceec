import numpy as np
import pandas as pd
import pytest
from scipy import stats

from gzxai.core.trees import load_tree
from gzxai.votes import evaluate
from gzxai.votes.settings import EvaluationSettings, questions, vote_training
from gzxai.votes.targets import BAR, SMOOTH, tree_targets

from ..conftest import shared_file


def test_a_binomial_models_first_output_is_rho():
    samples = np.array([[[0.2, 0.4], [0.8, 0.6]]])  # 1 galaxy × 2 outputs × 2 passes
    single = np.array([[0.3, 0.7]])
    p = evaluate.question_predictions(samples, single, np.array([10]), SMOOTH, None)
    np.testing.assert_allclose(p.rho_samples, [[0.2, 0.4]])
    assert p.posteriors["with_mc"].fraction[0] == pytest.approx(0.3)
    assert p.posteriors["without_mc"].fraction[0] == pytest.approx(0.3)


def test_the_tree_models_answer_marginal_is_a_beta_binomial_of_its_task():
    tree = load_tree()
    concentrations = np.full((1, 37, 1), 2.0)
    task, answer = tree.answer_slices()[BAR.task], tree.answer_index("t03_bar_a06_bar")
    concentrations[0, answer, 0] = 6.0  # bar 6 against no bar 2
    p = evaluate.question_predictions(concentrations, concentrations[:, :, 0], np.array([12]),
                                      BAR, tree)  # fmt: skip
    assert task.stop - task.start == 2
    assert p.rho_samples[0, 0] == pytest.approx(0.75)
    np.testing.assert_allclose(
        p.posteriors["with_mc"].pmf[0], stats.betabinom.pmf(np.arange(13), 12, 6.0, 2.0)
    )


def test_the_truth_comparison_separates_vote_noise_from_model_error():
    rng = np.random.default_rng(0)
    rho = rng.uniform(0.1, 0.9, 5000)
    n = np.full(5000, 40)
    k = rng.binomial(n, rho)
    # A perfect model: its ρ̂ is the true ρ, its MC samples a narrow spread around it.
    samples = np.clip(rho[:, None] + rng.normal(0, 0.05, (5000, 30)), 0, 1)
    perfect = evaluate.QuestionPredictions(samples, rho, {})
    result = evaluate.truth_comparison(perfect, k, n, rho, interval=0.9)
    assert result["rmse_vs_true_rho"] < 0.02
    expected_noise = np.sqrt(np.mean(rho * (1 - rho) / 40))
    assert result["rmse_observed_fraction_vs_true_rho"] == pytest.approx(expected_noise, rel=0.05)
    assert result["vote_noise_share_of_squared_error"] == pytest.approx(1.0, abs=0.05)
    assert result["true_rho_in_mc_interval"] > 0.85


def test_mc_lowers_the_error_only_where_its_magnitude_is_smaller():
    errors = {"with_mc": {"0.02": 0.1, "0.05": -0.3}, "without_mc": {"0.02": 0.4, "0.05": 0.2}}
    assert evaluate.mc_lowers_error(errors) == {"0.02": True, "0.05": False}


def test_the_tables_put_the_papers_numbers_beside_ours():
    rows = [{"epsilon": e, "expected": 1.0, "actual": 1, "coverage_error": 0.1, "mode": m}
            for m in evaluate.MODES for e in evaluate.EPSILONS]  # fmt: skip
    table = evaluate.markdown_table("bar", {"binomial": pd.DataFrame(rows)})
    assert table["paper, with mc (%)"].tolist() == ["45.5", "42.4", "29.2", "11.8"]
    assert table["binomial, without mc (%)"].tolist() == ["10.0"] * 4


def test_tree_targets_keep_every_answer_count_of_galaxies_with_votes():
    tree = load_tree()
    counts = np.zeros((3, 37), np.int64)
    counts[0, :3] = [10, 20, 5]
    counts[2, 0] = 1
    gz2 = pd.DataFrame(counts, columns=tree.gz2_columns("count")).assign(dr7objid=[5, 6, 7])
    targets = tree_targets(gz2)
    assert targets.index.tolist() == [5, 7] and targets.shape[1] == 37


def test_the_settings_come_from_the_config_and_survive_json(default_config):
    settings = EvaluationSettings.from_config(default_config)
    assert settings.questions == (SMOOTH, BAR) == questions(default_config)
    assert EvaluationSettings.from_json(settings.to_json()) == settings
    bar = vote_training(default_config, "bar")
    assert bar.training["loss"] == "binomial" and bar.training["augment"]["zoom"] == [1.7, 1.9]
    tree = vote_training(default_config, "tree")
    assert tree.training["loss"] == "dirichlet" and tree.model["output"] == "dirichlet"
    # votes.tree.training overrides votes.training for the tree model alone.
    assert tree.training["max_epochs"] == 40 and bar.training["max_epochs"] == 40
    config = {**default_config, "votes": {**default_config["votes"]}}
    config["votes"]["tree"] = {**config["votes"]["tree"], "training": {"max_epochs": 15}}
    assert vote_training(config, "tree").training["max_epochs"] == 15
    assert vote_training(config, "bar").training["max_epochs"] == 40
    # votes.tree.concentrations shapes the tree model's head alone.
    assert tree.model["concentration_floor"] == 0.01
    assert tree.model["output_start"] == "constant_fit"
    assert "concentration_floor" not in bar.model


def test_the_shipped_share_of_undecided_real_votes_is_what_the_real_file_gives():
    path = shared_file("gz2_stripe82_coadd_table5.csv.gz")
    real = pd.read_csv(path)
    for question in (SMOOTH, BAR):
        task = load_tree().task(question.task)
        columns = [f"{task.gz2}_{a.gz2}_count" for a in task.answers]
        k = real[f"{task.gz2}_{question.answer}_count"].to_numpy()
        n = real[columns].sum(axis=1).to_numpy()
        share = evaluate.intermediate_share(k, n)
        assert share == pytest.approx(evaluate.REAL_GZ2_INTERMEDIATE_SHARE[question.name], abs=5e-4)


def test_the_share_of_undecided_votes_counts_fractions_strictly_inside():
    k, n = np.array([2, 5, 8, 1, 3]), np.array([10, 10, 10, 5, 10])
    assert evaluate.intermediate_share(k, n) == pytest.approx(2 / 4)  # 0.2 and 0.8 excluded


def test_an_undefined_coverage_error_is_none_not_nan():
    table = pd.DataFrame(
        {"epsilon": [0.02, 0.02], "expected": [0.3, 0.5], "actual": [0, 0],
         "coverage_error": [np.nan, np.nan], "mode": list(evaluate.MODES)}
    )  # fmt: skip
    errors = evaluate.coverage_errors(table)
    assert errors == {"without_mc": {"0.02": None}, "with_mc": {"0.02": None}}
    assert evaluate.mc_lowers_error(errors) == {"0.02": None}
