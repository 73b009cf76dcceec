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
    summary = {
        "theta": {"theta": 41.2, "theta_std": 1.1, "injected": 40.0},
        "cv18": {
            "labels (GZ2 votes)": {"mean": 0.30, "std": 0.03},
            "naive classifier": {"mean": 0.25, "std": 0.03},
            "debiased classifier": {"mean": 0.20, "std": 0.02},
            "true classes": {"mean": 0.19, "std": 0.02},
        },
        "debiased_below_naive": {"naive_minus_debiased": 0.05, "interval_95": [0.02, 0.08]},
    }
    path = tmp_path / parameters.BIAS_SUMMARY
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(summary))
    pd.DataFrame(
        {"labels": ["naive classifier", "debiased classifier"], "accuracy_vs_truth": [0.4, 0.99]}
    ).to_csv(path.with_name("classifier_bias.csv"), index=False)
    row = parameters.STAGES["bias"].collect("theta_40", tmp_path)
    assert (row["cv18_naive"], row["cv18_debiased"], row["low"]) == (0.25, 0.20, 0.02)
    table = parameters.markdown_bias(pd.DataFrame([{**row, "description": "θ = 40"}]))
    assert "| theta_40 | θ = 40 | 41.2 ± 1.1 (40) | 0.300 | 0.250 | 0.200 | 0.190 |" in table
    assert "| +0.050 [+0.020, +0.080] | 0.400, 0.990 | – |" in table
