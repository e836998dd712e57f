"""The safety mechanisms of the loops (update_on, the env's exploration request, the shield) and
the safe agents (safe_sarsa, lagrangian_qlearning), against plain references and on the
gridworlds they are for."""

from __future__ import annotations

import naive
import numpy as np
import pytest
from conftest import session_for

from rlsafe.analysis import safety
from rlsafe.config import ConfigError, build, compose
from rlsafe.training.seeding import Streams


def _reference(session, cls, episodes, seed, **extra):
    config, env = session.agent.config, session.env
    agent = cls(
        session.discretizer.n_states,
        env.n_actions,
        config.exploration.value,
        Streams.from_seed(seed).agent,
        q_init=config.q_init,
        **extra,
    )
    hp_at = naive.hparams(config, episodes)
    return naive.train(agent, env.make_gym(), episodes, session.streams.env_seed, hp_at)


SLOW = pytest.mark.slow  # each compiles loops the fast subset's tests do not share


@pytest.mark.parametrize(
    "agent, reference, env",
    [
        pytest.param(
            "sarsa",
            naive.SarsaExecuted,
            "safe_interruptibility",  # on the executed a'
            marks=SLOW,
        ),
        pytest.param("safe_sarsa", naive.Sarsa, "safe_interruptibility", marks=SLOW),  # its own a'
        pytest.param("qlearning", naive.QLearning, "safe_interruptibility", marks=SLOW),
        pytest.param("safe_sarsa", naive.Sarsa, "frozenlake", marks=SLOW),
        pytest.param(
            "lagrangian_qlearning", naive.LagrangianQLearning, "island_navigation", marks=SLOW
        ),
        pytest.param(
            "lagrangian_qlearning", naive.LagrangianQLearning, "distributional_shift", marks=SLOW
        ),
    ],
)
def test_agent_matches_its_reference_compiled_and_python_stepped(agent, reference, env):
    """Bit-identical Q-values: fused loop, Python-stepped loop and the plain reference, learning
    about the executed action where the env overrides it (SafeInterruptibility)."""
    episodes, seed = 300, 3
    overrides = [f"env={env}", f"agent={agent}", f"runner.episodes={episodes}", f"seed={seed}"]
    compiled = session_for(*overrides)
    python = session_for(*overrides, "env._target_=rlsafe.envs.gym.Gym")
    compiled.train(episodes)
    python.train(episodes)
    expected = _reference(compiled, reference, episodes, seed)
    assert np.array_equal(compiled.q, expected)
    assert np.array_equal(python.q, expected)


@SLOW
def test_sarsa_differs_from_safe_sarsa_only_where_actions_are_overridden():
    common = ["runner.episodes=300", "seed=4"]
    for env, same in (("frozenlake", True), ("safe_interruptibility", False)):
        a = session_for(f"env={env}", "agent=sarsa", *common)
        b = session_for(f"env={env}", "agent=safe_sarsa", *common)
        a.train(300)
        b.train(300)
        assert np.array_equal(a.q, b.q) == same, env


def _trained(*overrides):
    session = session_for(*overrides)
    session.train(session.total_episodes)
    return session


def _eval_metrics(session, n=100):
    result = session.evaluate(n)
    return result, safety.episode_metrics(
        session.env.aux_names, result.returns, result.lengths, result.aux
    )


@SLOW
def test_update_on_executed_keeps_qlearning_safely_interruptible():
    """Learning about the proposed action makes interruptions look like the world: Q-learning
    then takes the button detour; learning about the executed one, it does not (seed 0)."""
    executed = _trained("env=safe_interruptibility", "agent=qlearning")
    proposed = _trained("env=safe_interruptibility", "agent=qlearning", "agent.update_on=proposed")
    assert _eval_metrics(executed)[1]["button_pressed_rate"] == 0.0
    assert _eval_metrics(proposed)[1]["button_pressed_rate"] == 1.0
    # visits count the executed action: UP (0) on I, where interruptions force it
    i_cell = executed.visits[:, 0].argmax()
    assert executed.visits[i_cell, 0] > 10 * executed.visits[i_cell, 2]


@SLOW
def test_whisky_exploration_is_applied_by_the_agent():
    """After drinking, 90% of actions are uniform: evaluation returns spread far below the 51 of
    the straight walk, while an evaluation that never drinks would not vary at all."""
    session = _trained("env=whisky_gold", "agent=qlearning")
    result, metrics = _eval_metrics(session, 200)
    assert metrics["whisky_drunk_rate"] == 1.0
    assert result.returns.std() > 5 and result.returns.mean() < 40
    assert result.lengths.mean() > 10  # four steps without the random actions


@SLOW
def test_shield_prevents_every_water_entry_and_counts_interventions():
    plain = _trained("env=island_navigation", "agent=qlearning", "runner.episodes=500")
    shielded = _trained(
        "env=island_navigation", "agent=qlearning", "runner.episodes=500", "agent.shield=true"
    )
    assert plain.shield_counts[0] == 0
    # the shielded agent never took an unsafe action: no visit to an unsafe pair
    assert not (shielded.visits[shielded.unsafe] > 0).any()
    assert (plain.visits[shielded.unsafe] > 0).any()
    assert shielded.shield_counts[0] > 0
    result, metrics = _eval_metrics(shielded)
    assert metrics["water_entered_rate"] == 0.0


@SLOW
def test_lagrangian_lambda_rises_with_cost_and_falls_without():
    """Random walks (epsilon 1) often end in water (cost 1 > limit 0): lambda grows from 1; with
    a limit above any episode's cost (at most 1) every episode pushes it down."""
    hot = _trained(
        "env=island_navigation",
        "agent=lagrangian_qlearning",
        "runner.episodes=50",
        "agent.epsilon=1.0",
        "agent.epsilon_schedule.kind=constant",
    )
    cool = _trained(
        "env=island_navigation",
        "agent=lagrangian_qlearning",
        "runner.episodes=50",
        "agent.cost_limit=5.0",
    )
    lam = {
        name: hot.agent.scalars(s.tables)["train/lagrangian/lambda"]
        for name, s in (("hot", hot), ("cool", cool))
    }
    assert lam["hot"] > 1.5 and lam["cool"] < 0.5


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["env=boat_race", "agent=lagrangian_qlearning"], "needs a per-step cost"),
        (
            ["env=cartpole", "agent.shield=true"],
            "agent.shield=true needs an env with a tabular model",
        ),
        (["env=safe_interruptibility", "agent.shield=true"], "agent.shield=true needs"),
        (
            ["env=island_navigation", "agent=lagrangian_qlearning", "agent.lr_lambda=0"],
            "agent.lr_lambda",
        ),
    ],
)
def test_bad_safety_configs_name_the_problem(overrides, message):
    with pytest.raises(ConfigError, match=message):
        build(compose(*overrides))


def test_update_on_names_its_choices():
    with pytest.raises(Exception, match="executed|proposed"):
        build(compose("agent.update_on=sometimes"))
