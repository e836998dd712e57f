"""Launchers: each sweep job gives what the basic launcher gives, with joblib (the `sweep` extra),
submitit and Ray (the `cluster` extra).

SLURM: a real single-node cluster. The `slurm` fixture writes a slurm.conf in a temp dir
(`AuthType=auth/none`, `CredType=cred/none`, so no munge; controller and node on 127.0.0.1,
free ports chosen at start, no accounting), starts Debian's slurmctld and slurmd (package
slurm-wlm, installed by .ci/run) in the foreground as children of the test, and stops them at the
end; `hydra/launcher=submitit_slurm` then submits through sbatch. Skipped, with the reason,
where the slurm binaries are absent or the daemons are not run as root (slurmd must be root to
start jobs). submitit's local executor (`hydra/launcher=submitit_local`) is tested too: it is what
a laptop without SLURM uses.

Ray: `hydra/launcher=ray` starts a local Ray on 127.0.0.1 only (`node_ip_address`, no
dashboard, no usage stats), so no traffic leaves loopback.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import SMALL

from rlsafe.sweep_names import job_dirs

ARGS = ["-m", "env=taxi", "agent.alpha=0.1,0.5", *SMALL]


def _sweep(sweep, extra, env=None):
    proc = subprocess.run(
        [sys.executable, "-m", "rlsafe.run", *ARGS, *extra, f"hydra.sweep.dir={sweep}"],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tables = []
    jobs = job_dirs(sweep)
    assert [p.name for p in jobs] == ["0_agent.alpha=0.1", "1_agent.alpha=0.5"]  # as the basic one
    for job in jobs:
        assert json.loads((job / "summary.json").read_text())["episodes"] == 200
        with np.load(job / "q_table.npz") as saved:
            tables.append(saved["q"])
    return tables


@pytest.fixture(scope="module")
def basic(tmp_path_factory):
    """The basic launcher's Q-tables, the reference of every launcher test (one sweep for all)."""
    return _sweep(tmp_path_factory.mktemp("basic") / "sweep", [])


def _same_as_basic(basic, tmp_path, name, extra, env=None):
    other = _sweep(tmp_path / name, extra, env)
    for a, b in zip(basic, other):
        assert np.array_equal(a, b)
    assert not np.array_equal(*basic)  # the two jobs differ (alpha)


@pytest.mark.slow
def test_joblib_launcher_runs_sweep_jobs_in_parallel_with_the_same_results(basic, tmp_path):
    """hydra/launcher=joblib (the `sweep` extra) gives each job what the basic launcher gives."""
    _same_as_basic(basic, tmp_path, "joblib", ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"])


@pytest.mark.slow
def test_submitit_local_launcher_gives_the_basic_launchers_results(basic, tmp_path):
    pytest.importorskip(
        "hydra_plugins.hydra_submitit_launcher",
        reason="the cluster extra is not installed: pip install -e '.[cluster]'",
    )
    _same_as_basic(
        basic,
        tmp_path,
        "submitit",
        ["hydra/launcher=submitit_local", "hydra.launcher.timeout_min=10"],
    )


@pytest.mark.slow
def test_ray_launcher_on_loopback_gives_the_basic_launchers_results(basic, tmp_path):
    pytest.importorskip(
        "hydra_plugins.hydra_ray_launcher",
        reason="the cluster extra is not installed: pip install -e '.[cluster]'",
    )
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0", RAY_DISABLE_USAGE_STATS="1")
    _same_as_basic(
        basic,
        tmp_path,
        "ray",
        [
            "hydra/launcher=ray",
            "+hydra.launcher.ray.init.num_cpus=2",
            "+hydra.launcher.ray.init._node_ip_address=127.0.0.1",
            "+hydra.launcher.ray.init.include_dashboard=false",
        ],
        env,
    )


def _hydra_launcher(*overrides):
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from rlsafe.config import CONFIG_DIR

    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(config_name="config", overrides=list(overrides), return_hydra_config=True)
    GlobalHydra.instance().clear()
    return cfg.hydra.launcher


def test_slurm_preset_composes_over_submitit_slurm():
    pytest.importorskip(
        "hydra_plugins.hydra_submitit_launcher",
        reason="the cluster extra is not installed: pip install -e '.[cluster]'",
    )
    launcher = _hydra_launcher("hydra/launcher=slurm", "hydra.launcher.partition=cpu")
    assert launcher._target_.endswith("SlurmLauncher")
    assert (launcher.partition, launcher.cpus_per_task, launcher.mem_gb, launcher.timeout_min) == (
        "cpu",
        2,
        4,
        60,
    )


def test_ray_cluster_preset_nulls_object_store_memory():
    pytest.importorskip(
        "hydra_plugins.hydra_ray_launcher",
        reason="the cluster extra is not installed: pip install -e '.[cluster]'",
    )
    launcher = _hydra_launcher(
        "hydra/launcher=ray_cluster", "hydra.launcher.ray.init.address=ray://head:10001"
    )
    assert launcher._target_.endswith("RayLauncher")
    init = launcher.ray.init
    assert init.address == "ray://head:10001" and "object_store_memory" in init
    assert init.object_store_memory is None  # the launcher's setdefault keeps it None


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


SLURM_CONF = """\
ClusterName=rlsafe
SlurmctldHost={host}(127.0.0.1)
AuthType=auth/none
CredType=cred/none
SlurmUser=root
SlurmdUser=root
SlurmctldPort={ctld_port}
SlurmdPort={d_port}
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/slurmctld.log
SlurmdLogFile={root}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory=4096 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""


@pytest.fixture
def slurm(tmp_path):
    """A single-node SLURM on loopback for the test; yields the environment that points sbatch at it."""
    missing = [b for b in ("slurmctld", "slurmd", "sbatch", "sinfo") if shutil.which(b) is None]
    if missing:
        pytest.skip(f"slurm binaries absent ({', '.join(missing)}): apt-get install slurm-wlm")
    if os.geteuid() != 0:
        pytest.skip("slurmd must run as root to start jobs; this test runs as a normal user")
    root = tmp_path / "slurm"
    for sub in ("state", "spool"):
        (root / sub).mkdir(parents=True)
    conf = root / "slurm.conf"
    conf.write_text(
        SLURM_CONF.format(
            host=socket.gethostname(),
            ctld_port=_free_port(),
            d_port=_free_port(),
            root=root,
            cpus=os.cpu_count(),
        )
    )
    env = dict(os.environ, SLURM_CONF=str(conf))
    daemons = [
        subprocess.Popen(
            [daemon, "-D", "-f", str(conf), *flags],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for daemon, flags in (("slurmctld", ["-c"]), ("slurmd", []))
    ]
    try:
        for _ in range(100):
            state = subprocess.run(
                ["sinfo", "-h", "-o", "%T"], env=env, capture_output=True, text=True
            ).stdout.strip()
            if state == "idle":
                break
            time.sleep(0.2)
        else:
            logs = "".join(p.read_text()[-2000:] for p in root.glob("*.log"))
            pytest.fail(f"the SLURM node never became idle (sinfo: {state!r}):\n{logs}")
        yield env
    finally:
        # Let every job step end and report to slurmd first: stopped under a running step,
        # slurmd would leave its slurmstepd behind.
        for attempt in range(150):
            if attempt == 50:
                subprocess.run(["scancel", "--full", "--user=root"], env=env, capture_output=True)
            queue = subprocess.run(["squeue", "-h"], env=env, capture_output=True, text=True)
            if queue.returncode or not queue.stdout.strip():
                break
            time.sleep(0.2)
        for daemon in reversed(daemons):
            daemon.terminate()
            try:
                daemon.wait(timeout=20)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait()


@pytest.mark.slow
def test_submitit_slurm_launcher_on_a_real_single_node_slurm(basic, tmp_path, slurm):
    pytest.importorskip(
        "hydra_plugins.hydra_submitit_launcher",
        reason="the cluster extra is not installed: pip install -e '.[cluster]'",
    )
    _same_as_basic(
        basic,
        tmp_path,
        "slurm",
        [
            "hydra/launcher=slurm",
            "hydra.launcher.partition=debug",
            "hydra.launcher.timeout_min=10",
            "hydra.launcher.cpus_per_task=1",
            "hydra.launcher.mem_gb=1",
            f"hydra.launcher.submitit_folder={tmp_path}/submitit/%j",
        ],
        slurm,
    )
