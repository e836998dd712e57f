"""A run killed or interrupted in the middle and resumed ends exactly as if left alone.

Real processes, real signals: SIGKILL (nothing can be saved: the last periodic checkpoint is used),
SIGINT (Ctrl-C: a checkpoint is written on the way out), and a damaged newest checkpoint (the one
before it is used). The env is stepped in Python (env=gym) so that a run lasts long enough to be
killed, which also covers restoring gymnasium's own generator.
"""

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
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

EPISODES = 7_500  # 4,500 episodes (over a second) still to train after the kill at 3,000
CONFIG = [
    "env=frozenlake",
    "env._target_=rlsafe.envs.gym.Gym",
    f"runner.episodes={EPISODES}",
    "runner.eval_every=2500",
    "runner.eval_episodes=20",
    "runner.checkpoint_every=1000",
    "runner.chunk_episodes=250",
    "logger.episode_points=null",
    "seed=7",
]
SAME = (
    "eval_return_mean",
    "eval_return_std",
    "evaluations",
    "episodes",
    "env_steps",
    "episodes_to_solve",
    "eval_optimality",
    "states_visited_fraction",
    "clipped_fraction",
)


def _command(*args):
    return [sys.executable, "-m", "rlsafe.run", *args]


def _finish(args, timeout=300):
    proc = subprocess.run(_command(*args), capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def _start_and_stop(run_dir: Path, sig: int, after_episode: int) -> subprocess.Popen:
    """Start a run and send ``sig`` once a checkpoint at or past ``after_episode`` exists."""
    proc = subprocess.Popen(
        _command(*CONFIG, f"hydra.run.dir={run_dir}"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        done = [int(p.stem.split("_")[1]) for p in (run_dir / "checkpoints").glob("ckpt_*.npz")]
        if done and max(done) >= after_episode:
            os.kill(proc.pid, sig)
            break
        time.sleep(0.005)
    proc.wait(timeout=240)
    assert not (run_dir / "summary.json").exists(), "the run ended before it could be stopped"
    return proc


def _curves(run_dir: Path) -> dict:
    acc = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})
    acc.Reload()
    return {
        tag: [(e.step, e.value) for e in acc.Scalars(tag)]
        for tag in acc.Tags()["scalars"]
        if not tag.startswith("perf/")
    }


def _result(run_dir: Path):
    summary = json.loads((run_dir / "summary.json").read_text())
    with np.load(run_dir / "q_table.npz") as saved:
        return (
            {k: summary[k] for k in SAME},
            saved["q"],
            _curves(run_dir),
            np.load(run_dir / "episodes.npy"),
        )


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("straight") / "run"
    _finish([*CONFIG, f"hydra.run.dir={run_dir}"])
    return _result(run_dir)


def _assert_same(run_dir, straight):
    summary, q, curves, episodes = _result(run_dir)
    assert np.array_equal(q, straight[1])
    assert summary == straight[0]
    for tag, points in straight[2].items():  # no gap, no restart at 0, no step twice
        assert curves[tag] == points, tag
    steps = [s for s, _ in curves["train/episode_return"]]
    assert steps == list(range(1, EPISODES + 1))
    # every episode once: cut back to the checkpoint and resumed
    assert np.array_equal(episodes, straight[3])
    assert episodes["length"].sum() == summary["env_steps"]
    assert json.loads((run_dir / "status.json").read_text())["status"] == "finished"


@pytest.mark.slow
def test_sigkill_then_resume_is_bit_identical(tmp_path, straight):
    run_dir = tmp_path / "run"
    proc = _start_and_stop(run_dir, signal.SIGKILL, after_episode=3000)
    assert proc.returncode == -signal.SIGKILL
    _finish([f"resume={run_dir}"])
    _assert_same(run_dir, straight)


@pytest.mark.slow
def test_ctrl_c_checkpoints_says_how_to_resume_and_exits_nonzero(tmp_path, straight):
    run_dir = tmp_path / "run"
    proc = _start_and_stop(run_dir, signal.SIGINT, after_episode=2000)
    stderr = proc.stderr.read()
    assert proc.returncode == 128 + signal.SIGINT
    assert f"resume={run_dir}" in stderr and "SIGINT" in stderr
    status = json.loads((run_dir / "status.json").read_text())
    assert status["status"] == "interrupted" and f"resume={run_dir}" in status["resume"]
    _finish([f"resume={run_dir}"])
    _assert_same(run_dir, straight)


@pytest.mark.slow
def test_damaged_newest_checkpoint_falls_back_to_the_one_before(tmp_path, straight):
    run_dir = tmp_path / "run"
    _start_and_stop(run_dir, signal.SIGKILL, after_episode=3000)
    newest = max(
        (run_dir / "checkpoints").glob("ckpt_*.npz"), key=lambda p: int(p.stem.split("_")[1])
    )
    newest.write_bytes(newest.read_bytes()[:100])  # truncated
    proc = _finish([f"resume={run_dir}"])
    assert newest.name in proc.stderr and "damaged" in proc.stderr
    _assert_same(run_dir, straight)


def test_resume_refuses_what_it_cannot_continue(tmp_path):
    missing = subprocess.run(
        _command(f"resume={tmp_path / 'nope'}"), capture_output=True, text=True, timeout=120
    )
    assert missing.returncode == 2 and "no such run directory" in missing.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    none = subprocess.run(_command(f"resume={empty}"), capture_output=True, text=True, timeout=120)
    assert none.returncode == 2 and "no readable checkpoint" in none.stderr


@pytest.mark.slow
def test_rerunning_a_killed_sweep_skips_finished_jobs_and_resumes_the_rest(tmp_path, straight):
    sweep = tmp_path / "sweep"
    args = [
        "-m",
        *[a for a in CONFIG if not a.startswith("seed=")],
        "seed=8,7",
        f"hydra.sweep.dir={sweep}",
    ]
    proc = subprocess.Popen(
        _command(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        if list((sweep / "1_seed=7" / "checkpoints").glob("ckpt_*.npz")):
            os.kill(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.005)
    proc.wait(timeout=240)
    # the jobs are named by the swept seed, the same in the re-run: it finds them
    first, second = sweep / "0_seed=8", sweep / "1_seed=7"
    assert (first / "summary.json").exists() and not (second / "summary.json").exists()
    first_job = (first / "summary.json").read_bytes()
    rerun = _finish(args)
    assert "is finished: skipping it" in rerun.stdout + rerun.stderr
    assert (first / "summary.json").read_bytes() == first_job  # not trained again
    _assert_same(second, straight)  # job 1 is seed 7, the straight run's seed


def _job_result(run_dir: Path):
    summary = json.loads((run_dir / "summary.json").read_text())
    with np.load(run_dir / "q_table.npz") as saved:
        q, seeds = saved["q"], saved["seeds"]
    runs = [{k: run[k] for k in SAME} for run in summary["runs"]]
    curves = {name: _curves(run_dir / name) for name in ("aggregate", "seed_7", "seed_8")}
    episodes = {name: np.load(run_dir / name / "episodes.npy") for name in ("seed_7", "seed_8")}
    return summary["aggregate"], runs, q, seeds, curves, episodes


@pytest.mark.slow
def test_seeds_job_sigkill_then_resume_is_bit_identical(tmp_path_factory, straight):
    """A seeds=2 job: one checkpoint holds both seeds; the resumed job equals the straight one."""
    job = [*CONFIG, "seeds=2", "runner.threads=2"]
    straight_dir = tmp_path_factory.mktemp("straight_job") / "run"
    _finish([*job, f"hydra.run.dir={straight_dir}"])
    expected = _job_result(straight_dir)
    run_dir = tmp_path_factory.mktemp("killed_job") / "run"
    proc = subprocess.Popen(
        _command(*job, f"hydra.run.dir={run_dir}"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        done = [int(p.stem.split("_")[1]) for p in (run_dir / "checkpoints").glob("ckpt_*.npz")]
        if done and max(done) >= 3000:
            os.kill(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.005)
    proc.wait(timeout=240)
    assert proc.returncode == -signal.SIGKILL
    assert not (run_dir / "summary.json").exists(), "the job ended before it could be killed"
    resumed = _finish([f"resume={run_dir}"])
    assert "seeds=7..8" in resumed.stdout and "IQM" in resumed.stdout
    aggregate, runs, q, seeds, curves, episodes = _job_result(run_dir)
    assert seeds.tolist() == [7, 8] and np.array_equal(q, expected[2])
    assert aggregate == expected[0] and runs == expected[1]
    assert curves == expected[4]  # every seed's curves and the aggregate's: no gap, no repeat
    assert [s for s, _ in curves["seed_8"]["train/episode_return"]] == list(range(1, EPISODES + 1))
    assert [s for s, _ in curves["aggregate"]["eval/return_iqm"]] == list(
        range(2500, EPISODES + 1, 2500)
    )
    assert all(np.array_equal(episodes[k], expected[5][k]) for k in episodes)
    assert np.array_equal(episodes["seed_7"], straight[3])
    # seed 7 of the job is the single run of seed 7
    assert np.array_equal(q[0], straight[1]) and runs[0] == straight[0]
    assert curves["seed_7"] == {
        t: c
        for t, c in straight[2].items()  # hparams: the job's only
        if not t.startswith("hparams/")
    }
