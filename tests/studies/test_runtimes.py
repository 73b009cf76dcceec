import json
import os

import pandas as pd
import pytest

from gzxai.studies import runtimes


def benchmark(folder, rule, job, wall, cpu, rss, end=None):
    path = folder / rule / f"{job}.tsv"
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time"
    path.write_text(f"{columns}\n{wall}\t0:00:01\t{rss}\t1\t1\t1\t0\t0\t50\t{cpu}\n")
    if end is not None:
        os.utime(path, (end, end))  # Snakemake writes the file as the job ends


def rule_files(folder, stages: dict[str, list[str]]):
    """A rules folder with one ``<stage>.smk`` per stage defining its rules."""
    folder.mkdir()
    for stage, rules in stages.items():
        text = "\n\n".join(f"rule {rule}:\n    input: 1\n" for rule in rules)
        (folder / f"{stage}.smk").write_text(text)
    return folder


def test_jobs_add_up_by_rule_and_by_stage(tmp_path):
    rules = rule_files(tmp_path / "rules", {"train": ["split", "train"], "images": ["resize"]})
    bench = tmp_path / "benchmarks"
    benchmark(bench, "train", "vgg16", 100.0, 190.0, 900)
    benchmark(bench, "train", "resnet50v2", 300.0, 310.0, 1200)
    benchmark(bench, "split", "job", 2.0, 1.0, 100)
    benchmark(bench, "resize", "kaggle_000", 10.0, 9.0, 300)
    tables = runtimes.write(bench, rules, tmp_path / "out", figure=tmp_path / "times.png")
    by_rule = tables["rules"].set_index("rule")
    assert by_rule.loc["train", "stage"] == "train"
    assert by_rule.loc["train", "jobs"] == 2
    assert by_rule.loc["train", "wall_s"] == 400.0 and by_rule.loc["train", "cpu_s"] == 500.0
    assert by_rule.loc["train", "max_rss_mb"] == 1200.0
    assert by_rule.loc["train", "cpu_over_wall"] == pytest.approx(1.25)
    assert tables["rules"]["rule"].tolist() == ["train", "resize", "split"]  # most time first
    by_stage = tables["stages"].set_index("stage")
    assert by_stage.loc["train", "wall_s"] == 402.0 and by_stage.loc["images", "jobs"] == 1
    assert by_stage["share_of_job_time"].sum() == pytest.approx(1.0)
    written = pd.read_csv(tmp_path / "out" / "rules.csv")
    assert written["rule"].tolist() == ["train", "resize", "split"]
    assert (
        "| train | train | 2 | 400.0 | 500.0 | 1200 | 1.25 | 97.1% |"
        in (tmp_path / "out" / "rules.md").read_text()
    )
    assert (tmp_path / "times.png").stat().st_size > 1000


def test_the_run_span_counts_jobs_that_ran_side_by_side_once(tmp_path):
    rules = rule_files(tmp_path / "rules", {"train": ["train"], "images": ["resize"]})
    bench = tmp_path / "benchmarks"
    t0 = 1_800_000_000.0
    benchmark(bench, "resize", "a", 10.0, 9.0, 300, end=t0 + 10)  # [0, 10]
    benchmark(bench, "train", "vgg16", 100.0, 95.0, 900, end=t0 + 110)  # [10, 110]
    benchmark(bench, "train", "xception", 80.0, 78.0, 900, end=t0 + 100)  # [20, 100]
    benchmark(bench, "train", "resnet", 50.0, 49.0, 900, end=t0 + 200)  # [150, 200]
    tables = runtimes.write(bench, rules, tmp_path / "out", figure=None)
    by_stage = tables["stages"].set_index("stage")
    assert by_stage.loc["train", "wall_s"] == 230.0
    assert by_stage.loc["train", "elapsed_s"] == pytest.approx(150.0)  # 100 + 50, gap excluded
    assert by_stage.loc["images", "elapsed_s"] == pytest.approx(10.0)
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run["span_s"] == pytest.approx(200.0)
    assert run["job_wall_s"] == 240.0 and run["cpu_s"] == 231.0
    assert run["busy_cores_on_average"] == pytest.approx(231.0 / 200.0)
    assert "4 jobs in 3.3 min" in runtimes.describe_run(run)
