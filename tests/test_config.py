"""Bad input fails before any work, with a message naming the key, the value and what is allowed.

These run the real command line, because the promise is about what a user sees: the message, a
non-zero exit status, and no run directory left behind.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import compose_config
from rlsafe.config import ConfigError, build

CASES = [
    # (overrides, words the message must contain)
    (["agent.alpha=abc"], ["agent.alpha", "abc", "Float"]),
    (["agent.alpha=1.5"], ["agent.alpha=1.5", "(0, 1]"]),
    (["agent.gamma=-1"], ["agent.gamma=-1", "[0, 1]"]),
    (["agent.epsilon=2"], ["agent.epsilon=2", "[0, 1]"]),
    (["agent=nope"], ["agent=nope", "options", "qlearning"]),
    (["env=nope"], ["env=nope", "options", "cartpole", "taxi"]),
    (["discretizer.bins=0"], ["discretizer.bins=0", ">= 1"]),
    (["discretizer.bins=[1,2]"], ["discretizer.bins", "4 dimensions"]),
    (["discretizer.low=[0,0,0,0]", "discretizer.high=[0,1,1,1]"], ["low", "high", "dimension 0"]),
    (["agent.alpah=0.1"], ["agent.alpah", "Did you mean agent.alpha?"]),
    (["runner.episods=3"], ["runner.episods", "Did you mean runner.episodes?"]),
    (["agent=qlerning"], ["agent=qlerning", "Did you mean agent=qlearning?"]),
    (["env=cartpol"], ["env=cartpol", "Did you mean env=cartpole?", "taxi"]),
    (["discretizer=bin"], ["discretizer=bin", "Did you mean discretizer=bins?", "identity"]),
    (["env=taxi", "discretizer.bins=3"], ["discretizer.bins", "discretizer has"]),
    (["runner.episodes=0"], ["runner.episodes=0", ">= 1"]),
    (["env=frozenlake", "discretizer=bins"], ["Discrete", "discretizer=identity"]),
    (["env=cartpole", "discretizer=identity"], ["bins"]),
    (["env=gym"], ["env.id", "required"]),
    (["env=gym", "env.id=CartPol-v1"], ["CartPol-v1", "Did you mean", "CartPole-v1"]),
    (["env=gym", "env.id=CartPole-v1"], ["unbounded", "discretizer.low"]),
    (["env=gym", "env.id=Pendulum-v1"], ["Discrete", "action space"]),
    (["discretizer.bins=1000", "runner.max_table_mb=100"], ["MiB", "runner.max_table_mb"]),
    (["agent.epsilon_schedule.kind=cubic"], ["agent.epsilon_schedule.kind", "cubic"]),
    (["seed=-1"], ["seed=-1"]),
]


@pytest.mark.parametrize("overrides,words", CASES, ids=[" ".join(c[0]) for c in CASES])
def test_bad_input_fails_early_with_a_clear_message(tmp_path, overrides, words):
    run_dir = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "rlsafe.run", *overrides, f"hydra.run.dir={run_dir}"],
        capture_output=True, text=True, timeout=120,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    for word in words:
        assert word in output, f"{word!r} not in:\n{output}"
    assert "Traceback" not in output
    assert not run_dir.exists(), "a bad config must not leave a run directory"


def test_unknown_group_key_gets_did_you_mean():
    """A key that slips past Hydra (appended with +) is named with the closest real one."""
    with pytest.raises(ConfigError, match=r"agent.alpah .*Did you mean agent.alpha\?"):
        build(compose_config("+agent.alpah=0.1"))


def test_good_overrides_are_typed():
    parts = build(compose_config("agent.alpha=0.5", "agent.epsilon_schedule.kind=exponential",
                                 "agent.epsilon_schedule.end=0.01", "discretizer.bins=3"))
    assert parts.agent.config.alpha == 0.5
    assert parts.discretizer.bins.tolist() == [3, 3, 3, 3]
    assert parts.discretizer.n_states == 81


def test_an_env_yaml_tunes_the_agent_and_the_command_line_still_wins():
    """configs/env/blackjack.yaml sets gamma 1: the env is merged after the agent's defaults."""
    assert compose_config("env=blackjack").agent.gamma == 1.0
    assert compose_config("env=blackjack", "agent=sarsa").agent.gamma == 1.0
    assert compose_config("env=blackjack", "agent.gamma=0.9").agent.gamma == 0.9
    assert compose_config("env=taxi").agent.gamma == 0.99
