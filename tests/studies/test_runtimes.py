import pandas as pd
import pytest

from gzxai.studies import runtimes


def benchmark(folder, rule, job, wall, cpu, rss):
    path = folder / rule / f"{job}.tsv"
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time"
    path.write_text(f"{columns}\n{wall}\t0:00:01\t{rss}\t1\t1\t1\t0\t0\t50\t{cpu}\n")


def test_jobs_add_up_by_rule_and_by_stage(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "train.smk").write_text("rule split:\n    input: 1\n\n\nrule train:\n    input: 1\n")
    (rules / "images.smk").write_text("rule resize:\n    input: 1\n")
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
