"""Tile coding through the whole run: seeds side by side, exact resume from a checkpoint,
diagnostics, pictures and summaries (what applies to states is left out, not made up)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import events, session_for

from rlsafe.training import checkpoint

RUN = [
    "env=mountaincar",
    "discretizer=tiles",
    "runner.episodes=60",
    "runner.eval_every=20",
    "runner.eval_episodes=5",
    "logger.pictures_every=1",
]


@pytest.mark.parametrize("agent", ["qlearning", "sarsa"])
@pytest.mark.slow  # trains tile-coded runs
def test_resumed_session_continues_bit_for_bit(tmp_path, agent):
    """Train 40 episodes; or 20, a checkpoint, a fresh session restored from it, 20 more: the
    same weights, returns, evaluations and hash collision counts."""
    common = [
        "env=mountaincar",
        "discretizer=tiles",
        "discretizer.size=300",
        f"agent={agent}",
        "runner.episodes=40",
        "seed=3",
    ]
    straight = session_for(*common)
    first = straight.train(20).returns.copy()
    second = straight.train(20).returns.copy()
    evaluation = straight.evaluate(5).returns

    stopped = session_for(*common)
    assert np.array_equal(stopped.train(20).returns, first)
    path = tmp_path / "ckpt_20.npz"
    checkpoint.save(path, stopped, {})
    resumed = session_for(*common)
    arrays, meta = checkpoint.load(path)
    checkpoint.restore_session(resumed, arrays, meta, str(path))
    assert np.array_equal(resumed.train(20).returns, second)
    assert np.array_equal(resumed.evaluate(5).returns, evaluation)
    for ours, theirs in zip(resumed.tables, straight.tables):
        assert np.array_equal(ours, theirs)
    lookups, collisions = resumed.tables[6]
    assert lookups > 0 and collisions > 0  # 300 features for 8 x 81 tiles


@pytest.mark.slow  # trains tile-coded runs
def test_seeds_side_by_side_are_the_single_runs(tmp_path):
    """A seeds=2 job in threads: each seed's weights are its single run's."""

    def run(*extra, name):
        run_dir = tmp_path / name
        proc = subprocess.run(
            [sys.executable, "-m", "rlsafe.run", *RUN, *extra, f"hydra.run.dir={run_dir}"],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        return run_dir

    job = run("seeds=2", "seed=4", "discretizer.size=500", name="job")
    single = run("seed=5", "discretizer.size=500", name="single")
    with np.load(job / "q_table.npz") as saved, np.load(single / "q_table.npz") as alone:
        assert saved["q"].shape == (2, 500, 3)  # the weights: (seeds, features, actions)
        assert saved["visits"].shape == (2, 0, 3)  # no states to count
        assert np.array_equal(saved["q"][1], alone["q"])
    summary = json.loads((single / "summary.json").read_text())
    assert summary["states_visited_fraction"] is None
    lookups, collisions = summary["hash_collisions"]
    assert lookups > 60 * 8 and collisions > 0
    assert summary["discretizer"]["kind"] == "tiles"
    acc = events(single)
    tags = set(acc.Tags()["scalars"])
    assert {
        "diag/q_max_abs",
        "diag/greedy_changed_fraction",
        "train/hash_collisions_fraction",
    } <= tags
    assert (
        not {
            "diag/states_visited_fraction",
            "diag/calibration_error",
            "train/states_visited_fraction",
        }
        & tags
    )
    assert "diag/q_values" in acc.Tags()["histograms"] or any(
        "q_values" in t for t in acc.Tags()["tensors"]
    )
    images = acc.Tags()["images"]
    assert "pictures/policy" in images and "pictures/visits" not in images
    assert len(acc.Images("pictures/policy")) == 3
