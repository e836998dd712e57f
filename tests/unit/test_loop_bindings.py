"""The fused loop and the Python-stepped loop differ by the env's kernels alone.

Both are :mod:`rlsafe.compiled.loop` specialized with :func:`rlsafe.training.session.loop_bindings`;
this checks, for every agent (tabular on a gridworld with a cost signal, and tile-coded), that the two
paths bind the same agent kernels, discretizer and constants, so an agent that learns the same
on one path learns the same on the other once the env's steps match. The parity tests run both
paths for a few agents (``tests/parity/test_kernels.py``, ``test_tiles.py``, ``test_safe_agents.py``)."""

import pytest
from conftest import agent_class, compose_config, config_names

from rlsafe.agents.features import TileCoded
from rlsafe.config import build
from rlsafe.envs import gym as python_env
from rlsafe.training.session import ENV_BINDINGS, loop_bindings

CASES = [
    (name, env)
    for name in config_names("agent")
    for env in (
        ["env=island_navigation", "env=mountaincar discretizer=tiles"]
        if issubclass(agent_class(name), TileCoded)
        else ["env=island_navigation"]
    )
    if not (name == "true_online_sarsa_lambda" and "tiles" not in env)  # features only
]


@pytest.mark.parametrize("agent,env", CASES, ids=[f"{a} {e}" for a, e in CASES])
def test_the_two_paths_bind_the_same_but_the_env(agent, env):
    common = [*env.split(), f"agent={agent}"]
    compiled = build(compose_config(*common))
    stepped = build(compose_config(*common, "env._target_=rlsafe.envs.gym.Gym"))
    assert compiled.env.compiled and not stepped.env.compiled
    fused, _ = loop_bindings(compiled.env, compiled.discretizer, compiled.agent)
    python, _ = loop_bindings(stepped.env, stepped.discretizer, stepped.agent)
    assert fused.keys() == python.keys()
    differ = {k for k in fused if fused[k] is not python[k]}
    assert differ == set(ENV_BINDINGS)
    assert {k: python[k] for k in ENV_BINDINGS} == python_env.KERNELS
    assert all(fused[k] is compiled.env.kernels[k] for k in ("env_reset", "env_step"))
