import copy

import pytest
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from gzxai.core.config import check, image_geometry, source_root
from gzxai.core.errors import ConfigError

from ..conftest import REPO

SCHEMA = str(REPO / "workflow" / "schemas" / "config.schema.yaml")


def test_the_default_config_is_valid(config):
    validate(config, SCHEMA)
    check(config)


def test_an_unknown_key_is_named(config):
    config["synthetic"]["populaton"] = config["synthetic"].pop("population")
    with pytest.raises(WorkflowError, match="populaton"):
        validate(config, SCHEMA)


def test_a_wrong_value_is_named(config):
    config["conventions"]["hoyle_length_units"] = "parsecs"
    with pytest.raises(WorkflowError, match="parsecs"):
        validate(config, SCHEMA)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("images", "size_px"), 200, r"images: size_px \(200\)"),
        (("bias", "classifier", "size_px"), 200, r"bias.classifier \(or images\): size_px"),
        (("synthetic", "population", "star_fraction"), 0.7, "star_fraction"),
        (("synthetic", "population", "bar_fraction_range"), [0.6, 0.9], "bar_fraction_range"),
        (("synthetic", "render", "sky_noise_range"), [0.01, 0.001], "sky_noise_range"),
    ],
)
def test_inconsistent_settings_are_named(config, path, value, message):
    bad = copy.deepcopy(config)
    node = bad
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(ConfigError, match=message):
        check(bad)


def test_source_root_defaults_per_source(config):
    assert str(source_root(config)) == "results/sources/synthetic"
    config["sources"]["root"] = "/data/gz"
    assert str(source_root(config)) == "/data/gz"


def test_every_config_key_is_documented(config):
    documented = (REPO / "config" / "README.md").read_text()

    def keys(node, prefix=""):
        for key, value in node.items():
            yield prefix + key
            if isinstance(value, dict):
                yield from keys(value, prefix + key + ".")

    members = config.pop("members")
    # Member descriptions and training overrides are documented once, as a block.
    free_form = (
        "bias.classifier.model.", "bias.classifier.training.", "direct.model.", "direct.training.",
        "saliency.figure_targets.", "votes.model.", "votes.training.", "votes.questions.",
        "votes.tree.", "active.questions.", "active.training.",
    )  # fmt: skip
    undocumented = [k for k in keys(config) if f"`{k}`" not in documented]
    missing = [k for k in undocumented if not k.startswith(free_form)]
    missing += [f"members.{name}" for name in members if f"`members.{name}`" not in documented]
    assert not missing, f"config/README.md does not document {missing}"


def test_jobs_run_the_interpreter_and_package_of_the_workflow(monkeypatch, tmp_path):
    import os
    import sys
    from pathlib import Path

    from gzxai.core.config import export_job_environment

    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.setenv("PYTHONPATH", "/elsewhere")
    export_job_environment(tmp_path)
    assert os.environ["PYTHONPATH"] == str(tmp_path)
    assert os.environ["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)
    export_job_environment(tmp_path)  # idempotent: the Snakefile is parsed more than once
    assert os.environ["PATH"].count(str(Path(sys.executable).parent)) == 1


def test_the_gz2_shards_take_the_classifiers_crop_and_size_where_set(config):
    assert image_geometry(config, "gz2") == image_geometry(config, "kaggle") == {
        "crop_px": 160, "size_px": 64
    }  # fmt: skip
    config["bias"]["classifier"] |= {"crop_px": 207, "size_px": 128}
    assert image_geometry(config, "gz2") == {"crop_px": 207, "size_px": 128}
    assert image_geometry(config, "bars") == image_geometry(config, "kaggle")
    config["bias"]["classifier"]["size_px"] = None
    assert image_geometry(config, "gz2") == {"crop_px": 207, "size_px": 64}
