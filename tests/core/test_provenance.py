"""The code digest comes from the package itself: editing a module reruns exactly the rules
whose job can import it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest

from gzxai.core.provenance import code_digest, module_closure, settings_digest

from ..conftest import REPO

DIGESTS = """
import json
from gzxai.cli import build_parser, command_code, commands
print(json.dumps({name: command_code(name) for name in commands(build_parser())}))
"""


def digests(package_root) -> dict[str, str]:
    run = subprocess.run(
        [sys.executable, "-c", DIGESTS],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(package_root), "PATH": ""},
        check=True,
    )
    return json.loads(run.stdout)


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    root = tmp_path_factory.mktemp("package")
    shutil.copytree(
        REPO / "workflow" / "gzxai", root / "gzxai", ignore=shutil.ignore_patterns("__pycache__")
    )
    return root


def edited(checkout, module: str) -> set[str]:
    """The commands whose digest changes when ``module`` (a path in the package) is edited."""
    before = digests(checkout)
    path = checkout / "gzxai" / module
    original = path.read_text()
    try:
        path.write_text(original + "\n# an edit\n")
        after = digests(checkout)
    finally:
        path.write_text(original)
    return {name for name in before if before[name] != after[name]}


def test_editing_the_measurement_module_changes_the_bar_measurement_commands_only(checkout):
    changed = edited(checkout, "bars/measure.py")
    assert changed == {"measure", "bars-select", "bars-evaluate", "bars-figures"}


def test_editing_training_changes_every_command_that_trains_or_loads_a_cnn(checkout):
    changed = edited(checkout, "cnn/train.py")
    assert {"train", "predict", "bias-train", "bias-evaluate", "saliency", "direct"} <= changed
    assert "bars-figures" in changed and "benchmark" in changed
    assert not changed & {"measure", "split", "catalogue", "resize", "ensemble", "bias-theta"}


def test_editing_one_stage_module_leaves_the_other_stages_alone(checkout):
    assert edited(checkout, "sources/fetch.py") == {"fetch"}
    assert edited(checkout, "bias/figures.py") == {"bias-theta", "bias-evaluate"}
    assert edited(checkout, "ensemble/evaluate.py") == {"ensemble"}


def test_editing_a_core_module_changes_what_imports_it(checkout):
    assert {"catalogue", "split", "measure", "train"} <= edited(checkout, "core/contracts.py")


def test_a_moved_checkout_digests_the_same(checkout):
    assert digests(checkout) == digests(REPO / "workflow")


def test_every_rule_that_runs_gzxai_carries_the_digest_of_its_command():
    for path in (REPO / "workflow" / "rules").glob("*.smk"):
        blocks = re.split(r"^\s*rule (\w+):\n", path.read_text(), flags=re.MULTILINE)[1:]
        for rule, body in zip(blocks[::2], blocks[1::2], strict=True):
            command = re.search(r"python -m gzxai (?:--quiet )?([a-z-]+)", body)
            if command:
                assert f'code=command_code("{command.group(1)}")' in body, f"{path.name}: {rule}"


def test_the_closure_follows_imports_inside_functions_not_whole_modules():
    closure = {p.name for p in module_closure("gzxai.bars.maps", "run_saliency")}
    assert "smoothgrad.py" in closure  # imported inside the function
    assert "measure.py" not in closure and "evaluate.py" not in closure
    assert code_digest("gzxai.bars.maps", "run_saliency") != code_digest("gzxai.bars.measure")


def test_settings_digests_ignore_key_order():
    assert settings_digest({"a": 1, "b": [2]}) == settings_digest({"b": [2], "a": 1})
