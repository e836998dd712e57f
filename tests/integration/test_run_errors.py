"""What a run does when the environment or the numbers go wrong, or the output cannot be written:
a clear message naming the problem and the fix, a non-zero exit, no traceback, nothing that looks
like a finished run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HELPERS = Path(__file__).resolve().parents[1] / "helpers"  # bad_envs.py


def _run(*args, cwd=None):
    env = {**os.environ, "PYTHONPATH": f"{HELPERS}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    proc = subprocess.run(
        [sys.executable, "-m", "rlsafe.run", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=cwd,
    )
    return proc, proc.stdout + proc.stderr


def test_nan_observation_stops_with_the_episode_and_step(tmp_path):
    proc, out = _run(
        "env=gym",
        "env.id=bad_envs:NanObservation-v0",
        "runner.episodes=10",
        "runner.eval_episodes=1",  # training meets episode 3 before evaluation does
        f"hydra.run.dir={tmp_path / 'run'}",
    )
    assert proc.returncode == 1
    assert (
        "NonFiniteObservation" in out
        and "step 5 of training episode 3" in out
        and "[nan, nan]" in out
    )
    assert "Traceback" not in out
    assert not (tmp_path / "run" / "summary.json").exists()


def test_diverging_q_values_stop_the_run_and_keep_the_last_checkpoint(tmp_path):
    run_dir = tmp_path / "run"
    proc, out = _run(
        "env=gym",
        "env.id=bad_envs:HugeReward-v0",
        "discretizer=identity",
        "agent.alpha=1.0",
        "agent.alpha_schedule.kind=constant",
        "runner.episodes=10",
        "runner.checkpoint_every=2",
        f"hydra.run.dir={run_dir}",
    )
    assert proc.returncode == 1
    assert "in episode 6" in out and "diverged" in out and "agent.alpha" in out
    assert "Traceback" not in out
    kept = run_dir / "checkpoints" / "ckpt_6.npz"
    assert f"The last good checkpoint is kept: {kept}" in out and kept.exists()
    assert not (run_dir / "summary.json").exists()


def test_output_directory_that_cannot_be_made_is_refused_before_work(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    proc, out = _run(f"hydra.run.dir={blocker / 'run'}")
    assert proc.returncode == 2
    assert "not a directory" in out and "hydra.run.dir" in out and "Traceback" not in out


def test_a_finished_run_is_not_overwritten(tmp_path):
    run_dir = tmp_path / "run"
    args = ["env=frozenlake", "runner.episodes=100", f"hydra.run.dir={run_dir}"]
    assert _run(*args)[0].returncode == 0
    before = (run_dir / "summary.json").read_bytes()
    proc, out = _run(*args)
    assert proc.returncode == 2 and "already holds a finished run" in out
    assert (run_dir / "summary.json").read_bytes() == before


def test_resume_takes_no_other_overrides(tmp_path):
    proc, out = _run(f"resume={tmp_path}", "seed=3")
    assert proc.returncode == 2 and "drop the other overrides: seed=3" in out


@pytest.mark.slow
def test_huge_q_values_finish_the_run_with_one_warning_not_a_histogram_crash(tmp_path):
    """Q-values of 1e300 that differ in the last bits ended in numpy's "Too many bins for data
    range" from the diagnostics histogram, leaving a half-written run directory."""
    run_dir = tmp_path / "run"
    proc, out = _run(
        "env=mountaincar",
        "agent.q_init=1e300",
        "agent.alpha=1",
        "agent.gamma=1",
        "runner.episodes=200",
        "runner.eval_every=50",
        "runner.eval_episodes=5",
        "runner.chunk_episodes=50",
        f"hydra.run.dir={run_dir}",
    )
    assert proc.returncode == 0, out
    assert "Traceback" not in out and "Too many bins" not in out
    assert out.count("diag/q_values: the values span") == 1  # once, not at each evaluation
    assert out.count("diag/q_max_abs is") == 1
    assert (run_dir / "summary.json").exists()
