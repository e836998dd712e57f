"""Tile coding (rlsafe/discretizers/tiles.py) and the linear agents (rlsafe/agents/features)
against the plain Python references in tests/helpers/naive_tiles.py."""

from __future__ import annotations

import gymnasium
import naive
import naive_tiles
import numpy as np
import pytest
from conftest import agent_class, config_names, session_for

from rlsafe.config import ConfigError, build, compose
from rlsafe.discretizers.tiles import Tiles, TilesConfig
from rlsafe.training.seeding import Streams

SPACE = gymnasium.spaces.Box(-np.inf, np.inf, (3,), dtype=np.float64)


def _samples(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    samples = rng.uniform(-4, 5, size=(n, 3))
    samples[::97, 0] = np.nan
    samples[5] = [-1.0, 0.0, -2.0]  # exactly on the low edges
    samples[6] = [1.0, 1.0, 3.0]  # exactly on the high edges: inside, the last tiles
    return samples


def _run(disc, samples):
    state = disc.make_state()
    params = disc.session_params(state)
    clipped = np.zeros(3, dtype=np.int64)
    rows = []
    for obs in samples:
        s = disc.kernel(params, obs, clipped)
        assert 0 <= s < disc.n_states
        rows.append(state[0][s].copy())
    return np.array(rows), clipped, state


@pytest.mark.parametrize(
    "tilings, tiles, wrap",
    [
        (8, [3, 1, 5], [False, False, False]),
        (4, [2, 7, 4], [True, False, True]),
        (1, [5, 5, 5], [False, False, False]),
        (16, 4, [False, True, False]),
        (3, [6, 2, 3], [False, False, False]),  # not a power of two
    ],
)
def test_dense_tiles_match_tiles3_and_count_clipping(tilings, tiles, wrap):
    """Features: tiles3.tileswrap's coordinates numbered tiling by tiling; clipped like bins."""
    config = TilesConfig(
        tilings=tilings, tiles=tiles, low=[-1.0, 0.0, -2.0], high=[1.0, 1.0, 3.0], wrap=wrap
    )
    disc = Tiles(config, SPACE)
    samples = _samples()
    features, clipped, _ = _run(disc, samples)
    expected_clipped = np.zeros(3, dtype=np.int64)
    tiles = disc.tiles.tolist()
    for obs, got in zip(samples, features):
        coords, was_clipped = naive_tiles.tiles3_coords(
            obs, tilings, tiles, disc.low, disc.high, wrap
        )
        assert got.tolist() == naive_tiles.dense_features(coords, tiles, wrap)
        expected_clipped += was_clipped
    assert np.array_equal(clipped, expected_clipped)
    assert clipped[~np.array(wrap)].min() > 0
    assert features.max() < disc.n_features
    # every feature of every tiling is reachable, and the tilings do not share features
    per_tiling = disc.n_features // tilings
    assert np.array_equal(np.unique(features // per_tiling), np.arange(tilings))
    for t in range(tilings):
        assert (features[:, t] // per_tiling == t).all()


def test_offsets_are_asymmetric_as_in_tiles3():
    """Tiling t is displaced by t * (1, 3) / n of a tile: along x the tile boundaries of the
    8 tilings fall at the 8 different multiples of 1/8 of a tile width, along y at 3/8 steps."""
    disc = Tiles(
        TilesConfig(tilings=8, tiles=1, low=[0.0, 0.0], high=[1.0, 1.0]),
        gymnasium.spaces.Box(0.0, 1.0, (2,), dtype=np.float64),
    )
    xs = (np.arange(64) + 0.5) / 64  # along x, y = 0
    per_tiling = disc.n_features // 8
    features = disc.features(np.stack([xs, np.zeros(64)], axis=1))
    steps_x = [int(np.argmax(np.diff(features[:, t] % per_tiling) != 0)) + 1 for t in range(1, 8)]
    # tiling t's boundary is where (x * 8 + t) crosses 8: x = (8 - t) / 8
    assert steps_x == [(8 - t) * 8 for t in range(1, 8)]
    features = disc.features(np.stack([np.zeros(64), xs], axis=1))
    steps_y = [int(np.argmax(np.diff(features[:, t] % per_tiling) != 0)) + 1 for t in range(1, 8)]
    assert steps_y == [(8 - (3 * t) % 8) * 8 for t in range(1, 8)]


def test_hashed_tiles_match_the_reference_and_count_collisions():
    config = TilesConfig(
        tilings=8, tiles=[3, 1, 5], low=[-1.0, 0.0, -2.0], high=[1.0, 1.0, 3.0], size=61
    )
    disc = Tiles(config, SPACE)
    assert disc.n_features == 61
    samples = _samples(1000)
    features, _, (_, _, owner, hashing) = _run(disc, samples)
    holder, lookups, collisions = {}, 0, 0
    for obs, got in zip(samples, features):
        coords, _ = naive_tiles.tiles3_coords(obs, 8, [3, 1, 5], disc.low, disc.high, [False] * 3)
        hashes = naive_tiles.hashed(coords)
        assert got.tolist() == [h % 61 for h in hashes]
        for h in hashes:
            key = (h >> 1) | 1
            lookups += 1
            if holder.setdefault(h % 61, key) != key:
                collisions += 1
    assert hashing.tolist() == [lookups, collisions]
    assert 0 < collisions < lookups
    assert sorted(holder) == np.flatnonzero(owner).tolist()


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["discretizer.tilings=0"], "discretizer.tilings=0"),
        (["discretizer.tiles=[8]"], "discretizer.tiles=[8] has 1 entries"),
        (["discretizer.tiles=0"], "every count must be from 1"),
        (["discretizer.wrap=[true]"], "discretizer.wrap=[True]: give true or false"),
        (["discretizer.low=[0.5,0]", "discretizer.high=[0.5,1]"], "low=0.5 >= high=0.5"),
        (["discretizer.tiles=20000"], "discretizer.size=N"),
        (["discretizer.size=0"], "discretizer.size=0"),
        (
            ["agent=double_qlearning"],
            "agent=double_qlearning has no tile-coded version: .*agent=.*"
            "nstep_sarsa.*true_online_sarsa_lambda",
        ),
        (["agent.exploration=ucb"], "agent.exploration=ucb"),
        (["+discretizer.bins=4"], "discretizer.bins is not a setting of TilesConfig"),
    ],
)
def test_bad_settings_name_the_key_and_the_fix(overrides, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        build(compose("env=mountaincar", "discretizer=tiles", *overrides))


def test_unbounded_dimensions_need_ranges():
    with pytest.raises(ConfigError, match=r"discretizer.low: the observation space is unbounded"):
        build(compose("env=gym", "env.id=CartPole-v1", "discretizer=tiles"))


# --- the linear agents against the naive ones, compiled and Python-stepped ---


def _tile_coded_agents() -> dict:
    """Every agent with linear kernels (a ``TileCoded`` class), and its naive reference: the class
    of the same name in tests/helpers/naive_tiles.py, found by name so that no list is kept."""
    from rlsafe.agents.features import TileCoded

    found = {}
    for name in config_names("agent"):
        cls = agent_class(name)
        if issubclass(cls, TileCoded):
            reference = getattr(naive_tiles, cls.__name__, None)
            assert reference is not None, (
                f"agent={name} has tile-coded kernels but no naive "
                f"reference: write {cls.__name__} in naive_tiles.py"
            )
            found[name] = reference
    return found


AGENTS = _tile_coded_agents()
#: the agents the tables have too (the one-hot special case)
TABLE_AGENTS = ["expected_sarsa", "nstep_sarsa", "qlearning", "sarsa", "sarsa_lambda"]
MC = [
    "env=mountaincar",
    "discretizer=tiles",
    "agent.alpha_schedule.kind=linear",
    "agent.alpha_schedule.end=0.1",
    "agent.gamma=0.97",
    "agent.temperature=3.0",
    "agent.q_init=-1.0",
]


def naive_weights(session, agent, episodes, seed, state_of):
    config, env, disc = session.agent.config, session.env, session.discretizer
    reference = AGENTS[agent](
        disc.n_features,
        env.n_actions,
        disc.n_tilings,
        config.exploration.value,
        Streams.from_seed(seed).agent,
        q_init=config.q_init,
        **naive.extras(agent, config),
    )
    hp_at = naive.hparams(config, episodes)
    return naive.train(
        reference, env.make_gym(), episodes, session.streams.env_seed, hp_at, state_of=state_of
    )


def _state_of(disc):
    tiles, wrap = disc.tiles.tolist(), disc.wrap.tolist()

    def state_of(obs):
        obs = np.asarray(obs, dtype=np.float64)
        coords, _ = naive_tiles.tiles3_coords(obs, disc.n_tilings, tiles, disc.low, disc.high, wrap)
        return tuple(naive_tiles.dense_features(coords, tiles, wrap))

    return state_of


#: The linear agents also run on the Python-stepped path here: Q-learning, and true online
#: SARSA(lambda), which keeps the most per-episode state. The paths bind the same agent kernels,
#: all but the env's (tests/unit/test_loop_bindings.py).
PYTHON_STEPPED = ["qlearning", "true_online_sarsa_lambda"]


@pytest.mark.slow  # tile-coded loops, compiled and Python-stepped: ~20 s to compile each agent's
@pytest.mark.parametrize("exploration", ["epsilon_greedy", "softmax"])
@pytest.mark.parametrize("agent", sorted(AGENTS))
def test_linear_agent_matches_the_naive_reference_compiled_and_python_stepped(agent, exploration):
    """Same seed, bit-identical weights: the fused loop, the Python-stepped loop (the agents of
    ``PYTHON_STEPPED``) and the naive agent on naive tiles3 features."""
    episodes, seed = 12, 4
    overrides = [
        *MC,
        f"agent={agent}",
        f"agent.exploration={exploration}",
        f"runner.episodes={episodes}",
        f"seed={seed}",
    ]
    compiled = session_for(*overrides)
    compiled.train(episodes)
    reference = naive_weights(compiled, agent, episodes, seed, _state_of(compiled.discretizer))
    assert np.array_equal(compiled.tables[0], reference)
    assert (reference != -1.0 / 8).sum() > 50  # it learned something
    if agent in PYTHON_STEPPED:
        python = session_for(*overrides, "env._target_=rlsafe.envs.gym.Gym")
        assert compiled.env.compiled and not python.env.compiled
        python.train(episodes)
        assert np.array_equal(python.tables[0], reference)


#: the agent settings configs/env_discretizer/mountaincar_tiles.yaml gives discretizer=tiles
MC_TILES_AGENT = [
    "agent.gamma=1.0",
    "agent.alpha_schedule.end=0.05",
    "agent.epsilon_schedule.end=0.0",
]


@pytest.mark.slow  # five table agents' loops (the tile-coded ones are the reference test's)
def test_linear_agent_with_one_hot_features_is_the_table_agent():
    """One tiling, no offsets: each observation activates one feature of weight 1, the cell of a
    grid, so every agent must make the table agent's Q-table on bins of the same grid, draw for
    draw. On MountainCar, whose observations never leave its space's bounds but lie on them (the
    car stops at -1.2, the velocity is clipped to +-0.07): the edge cells agree. The tile-coded
    loops are those the reference test above compiled (the same env, discretizer and agents)."""
    grid = [7, 5]  # (position, velocity): not square, so a transposed feature index would show
    for agent in TABLE_AGENTS:
        common = [
            "env=mountaincar",
            f"agent={agent}",
            "runner.episodes=300",
            "seed=6",
            "agent.exploration=softmax" if agent == "expected_sarsa" else "seed=6",
            *MC_TILES_AGENT,  # what configs/env_discretizer/mountaincar_tiles.yaml sets: both
        ]
        table = session_for(*common, f"discretizer.bins={grid}".replace(" ", ""))
        tiled = session_for(
            *common,
            "discretizer=tiles",
            "discretizer.tilings=1",
            f"discretizer.tiles={grid}".replace(" ", ""),
        )
        assert table.agent.config == tiled.agent.config
        assert np.array_equal(table.discretizer.low, tiled.discretizer.low)  # the space's bounds
        assert np.array_equal(table.discretizer.high, tiled.discretizer.high)
        a, b = table.train(300), tiled.train(300)
        assert np.array_equal(a.returns, b.returns)
        index = np.array(np.unravel_index(np.arange(table.discretizer.n_states), grid))  # (D, S)
        feature = np.ravel_multi_index(index, [n + 1 for n in grid])  # (S,)
        assert np.array_equal(table.q, tiled.tables[0][feature])
        assert np.abs(table.q).max() > 0
        visits = table.visits.sum(axis=1).reshape(grid)  # (position, velocity)
        edges = [visits[0], visits[-1], visits[:, 0], visits[:, -1]]
        assert all(e.sum() > 0 for e in edges), "every edge of the grid visited"


@pytest.mark.parametrize(
    "overrides",
    [
        ["agent=sarsa_lambda", "agent.traces=accumulating", "agent.trace_decay=0.8"],
        ["agent=nstep_sarsa", "agent.n=1"],
        ["agent=nstep_sarsa", "agent.n=250"],  # longer than any episode: settled at the end
        ["agent=true_online_sarsa_lambda", "agent.trace_decay=1.0", "agent.exploration=softmax"],
        ["agent=true_online_sarsa_lambda", "discretizer.size=200"],  # features shared by tilings
        ["agent=qlearning", "discretizer.size=100", "discretizer.tilings=5"],
    ],
    ids=lambda o: " ".join(o),
)
@pytest.mark.slow  # a loop per variant
def test_linear_agent_variants_match_the_naive_reference(overrides):
    """Accumulating traces, lambda = 1, n = 1 and n beyond the episode, hashed features (two
    tilings may then share a feature: it counts twice), a number of tilings not a power of 2."""
    episodes, seed = 10, 9
    session = session_for(*MC, *overrides, f"runner.episodes={episodes}", f"seed={seed}")
    session.train(episodes)
    agent = overrides[0].split("=")[1]
    disc = session.discretizer
    if disc.hashed:

        def state_of(obs):
            coords, _ = naive_tiles.tiles3_coords(
                np.asarray(obs, dtype=np.float64),
                disc.n_tilings,
                disc.tiles.tolist(),
                disc.low,
                disc.high,
                disc.wrap.tolist(),
            )
            return tuple(h % disc.n_features for h in naive_tiles.hashed(coords))
    else:
        state_of = _state_of(disc)
    reference = naive_weights(session, agent, episodes, seed, state_of)
    assert np.array_equal(session.tables[0], reference)
    assert (reference != reference.flat[0]).sum() > 20


def test_true_online_sarsa_lambda_needs_tiles():
    with pytest.raises(
        ConfigError,
        match="agent=true_online_sarsa_lambda learns over features: use discretizer=tiles",
    ):
        build(compose("env=mountaincar", "agent=true_online_sarsa_lambda"))


def test_the_trace_codes_agree():
    from rlsafe.agents import sarsa_lambda
    from rlsafe.agents.features import sarsa_lambda as tile_coded

    assert tile_coded.ACCUMULATING == sarsa_lambda.ACCUMULATING
