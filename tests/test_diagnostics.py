"""rlsafe.diagnostics' exact gaps: value gap to V* and calibration, on FrozenLake's model."""

from __future__ import annotations

import numpy as np
from conftest import compose_config, events

from rlsafe import dp
from rlsafe.config import build
from rlsafe.diagnostics import Diagnostics
from rlsafe.exact import ExactEvaluator
from rlsafe.runner import run
from rlsafe.session import Session


def _frozenlake():
    parts = build(compose_config("env=frozenlake"))
    return parts, ExactEvaluator.for_run(parts.env, parts.agent)


def test_optimal_q_has_no_gap_and_shifted_q_is_over_optimistic_by_the_shift():
    _, exact = _frozenlake()
    q_star = dp.q_from_v(exact.model, exact.v_star, exact.gamma)
    visits = np.ones(q_star.shape, dtype=np.int64)
    scalars, _ = Diagnostics()(q_star, visits, exact, exact(q_star))
    assert scalars["diag/value_gap_max"] < 1e-9 and scalars["diag/start_value_gap"] < 1e-9
    assert abs(scalars["diag/calibration_error"]) < 1e-9
    shifted = q_star + 0.25  # the same greedy policy, valued 0.25 too high everywhere
    scalars, _ = Diagnostics()(shifted, visits, exact, exact(shifted))
    assert abs(scalars["diag/value_gap_mean"] - 0.25) < 1e-9
    assert abs(scalars["diag/calibration_error"] - 0.25) < 1e-9


def test_gaps_only_over_visited_states():
    _, exact = _frozenlake()
    q = np.zeros((exact.v_star.shape[0], 4))
    visits = np.zeros(q.shape, dtype=np.int64)
    visits[0, 0] = 1
    scalars, _ = Diagnostics()(q, visits, exact, exact(q))
    assert abs(scalars["diag/value_gap_max"] - abs(exact.v_star[0])) < 1e-12


def test_run_logs_the_gaps_with_a_model_only(tmp_path):
    small = ["runner.episodes=200", "runner.eval_every=100", "runner.eval_episodes=5"]
    run(build(compose_config("env=frozenlake", *small)), tmp_path / "fl")
    tags = events(tmp_path / "fl").Tags()["scalars"]
    for tag in ("value_gap_mean", "value_gap_max", "start_value_gap", "calibration_error"):
        assert f"diag/{tag}" in tags
    run(build(compose_config("env=cartpole", *small)), tmp_path / "cp")
    tags = events(tmp_path / "cp").Tags()["scalars"]
    assert "diag/value_gap_mean" not in tags and "diag/calibration_error" in tags  # sampled


def test_sampled_calibration_is_exact_on_a_deterministic_env_without_a_model():
    """Python-stepped deterministic FrozenLake (no model in the run): with Q* the agent's start
    value is the discounted return its greedy policy gets; Q* + 0.25 is 0.25 over-optimistic."""
    _, exact = _frozenlake_deterministic()
    parts = build(compose_config("env=frozenlake", "+env.kwargs.is_slippery=false",
                                 "env._target_=rlsafe.envs.gym.Gym", "agent.gamma=0.9"))
    session = Session(parts.env, parts.discretizer, parts.agent, 0, 100)
    q_star = dp.q_from_v(exact.model, exact.v_star, exact.gamma)
    session.tables[0][:] = q_star
    visits = np.ones(q_star.shape, dtype=np.int64)
    evaluation = session.evaluate(5)
    assert evaluation.starts.tolist() == [0] * 5 and evaluation.returns.tolist() == [1.0] * 5
    assert np.allclose(evaluation.discounted, 0.9 ** 5)  # the goal at the sixth step
    scalars, _ = Diagnostics()(q_star, visits, None, None, evaluation)
    assert abs(scalars["diag/calibration_error"]) < 1e-12
    scalars, _ = Diagnostics()(q_star + 0.25, visits, None, None, evaluation)
    assert abs(scalars["diag/calibration_error"] - 0.25) < 1e-12


def _frozenlake_deterministic():
    parts = build(compose_config("env=frozenlake", "+env.kwargs.is_slippery=false",
                                 "agent.gamma=0.9"))
    return parts, ExactEvaluator.for_run(parts.env, parts.agent)
