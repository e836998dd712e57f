"""Cluster launchers (the `cluster` extra): each sweep job gives what the basic launcher gives.

SLURM: submitit's local executor (`hydra/launcher=submitit_local`), not a real slurmctld/slurmd:
the session that wrote this test had no time left inside its time-box to install and configure
Debian's slurm-wlm (and munge), so a real single-node SLURM was not attempted. The local
executor runs the same submitit job pickling, submission and result collection as the SLURM one;
only the scheduler differs.

Ray: `hydra/launcher=ray` starts a local Ray on 127.0.0.1 only (`node_ip_address`, no
dashboard, no usage stats), so no traffic leaves loopback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import SMALL

ARGS = ["-m", "env=taxi", "agent.alpha=0.1,0.5", *SMALL]


def _sweep(sweep, extra, env=None):
    proc = subprocess.run([sys.executable, "-m", "rlsafe.run", *ARGS, *extra,
                           f"hydra.sweep.dir={sweep}"], capture_output=True, text=True,
                          timeout=600, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tables = []
    for job in ("0", "1"):
        assert json.loads((sweep / job / "summary.json").read_text())["episodes"] == 200
        with np.load(sweep / job / "q_table.npz") as saved:
            tables.append(saved["q"])
    return tables


def _same_as_basic(tmp_path, name, extra, env=None):
    basic = _sweep(tmp_path / "basic", [])
    other = _sweep(tmp_path / name, extra, env)
    for a, b in zip(basic, other):
        assert np.array_equal(a, b)
    assert not np.array_equal(*basic)  # the two jobs differ (alpha)


def test_submitit_local_launcher_gives_the_basic_launchers_results(tmp_path):
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher",
                        reason="the cluster extra is not installed: pip install -e '.[cluster]'")
    _same_as_basic(tmp_path, "submitit", ["hydra/launcher=submitit_local",
                                          "hydra.launcher.timeout_min=10"])


def test_ray_launcher_on_loopback_gives_the_basic_launchers_results(tmp_path):
    pytest.importorskip("hydra_plugins.hydra_ray_launcher",
                        reason="the cluster extra is not installed: pip install -e '.[cluster]'")
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0", RAY_DISABLE_USAGE_STATS="1")
    _same_as_basic(tmp_path, "ray", [
        "hydra/launcher=ray",
        "+hydra.launcher.ray.init.num_cpus=2",
        "+hydra.launcher.ray.init._node_ip_address=127.0.0.1",
        "+hydra.launcher.ray.init.include_dashboard=false",
    ], env)
