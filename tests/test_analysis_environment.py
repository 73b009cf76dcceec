"""The environment boundary, tested for real: the analysis environment (envs/gzxai.yaml,
containers/gzxai.def) has no Keras or TensorFlow, and the rules that run in it must work
without them."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import yaml

from .conftest import REPO, TINY_CONFIG, run_snakemake

PACKAGE = REPO / "workflow" / "gzxai"
BLOCKED = "import sys\nsys.modules['keras'] = None\nsys.modules['tensorflow'] = None\n"


def analysis_rules() -> dict[str, str]:
    """Rule -> gzxai command, for every rule of the analysis environment (``conda: ENV``)."""
    rules = {}
    for path in (REPO / "workflow" / "rules").glob("*.smk"):
        text = path.read_text()
        blocks = re.split(r"^\s*rule (\w+):\n", text, flags=re.MULTILINE)[1:]
        for name, body in zip(blocks[::2], blocks[1::2], strict=True):
            command = re.search(r"python -m gzxai (?:--quiet )?([a-z-]+)", body)
            if command and re.search(r"conda:\n\s+ENV\n", body):
                rules[name] = command.group(1)
    return rules


def blocked_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", BLOCKED + code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO / "workflow"), "PATH": str(Path(sys.executable).parent)},
    )


def test_the_analysis_environment_holds_the_rules_that_need_no_cnn():
    rules = analysis_rules()
    assert {"split", "ensemble", "select_bars", "evaluate_bars", "measure_bars"} <= rules.keys()
    assert "train" not in rules and "saliency" not in rules


def test_every_core_module_imports_with_keras_and_tensorflow_blocked():
    modules = sorted(f"gzxai.core.{p.stem}" for p in (PACKAGE / "core").glob("[!_]*.py"))
    assert len(modules) > 10
    run = blocked_python(f"import importlib\nfor m in {modules!r}:\n    importlib.import_module(m)")
    assert run.returncode == 0, run.stderr


def test_every_analysis_command_parses_with_keras_and_tensorflow_blocked():
    for command in sorted(set(analysis_rules().values())):
        run = blocked_python(f"from gzxai.cli import main\nsys.exit(main([{command!r}, '--help']))")
        assert run.returncode == 0, f"{command}: {run.stderr[-2000:]}"
        assert "usage: gzxai" in run.stdout


def test_a_blocked_import_is_really_blocked():
    """The guard the tests above rely on: with keras blocked, importing the CNN code fails."""
    run = blocked_python("import gzxai.cnn.train")
    assert run.returncode != 0 and "keras" in run.stderr


def analysis_pins() -> list[str]:
    spec = yaml.safe_load((REPO / "envs" / "gzxai.yaml").read_text())
    pip = next(item["pip"] for item in spec["dependencies"] if isinstance(item, dict))
    project = (REPO / "pyproject.toml").read_text()
    snakemake = re.search(r'"(snakemake==[^"]+)"', project).group(1)
    return [*pip, snakemake]


@pytest.fixture(scope="session")
def analysis_python() -> Path:
    """A virtual environment with only the analysis pins (and Snakemake to drive it), built
    once per pin set under .venv-analysis/; pip's cache makes a rebuild quick."""
    pins = analysis_pins()
    home = REPO / ".venv-analysis"
    marker = home / "pins.sha256"
    digest = hashlib.sha256("\n".join(pins).encode()).hexdigest()
    python = home / "bin" / "python"
    if not (marker.is_file() and marker.read_text() == digest and python.exists()):
        shutil.rmtree(home, ignore_errors=True)
        venv.create(home, with_pip=True)
        install = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *pins],
            capture_output=True,
            text=True,
            timeout=1800,
        )
        assert install.returncode == 0, install.stderr[-3000:]
        marker.write_text(digest)
    check = subprocess.run([str(python), "-c", "import keras"], capture_output=True, text=True)
    assert check.returncode != 0, "the analysis environment must not have Keras"
    return python


#: Outputs of analysis rules compared byte for byte between the two environments.
COMPARED = [
    "results/ensemble/table1.csv",
    "results/bars/table2.csv",
    "results/bars/test_metrics.csv",
    "results/bias/theta.json",
    "results/bias/label_bias.csv",
    "results/splits/members.parquet",
    "results/splits/classifiers.parquet",
    "results/splits/direct.parquet",
    "results/catalogues/gz2.parquet",
    "results/votes/calibration.csv",
    "results/votes/truth.csv",
    "results/active/smooth/repeat-0/sets.parquet",
    "results/active/smooth/curves.csv",
    "results/active/smooth/label_saving_vs_fraction.csv",
    "results/audit/top.csv",
    "results/audit/controls.csv",
]


@pytest.mark.e2e
def test_the_analysis_rules_of_the_tiny_dag_run_without_tensorflow(
    tiny_run, analysis_python, tmp_path
):
    """Snakemake and every analysis-environment job run in the TensorFlow-free environment,
    on a copy of the tiny run (the CNN outputs come from it), and write what the full
    environment wrote."""
    workdir = tmp_path / "run"
    shutil.copytree(tiny_run, workdir, ignore=shutil.ignore_patterns(".snakemake"))
    rules = sorted(analysis_rules())
    # Only these rules (and the default target) may run: the CNN outputs are taken as they are.
    # Outputs that only CNN jobs read are named as targets: the CNN rules being outside the
    # allowed rules, nothing else would ask for them.
    only_for_cnn_jobs = [
        "results/splits/classifiers.parquet",
        "results/splits/direct.parquet",
        "results/active/smooth/repeat-0/sets.parquet",
        "results/audit/rank_summary.json",
    ]
    run = run_snakemake(
        workdir,
        "all", *only_for_cnn_jobs,
        "--forcerun", *rules, "--allowed-rules", *rules, "all",
        configfiles=[TINY_CONFIG],
        python=analysis_python,
        timeout=1200,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-4000:]
    # Rules restricted by --allowed-rules are reported as "localrule".
    ran = set(re.findall(r"^(?:local)?rule (\w+):", run.stdout, flags=re.MULTILINE)) - {"all"}
    assert {
        "split",
        "ensemble",
        "measure_bars",
        "select_bars",
        "evaluate_bars",
        "evaluate_votes",
        "active_sets",
        "evaluate_active",
        "audit_rank",
    } <= ran
    assert ran <= set(rules)
    for name in COMPARED:
        assert (workdir / name).read_bytes() == (tiny_run / name).read_bytes(), name
