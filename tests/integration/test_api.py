"""rlsafe from Python: the same run as the command line, returned in memory."""

from __future__ import annotations

import json

import numpy as np
import pytest

import rlsafe
from rlsafe.config import ConfigError

SMALL = ("env=frozenlake", "runner.episodes=300", "runner.evaluations=3", "runner.eval_episodes=20")


def test_a_job_in_memory_equals_the_run_directory_it_keeps(tmp_path):
    kept = rlsafe.train(*SMALL, "seeds=2", run_dir=tmp_path / "run")
    memory = rlsafe.train(*SMALL, "seeds=2")
    assert memory.run_dir is None and kept.run_dir == tmp_path / "run"
    assert memory.seeds == kept.seeds == [0, 1]
    assert memory.q.shape == (2, 16, 4) and np.array_equal(memory.q, kept.q)
    assert np.array_equal(memory.visits, kept.visits)
    on_disk = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert memory.summary["aggregate"] == on_disk["aggregate"]
    assert memory.value == on_disk["aggregate"]["value"]
    for i, seed in enumerate(memory.seeds):
        episodes = memory.episodes[i]
        assert episodes.shape == (300,)
        assert np.array_equal(episodes, np.load(tmp_path / "run" / f"seed_{seed}" / "episodes.npy"))
        assert episodes["length"].sum() == on_disk["runs"][i]["env_steps"]
        assert [e["episode"] for e in memory.evaluations[i]] == [100, 200, 300]
    assert "FrozenLake-v1 QLearning" in repr(memory)


def test_a_composed_config_can_be_edited_and_is_checked():
    config = rlsafe.compose(*SMALL)
    config.agent.alpha = 0.5
    result = rlsafe.train(config=config)
    assert result.q.shape == (16, 4) and result.summary["seed"] == 0
    assert result.episodes[0].shape == (300,)
    config.agent.alpha = -1.0
    with pytest.raises(ConfigError, match="agent.alpha"):
        rlsafe.train(config=config)
    with pytest.raises(ConfigError, match="did you mean|Did you mean"):
        rlsafe.train("env=frozenlake", "agent.alhpa=0.1")


def test_a_finished_run_directory_is_refused(tmp_path):
    rlsafe.train(*SMALL, run_dir=tmp_path / "run")
    before = (tmp_path / "run" / "summary.json").read_bytes()
    with pytest.raises(ConfigError, match="already holds a finished run"):
        rlsafe.train(*SMALL, run_dir=tmp_path / "run")
    assert (tmp_path / "run" / "summary.json").read_bytes() == before


def test_help_names_the_results():
    assert "Q-table" in rlsafe.Result.__doc__ and "episodes" in rlsafe.Result.__doc__
    assert "python -m rlsafe.run" in rlsafe.train.__doc__
