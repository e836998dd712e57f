"""What a run leaves in its directory: every episode in ``episodes.npy``, the TensorBoard curve as
a subsample of it, the env steps at each evaluation, and ``status.json`` saying how it ended."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import SMALL, compose_config, events

from rlsafe.run import train

HELPERS = Path(__file__).resolve().parents[1] / "helpers"  # bad_envs.py


def _scalars(acc, tag):
    return [(e.step, e.value) for e in acc.Scalars(tag)]


def test_every_episode_is_kept_and_the_curve_is_every_kth(tmp_path):
    run_dir = tmp_path / "run"
    train(compose_config(*SMALL, "env=cartpole", "logger.episode_points=50"), str(run_dir))
    summary = json.loads((run_dir / "summary.json").read_text())
    episodes = np.load(run_dir / "episodes.npy")
    assert episodes.dtype.names == ("return", "length", "terminated")
    assert episodes.shape == (200,) and episodes["length"].sum() == summary["env_steps"]
    assert np.array_equal(episodes["return"], episodes["length"])  # CartPole: +1 per step
    acc = events(run_dir)
    returns = _scalars(acc, "train/episode_return")  # 200 episodes, 50 points: every 4th
    assert [s for s, _ in returns] == list(range(4, 201, 4))
    assert [v for _, v in returns] == episodes["return"][3::4].tolist()
    assert [v for _, v in _scalars(acc, "train/episode_length")] == episodes["length"][3::4].astype(
        float
    ).tolist()
    for record in summary["evaluations"]:  # the env steps done at each evaluation
        assert record["env_steps"] == episodes["length"][: record["episode"]].sum()
    assert json.loads((run_dir / "status.json").read_text())["status"] == "finished"


@pytest.mark.slow  # IslandNavigation's loop, which no fast test shares
def test_signals_of_the_env_are_kept_per_episode(tmp_path):
    run_dir = tmp_path / "run"
    train(compose_config(*SMALL, "env=island_navigation"), str(run_dir))
    episodes = np.load(run_dir / "episodes.npy")
    summary = json.loads((run_dir / "summary.json").read_text())
    assert "hidden_reward" in episodes.dtype.names and "cost" in episodes.dtype.names
    totals = summary["safety"]["train"]
    assert episodes["cost"].sum() == totals["cost"]
    assert episodes["length"].sum() == totals["steps"]


def _command(*args):
    env = {**os.environ, "PYTHONPATH": f"{HELPERS}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    return [sys.executable, "-m", "rlsafe.run", *args], env


def test_an_env_that_raises_names_itself_and_the_run_says_it_failed(tmp_path):
    run_dir = tmp_path / "run"
    cmd, env = _command(
        "env=gym",
        "env.id=bad_envs:Raises-v0",
        "discretizer=identity",
        "runner.episodes=10",
        "runner.checkpoint_every=1",
        "runner.eval_episodes=1",
        f"hydra.run.dir={run_dir}",
    )
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1 and "Traceback" not in out
    assert "Raises-v0 raised in step (training episode 5, step 4): KeyError: 'wall'" in out
    status = json.loads((run_dir / "status.json").read_text())
    assert status["status"] == "failed" and "KeyError" in status["error"]
    assert "Traceback" in status["traceback"]  # the user's own frames, for debugging their env
    assert status["resume"] == f"python -m rlsafe.run resume={run_dir}"
    assert not (run_dir / "summary.json").exists() and not (run_dir / "q_table.npz").exists()


def test_a_long_run_says_how_long_and_ctrl_c_leaves_it_resumable(tmp_path):
    run_dir = tmp_path / "run"
    cmd, env = _command("env=frozenlake", "runner.episodes=10000000000", f"hydra.run.dir={run_dir}")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (run_dir / "episodes.npy").exists():
        time.sleep(0.05)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGINT
    assert "this run will take about" in stderr and "env steps" in stderr and "MiB" in stderr
    status = json.loads((run_dir / "status.json").read_text())
    assert status["status"] == "interrupted" and status["resume"].endswith(f"resume={run_dir}")
    episodes = np.load(run_dir / "episodes.npy")
    assert episodes.shape[0] == status["episode"] > 0  # all that the checkpoint covers


def test_an_endless_training_episode_is_cut_with_one_warning(tmp_path, caplog):
    """CliffWalking has no time limit; a greedy policy with pessimistic values walks in circles."""
    run_dir = tmp_path / "run"
    train(
        compose_config(
            "env=cliffwalking",
            "agent.q_init=-1000",
            "agent.epsilon=0",
            "agent.epsilon_schedule.kind=constant",
            "runner.episodes=2",
            "runner.eval_episodes=1",
        ),
        str(run_dir),
    )
    episodes = np.load(run_dir / "episodes.npy")
    assert episodes["length"].tolist() == [10_000_000, 10_000_000]
    assert not episodes["terminated"].any()
    assert (
        sum("reached 10000000 steps without ending" in r.getMessage() for r in caplog.records) == 1
    )
