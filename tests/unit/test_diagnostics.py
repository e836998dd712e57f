"""rlsafe.output.diagnostics' exact gaps: value gap to V* and calibration, on FrozenLake's model."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import compose_config, events

from rlsafe.analysis import dp
from rlsafe.analysis.exact import ExactEvaluator
from rlsafe.config import build
from rlsafe.output.diagnostics import Diagnostics
from rlsafe.training.runner import run
from rlsafe.training.session import Session


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
    parts = build(
        compose_config(
            "env=frozenlake",
            "+env.kwargs.is_slippery=false",
            "env._target_=rlsafe.envs.gym.Gym",
            "agent.gamma=0.9",
        )
    )
    session = Session(parts.env, parts.discretizer, parts.agent, 0, 100)
    q_star = dp.q_from_v(exact.model, exact.v_star, exact.gamma)
    session.tables[0][:] = q_star
    visits = np.ones(q_star.shape, dtype=np.int64)
    evaluation = session.evaluate(5)
    assert evaluation.starts.tolist() == [0] * 5 and evaluation.returns.tolist() == [1.0] * 5
    assert np.allclose(evaluation.discounted, 0.9**5)  # the goal at the sixth step
    scalars, _ = Diagnostics()(q_star, visits, None, None, evaluation)
    assert abs(scalars["diag/calibration_error"]) < 1e-12
    scalars, _ = Diagnostics()(q_star + 0.25, visits, None, None, evaluation)
    assert abs(scalars["diag/calibration_error"] - 0.25) < 1e-12


def _frozenlake_deterministic():
    parts = build(
        compose_config("env=frozenlake", "+env.kwargs.is_slippery=false", "agent.gamma=0.9")
    )
    return parts, ExactEvaluator.for_run(parts.env, parts.agent)


def test_huge_q_values_reach_tensorboard_safely_and_are_reported_once(caplog):
    """Q-values of 1e300 that differ in the last bits: numpy.histogram cannot cut them into 64
    bins (the run ended in "Too many bins for data range"); scalars beyond float32 clip."""
    import logging

    from rlsafe.output.logger import HISTOGRAM_BINS

    q = np.full((4, 2), 1e300)
    q[0, 0] = np.nextafter(1e300, np.inf)
    visits = np.ones(q.shape, dtype=np.int64)
    diagnostics = Diagnostics()
    with caplog.at_level(logging.WARNING, logger="rlsafe.output.finite"):
        for step in (100, 200, 300):
            scalars, values = diagnostics(q, visits, step=step)
            assert values.size == 0  # the histogram is left out, not a crash
            assert scalars["diag/q_max_abs"] == float(np.finfo(np.float32).max)
            assert scalars["diag/states_visited_fraction"] == 1.0
    assert len([r for r in caplog.records if "diag/q_values" in r.message]) == 1
    assert len([r for r in caplog.records if "diag/q_max_abs" in r.message]) == 1
    assert "at episode 100" in caplog.text and "at episode 200" not in caplog.text
    q[0, 0], q[1, 1] = np.nan, -np.inf  # non-finite values: left out of the histogram
    scalars, values = diagnostics(np.where(np.isfinite(q), 1.0, q), visits)
    assert values.size == 6 and np.isfinite(values).all()
    np.histogram(values, bins=HISTOGRAM_BINS)  # what tensorboardX does with them


@pytest.mark.parametrize(
    "values",
    [
        [1e300, np.nextafter(1e300, np.inf)],
        [1e308, -1e308],
        [5.0, 5.0],
        [1e300],
        [0.0, 1.0],
        [np.nan, 1.0, np.inf],
        [np.nan],
        [-1e-300, 1e-300],
        [1e16, 1e16 + 2],
        [2.0**53, 2.0**53 + 2],
    ],
)
def test_histogram_values_are_what_numpy_can_bin_and_only_drop_what_it_cannot(values):
    from rlsafe.output.finite import histogram_values

    values = np.array(values)
    kept = histogram_values(values, 64)
    finite = values[np.isfinite(values)]
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            np.histogram(finite, bins=64)
        binnable = finite.size > 0
    except ValueError:
        binnable = False
    assert kept.size == (finite.size if binnable else 0)
    if kept.size:
        np.histogram(kept, bins=64)


def test_finite_scalars_clip_beyond_float32_leave_out_nan_and_report_each_tag_once(caplog):
    import logging

    from rlsafe.output.finite import FLOAT32_MAX, FiniteScalars

    finite = FiniteScalars()
    with caplog.at_level(logging.WARNING, logger="rlsafe.output.finite"):
        for _ in range(3):
            out = finite({"a": 1.5, "b": np.inf, "c": -1e300, "d": np.nan, "e": 3e38})
            assert out == {"a": 1.5, "b": FLOAT32_MAX, "c": -FLOAT32_MAX, "e": 3e38}
    assert len(caplog.records) == 3 and all(t in caplog.text for t in ("b is", "c is", "d is"))
