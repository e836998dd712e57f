"""The user's own environments, outside the rlsafe package: a gymnasium env from the user's module
by id (``env=gym env.id=module:Id``), one with a tabular model ``P`` (compiled automatically, bit
for bit as in Python), and the user's own config groups (``--config-dir``), which the name check
sees. The modules and YAML are written to a temporary directory, as a user's would be."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from conftest import compose_config, session_for

from rlsafe.config import build

#: A chain of six states in the toy-text convention: actions left/right, a slip to the other side
#: with probability 0.2, reward 1 on reaching state 5 (terminal); starts in state 0 or 1.
#: ``UserChainOwnRules-v0`` keeps the same P but steps by its own rule (no slips), so its model is
#: not what it does and it must not be compiled from it.
CHAIN = """
import gymnasium
import numpy as np
from gymnasium.envs.toy_text.utils import categorical_sample

N = 6


class Chain(gymnasium.Env):
    def __init__(self, slip=0.2):
        self.observation_space = gymnasium.spaces.Discrete(N)
        self.action_space = gymnasium.spaces.Discrete(2)
        self.initial_state_distrib = np.array([0.5, 0.5, 0, 0, 0, 0])
        self.P = {s: {a: [] for a in range(2)} for s in range(N)}
        for s in range(N):
            for a in range(2):
                for p, move in ((1 - slip, 1 if a else -1), (slip, -1 if a else 1)):
                    s2 = min(max(s + move, 0), N - 1) if s != N - 1 else s
                    self.P[s][a].append((p, s2, float(s2 == N - 1 and s != N - 1), s2 == N - 1))

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.s = int(categorical_sample(self.initial_state_distrib, self.np_random))
        return self.s, {}

    def step(self, a):
        transitions = self.P[self.s][a]
        i = categorical_sample([t[0] for t in transitions], self.np_random)
        p, s2, r, terminated = transitions[i]
        self.s = int(s2)
        return self.s, r, terminated, False, {}


class OwnRules(Chain):
    def step(self, a):
        self.s = min(max(self.s + (1 if a else -1), 0), N - 1)
        return self.s, float(self.s == N - 1), self.s == N - 1, False, {}


gymnasium.register("UserChain-v0", entry_point=Chain, max_episode_steps=50)
gymnasium.register("UserChainOwnRules-v0", entry_point=OwnRules, max_episode_steps=50)
"""

#: The user's own env option: configs of their own directory, ``env/longchain.yaml``.
OWN_ENV_YAML = """
# @package _global_
defaults:
  - /discretizer: identity
  - _self_

env:
  _target_: rlsafe.envs.any_gym.AnyGym
  id: userchain:UserChain-v0
  kwargs: {slip: 0.1}
  max_episode_steps: 30

runner:
  episodes: 300
"""

TINY = [
    "runner.episodes=100",
    "runner.eval_every=100",
    "runner.eval_episodes=5",
    "logger.tensorboard=false",
]


@pytest.fixture(scope="module")
def user_dir(tmp_path_factory):
    """A directory as a user's project: the env module, and a config dir with env/longchain.yaml."""
    root = tmp_path_factory.mktemp("user")
    (root / "userchain.py").write_text(textwrap.dedent(CHAIN))
    (root / "my_configs" / "env").mkdir(parents=True)
    (root / "my_configs" / "env" / "longchain.yaml").write_text(textwrap.dedent(OWN_ENV_YAML))
    sys.path.insert(0, str(root))
    yield root
    sys.path.remove(str(root))


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """``python -m rlsafe.run`` from the user's directory, their module importable from there."""
    rlsafe_root = str(Path(__file__).resolve().parents[2])
    path = os.pathsep.join([str(cwd), rlsafe_root, os.environ.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-m", "rlsafe.run", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": path},
    )


def test_a_tabular_user_env_is_compiled_and_learns_as_in_python(user_dir):
    overrides = ("env=gym", "env.id=userchain:UserChain-v0", "discretizer=identity", "seed=4")
    compiled = session_for(*overrides)
    python = session_for(*overrides, "env._target_=rlsafe.envs.gym.Gym")
    assert compiled.env.compiled and not python.env.compiled
    a, b = compiled.train(300), python.train(300)
    assert np.array_equal(compiled.q, python.q) and np.abs(compiled.q).max() > 0
    assert np.array_equal(a.returns, b.returns) and np.array_equal(a.lengths, b.lengths)
    assert a.returns.sum() > 0  # it reached the goal
    ea, eb = compiled.evaluate(20), python.evaluate(20)
    assert np.array_equal(ea.returns, eb.returns) and np.array_equal(ea.lengths, eb.lengths)


def test_a_model_the_env_does_not_follow_is_not_compiled(user_dir, caplog):
    with caplog.at_level(logging.INFO, logger="rlsafe.envs.any_gym"):
        parts = build(
            compose_config(
                "env=gym", "env.id=userchain:UserChainOwnRules-v0", "discretizer=identity"
            )
        )
    assert not parts.env.compiled
    assert "stepped in Python" in caplog.text and "its model P" in caplog.text


def test_gymnasium_toy_text_through_env_gym_is_compiled_except_unmodelled_kwargs():
    assert build(
        compose_config("env=gym", "env.id=FrozenLake-v1", "discretizer=identity")
    ).env.compiled
    taxi = ("env=gym", "env.id=Taxi-v4", "discretizer=identity")
    assert build(compose_config(*taxi)).env.compiled
    assert not build(compose_config(*taxi, "+env.kwargs.fickle_passenger=true")).env.compiled
    assert not build(compose_config(*taxi, "+env.kwargs.render_mode=ansi")).env.compiled


@pytest.mark.slow
def test_user_env_by_module_id_from_the_command_line(user_dir, tmp_path):
    proc = _cli(
        "env=gym",
        "env.id=userchain:UserChain-v0",
        "discretizer=identity",
        *TINY,
        f"hydra.run.dir={tmp_path / 'run'}",
        cwd=user_dir,
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["env"]["id"] == "userchain:UserChain-v0" and summary["env"]["compiled"]


@pytest.mark.slow
def test_own_config_dir_adds_an_env_option(user_dir, tmp_path):
    proc = _cli(
        "--config-dir",
        "my_configs",
        "env=longchain",
        "runner.eval_every=100",
        "runner.eval_episodes=5",
        "logger.tensorboard=false",
        f"hydra.run.dir={tmp_path / 'run'}",
        cwd=user_dir,
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["episodes"] == 300 and summary["env"]["max_episode_steps"] == 30
    assert summary["env"]["kwargs"] == {"slip": 0.1}


@pytest.mark.parametrize(
    "args, message",
    [
        (["--config-dir", "my_configs", "env=longchian"], "Did you mean env=longchain?"),
        pytest.param(
            ["hydra.searchpath=[file://my_configs]", "env=longchian"],
            "Did you mean env=longchain?",
            marks=pytest.mark.slow,
        ),
        pytest.param(
            ["env=longchain"],
            "--config-dir DIR with DIR/env/longchain.yaml",
            marks=pytest.mark.slow,
        ),
        pytest.param(
            ["--config-dir", "my_configs", "env=longchain", "env.max_episode_step=10"],
            "Did you mean env.max_episode_steps?",  # checked against the user's env node
            marks=pytest.mark.slow,
        ),
    ],
)
def test_the_name_check_sees_the_users_options(user_dir, args, message):
    proc = _cli(*args, cwd=user_dir)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
