import json

import pandas as pd

from gzxai.studies import parameters


def write_summary(folder, rho_truth: float) -> None:
    test = [
        {"method": "mean_map", "rule": "paper", "catalogue_rho": 0.6, "truth_rho": rho_truth,
         "truth_rho_size_controlled": 0.2},
        {"method": "vgg16", "rule": "paper", "catalogue_rho": 0.5, "truth_rho": 0.55},
        {"method": "image", "rule": "paper", "catalogue_rho": 0.4, "truth_rho": 0.45},
        {"method": "oracle", "rule": "paper", "catalogue_rho": 0.9, "truth_rho": 0.98},
    ]  # fmt: skip
    summary = {"test": test, "headline": {"method": "mean_map", "rule": "paper"},
               "direct_cnn": {"truth_rho": 0.7}}  # fmt: skip
    path = folder / parameters.SUMMARY
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(summary))


def test_a_run_directory_becomes_one_row_of_the_study(tmp_path):
    write_summary(tmp_path, 0.66)
    (tmp_path / "scaling-seconds.txt").write_text("600\n")
    row = parameters.collect("n64", tmp_path)
    assert row["headline"] == "mean_map (paper)"
    assert (row["rho_truth"], row["rho_truth_size_controlled"]) == (0.66, 0.2)
    assert (row["best_member_rho_truth"], row["image_rho_truth"]) == (0.55, 0.45)
    assert (row["oracle_rho_truth"], row["direct_rho_truth"], row["seconds"]) == (0.98, 0.7, 600)
    table = parameters.markdown(pd.DataFrame([{**row, "description": "N = 64"}]))
    assert "| n64 | N = 64 | mean_map (paper) | 0.600 | 0.660 | 0.200 |" in table
    assert table.rstrip().endswith("| 10 min |")


def test_a_setting_starts_from_hard_links_of_the_base_run(tmp_path):
    base, work = tmp_path / "base", tmp_path / "work"
    (base / "results" / "models").mkdir(parents=True)
    (base / "results" / "logs").mkdir()
    (base / "results" / "models" / "m.keras").write_text("weights")
    (base / "results" / "logs" / "x.log").write_text("log")
    (base / ".snakemake" / "metadata").mkdir(parents=True)
    (base / ".snakemake" / "metadata" / "record").write_text("{}")
    parameters.seed_from(base, work)
    linked = work / "results" / "models" / "m.keras"
    assert linked.read_text() == "weights"
    assert linked.stat().st_ino == (base / "results" / "models" / "m.keras").stat().st_ino
    assert (work / ".snakemake" / "metadata" / "record").is_file()
    assert not (work / "results" / "logs").exists()  # a setting writes its own logs


def test_a_bias_run_becomes_one_row_of_the_bias_study(tmp_path):
    def interval(estimate, low, high):
        return {"estimate": estimate, "low": low, "high": high}

    summary = {
        "theta": {"theta": 10.52, "theta_std": 0.16, "injected": 11.25},
        "n_test": 3500,
        "verdict": {
            "n_true_disks": 2200,
            "low_minus_high": {
                "labels (GZ2 votes)": interval(0.5, 0.45, 0.55),
                "naive classifier": interval(0.4, 0.35, 0.46),
            },
            "smooth_fraction_of_true_disks": {
                "debiased classifier": {"lowest α tercile": interval(0.05, 0.03, 0.07)}
            },
            "naive_minus_debiased_lowest_tercile": interval(0.6, 0.55, 0.65),
            "claim_1_naive_inherits_bias": {"holds": True},
            "claim_2_debiasing_removes_bias": {"holds": False},
            "cv18_minus_truth": {
                "naive classifier": {"difference": 0.05, "low": 0.01, "high": 0.09},
                "debiased classifier": {"difference": -0.01, "low": -0.03, "high": 0.02},
            },
        },
    }
    path = tmp_path / parameters.BIAS_SUMMARY
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(summary))
    jobs = tmp_path / "results" / "benchmarks"
    for rule, job, seconds in [("train_bias_classifier", "naive", 200.0),
                               ("evaluate_bias", "job", 40.0), ("split", "classifiers", 2.0),
                               ("split", "votes", 500.0), ("train", "vgg16", 900.0)]:  # fmt: skip
        (jobs / rule).mkdir(parents=True, exist_ok=True)
        pd.DataFrame({"s": [seconds], "cpu_time": [seconds], "max_rss": [1.0]}).to_csv(
            jobs / rule / f"{job}.tsv", sep="\t", index=False
        )
    row = parameters.STAGES["bias"].collect("galaxies_3000", tmp_path)
    assert row["bias_job_seconds"] == 242.0  # the bias stage and its split, nothing else
    assert row["n_true_disks"] == 2200 and row["claim_1_naive_inherits_bias"] is True
    table = parameters.markdown_bias(pd.DataFrame([{**row, "description": "3,000 galaxies"}]))
    assert "| galaxies_3000 | 3,000 galaxies | 10.52 ± 0.16 (11.25) | 3500 (2200) |" in table
    assert "| +0.400 [+0.350, +0.460] | +0.050 [+0.030, +0.070] |" in table
    claims = "| holds | does not hold | +0.050 [+0.010, +0.090] | -0.010 [-0.030, +0.020] |"
    assert f"{claims} 4.0 min | – |" in table
