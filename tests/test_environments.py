"""One source of truth for versions: pyproject.toml's pins, repeated in envs/ and containers/."""

import re
import tomllib

import yaml

from .conftest import REPO

PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([0-9][^\s;]*)$")


def pins(lines):
    return dict(m.groups() for m in (PIN.match(line.strip()) for line in lines) if m)


def runtime_pins():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return {k: v for k, v in pins(project["dependencies"]).items() if k != "snakemake"}


def test_conda_environment_matches_pyproject():
    env = yaml.safe_load((REPO / "envs" / "gzxai.yaml").read_text())
    pip = next(item["pip"] for item in env["dependencies"] if isinstance(item, dict))
    assert pins(pip) == runtime_pins()
    assert "python=3.11" in env["dependencies"]


def test_container_matches_pyproject():
    definition = (REPO / "containers" / "gzxai.def").read_text()
    header = dict(re.findall(r"^(Bootstrap|From):\s*(\S+)", definition, flags=re.MULTILINE))
    assert header == {"Bootstrap": "docker", "From": "python:3.11-slim"}
    post = definition.split("%post", 1)[1].split("%labels", 1)[0]
    lines = [line.strip(" \\") for line in post.splitlines()]
    assert pins(lines) == runtime_pins()
