"""Where a run spends its time: Snakemake's per-job benchmark files as tables by rule and by
stage, and a figure.

Every rule writes ``results/benchmarks/<rule>/<wildcards>.tsv`` (Snakemake's ``benchmark:``:
wall seconds, CPU seconds, peak memory). A rule's stage is the rule file that defines it
(``workflow/rules/<stage>.smk``). Wall times of jobs that ran side by side add up to more
than the run took: ``share_of_job_time`` is of the summed job time. What the run took is
read from when each job ended (the benchmark file's modification time, written as the job
finishes) less its wall time: ``elapsed_s`` is the time during which at least one of a
stage's jobs ran, and ``run.json`` the whole run's span with the cores it kept busy on
average (CPU seconds over the span). A run resumed after a pause counts the pause.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from gzxai.core import tables as markdown_tables
from gzxai.core.io import write_csv, write_json, write_text

#: Snakemake benchmark columns used here: wall seconds, CPU seconds, peak resident MB.
WALL, CPU, RSS = "s", "cpu_time", "max_rss"


def rule_stages(rules_dir: Path) -> dict[str, str]:
    """Each rule's stage: the name of the ``.smk`` file that defines it."""
    stages = {}
    for path in sorted(Path(rules_dir).glob("*.smk")):
        for name in re.findall(r"^\s*rule (\w+):", path.read_text(), flags=re.MULTILINE):
            stages[name] = path.stem
    return stages


def job_times(benchmarks_dir: Path, stages: dict[str, str]) -> pd.DataFrame:
    """One row per job: rule, stage, job (its wildcards), wall and CPU seconds, peak MB."""
    rows = []
    for path in sorted(Path(benchmarks_dir).glob("*/*.tsv")):
        rule = path.parent.name
        measured = pd.read_csv(path, sep="\t")
        end = path.stat().st_mtime
        for record in measured.to_dict("records"):  # one row per repeat, normally one
            rows.append(
                {
                    "rule": rule,
                    "stage": stages.get(rule, "other"),
                    "job": path.stem,
                    "wall_s": float(record[WALL]),
                    "cpu_s": float(pd.to_numeric(record[CPU], errors="coerce")),
                    "max_rss_mb": float(pd.to_numeric(record[RSS], errors="coerce")),
                    "end": end,
                }
            )
    columns = ["rule", "stage", "job", "wall_s", "cpu_s", "max_rss_mb", "end"]
    return pd.DataFrame(rows, columns=columns)


def summarise(jobs: pd.DataFrame, by: str) -> pd.DataFrame:
    """Jobs, summed wall and CPU seconds, CPU / wall and peak MB per ``by`` (rule or stage),
    most time first."""
    grouped = jobs.groupby(by, sort=False)
    table = pd.DataFrame(
        {
            "jobs": grouped.size(),
            "wall_s": grouped["wall_s"].sum(),
            "cpu_s": grouped["cpu_s"].sum(),
            "max_rss_mb": grouped["max_rss_mb"].max(),
        }
    )
    if by == "rule":
        table.insert(0, "stage", grouped["stage"].first())
    else:
        table.insert(1, "elapsed_s", grouped.apply(_covered_seconds, include_groups=False))
    table["cpu_over_wall"] = table["cpu_s"] / table["wall_s"]
    table["share_of_job_time"] = table["wall_s"] / table["wall_s"].sum()
    return table.sort_values("wall_s", ascending=False).reset_index()


def _covered_seconds(jobs: pd.DataFrame) -> float:
    """Length of the union of the jobs' [end − wall, end] intervals."""
    covered, reach = 0.0, -float("inf")
    for start, end in sorted(zip(jobs["end"] - jobs["wall_s"], jobs["end"], strict=True)):
        if end > reach:
            covered += end - max(start, reach)
            reach = end
    return covered


def run_summary(jobs: pd.DataFrame) -> dict:
    """The run's span (first job's start to last job's end), its summed job wall and CPU
    seconds, and what they mean: jobs running at once and cores kept busy, on average."""
    if jobs.empty:
        return {"jobs": 0}
    span = float(jobs["end"].max() - (jobs["end"] - jobs["wall_s"]).min())
    wall, cpu = float(jobs["wall_s"].sum()), float(jobs["cpu_s"].sum())
    return {
        "jobs": len(jobs),
        "span_s": span,
        "job_wall_s": wall,
        "cpu_s": cpu,
        "jobs_running_on_average": wall / span if span > 0 else float("nan"),
        "busy_cores_on_average": cpu / span if span > 0 else float("nan"),
    }


def describe_run(run: dict) -> str:
    if not run["jobs"]:
        return "no benchmark files"
    return (
        f"{run['jobs']} jobs in {run['span_s'] / 60:.1f} min from the first start to the last "
        f"end; {run['job_wall_s']:.0f} s of job time, {run['cpu_s']:.0f} CPU s: "
        f"{run['jobs_running_on_average']:.2f} jobs running and "
        f"{run['busy_cores_on_average']:.2f} cores busy on average"
    )


def markdown(table: pd.DataFrame) -> str:
    """A summary table as Markdown (seconds to one decimal, ratios to two)."""
    formats = {
        "wall_s": "{:.1f}",
        "elapsed_s": "{:.1f}",
        "cpu_s": "{:.1f}",
        "max_rss_mb": "{:.0f}",
        "cpu_over_wall": "{:.2f}",
        "share_of_job_time": "{:.1%}",
    }
    rows = [
        [formats.get(c, "{}").format(v) for c, v in zip(table.columns, row, strict=True)]
        for row in table.itertuples(index=False)
    ]
    return markdown_tables.markdown(list(table.columns), rows)


def write(benchmarks_dir: Path, rules_dir: Path, out_dir: Path, figure: Path | None) -> dict:
    """rules.{csv,md}, stages.{csv,md} and run.json in ``out_dir``, and the figure; returns
    the tables and the run's summary (``run``)."""
    jobs = job_times(benchmarks_dir, rule_stages(rules_dir))
    tables = {"rules": summarise(jobs, "rule"), "stages": summarise(jobs, "stage")}
    for name, table in tables.items():
        write_csv(table, out_dir / f"{name}.csv")
        write_text(markdown(table), out_dir / f"{name}.md")
    run = run_summary(jobs)
    write_json(run, out_dir / "run.json")
    if figure is not None:
        from gzxai.studies.figures import run_times

        run_times(tables["stages"], figure)
    return {**tables, "run": run}
