"""Shared fixtures: paths to the real reference files and a small synthetic survey."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

# Before anything imports TensorFlow: its oneDNN CPU kernels abort the process ("double
# free") when Grad-CAM differentiates intermediate feature maps for some batch sizes.
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data" / "galaxy-zoo"


def shared_file(name: str) -> Path:
    """A real reference file from ../shared (CI has it); skip with the reason where absent."""
    path = SHARED_DATA / name
    if not path.is_file():
        pytest.skip(
            f"real reference file {path} is not present (only beside a gzxai checkout in CI)"
        )
    return path


def real_gz2_hart16_header() -> list[str]:
    """The real gz2_hart16.csv header: the columns its description file documents, in order,
    with the class column under the name the real file uses (``gz2_class``, documented as
    ``gz2class``)."""
    lines = shared_file("gz2_hart16.txt").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("-----")) + 1
    names = [line.split()[0] for line in lines[start:] if line.strip()]
    return ["gz2_class" if name == "gz2class" else name for name in names]


@pytest.fixture(scope="session")
def default_config() -> dict:
    return yaml.safe_load((REPO / "config" / "config.yaml").read_text())


@pytest.fixture
def config(default_config: dict) -> dict:
    """A fresh, mutable copy of the default configuration."""
    return copy.deepcopy(default_config)


def small_config(default_config: dict, n_galaxies: int, flux_limited: int = 0) -> dict:
    """The default config with ``n_galaxies`` in the volume-limited population and
    ``flux_limited`` GZ2-only galaxies beyond it."""
    cfg = copy.deepcopy(default_config)
    cfg["synthetic"]["population"]["n_galaxies"] = n_galaxies
    cfg["synthetic"]["flux_limited"]["n_galaxies"] = flux_limited
    return cfg


@pytest.fixture(scope="session")
def survey_root(tmp_path_factory: pytest.TempPathFactory, default_config: dict) -> Path:
    """A 150 + 30-galaxy synthetic survey written once per test session (read-only)."""
    from gzxai.synthetic.survey import SurveyConfig, write_survey

    root = tmp_path_factory.mktemp("survey") / "synthetic"
    cfg = SurveyConfig.from_config(small_config(default_config, 150, flux_limited=30))
    write_survey(cfg, root, progress=False)
    return root


@pytest.fixture
def survey_copy(survey_root: Path, tmp_path: Path):
    """A private copy of the synthetic survey that a test may damage."""
    from gzxai.core.layout import SourceLayout

    root = tmp_path / "synthetic"
    shutil.copytree(survey_root, root)
    return SourceLayout(root)


@pytest.fixture
def server():
    """A real HTTP server on 127.0.0.1 standing in for the remote sources."""
    from .http_stand_in import StandIn

    with StandIn() as stand_in:
        yield stand_in


def run_snakemake(
    workdir: Path,
    *args: str,
    configfiles: list[Path] | None = None,
    timeout: int = 600,
    env: dict[str, str] | None = None,
    cores: bool = True,
    snakefile: Path = REPO / "Snakefile",
    python: str | Path = sys.executable,
):
    """The workflow in a subprocess, as a user runs it; stdout and stderr merged.

    Targets and flags come first: --configfile takes every word after it. ``python``: the
    interpreter (and so the environment) Snakemake and the jobs run in.
    """
    cores_flag = ["--cores", "2"] if cores else []
    command = [str(python), "-m", "snakemake", "-s", str(snakefile), *cores_flag,
               "--directory", str(workdir), *args]  # fmt: skip
    if configfiles:
        command += ["--configfile", *map(str, configfiles)]
    return subprocess.run(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout,
        env=env,
    )  # fmt: skip


TINY_CONFIG = REPO / ".test" / "config.yaml"


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> Path:
    """The whole DAG on the tiny test config, run once locally for every test that needs it."""
    path = tmp_path_factory.mktemp("workflow")
    run = run_snakemake(path, configfiles=[TINY_CONFIG])
    assert run.returncode == 0, run.stdout[-3000:]
    return path
