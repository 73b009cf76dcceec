"""One source of truth for versions: pyproject.toml's pins, repeated in envs/ and containers/."""

import re
import tomllib

import pytest
import yaml

from .conftest import REPO

PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([0-9][^\s;]*)$")


def pins(lines):
    return dict(m.groups() for m in (PIN.match(line.strip()) for line in lines) if m)


CNN_PACKAGES = {"tensorflow-cpu", "keras"}


def runtime_pins(with_cnn: bool = False):
    """pyproject's pins of what jobs import (Snakemake itself runs outside the job envs)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    skip = {"snakemake"} | (set() if with_cnn else CNN_PACKAGES)
    return {k: v for k, v in pins(project["dependencies"]).items() if k not in skip}


def fetch_pins():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return pins(project["optional-dependencies"]["fetch"])


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ("gzxai.yaml", runtime_pins),
        ("tensorflow.yaml", lambda: runtime_pins(with_cnn=True)),
        ("fetch.yaml", lambda: {**runtime_pins(), **fetch_pins()}),
    ],
)
def test_conda_environments_match_pyproject(env, expected):
    spec = yaml.safe_load((REPO / "envs" / env).read_text())
    pip = next(item["pip"] for item in spec["dependencies"] if isinstance(item, dict))
    assert pins(pip) == expected()
    assert "python=3.11" in spec["dependencies"]


def parse_definition(name: str) -> tuple[dict[str, str], dict[str, str], set[str]]:
    """(header, pins installed in %post, section names) of an Apptainer definition file."""
    definition = (REPO / "containers" / name).read_text()
    header = dict(re.findall(r"^(Bootstrap|From):\s*(\S+)", definition, flags=re.MULTILINE))
    sections = set(re.findall(r"^%(\w+)", definition, flags=re.MULTILINE))
    post = definition.split("%post", 1)[1].split("%labels", 1)[0]
    lines = [line.strip(" \\") for line in post.splitlines()]
    return header, pins(lines), sections


def test_the_analysis_container_matches_pyproject():
    header, installed, sections = parse_definition("gzxai.def")
    assert header == {"Bootstrap": "docker", "From": "python:3.11-slim"}
    assert installed == {**runtime_pins(), **fetch_pins()}
    assert {"post", "labels", "help"} <= sections


def test_the_tensorflow_container_is_the_pinned_cuda_image():
    header, installed, sections = parse_definition("tensorflow.def")
    tensorflow = runtime_pins(with_cnn=True)
    assert header == {
        "Bootstrap": "docker",
        "From": f"tensorflow/tensorflow:{tensorflow.pop('tensorflow-cpu')}-gpu",
    }
    assert installed == tensorflow  # TensorFlow itself comes with the image
    assert {"post", "labels", "help"} <= sections
