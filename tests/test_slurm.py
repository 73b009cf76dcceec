"""The tiny DAG submitted to a real single-node SLURM cluster with profiles/slurm.

Skipped only where SLURM's tools are absent (`.ci/run` installs them). The cluster has no
accounting database: the CI run adds the two flags profiles/slurm documents for such
clusters (squeue status checks, no account).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from .conftest import REPO, TINY_CONFIG, run_snakemake
from .slurm import cluster

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not cluster.available(), reason="SLURM (sbatch, slurmctld, slurmd, munged) is not installed"
    ),
    pytest.mark.skipif(os.geteuid() != 0, reason="the test cluster's daemons run as root"),
]


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    running = cluster.start(tmp_path_factory.mktemp("slurm"))
    yield running
    cluster.stop(running)


def test_the_tiny_dag_runs_through_slurm_with_the_same_results(slurm, tmp_path, tiny_run):
    env = slurm.env
    # Jobs re-run this environment's snakemake on the node: it must come first on PATH.
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    run = run_snakemake(
        tmp_path, "--profile", str(REPO / "profiles" / "slurm"), "--slurm-no-account",
        "--slurm-status-command", "squeue", "--slurm-init-seconds-before-status-checks", "2",
        "--seconds-between-status-checks", "5", "--jobs", "4",
        configfiles=[TINY_CONFIG], env=env, cores=False, timeout=1800,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-4000:]

    submitted = set(re.findall(r"SLURM jobid (\d+)", run.stdout))
    completed = {job["JobId"]: job for job in slurm.completed_jobs}
    assert len(submitted) >= 30  # every job of the tiny DAG but the local `all`
    assert submitted <= completed.keys()
    assert {completed[j]["JobState"] for j in submitted} == {"COMPLETED"}
    # The plugin tags each job with its rule; gpu=1 rules must have asked for the (fake) GPU.
    details = [slurm.job(j) for j in submitted]
    asked = {d.get("Comment", "").split("_wildcards")[0]: "gpu:1" in d.get("TresPerJob", "")
             for d in details}  # fmt: skip
    assert asked["rule_train"] and asked["rule_saliency"] and asked["rule_train_direct"], asked
    assert not asked["rule_measure_bars"] and not asked["rule_catalogue"], asked

    local, remote = tiny_run / "results", tmp_path / "results"
    produced = {
        p.relative_to(remote) for p in remote.rglob("*") if p.is_file() and "logs" not in p.parts
    }
    expected = {
        p.relative_to(local) for p in local.rglob("*") if p.is_file() and "logs" not in p.parts
    }
    assert produced == expected
    # The data products that do not depend on training are identical to the local run's.
    for table in ("kaggle", "gz2", "bars"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(remote / "catalogues" / f"{table}.parquet"),
            pd.read_parquet(local / "catalogues" / f"{table}.parquet"),
        )
    for shard in (local / "images").rglob("*.npz"):
        with np.load(shard) as a, np.load(remote / shard.relative_to(local)) as b:
            np.testing.assert_array_equal(a["images"], b["images"])
    assert (remote / "bias" / "theta.json").read_text() == (
        local / "bias" / "theta.json"
    ).read_text()
