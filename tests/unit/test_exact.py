"""Exact evaluation (rlsafe/analysis/exact.py): what a run reports equals rlsafe.analysis.dp on the saved Q-table."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import compose_config, session_for
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from rlsafe.analysis import dp
from rlsafe.analysis.exact import ExactEvaluator
from rlsafe.config import build
from rlsafe.run import train

SMALL = [
    "runner.episodes=300",
    "runner.eval_every=100",
    "runner.chunk_episodes=100",
    "runner.eval_episodes=20",
]


def _evaluator(*overrides):
    parts = build(compose_config(*overrides))
    return parts, ExactEvaluator.for_run(parts.env, parts.agent)


def _by_hand(model, q, gamma, horizon):
    """The documented definitions, composed from rlsafe.analysis.dp in the test."""
    pi = dp.greedy_ties(q)
    value = dp.start_value(model, dp.policy_value(model, pi, gamma))
    v_star, q_star = dp.value_iteration(model, gamma)
    optimum = dp.start_value(model, dp.policy_value(model, dp.greedy_ties(q_star), gamma))
    random = dp.start_value(model, dp.policy_value(model, dp.uniform_policy(model), gamma))
    optimal = q_star >= v_star[:, None] - 1e-9 * max(1.0, np.abs(v_star).max())
    greedy = q == q.max(axis=1, keepdims=True)
    good = (~greedy | optimal).all(axis=1)
    decision = dp.reachable_states(model)
    return {
        "value": value,
        "optimality": (value - random) / (optimum - random),
        "optimal_action_fraction": good[decision].mean(),
        "return": dp.start_value(model, dp.horizon_value(model, pi, horizon)),
    }


@pytest.mark.parametrize("env", ["frozenlake", "taxi"])
def test_run_reports_what_dp_computes_from_the_saved_q_table(tmp_path, env):
    run_dir = tmp_path / "run"
    train(compose_config(f"env={env}", *SMALL), str(run_dir))
    summary = json.loads((run_dir / "summary.json").read_text())
    with np.load(run_dir / "q_table.npz") as saved:
        q = saved["q"]
    parts = build(compose_config(f"env={env}"))
    model, gamma = parts.env.model(), parts.agent.config.gamma
    expected = _by_hand(model, q, gamma, parts.env.max_steps)
    assert summary["eval_optimality"] == pytest.approx(expected["optimality"], rel=1e-12)
    assert summary["eval_optimal_action_fraction"] == expected["optimal_action_fraction"]
    assert summary["eval_exact_value"] == pytest.approx(expected["value"], rel=1e-12)
    assert summary["eval_exact_return"] == pytest.approx(expected["return"], rel=1e-12)
    assert summary["evaluations"][-1]["exact_optimality"] == summary["eval_optimality"]
    assert summary["exact"]["gamma"] == gamma
    assert summary["exact"]["horizon"] == parts.env.max_steps
    assert summary["eval_optimality"] < 1.0  # 300 episodes are not enough to be optimal
    acc = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})
    acc.Reload()
    for tag, key in (
        ("eval/optimality", "optimality"),
        ("eval/exact_value", "value"),
        ("eval/optimal_action_fraction", "optimal_action_fraction"),
        ("eval/exact_return", "return"),
    ):
        points = acc.Scalars(tag)
        assert [p.step for p in points] == [100, 200, 300]
        assert points[-1].value == pytest.approx(expected[key], rel=1e-6)  # stored as float32
    assert "hparams/eval_optimality" in acc.Tags()["scalars"]


@pytest.mark.parametrize(
    "overrides",
    [
        ["env=frozenlake"],
        ["env=taxi"],
        ["env=cliffwalking"],
        ["env=frozenlake8x8"],
        ["env=cliffwalking", "agent.gamma=1.0"],
    ],
)
def test_an_optimal_q_scores_one_and_bad_policies_less(overrides):
    parts, exact = _evaluator(*overrides)
    model, gamma = parts.env.model(), parts.agent.config.gamma
    q_star = dp.value_iteration(model, gamma)[1]
    best = exact(q_star)
    assert best["optimality"] == 1.0 and best["optimal_action_fraction"] == 1.0
    assert best["value"] == exact.optimal_value
    # all ties: the greedy policy is the uniformly random one, optimality 0 by definition
    uniform = exact(np.zeros_like(q_star))
    assert uniform["optimality"] == pytest.approx(0.0, abs=1e-12)
    assert uniform["optimal_action_fraction"] < 1.0
    # acting on -Q* prefers the worst actions
    worst = exact(-q_star)
    assert worst["optimal_action_fraction"] < 0.5
    if worst["optimality"] is not None:
        assert worst["optimality"] < 1.0


def test_values_depend_only_on_the_tie_sets():
    parts, exact = _evaluator("env=taxi")
    q_star = dp.value_iteration(parts.env.model(), parts.agent.config.gamma)[1]
    assert exact(q_star) == exact(2.0 * q_star + 7.0)  # the same greedy policy


def test_a_policy_that_never_ends_has_no_undiscounted_value():
    """gamma = 1, no time limit: an episode that loops forever has no finite return."""
    parts, exact = _evaluator("env=cliffwalking", "agent.gamma=1.0")
    assert exact.horizon is None
    q = np.zeros((48, 4))
    q[:, 3] = 1.0  # always left: from the start (36, the left edge) the agent bumps the wall
    result = exact(q)
    assert result["value"] is None and result["optimality"] is None and result["return"] is None
    assert 0.0 <= result["optimal_action_fraction"] < 1.0


def test_decision_states_exclude_terminal_and_unreachable_ones():
    assert _evaluator("env=frozenlake")[1].decision_states.sum() == 11  # 16 less 4 holes, goal
    assert _evaluator("env=cliffwalking")[1].decision_states.sum() == 37  # 48 less cliff, goal
    assert _evaluator("env=taxi")[1].decision_states.sum() == 400  # passenger never delivered
    assert ExactEvaluator.for_run(build(compose_config("env=cartpole")).env, None) is None


def test_exact_return_is_what_the_sampled_evaluation_estimates():
    """FrozenLake's optimal (gamma 0.99) policy under the 100-step limit: sampled vs exact."""
    parts, exact = _evaluator("env=frozenlake", "seed=3")
    session = session_for("env=frozenlake", "seed=3")
    session.q[:] = dp.value_iteration(parts.env.model(), parts.agent.config.gamma)[1]
    returns = session.evaluate(20_000).returns
    expected = exact(session.q)["return"]
    assert expected == exact.optimal_policy_return
    assert abs(returns.mean() - expected) < 4 * returns.std() / np.sqrt(returns.size)
    # the infinite-horizon success probability is higher than the time-limited one
    assert exact.optimal_policy_return < dp.start_value(
        parts.env.model(), dp.policy_value(parts.env.model(), dp.greedy_ties(session.q), 1.0)
    )
