"""rlsafe.analysis.run_warnings: each warning on a run made to fail that way, and none on a healthy run."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from conftest import compose_config, events

from rlsafe.analysis.run_warnings import RunWarnings
from rlsafe.config import build
from rlsafe.training.runner import run

TINY = [
    "runner.episodes=200",
    "runner.eval_every=100",
    "runner.chunk_episodes=100",
    "runner.eval_episodes=5",
]


def _warnings(tmp_path, caplog, *overrides):
    """Run in-process; the warning messages logged, and the TensorBoard text tag's count."""
    with caplog.at_level(logging.WARNING, logger="rlsafe.training.runner"):
        run(build(compose_config(*overrides)), tmp_path / "run")
    logged = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    tags = events(tmp_path / "run").Tags()["tensors"]
    return logged, tags


def test_unvisited_states_warn_once(tmp_path, caplog):
    logged, tags = _warnings(
        tmp_path, caplog, *TINY, "env=cartpole", "discretizer.bins=40", "runner.episodes=300"
    )
    unvisited = [m for m in logged if "never visited" in m]
    assert len(unvisited) == 1 and "discretizer.bins" in unvisited[0]  # once, at 2 evaluations
    assert "warnings" in tags


def test_clipped_dimension_names_its_range(tmp_path, caplog):
    logged, _ = _warnings(
        tmp_path,
        caplog,
        *TINY,
        "env=cartpole",
        "discretizer.low=[-2.4,-3.0,-0.001,-3.5]",
        "discretizer.high=[2.4,3.0,0.001,3.5]",
    )
    clipped = [m for m in logged if "clipped" in m]
    assert len(clipped) == 1 and "discretizer.low[2]" in clipped[0]


def test_flat_evaluation_at_epsilon_floor(tmp_path, caplog):
    logged, _ = _warnings(
        tmp_path,
        caplog,
        "env=frozenlake8x8",
        "agent.epsilon=0",
        "agent.epsilon_schedule.end=0",
        "agent.alpha=1e-6",
        "runner.episodes=400",
        "runner.eval_every=100",
        "runner.eval_episodes=20",
    )
    assert sum("epsilon is at its floor" in m for m in logged) == 1


def test_healthy_taxi_run_warns_nothing(tmp_path, caplog):
    logged, tags = _warnings(tmp_path, caplog, "env=taxi")
    assert logged == []
    assert "warnings" not in tags


def _check(w, q, **kw):
    args = dict(
        episode=100,
        q=q,
        visits=np.ones_like(q, dtype=np.int64),
        clipped=np.zeros(1, np.int64),
        observations=10,
        train_mean=0.0,
        epsilon=None,
        eval_mean=0.0,
    )
    args.update(kw)
    return [kind for kind, _ in w.check(**args)]


class _Agent:
    gamma = 0.9


def test_train_far_above_eval():
    w = RunWarnings(1000, _Agent(), ("alpha", "epsilon", "gamma"))
    assert _check(w, np.zeros((4, 2)), train_mean=0.9, eval_mean=0.0) == ["train_above_eval"]
    assert _check(w, np.zeros((4, 2)), train_mean=0.9, eval_mean=0.0) == []  # once per run
    fresh = RunWarnings(1000, _Agent(), ("alpha", "epsilon", "gamma"))
    assert _check(fresh, np.zeros((4, 2)), train_mean=0.2, eval_mean=0.0) == []


def test_q_beyond_the_bound_of_any_policy():
    w = RunWarnings(1000, _Agent(), (), r_max=1.0)  # bound 1 / (1 - 0.9) = 10
    assert _check(w, np.full((4, 2), 9.9)) == []
    assert _check(w, np.full((4, 2), 10.5)) == ["q_diverging"]


@pytest.mark.parametrize("factor, fires", [(2.0, True), (1.2, False)])
def test_q_growing_without_a_model(factor, fires):
    w = RunWarnings(1000, _Agent(), ())  # no model: no bound, growth instead
    kinds = [k for i in range(6) for k in _check(w, np.full((4, 2), 1e6 * factor**i))]
    assert (kinds == ["q_diverging"]) == fires


def test_a_restored_run_neither_repeats_nor_forgets_a_warning():
    import json

    w = RunWarnings(1000, _Agent(), ())
    assert _check(w, np.zeros((4, 2)), train_mean=0.9, eval_mean=0.0) == ["train_above_eval"]
    state = json.loads(json.dumps(w.state()))  # checkpoints keep it as JSON
    resumed = RunWarnings(1000, _Agent(), ()).restore(state)
    assert _check(resumed, np.zeros((4, 2)), train_mean=0.9, eval_mean=0.0) == []
    assert resumed.evals == [0.0, 0.0] and resumed.scale == w.scale
    assert _check(
        RunWarnings(1000, _Agent(), ()).restore(None),
        np.zeros((4, 2)),
        train_mean=0.9,
        eval_mean=0.0,
    ) == ["train_above_eval"]
