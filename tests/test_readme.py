"""The README's commands are the ones CI and users run."""

import re

from .conftest import REPO


def commands():
    return re.findall(r"```bash\n(.+?)\n```", (REPO / "README.md").read_text(), flags=re.DOTALL)


def test_ci_runs_the_readme_test_command():
    test_command = next(c for c in commands() if "pytest" in c)
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    assert test_command in ci


def test_the_readme_main_command_runs_the_workflow():
    assert any(c.endswith("snakemake --cores all") and "pip install -e ." in c for c in commands())
