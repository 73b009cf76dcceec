"""A single-node SLURM cluster on localhost for the tests (Debian's slurmctld/slurmd/munge).

Run as root. ``start(state_dir)`` writes slurm.conf and gres.conf into /etc/slurm (never over
a file it did not write) and keeps all state in ``state_dir``; it starts
munged (as the munge user), slurmctld and ``slurmd -N localhost``, and waits until the node
is idle; ``stop`` ends the daemons by PID and removes the configuration it wrote.

Facts this relies on (Debian 12, SLURM 22.05): no cgroups here, so linuxproc process
tracking and no task plugin; no slurmdbd, so job completions go to a text file
(``jobcomp.log``: the proof that jobs ran through SLURM) and finished jobs stay visible to
squeue for ``MinJobAge`` seconds; a fake GPU (``File=/dev/null``) makes ``gpu=1`` jobs
schedulable on a CPU-only machine.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

MARKER = "# Written by gzxai's tests/slurm/cluster.py for a throwaway test cluster."
#: srun inside a job finds its configuration only here: the jobstep plugin removes every
#: SLURM_* variable but the job ids from the job's environment, SLURM_CONF included.
CONFIG_DIR = Path("/etc/slurm")

SLURM_CONF = (
    MARKER
    + """
ClusterName=gzxai-ci
SlurmctldHost=localhost
SlurmUser=root
AuthType=auth/munge
StateSaveLocation={state}/ctld
SlurmdSpoolDir={state}/spool
SlurmctldPidFile={state}/slurmctld.pid
SlurmdPidFile={state}/slurmd.pid
SlurmctldLogFile={state}/slurmctld.log
SlurmdLogFile={state}/slurmd.log
SlurmctldPort={ctld_port}
SlurmdPort={d_port}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc={state}/jobcomp.log
MinJobAge=3600
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
GresTypes=gpu
NodeName=localhost CPUs={cpus} RealMemory={memory_mb} Gres=gpu:fake:1 State=UNKNOWN
PartitionName=ci Nodes=localhost Default=YES MaxTime=INFINITE State=UP
"""
)
GRES_CONF = "Name=gpu Type=fake File=/dev/null\n"


@dataclass
class Cluster:
    state: Path
    munge_pid: int | None

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "SLURM_CONF": str(CONFIG_DIR / "slurm.conf")}

    @property
    def completed_jobs(self) -> list[dict[str, str]]:
        """Records of the job-completion log, one dict of KEY=value fields per job."""
        path = self.state / "jobcomp.log"
        if not path.is_file():
            return []
        return [
            dict(field.split("=", 1) for field in line.split() if "=" in field)
            for line in path.read_text().splitlines()
        ]

    def job(self, job_id: str) -> dict[str, str]:
        """``scontrol show job`` fields of a job (finished jobs stay visible MinJobAge s)."""
        shown = subprocess.run(["scontrol", "-o", "show", "job", job_id], env=self.env,
                               capture_output=True, text=True, check=True).stdout  # fmt: skip
        return dict(field.split("=", 1) for field in shown.split() if "=" in field)


def available() -> bool:
    return all(shutil.which(tool) for tool in ("sbatch", "slurmctld", "slurmd", "munged"))


def start(
    state: Path, cpus: int | None = None, memory_mb: int = 16000, timeout: float = 60
) -> Cluster:
    state.mkdir(parents=True, exist_ok=True)
    for sub in ("ctld", "spool"):
        (state / sub).mkdir(exist_ok=True)
    conf = CONFIG_DIR / "slurm.conf"
    if conf.is_file() and MARKER not in conf.read_text():
        raise RuntimeError(f"{conf} belongs to a real cluster: not overwriting it")
    CONFIG_DIR.mkdir(parents=True, exist_ok=True)
    settings = {"state": state, "cpus": cpus or os.cpu_count(), "memory_mb": memory_mb}
    conf.write_text(SLURM_CONF.format(**settings, ctld_port=6917, d_port=6918))
    (CONFIG_DIR / "gres.conf").write_text(MARKER + "\n" + GRES_CONF)
    munge_pid = _start_munge(state)
    cluster = Cluster(state, munge_pid)
    env = cluster.env
    subprocess.run(["slurmctld"], env=env, check=True)
    subprocess.run(["slurmd", "-N", "localhost"], env=env, check=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        probe = subprocess.run(
            ["sinfo", "-h", "-N", "-o", "%T"], env=env, capture_output=True, text=True
        )
        if probe.stdout.strip() == "idle":
            return cluster
        time.sleep(0.5)
    stop(cluster)
    logs = "".join((state / name).read_text()[-2000:] for name in ("slurmctld.log", "slurmd.log")
                   if (state / name).is_file())  # fmt: skip
    raise RuntimeError(f"the SLURM node did not become idle in {timeout} s:\n{logs}")


def _start_munge(state: Path) -> int | None:
    """munged for the cluster's authentication; reuses one that already runs."""
    socket_dir = Path("/run/munge")
    running = subprocess.run(["munge", "-n"], capture_output=True).returncode == 0
    if (socket_dir / "munge.socket.2").exists() and running:
        return None
    socket_dir.mkdir(parents=True, exist_ok=True)
    shutil.chown(socket_dir, "munge", "munge")
    subprocess.run(["runuser", "-u", "munge", "--", "munged"], check=True)
    return int((socket_dir / "munged.pid").read_text())


def stop(cluster: Cluster) -> None:
    for name in ("slurmd.pid", "slurmctld.pid"):
        path = cluster.state / name
        if path.is_file():
            _terminate(int(path.read_text()))
    if cluster.munge_pid is not None:
        _terminate(cluster.munge_pid)
    for name in ("slurm.conf", "gres.conf"):
        path = CONFIG_DIR / name
        if path.is_file() and MARKER in path.read_text():
            path.unlink()


def _terminate(pid: int, timeout: float = 10) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.kill(pid, signal.SIGKILL)
