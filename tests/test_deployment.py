"""Software deployment: every rule has a conda env and an Apptainer image, and Snakemake
plans the whole DAG with --use-conda and with apptainer.

Neither conda nor apptainer exists here and no conda channel is reachable. Snakemake's
planning only asks them for version and configuration, so clearly named stand-ins on PATH
answer those calls (and refuse anything else); building environments or images is left to
the user's machine.
"""

from __future__ import annotations

import os
import re
import stat

import pytest

from .conftest import REPO, TINY_CONFIG, run_snakemake

pytestmark = pytest.mark.e2e

STAND_INS = {
    "conda": """\
case "$1" in
  --version) echo "conda 24.11.3";;
  info) echo '{"conda_version": "24.11.3", "platform": "linux-64",'\
             '"conda_prefix": "/opt/stand-in-conda", "envs_dirs": [], "pkgs_dirs": []}';;
  config) echo '{"get": {"channel_priority": "strict"}, "success": true}';;
  *) echo "stand-in conda cannot: $*" >&2; exit 1;;
esac""",
    "apptainer": """\
case "$1" in
  --version) echo "apptainer version 1.3.4";;
  *) echo "stand-in apptainer cannot: $*" >&2; exit 1;;
esac""",
}


@pytest.fixture
def stand_ins(tmp_path):
    """A folder of stand-in executables that log every call."""
    folder = tmp_path / "stand-ins"
    folder.mkdir()
    for name, body in STAND_INS.items():
        path = folder / name
        path.write_text(f'#!/bin/sh\necho "{name} $*" >> "{folder}/calls.log"\n{body}\n')
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return folder


def rule_blocks() -> dict[str, str]:
    blocks = {}
    for path in (REPO / "workflow" / "rules").glob("*.smk"):
        for match in re.finditer(
            r"^\s*rule (\w+):\n(.*?)(?=^\s*rule |\Z)", path.read_text(), re.M | re.S
        ):
            blocks[match.group(1)] = match.group(2)
    return blocks


def test_every_rule_that_runs_code_has_an_environment_an_image_and_resources():
    blocks = {name: body for name, body in rule_blocks().items() if name != "all"}
    assert len(blocks) >= 20
    for name, body in blocks.items():
        assert re.search(r"conda:\s+(ENV|TF_ENV|FETCH_ENV)\b", body), name
        image = re.search(r"container:\s+(\w+)", body)
        assert image and image.group(1) == ("TF_IMAGE" if "TF_ENV" in body else "ANALYSIS_IMAGE"), (
            name
        )
        assert "threads:" in body and "mem_mb=" in body and "runtime=" in body, name
        # GPU rules are the TensorFlow ones, and they say so.
        assert ("gpu=1" in body) == ("TF_ENV" in body and name != "evaluate_bias"), name


def test_the_default_images_are_built_from_the_definition_files():
    for image in ("gzxai", "tensorflow"):
        assert (REPO / "containers" / f"{image}.def").is_file()


@pytest.mark.parametrize(
    ("flags", "tool", "expected"),
    [
        (["--use-conda"], "conda", r"Conda environment .*envs/tensorflow\.yaml will be created"),
        (["--software-deployment-method", "apptainer"], "apptainer", r"This was a dry-run"),
    ],
)
def test_the_whole_dag_is_planned_with_each_deployment_method(
    tmp_path, stand_ins, flags, tool, expected
):
    env = {**os.environ, "PATH": f"{stand_ins}:{os.environ['PATH']}"}
    run = run_snakemake(tmp_path / "run", "-n", *flags, configfiles=[TINY_CONFIG], env=env)
    assert run.returncode == 0, run.stdout[-3000:]
    assert re.search(expected, run.stdout)
    assert "train_direct" in run.stdout and "rule evaluate_bars" in run.stdout
    calls = (stand_ins / "calls.log").read_text()
    assert f"{tool} --version" in calls
