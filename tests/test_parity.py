"""Every compiled env matches the gymnasium env it mirrors, step by step and Q-table by Q-table."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import compose_config, config_names, session_for
from rlsafe.config import build

COMPILED = [name for name in config_names("env") if name != "gym"]


def _env(name):
    return build(compose_config(f"env={name}")).env


@pytest.mark.parametrize("name", COMPILED)
def test_compiled_env_steps_like_gymnasium(name):
    """Same seed: same reset states, internal states, observations, rewards, flags and stream."""
    env = _env(name)
    assert env.compiled
    reset, step = env.kernels["env_reset"], env.kernels["env_step"]
    gym_env = env.make_gym()
    rng, state = env.make_rng(123), env.make_state()
    obs, aux = np.zeros(max(1, int(np.prod(env.observation_space.shape or (1,))))), np.zeros(0)
    observation, _ = gym_env.reset(seed=123)
    reset(env.params, state, rng, obs)
    actions = np.random.default_rng(0)
    episodes, t = 0, 0
    for _ in range(5000):
        assert np.array_equal(np.asarray(observation, dtype=np.float64).reshape(-1), obs)
        inner = gym_env.unwrapped.state if name == "cartpole" else gym_env.unwrapped.s
        assert np.array_equal(np.asarray(inner, dtype=np.float64).reshape(-1), state)
        a = int(actions.integers(env.n_actions))
        observation, reward, terminated, truncated, _ = gym_env.step(a)
        t += 1
        r, term = step(env.params, state, a, rng, obs, aux)
        assert (float(reward), bool(terminated)) == (r, term)
        assert truncated == (not terminated and t >= env.max_steps)
        if terminated or truncated:
            episodes, t = episodes + 1, 0
            observation, _ = gym_env.reset()
            reset(env.params, state, rng, obs)
    assert episodes >= 1  # CliffWalking has no time limit: random walks end rarely
    # the same consumption of the random stream: the next draw is the same
    assert gym_env.unwrapped.np_random.random() == rng.random()


@pytest.mark.parametrize("name", COMPILED)
def test_compiled_and_python_stepped_paths_learn_the_same_q_table(name):
    """``env=<name>`` and ``env=gym env.id=<its id>`` give bit-identical Q-tables and curves."""
    compiled = session_for(f"env={name}", "seed=3")
    python = session_for(f"env={name}", "seed=3", "env._target_=rlsafe.envs.gym.Gym")
    assert compiled.env.compiled and not python.env.compiled
    for n in (37, 63):  # chunk boundaries must not matter either
        a, b = compiled.train(n), python.train(n)
        assert np.array_equal(a.returns, b.returns)
        assert np.array_equal(a.lengths, b.lengths)
        assert np.array_equal(a.hparams, b.hparams)
    assert np.array_equal(compiled.q, python.q)
    assert np.array_equal(compiled.visits, python.visits)
    assert np.array_equal(compiled.clipped, python.clipped)
    assert np.array_equal(compiled.counts, python.counts)
    ea, eb = compiled.evaluate(10), python.evaluate(10)
    assert np.array_equal(ea.returns, eb.returns)
