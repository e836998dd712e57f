"""Every compiled env matches the gymnasium env it mirrors, step by step and Q-table by Q-table."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from conftest import compose_config, config_names, session_for

from rlsafe.config import ConfigError, build

COMPILED = [name for name in config_names("env") if name != "gym"]
#: each compiled env with its YAML's settings, plus the other rule sets a compiled env takes
VARIANTS = [(name,) for name in COMPILED] + [
    ("blackjack", "env.kwargs.sab=false"),
    ("blackjack", "env.kwargs.sab=false", "env.kwargs.natural=true"),
    ("mountaincar", "+env.kwargs.goal_velocity=0.01"),
]


def _ids(variant):
    return " ".join(variant)


@pytest.mark.parametrize("variant", VARIANTS, ids=_ids)
def test_compiled_env_steps_like_gymnasium(variant):
    """Same seed: same reset states, internal states, observations, rewards, flags and stream."""
    parts = build(compose_config(f"env={variant[0]}", *variant[1:]))
    env = parts.env
    assert env.compiled
    reset, step = env.kernels["env_reset"], env.kernels["env_step"]
    gym_env = env.make_gym()
    rng, state = env.make_rng(123), env.make_state()
    obs, aux = np.zeros(parts.discretizer.obs_dim), np.zeros(len(env.aux_names))

    def same_state(observation):
        assert np.array_equal(np.asarray(observation, dtype=np.float64).reshape(-1), obs)
        assert np.array_equal(env.gym_state(gym_env), state)

    observation, _ = gym_env.reset(seed=123)
    reset(env.params, state, rng, obs)
    actions = np.random.default_rng(0)
    episodes, t = 0, 0
    for _ in range(5000):
        same_state(observation)
        a = int(actions.integers(env.n_actions))
        observation, reward, terminated, truncated, _ = gym_env.step(a)
        t += 1
        r, term = step(env.params, state, a, rng, obs, aux)
        assert (float(reward), bool(terminated)) == (r, term)
        assert truncated == (t >= env.max_steps)  # gymnasium's TimeLimit: even if terminated
        if terminated or truncated:
            episodes, t = episodes + 1, 0
            observation, _ = gym_env.reset()
            reset(env.params, state, rng, obs)
    assert episodes >= 1  # CliffWalking has no time limit: random walks end rarely
    for _ in range(300):  # many more starts (Acrobot's first observation is float32 arithmetic)
        same_state(observation)
        observation, _ = gym_env.reset()
        reset(env.params, state, rng, obs)
    # the same consumption of the random stream: the next draw is the same
    assert gym_env.unwrapped.np_random.random() == rng.random()


#: The fast subset's envs of the next test (a table env, a bins env); each other compiles two loops.
FAST = [("frozenlake",), ("cartpole",)]


@pytest.mark.parametrize(
    "variant",
    [v if v in FAST else pytest.param(v, marks=pytest.mark.slow) for v in VARIANTS],
    ids=_ids,
)
def test_compiled_and_python_stepped_paths_learn_the_same_q_table(variant):
    """``env=<name>`` and ``env=gym env.id=<its id>`` give bit-identical Q-tables and curves."""
    overrides = (f"env={variant[0]}", *variant[1:], "seed=3")
    compiled = session_for(*overrides)
    python = session_for(*overrides, "env._target_=rlsafe.envs.gym.Gym")
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
    assert np.array_equal(ea.starts, eb.starts) and np.array_equal(ea.discounted, eb.discounted)


def test_acrobot_float32_sin_cos_are_numpys():
    """Acrobot's first observation is numpy's float32 SIMD sin/cos: repeated bit for bit."""
    from rlsafe.envs.acrobot import cos_f32, sin_f32

    @numba.njit
    def both(x, c, s):
        for i in range(x.shape[0]):
            c[i] = cos_f32(x[i])
            s[i] = sin_f32(x[i])

    rng = np.random.default_rng(0)
    x = np.concatenate(
        [rng.uniform(-0.1, 0.1, 2_000_000), rng.uniform(-50, 50, 200_000), [0.0, -0.0, 0.1, -0.1]]
    ).astype(np.float32)
    c, s = np.empty_like(x), np.empty_like(x)
    both(x, c, s)
    assert np.array_equal(c.view(np.int32), np.cos(x).view(np.int32))
    assert np.array_equal(s.view(np.int32), np.sin(x).view(np.int32))


def test_blackjack_tuple_observation_is_one_mixed_radix_state():
    parts = build(compose_config("env=blackjack"))
    disc = parts.discretizer
    assert (disc.n_states, disc.obs_dim) == (32 * 11 * 2, 3)
    clipped = np.zeros(3, dtype=np.int64)
    obs = np.array([21.0, 10.0, 1.0])
    assert disc.kernel(disc.params, obs, clipped) == (21 * 11 + 10) * 2 + 1
    assert not clipped.any()


def test_identity_refuses_a_tuple_with_a_box():
    import gymnasium

    from rlsafe.discretizers.identity import Identity, IdentityConfig

    space = gymnasium.spaces.Tuple((gymnasium.spaces.Discrete(3), gymnasium.spaces.Box(0, 1)))
    with pytest.raises(ValueError, match="Tuple or 1-D MultiDiscrete of Discrete"):
        Identity(IdentityConfig(), space)
    multi = Identity(IdentityConfig(), gymnasium.spaces.MultiDiscrete([3, 4], start=[1, -2]))
    clipped = np.zeros(2, dtype=np.int64)
    assert multi.n_states == 12
    assert multi.kernel(multi.params, np.array([3.0, -2.0]), clipped) == 2 * 4 + 0


@pytest.mark.parametrize("env_id", ["Pendulum-v1", "MountainCarContinuous-v0"])
def test_continuous_actions_need_action_bins(env_id):
    with pytest.raises(ConfigError, match=r"env.action_bins=N"):
        build(compose_config("env=gym", f"env.id={env_id}"))


def test_action_bins_discretize_a_continuous_action_space():
    """Pendulum with 5 action bins: torques at the bins' centres, learned in Python steps."""
    overrides = (
        "env=gym",
        "env.id=Pendulum-v1",
        "env.action_bins=5",
        "discretizer.bins=4",
        "env.max_episode_steps=20",
    )
    parts = build(compose_config(*overrides))
    assert parts.env.n_actions == 5
    gym_env = parts.env.make_gym()
    assert [float(gym_env.action(a)[0]) for a in range(5)] == pytest.approx(
        [-1.6, -0.8, 0, 0.8, 1.6], abs=1e-6
    )
    session = session_for(*overrides)
    chunk = session.train(3)
    assert chunk.steps == 60 and (session.visits.sum(axis=0) > 0).all()
    with pytest.raises(ConfigError, match="for continuous"):
        build(compose_config("env=gym", "env.id=CartPole-v1", "env.action_bins=5"))
