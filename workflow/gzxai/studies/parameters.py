"""Studies: the same DAG under a few settings, compared.

``python -m gzxai scaling --base-workdir <a finished default run>`` runs the workflow once per
setting of ``config/scaling.yaml``, each in its own directory under ``--study-dir``, up to the
bar stage's summary (what moves saliency ρ against the truth); with ``--stage bias`` and
``config/bias_power.yaml``, up to the bias stage's summary (how many galaxies the verdict on
Medina's two claims needs, and what each size costs). Each directory starts as a
hard-linked copy of the base run (results and Snakemake's records of them), so only the
stages a setting touches rerun: a SmoothGrad setting reruns the maps and measurements, a
training setting retrains the members first. The bar study's table (Markdown and JSON) gives,
per setting, the headline saliency method's test ρ against the catalogue and the truth, ρ with
galaxy size controlled, the references and the wall time; the bias study's the fitted θ, the
verdict's numbers (smooth fractions of true disks by α tercile, paired differences, the two
claims), CV18 minus the truth's, and the bias stage's job time.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from gzxai.core import tables
from gzxai.core.io import write_json, write_text

log = logging.getLogger(__name__)

SUMMARY = Path("results") / "bars" / "summary.json"
BIAS_SUMMARY = Path("results") / "bias" / "summary.json"


def seed_from(base: Path, work: Path) -> None:
    """Hard-link the base run's results and Snakemake metadata into ``work``.

    Outputs are replaced by rename (gzxai.core.io.atomic_path) or unlinked by Snakemake before a
    job reruns, so a linked file of the base run is never written through.
    """
    for part in ("results", ".snakemake/metadata"):
        source = base / part
        if source.exists():
            shutil.copytree(
                source,
                work / part,
                copy_function=os.link,
                dirs_exist_ok=True,
                ignore=shutil.ignore_patterns("logs", "benchmarks"),
            )


def run_setting(
    name: str,
    overrides: dict,
    *,
    snakefile: Path,
    study_dir: Path,
    base: Path | None,
    configfiles: list[Path],
    cores: int,
    stage: str = "bars",
) -> dict:
    summary = STAGES[stage].summary
    work = study_dir / name
    if not (work / summary).is_file():
        if base is not None and not work.exists():
            seed_from(base, work)
        work.mkdir(parents=True, exist_ok=True)
        override_file = work / "scaling-override.yaml"
        override_file.write_text(yaml.safe_dump(overrides))
        command = [
            sys.executable,
            "-m",
            "snakemake",
            "-s",
            str(snakefile),
            "--cores",
            str(cores),
            "--directory",
            str(work),
            str(summary),
            "--configfile",
            *map(str, configfiles),
            str(override_file),
        ]
        log.info("setting %s: %s", name, " ".join(command))
        start = time.perf_counter()
        run = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        (work / "scaling.log").write_text(run.stdout)
        if run.returncode != 0:
            raise RuntimeError(f"setting {name} failed; see {work / 'scaling.log'}")
        (work / "scaling-seconds.txt").write_text(f"{time.perf_counter() - start:.0f}\n")
    return STAGES[stage].collect(name, work)


def collect(name: str, work: Path) -> dict:
    """One row of the study table from a run directory's bar summary."""
    summary = json.loads((work / SUMMARY).read_text())
    test = pd.DataFrame(summary["test"])
    best = summary["headline"]
    row = test[(test["method"] == best["method"]) & (test["rule"] == best["rule"])].iloc[0]
    result = {
        "setting": name,
        "headline": f"{best['method']} ({best['rule']})",
        "rho_catalogue": row["catalogue_rho"],
        "rho_truth": row.get("truth_rho"),
        "rho_truth_size_controlled": row.get("truth_rho_size_controlled"),
        "best_member_rho_truth": test[
            ~test["method"].isin(["mean_map", "mean_length", "image", "oracle"])
        ]["truth_rho"].max(),
        "image_rho_truth": test.loc[test["method"] == "image", "truth_rho"].max(),
        "oracle_rho_truth": test.loc[test["method"] == "oracle", "truth_rho"].max(),
        "direct_rho_truth": summary.get("direct_cnn", {}).get("truth_rho"),
        "seconds": _seconds(work),
    }
    return result


def study(
    settings_path: Path,
    *,
    snakefile: Path,
    study_dir: Path,
    base: Path | None,
    configfiles: list[Path],
    cores: int,
    out_dir: Path,
    stage: str = "bars",
) -> pd.DataFrame:
    """Run (or collect) every setting and write ``<stem>.md`` and ``<stem>.json``."""
    kind = STAGES[stage]
    settings = yaml.safe_load(settings_path.read_text())
    rows = []
    if base is not None and (base / kind.summary).is_file():
        rows.append({**kind.collect("default", base), "description": "the default configuration"})
    for name, setting in settings.items():
        row = run_setting(
            name,
            setting["overrides"],
            snakefile=snakefile,
            study_dir=study_dir,
            base=base,
            configfiles=configfiles,
            cores=cores,
            stage=stage,
        )
        rows.append({**row, "description": setting["description"]})
        log.info("setting %s: %s", name, row)
    table = pd.DataFrame(rows)
    write_json(table.to_dict("records"), out_dir / f"{kind.stem}.json")
    write_text(kind.markdown(table), out_dir / f"{kind.stem}.md")
    return table


def _wall_time(row: dict) -> str:
    seconds = row["seconds"]
    if seconds is None or pd.isna(seconds):
        return "base run" if row["setting"] == "default" else "–"
    return f"{seconds / 60:.0f} min"


def markdown(table: pd.DataFrame) -> str:
    header = [
        "setting", "what changes", "headline method", "ρ catalogue", "ρ truth",
        "ρ truth, size controlled", "best member ρ truth", "image ρ truth", "oracle ρ truth",
        "direct CNN ρ truth", "wall time",
    ]  # fmt: skip
    scores = [
        "rho_catalogue", "rho_truth", "rho_truth_size_controlled", "best_member_rho_truth",
        "image_rho_truth", "oracle_rho_truth", "direct_rho_truth",
    ]  # fmt: skip
    rows = [
        [r["setting"], r["description"], r["headline"]]
        + [tables.number(r[k]) if isinstance(r[k], float) else tables.MISSING for k in scores]
        + [_wall_time(r)]
        for r in table.to_dict("records")
    ]
    return tables.markdown(header, rows)


def _seconds(work: Path) -> float | None:
    seconds = work / "scaling-seconds.txt"
    return float(seconds.read_text()) if seconds.is_file() else None


#: The rule files, whose names are the stages of the run-time tables.
RULES_DIR = Path(__file__).resolve().parents[2] / "rules"


def bias_job_seconds(work: Path) -> float | None:
    """Summed wall time of the bias stage's jobs that ran in ``work`` (with the classifiers'
    split): what the stage costs, from Snakemake's benchmark files."""
    from gzxai.studies import runtimes

    jobs = runtimes.job_times(work / "results" / "benchmarks", runtimes.rule_stages(RULES_DIR))
    chosen = (jobs["stage"] == "bias") | (
        (jobs["rule"] == "split") & (jobs["job"] == "classifiers")
    )
    return float(jobs.loc[chosen, "wall_s"].sum()) if chosen.any() else None


def collect_bias(name: str, work: Path) -> dict:
    """One row of the bias study from a run directory's bias summary: θ, the verdict against
    the truth (synthetic survey) and the cost."""
    summary = json.loads((work / BIAS_SUMMARY).read_text())
    verdict = summary.get("verdict", {})
    row = {
        "setting": name,
        "theta": summary["theta"]["theta"],
        "theta_std": summary["theta"]["theta_std"],
        "injected_theta": summary["theta"].get("injected"),
        "n_test": summary["n_test"],
        "n_true_disks": verdict.get("n_true_disks"),
        "seconds": _seconds(work),
        "bias_job_seconds": bias_job_seconds(work),
    }
    low_minus_high = verdict.get("low_minus_high", {})
    for key, label in (("labels", "labels (GZ2 votes)"), ("naive", "naive classifier")):
        row[f"{key}_low_minus_high"] = low_minus_high.get(label)
    fractions = verdict.get("smooth_fraction_of_true_disks", {})
    row["debiased_lowest"] = fractions.get("debiased classifier", {}).get("lowest α tercile")
    row["naive_minus_debiased_lowest"] = verdict.get("naive_minus_debiased_lowest_tercile")
    for claim in ("claim_1_naive_inherits_bias", "claim_2_debiasing_removes_bias"):
        row[claim] = verdict.get(claim, {}).get("holds")
    minus_truth = verdict.get("cv18_minus_truth", {})
    for key, label in (("naive", "naive classifier"), ("debiased", "debiased classifier")):
        row[f"cv18_{key}_minus_truth"] = minus_truth.get(label)
    return row


def _interval(value: dict | None) -> str:
    """'+0.123 [+0.100, +0.150]' from an estimate and its interval (– when missing)."""
    if not isinstance(value, dict):
        return tables.MISSING
    estimate = value.get("estimate", value.get("difference"))
    return f"{estimate:+.3f} [{value['low']:+.3f}, {value['high']:+.3f}]"


def _minutes(seconds: float | None) -> str:
    return tables.MISSING if seconds is None or pd.isna(seconds) else f"{seconds / 60:.1f} min"


def _verdict_word(holds: bool | None) -> str:
    return tables.MISSING if holds is None else ("holds" if holds else "does not hold")


def markdown_bias(table: pd.DataFrame) -> str:
    header = [
        "setting", "what changes", "θ fit (injected)", "test galaxies (true disks)",
        "labels: low − high α tercile", "naive: low − high", "debiased, lowest tercile",
        "naive − debiased, lowest tercile", "claim 1", "claim 2",
        "CV18 naive − truth", "CV18 debiased − truth", "bias-stage jobs", "wall time",
    ]  # fmt: skip
    rows = []
    for r in table.to_dict("records"):
        injected = "" if r["injected_theta"] is None else f" ({r['injected_theta']:g})"
        disks = "" if r["n_true_disks"] is None else f" ({r['n_true_disks']})"
        rows.append(
            [r["setting"], r["description"], f"{r['theta']:.2f} ± {r['theta_std']:.2f}{injected}"]
            + [f"{r['n_test']}{disks}"]
            + [_interval(r[k]) for k in ("labels_low_minus_high", "naive_low_minus_high")]
            + [_interval(r[k]) for k in ("debiased_lowest", "naive_minus_debiased_lowest")]
            + [
                _verdict_word(r[k])
                for k in ("claim_1_naive_inherits_bias", "claim_2_debiasing_removes_bias")
            ]
            + [_interval(r[k]) for k in ("cv18_naive_minus_truth", "cv18_debiased_minus_truth")]
            + [_minutes(r["bias_job_seconds"]), _wall_time(r)]
        )
    return tables.markdown(header, rows)


@dataclass(frozen=True)
class StudyStage:
    """Which summary a study runs the DAG up to, and how it tabulates it."""

    summary: Path
    collect: Callable[[str, Path], dict]
    markdown: Callable[[pd.DataFrame], str]
    stem: str


STAGES = {
    "bars": StudyStage(SUMMARY, collect, markdown, "scaling"),
    "bias": StudyStage(BIAS_SUMMARY, collect_bias, markdown_bias, "bias_power"),
}
