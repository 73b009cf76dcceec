"""One tiny end-to-end run of the Snakemake DAG, plus dry runs of what reruns when."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
import yaml

from gzxai.core import contracts as c
from gzxai.core import validation

from .conftest import REPO, run_snakemake

pytestmark = pytest.mark.e2e


def snakemake(workdir, *args: str, overrides: dict | None = None) -> subprocess.CompletedProcess:
    """Run the workflow on the tiny test config (plus ``overrides``)."""
    configs = [REPO / ".test" / "config.yaml"]
    if overrides:
        extra = workdir / "overrides.yaml"
        extra.write_text(yaml.safe_dump(overrides))
        configs.append(extra)
    return run_snakemake(workdir, *args, configfiles=configs)


@pytest.fixture(scope="module")
def workdir(tiny_run):
    return tiny_run


def test_the_dag_builds_survey_tables_and_shards(workdir):
    results = workdir / "results"
    truth = pd.read_parquet(results / "sources" / "synthetic" / "truth.parquet")
    assert len(truth) == 80 and truth["in_kaggle"].sum() == 60
    assert len(pd.read_parquet(results / "catalogues" / "gz2.parquet")) == 80
    for name, spec in [("kaggle", c.KAGGLE_TABLE), ("gz2", c.GZ2_TABLE), ("bars", c.BARS_TABLE)]:
        table = pd.read_parquet(results / "catalogues" / f"{name}.parquet")
        _, problems = validation.conform(table, spec, name)
        assert problems.empty
        assert pd.read_csv(results / "catalogues" / f"{name}.quarantine.csv").empty
    kaggle = pd.read_parquet(results / "catalogues" / "kaggle.parquet")
    shards = [np.load(results / "images" / "kaggle" / f"shard-{k:03d}.npz") for k in range(2)]
    ids = np.concatenate([s["ids"] for s in shards])
    np.testing.assert_array_equal(ids, kaggle["galaxy_id"].to_numpy())
    assert shards[0]["images"].shape[1:] == (64, 64, 3)
    assert shards[0]["images"].dtype == np.uint8
    bars = np.load(results / "images" / "bars" / "shard-000.npz")
    assert len(bars["ids"]) == len(pd.read_parquet(results / "catalogues" / "bars.parquet"))
    assert (results / "benchmarks" / "synthesize" / "job.tsv").is_file()


def test_the_run_times_table_has_every_rule_that_ran(workdir):
    results = workdir / "results"
    rules = pd.read_csv(results / "benchmarks" / "rules.csv")
    assert set(rules["rule"]) == {
        "synthesize", "catalogue", "catalogue_summary", "resize", "split", "train", "predict",
        "ensemble", "fit_bias_theta", "label_bias", "train_bias_classifier",
        "predict_bias_classifier", "evaluate_bias", "saliency", "measure_bars", "select_bars",
        "train_direct", "evaluate_bars", "bar_figures", "train_vote_model", "predict_votes",
        "evaluate_votes", "active_sets", "active_iteration", "evaluate_active", "audit_rank",
        "audit_maps",
    }  # fmt: skip
    assert rules.set_index("rule").loc["resize", "jobs"] == 4
    assert rules.set_index("rule").loc["train", "stage"] == "train"
    stages = pd.read_csv(results / "benchmarks" / "stages.csv")
    assert stages["wall_s"].sum() == pytest.approx(rules["wall_s"].sum())
    # Elapsed time counts side-by-side jobs once: never more than their summed wall time.
    assert (stages["elapsed_s"] <= stages["wall_s"] + 1e-6).all()
    run = json.loads((results / "benchmarks" / "run.json").read_text())
    assert run["jobs"] == rules["jobs"].sum()
    assert run["span_s"] >= stages["elapsed_s"].max()
    assert 0 < run["busy_cores_on_average"] <= (os.cpu_count() or 1) + 0.1
    assert (results / "figures" / "run_times.png").stat().st_size > 1000


def test_a_second_run_has_nothing_to_do(workdir):
    run = snakemake(workdir, "-n")
    assert run.returncode == 0
    assert "Nothing to be done" in run.stdout


def test_the_dag_trains_the_members_and_the_ensemble(workdir):
    results = workdir / "results"
    table = pd.read_csv(results / "ensemble" / "table1.csv")
    assert table["model"].tolist() == [
        "vgg16",
        "resnet50v2",
        "xception",
        "ensemble",
        "training-set mean",
    ]
    assert table[["train_rmse", "val_rmse", "test_rmse"]].notna().all().all()
    assert (table.loc[:2, "epochs"] == 2).all()
    submission = pd.read_csv(results / "ensemble" / "kaggle_submission.csv")
    kaggle = pd.read_parquet(results / "catalogues" / "kaggle.parquet")
    assert sorted(submission["GalaxyID"]) == sorted(kaggle.loc[~kaggle["labelled"], "galaxy_id"])
    for figure in ("learning_curves.png", "q1_disagreements.png"):
        assert (results / "figures" / figure).stat().st_size > 1000
    log = (results / "logs" / "train_vgg16.log").read_text()
    assert "Epoch 2/2" in log


def test_the_dag_fits_the_bias_theta(workdir):
    theta = json.loads((workdir / "results" / "bias" / "theta.json").read_text())
    assert theta["injected_theta"] == 11.25
    assert theta["n_galaxies"] > 40
    assert np.isfinite(theta["theta"])
    bias = pd.read_csv(workdir / "results" / "bias" / "label_bias.csv")
    assert bias["labels"].tolist() == ["labels (majority of votes)", "true classes (synthetic)"]
    assert bias[["cv14", "cv18"]].notna().all().all()
    classifiers = pd.read_csv(workdir / "results" / "bias" / "classifier_bias.csv")
    assert classifiers["labels"].tolist() == [
        "labels (GZ2 votes)", "naive classifier", "debiased classifier", "true classes"
    ]  # fmt: skip
    summary = json.loads((workdir / "results" / "bias" / "summary.json").read_text())
    assert summary["theta"]["injected"] == 11.25
    assert set(summary["cv18"]) == set(classifiers["labels"])
    assert summary["n_test"] > 10
    verdict = summary["debiased_below_naive"]
    low, high = verdict["interval_95"]
    assert low <= verdict["naive_minus_debiased"] <= high
    assert verdict["holds"] == (verdict["naive_minus_debiased"] > 0)
    claims = summary["verdict"]
    assert claims["n_true_disks"] >= 3 and len(claims["in_words"]) == 2
    for claim in ("claim_1_naive_inherits_bias", "claim_2_debiasing_removes_bias"):
        assert isinstance(claims[claim]["holds"], bool)
    per_bin = pd.read_csv(workdir / "results" / "bias" / "disks_called_smooth.csv")
    assert set(per_bin["labelling"]) == {"labels (GZ2 votes)", "naive classifier",
                                         "debiased classifier"}  # fmt: skip
    assert per_bin["n_disks"].sum() == 3 * claims["n_true_disks"]
    accuracy = pd.read_csv(workdir / "results" / "bias" / "accuracy_by_alpha.csv")
    assert set(accuracy["alpha_tercile"]) == {"lowest", "middle", "highest"}
    for figure in (
        "disks_called_smooth.png",
        "grad_cam_classifiers.png",
        "sersic_smooth_cumulative.png",
        "smooth_fraction_vs_alpha.png",
    ):
        assert (workdir / "results" / "figures" / figure).stat().st_size > 1000


def test_a_new_image_size_reruns_resize_and_everything_downstream_only(workdir):
    run = snakemake(workdir, "-n", overrides={"images": {"size_px": 32}})
    assert run.returncode == 0, run.stdout[-2000:]
    jobs = _planned_jobs(run.stdout)
    assert jobs == {
        "resize": 4, "catalogue_summary": 3, "split": 4, "train": 3, "predict": 3, "ensemble": 1,
        "train_bias_classifier": 2, "predict_bias_classifier": 2, "evaluate_bias": 1,
        **BAR_STAGE, "saliency": 6, "train_direct": 1, **VOTE_STAGE, **AUDIT_STAGE,
        "active_sets": 1, "active_iteration": 4, "evaluate_active": 1, "run_times": 1, "all": 1,
    }  # fmt: skip


def test_a_changed_member_setting_retrains_that_member_only(workdir):
    overrides = {"members": {"vgg16": {"training": {"max_epochs": 3}}}}
    run = snakemake(workdir, "-n", overrides=overrides)
    assert run.returncode == 0, run.stdout[-2000:]
    assert _planned_jobs(run.stdout) == {
        "train": 1, "predict": 1, "ensemble": 1, "saliency": 2, **BAR_STAGE,
        "run_times": 1, "all": 1,
    }  # fmt: skip
    assert "wildcards: member=vgg16" in run.stdout
    assert "member=xception" not in run.stdout and "member=resnet50v2" not in run.stdout


#: Jobs after the saliency maps (tiny config: 1 shard, 2 runs).
BAR_STAGE = {"measure_bars": 2, "select_bars": 1, "evaluate_bars": 1, "bar_figures": 1}
#: The vote models' jobs (tiny config: 1 GZ2 shard, 3 models).
VOTE_STAGE = {"train_vote_model": 3, "predict_votes": 3, "evaluate_votes": 1}
#: The audit of the tree model.
AUDIT_STAGE = {"audit_rank": 1, "audit_maps": 1}


def test_more_mc_passes_redo_the_vote_samples_but_no_training(workdir):
    run = snakemake(workdir, "-n", overrides={"votes": {"mc_passes": 5}})
    assert run.returncode == 0, run.stdout[-2000:]
    assert _planned_jobs(run.stdout) == {
        "predict_votes": 3, "evaluate_votes": 1, **AUDIT_STAGE, "run_times": 1, "all": 1,
    }  # fmt: skip


def test_a_vote_question_setting_retrains_that_model_only(workdir):
    overrides = {"votes": {"questions": {"bar": {"min_votes": 12}}}}
    run = snakemake(workdir, "-n", overrides=overrides)
    assert run.returncode == 0, run.stdout[-2000:]
    assert _planned_jobs(run.stdout) == {
        "train_vote_model": 1, "predict_votes": 1, "evaluate_votes": 1, "run_times": 1, "all": 1,
    }  # fmt: skip


def test_more_active_iterations_run_only_the_new_ones(workdir):
    """An iteration never sees how many iterations or repeats there are."""
    run = snakemake(workdir, "-n", overrides={"active": {"iterations": 3, "repeats": 2}})
    assert run.returncode == 0, run.stdout[-2000:]
    # Iteration 2 of repeat 0 for each strategy, and all 3 of repeat 1 (and its sets).
    assert _planned_jobs(run.stdout) == {
        "active_sets": 1, "active_iteration": 2 + 2 * 3, "evaluate_active": 1,
        "run_times": 1, "all": 1,
    }  # fmt: skip


def test_a_changed_active_smoothing_reruns_only_the_campaign_evaluation(workdir):
    run = snakemake(workdir, "-n", overrides={"active": {"lowess_frac": 0.5}})
    assert run.returncode == 0, run.stdout[-2000:]
    assert _planned_jobs(run.stdout) == {"evaluate_active": 1, "run_times": 1, "all": 1}


def test_a_killed_campaign_resumes_at_its_last_finished_iteration(workdir, tmp_path):
    """A copy of the finished run whose last BALD iteration never finished: only that
    iteration and the evaluation are planned."""
    copy = tmp_path / "run"
    for part in ("results", ".snakemake/metadata"):
        shutil.copytree(workdir / part, copy / part, copy_function=os.link)
    last = copy / "results" / "active" / "smooth" / "bald" / "repeat-0" / "iteration-1"
    for path in last.iterdir():
        path.unlink()
    # Killed there, the run never evaluated the campaign (Snakemake does not remake a
    # deleted intermediate file whose consumers are up to date).
    for path in (copy / "results" / "active" / "smooth").glob("*.*"):
        path.unlink()
    run = snakemake(copy, "-n")
    assert run.returncode == 0, run.stdout[-2000:]
    assert _planned_jobs(run.stdout) == {
        "active_iteration": 1, "evaluate_active": 1, "run_times": 1, "all": 1,
    }  # fmt: skip


def test_a_changed_measurement_setting_never_reruns_training_or_saliency(workdir):
    run = snakemake(workdir, "-n", overrides={"measure": {"t_len": [10, 30]}})
    assert run.returncode == 0, run.stdout[-2000:]
    assert _planned_jobs(run.stdout) == {**BAR_STAGE, "run_times": 1, "all": 1}


def test_a_changed_smoothgrad_setting_redoes_the_maps_but_no_training(workdir):
    run = snakemake(workdir, "-n", overrides={"saliency": {"n_samples": 3}})
    assert run.returncode == 0, run.stdout[-2000:]
    assert _planned_jobs(run.stdout) == {"saliency": 6, **BAR_STAGE, "run_times": 1, "all": 1}


def test_a_new_cv18_setting_reevaluates_the_bias_without_retraining(workdir):
    run = snakemake(workdir, "-n", overrides={"bias": {"cv18": {"alpha_bins": 4}}})
    assert run.returncode == 0, run.stdout[-2000:]
    assert _planned_jobs(run.stdout) == {
        "label_bias": 1,
        "evaluate_bias": 1,
        "run_times": 1,
        "all": 1,
    }


def test_a_classifier_setting_retrains_both_classifiers_but_keeps_theta(workdir):
    run = snakemake(workdir, "-n", overrides={"bias": {"classifier": {"test_fraction": 0.25}}})
    assert run.returncode == 0, run.stdout[-2000:]
    assert _planned_jobs(run.stdout) == {
        "split": 1, "train_bias_classifier": 2, "predict_bias_classifier": 2, "evaluate_bias": 1,
        "run_times": 1, "all": 1,
    }  # fmt: skip


def test_editing_one_stage_code_reruns_that_stage(workdir, tmp_path):
    """A digest of a stage's modules is a param of its rules: editing measure.py reruns the
    measurement and what follows; a copy of the checkout elsewhere reruns nothing."""
    checkout = tmp_path / "checkout"
    for part in ("workflow", "config", "resources", "envs", "containers"):
        shutil.copytree(REPO / part, checkout / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "Snakefile", checkout / "Snakefile")
    configs = [REPO / ".test" / "config.yaml"]
    moved = run_snakemake(workdir, "-n", configfiles=configs, snakefile=checkout / "Snakefile")
    assert moved.returncode == 0, moved.stdout[-2000:]
    assert "Nothing to be done" in moved.stdout
    module = checkout / "workflow" / "gzxai" / "bars" / "measure.py"
    module.write_text(module.read_text() + "\n# an edit\n")
    edited = run_snakemake(workdir, "-n", configfiles=configs, snakefile=checkout / "Snakefile")
    assert edited.returncode == 0, edited.stdout[-2000:]
    assert _planned_jobs(edited.stdout) == {**BAR_STAGE, "run_times": 1, "all": 1}


def test_a_bad_config_key_fails_with_its_name(tmp_path):
    run = snakemake(tmp_path, "-n", "--config", "seeed=3")
    assert run.returncode != 0
    assert "Additional properties are not allowed ('seeed' was unexpected)" in run.stdout


def _planned_jobs(output: str) -> dict[str, int]:
    """Job counts from Snakemake's 'Job stats' table."""
    lines = output.splitlines()
    start = lines.index("Job stats:") + 3
    counts = {}
    for line in lines[start:]:
        parts = line.split()
        if len(parts) != 2 or parts[0] == "total":
            break
        counts[parts[0]] = int(parts[1])
    return counts


def test_source_real_runs_the_same_code_on_files_placed_by_hand(workdir, tmp_path):
    """Point `source: real` at files in the real layout (here: the synthetic survey's own):
    no synthesize job, the canonical tables come out identical, and the bias stage runs
    without a truth table."""
    sources = workdir / "results" / "sources" / "synthetic"
    targets = [f"results/catalogues/{name}.parquet" for name in ("kaggle", "gz2", "bars")]
    targets.append("results/bias/summary.json")
    run = snakemake(
        tmp_path, *targets, overrides={"source": "real", "sources": {"root": str(sources)}}
    )
    assert run.returncode == 0, run.stdout[-3000:]
    assert "rule synthesize" not in run.stdout
    for name in ("kaggle", "gz2", "bars"):
        real = pd.read_parquet(tmp_path / "results" / "catalogues" / f"{name}.parquet")
        synthetic = pd.read_parquet(workdir / "results" / "catalogues" / f"{name}.parquet")
        pd.testing.assert_frame_equal(real, synthetic)
    bias = tmp_path / "results" / "bias"
    summary = json.loads((bias / "summary.json").read_text())
    assert "injected" not in summary["theta"]
    assert set(summary["cv18"]) == {"labels (GZ2 votes)", "naive classifier", "debiased classifier"}
    assert [(d["a"], d["b"]) for d in summary["cv18_differences"]] == [
        ("naive classifier", "debiased classifier")
    ]
    assert "true classes" not in (bias / "classifier_bias.md").read_text()
    assert not (tmp_path / "results" / "figures" / "sersic_smooth_cumulative.png").exists()
    # The θ fit reads the same labels and α either way.
    synthetic_theta = json.loads((workdir / "results" / "bias" / "theta.json").read_text())
    assert json.loads((bias / "theta.json").read_text())["theta"] == synthetic_theta["theta"]


def test_a_changed_convention_rebuilds_only_the_tables_that_use_it(workdir):
    run = snakemake(workdir, "-n", overrides={"conventions": {"hoyle_length_units": "kpc"}})
    assert run.returncode == 0, run.stdout[-2000:]
    # The bar table feeds only the bar stage: its images, maps and measurements.
    assert _planned_jobs(run.stdout) == {
        "catalogue": 1, "resize": 1, "catalogue_summary": 1, "split": 2, "saliency": 6,
        "train_direct": 1,
        **BAR_STAGE, "run_times": 1, "all": 1,
    }  # fmt: skip
    assert "wildcards: table=bars" in run.stdout


def test_the_report_collects_every_figure_and_table_with_captions(workdir):
    report = workdir / "results" / "report.html"
    run = snakemake(workdir, "--report", str(report))
    assert run.returncode == 0, run.stdout[-2000:]
    html = report.read_text()
    names = [
        "table1.csv", "learning_curves.png", "smooth_fraction_vs_alpha.png", "classifier_bias.csv",
        "table2.csv", "test_metrics.csv", "fig1_saliency_answers.png", "fig3_bar_isolation.png",
        "fig4_bar_lengths.png", "appendix_b_bar_isolation.png", "run_times.png", "rules.csv",
        "audit_histograms.png", "audit_cam_1.png", "audit_sanity.png", "top.csv",
    ]  # fmt: skip
    for name in names:
        assert name in html, name
    for caption in (
        "Table 2: best Pearson",
        "Fig. 4: measured against catalogue",
        "Medina Table 1",
    ):
        assert caption in html, caption


def test_the_dag_measures_bar_lengths_and_evaluates_them(workdir):
    results = workdir / "results"
    bars = pd.read_parquet(results / "catalogues" / "bars.parquet")
    table2 = pd.read_csv(results / "bars" / "table2.csv")
    methods = {"vgg16", "resnet50v2", "xception", "mean_map", "mean_length", "image", "oracle"}
    assert set(table2["method"]) == methods
    assert set(table2["rule"]) == {"paper", "rotation_invariant"}
    run1 = pd.read_parquet(results / "bars" / "measurements" / "run-1" / "shard-000.parquet")
    assert set(run1["dr7objid"]) == set(bars["dr7objid"])
    with np.load(results / "saliency" / "vgg16" / "run-2" / "noise-0.1" / "shard-000.npz") as maps:
        assert maps["maps"].dtype == np.float16
        assert set(maps["ids"]) < set(bars["dr7objid"])  # the test part only
    summary = json.loads((results / "bars" / "summary.json").read_text())
    assert summary["n_validation"] + summary["n_test"] == len(bars)
    assert {"table2", "test", "headline", "direct_cnn", "ranking"} <= summary.keys()
    oracle = next(r for r in summary["test"] if r["method"] == "oracle")
    assert "truth_rho" in oracle
    direct = pd.read_parquet(results / "direct" / "predictions.parquet")
    assert set(direct["split"]) <= {"train", "val", "test"} and len(direct) == len(bars)
    for figure in ("fig1_saliency_answers.png", "fig3_bar_isolation.png", "fig4_bar_lengths.png"):
        assert (results / "figures" / figure).stat().st_size > 1000


def test_the_dag_runs_the_active_campaign_for_both_strategies(workdir):
    root = workdir / "results" / "active" / "smooth"
    summary = json.loads((root / "summary.json").read_text())
    assert summary["strategies"] == ["bald", "random"]
    assert (summary["repeats"], summary["iterations"]) == (1, 2)
    curves = pd.read_csv(root / "curves.csv")
    assert len(curves) == 4 and curves["rmse_vs_true_rho"].notna().all()
    roles = pd.read_parquet(root / "repeat-0" / "sets.parquet").set_index("dr7objid")["role"]
    evaluation = set(roles.index[roles == "evaluation"])
    for strategy in ("bald", "random"):
        first, second = (root / strategy / "repeat-0" / f"iteration-{i}" for i in (0, 1))
        start = set(roles.index[roles == "initial"])
        acquired = set(pd.read_parquet(first / "acquired.parquet")["dr7objid"])
        assert len(acquired) == 6 and not acquired & (evaluation | start)
        after = set(pd.read_parquet(first / "labelled.parquet")["dr7objid"])
        assert after == start | acquired
        metrics = json.loads((second / "metrics.json").read_text())
        assert metrics["n_labelled"] == len(after)
    bald = pd.read_parquet(root / "bald" / "repeat-0" / "iteration-0" / "acquired.parquet")
    assert (bald["bald"] >= 0).all()
    # Both strategies' first models train on the same initial set with the same seeds.
    first = curves[curves["iteration"] == 0].set_index("strategy")
    assert first.loc["bald", "evaluation_loss"] == first.loc["random", "evaluation_loss"]
    for name in ("curves", "acquired", "informative", "label_saving"):
        assert (workdir / "results" / "figures" / f"active_smooth_{name}.png").is_file()


def test_the_dag_audits_the_tree_model(workdir):
    results = workdir / "results" / "audit"
    ranking = pd.read_parquet(results / "ranking.parquet")
    split = pd.read_parquet(workdir / "results" / "splits" / "votes.parquet")
    test = set(split.loc[split["split"] == "test", "dr7objid"])
    assert set(ranking["galaxy_id"]) <= test and len(ranking) > 0
    assert ranking["loss"].is_monotonic_decreasing
    controls = pd.read_csv(results / "controls.csv")
    assert len(controls) == 1
    row = controls.iloc[0]
    assert row["galaxy_id"] == ranking["galaxy_id"].iloc[0]
    assert row["galaxy_id"] not in {row["observed_similar_id"], row["predicted_similar_id"]}
    summary = json.loads((results / "summary.json").read_text())
    assert set(summary["sanity"]) == {"smoothgrad", "gradcam", "hirescam"}
    assert {"enrichment", "bar_masks", "balanced_questions", "ranked_galaxies"} <= summary.keys()
    sanity = pd.read_csv(results / "sanity.csv")
    assert sanity["depth"].max() == sanity.groupby("method")["depth"].max().min() > 1
    for figure in ("audit_histograms.png", "audit_cam_1.png", "audit_sanity.png"):
        assert (workdir / "results" / "figures" / figure).stat().st_size > 1000
