"""Each kernel against the slow, obvious reference in tests/naive.py."""

from __future__ import annotations

import gymnasium
import naive
import numpy as np
import pytest
from conftest import config_names, session_for

from rlsafe.compiled.jit import argmax_random_tie, random_index
from rlsafe.compiled.schedules import Schedule, ScheduleKind, schedule_value
from rlsafe.discretizers.bins import Bins, BinsConfig
from rlsafe.training.seeding import Streams


@pytest.mark.parametrize(
    "overrides",
    [
        ["env=frozenlake", "agent.alpha=0.3", "agent.gamma=0.95"],
        [
            "env=taxi",
            "agent.alpha=0.5",
            "agent.epsilon_schedule.kind=exponential",
            "agent.epsilon_schedule.end=0.05",
        ],
        # every episode truncated after 3 steps: truncation must still bootstrap
        [
            "env=taxi",
            "env.max_episode_steps=3",
            "agent.alpha=0.5",
            "agent.alpha_schedule.kind=linear",
            "agent.alpha_schedule.end=0.05",
        ],
        [
            "env=cliffwalking",
            "agent.alpha=0.5",
            "agent.alpha_schedule.kind=constant",
            "agent.gamma=1.0",
            "agent.epsilon=0.1",
            "agent.epsilon_schedule.kind=constant",
        ],
    ],
)
def test_compiled_q_learning_matches_the_naive_reference(overrides):
    episodes = 300
    session = session_for(*overrides, f"runner.episodes={episodes}", "seed=11")
    session.train(episodes)
    config = session.agent.config
    env = session.env
    reference = naive.q_learning(
        env.make_gym(),
        session.discretizer.n_states,
        env.n_actions,
        episodes,
        env_seed=session.streams.env_seed,
        rng=Streams.from_seed(11).agent,  # a fresh copy of the session's agent stream
        alpha_at=lambda e: naive.schedule(
            config.alpha_schedule.kind.value,
            config.alpha,
            config.alpha_schedule.end,
            config.alpha_schedule.duration,
            e / episodes,
        ),
        epsilon_at=lambda e: naive.schedule(
            config.epsilon_schedule.kind.value,
            config.epsilon,
            config.epsilon_schedule.end,
            config.epsilon_schedule.duration,
            e / episodes,
        ),
        gamma=config.gamma,
    )
    assert np.array_equal(session.q, reference)
    assert np.abs(reference).max() > 0  # it learned something


def test_bins_discretizer_matches_the_reference_and_counts_clipping():
    space = gymnasium.spaces.Box(-np.inf, np.inf, (3,))
    disc = Bins(BinsConfig(bins=[3, 1, 5], low=[-1.0, 0.0, -2.0], high=[1.0, 1.0, 3.0]), space)
    rng = np.random.default_rng(0)
    samples = rng.uniform(-3, 4, size=(2000, 3))
    samples[::97, 0] = np.nan
    samples[5] = [-1.0, 0.0, 3.0]  # exactly on the edges: inside
    clipped = np.zeros(3, dtype=np.int64)
    expected_clipped = np.zeros(3, dtype=np.int64)
    for obs in samples:
        state = disc.kernel(disc.params, obs, clipped)
        ref_state, ref_clipped = naive.bins_state(obs, [3, 1, 5], disc.low, disc.high)
        assert state == ref_state
        assert 0 <= state < disc.n_states == 15
        expected_clipped += ref_clipped
    assert np.array_equal(clipped, expected_clipped)
    assert clipped.min() > 0


def test_argmax_breaks_ties_uniformly_and_only_draws_on_ties():
    q = np.array([[1.0, 3.0, 3.0, 0.0, 3.0], [0.0, 2.0, 1.0, 1.0, 1.0]])
    rng = np.random.default_rng(1)
    picks = [argmax_random_tie(q, 0, rng) for _ in range(3000)]
    counts = np.bincount(picks, minlength=5)
    assert counts[0] == counts[3] == 0
    assert all(900 < c < 1100 for c in counts[[1, 2, 4]])
    state = rng.bit_generator.state
    assert argmax_random_tie(q, 1, rng) == 1
    assert rng.bit_generator.state == state  # no tie, no draw


@pytest.mark.parametrize("kind", list(ScheduleKind))
def test_schedules_match_the_reference(kind):
    schedule = Schedule(kind=kind, end=0.05, duration=0.4)
    packed = schedule.pack(0.8)
    for progress in np.linspace(0, 1, 23):
        assert schedule_value(packed, progress) == pytest.approx(
            naive.schedule(kind.value, 0.8, 0.05, 0.4, progress), rel=1e-12
        )
    assert schedule_value(packed, 1.0) == pytest.approx(0.8 if kind == "constant" else 0.05)


@pytest.mark.parametrize("n", [2, 3, 5, 6, 7, 1000, 2**31 + 1, 2**32])
def test_random_index_draws_what_generator_integers_draws(n):
    """The loops' allocation-free ``rng.integers(0, n)``: same values, same stream position."""
    ours, theirs = np.random.default_rng(n), np.random.default_rng(n)
    drawn = [random_index(ours, n) for _ in range(500)]
    assert drawn == [int(theirs.integers(0, n)) for _ in range(500)]
    assert ours.random() == theirs.random()


# --- every agent with every exploration rule, against tests/naive.py ---

#: every agent (configs/agent/*.yaml) whose naive reference (the class of the same name in
#: tests/naive.py) is tested here; one with ``covered_by`` is tested in that file instead
AGENTS = {
    name: naive.reference(name)
    for name in config_names("agent")
    if not naive.reference(name).covered_by
}
EXPLORATIONS = ["epsilon_greedy", "softmax", "ucb"]
ENVS = {
    # short episodes that end terminated (holes, goal); a discount below 1
    "frozenlake": ["env=frozenlake", "agent.gamma=0.95", "agent.alpha_schedule.kind=linear"],
    # every episode truncated after 7 steps: truncation bootstraps, pending updates settle
    "taxi": [
        "env=taxi",
        "env.max_episode_steps=7",
        "agent.temperature=5.0",
        "agent.ucb_c=2.0",
        "agent.ucb_c_schedule.kind=linear",
        "agent.ucb_c_schedule.end=0.5",
    ],
}


def naive_q(session, agent, episodes, seed):
    """The naive reference of ``session``'s agent, from a fresh copy of its agent stream."""
    config, env = session.agent.config, session.env
    reference = AGENTS[agent](
        session.discretizer.n_states,
        env.n_actions,
        config.exploration.value,
        Streams.from_seed(seed).agent,
        q_init=config.q_init,
        **naive.extras(agent, config),
    )
    hp_at = naive.hparams(config, episodes)
    return naive.train(reference, env.make_gym(), episodes, session.streams.env_seed, hp_at)


#: The fast subset (``-m "not slow"``) checks Q-learning; each other agent compiles two more loops.
FAST_AGENTS = ["qlearning"]
#: The agents also run on the Python-stepped path here: Q-learning, and n-step SARSA, whose
#: pending updates settle when taxi truncates. The paths bind the same agent kernels, all but the
#: env's (tests/unit/test_loop_bindings.py), so one more loop per agent would check nothing new.
PYTHON_STEPPED = ["qlearning", "nstep_sarsa"]


def _slow_unless_fast(agents):
    return [a if a in FAST_AGENTS else pytest.param(a, marks=pytest.mark.slow) for a in agents]


@pytest.mark.parametrize("env", sorted(ENVS))
@pytest.mark.parametrize("exploration", EXPLORATIONS)
@pytest.mark.parametrize("agent", _slow_unless_fast(sorted(AGENTS)))
def test_agent_matches_the_naive_reference_compiled_and_python_stepped(agent, exploration, env):
    """Same seed, bit-identical Q-values: the fused loop, the Python-stepped loop (the gymnasium
    env stepped in Python, same kernels; for the agents of ``PYTHON_STEPPED``) and the naive
    Python agent."""
    episodes, seed = (400 if env == "frozenlake" else 150), 5
    overrides = [
        *ENVS[env],
        f"agent={agent}",
        f"agent.exploration={exploration}",
        f"runner.episodes={episodes}",
        f"seed={seed}",
    ]
    compiled = session_for(*overrides)
    compiled.train(episodes)
    reference = naive_q(compiled, agent, episodes, seed)
    assert np.array_equal(compiled.q, reference)
    assert np.abs(reference).max() > 0  # it learned something
    if agent in PYTHON_STEPPED:
        python = session_for(*overrides, "env._target_=rlsafe.envs.gym.Gym")
        assert compiled.env.compiled and not python.env.compiled
        python.train(episodes)
        assert np.array_equal(python.q, reference)


@pytest.mark.parametrize(
    "overrides",
    [
        ["agent=sarsa_lambda", "agent.traces=accumulating", "agent.trace_decay=0.8"],
        ["agent=sarsa_lambda", "agent.trace_decay=1.0", "agent.exploration=softmax"],
        ["agent=nstep_sarsa", "agent.n=1"],
        ["agent=nstep_sarsa", "agent.n=9", "agent.exploration=ucb"],
        ["agent=expected_sarsa", "agent.q_init=1.0", "agent.exploration=softmax"],
        ["agent=double_qlearning", "agent.q_init=0.5"],
        ["agent=pessimistic_qlearning", "agent.beta=1.0", "agent.q_init=0.5"],
    ],
    ids=lambda o: " ".join(o),
)
@pytest.mark.slow
def test_agent_variants_match_the_naive_reference(overrides):
    """Accumulating traces, lambda = 1, n = 1 and n > episode length, optimistic initial values."""
    episodes, seed = 200, 8
    session = session_for(
        "env=frozenlake", *overrides, f"runner.episodes={episodes}", f"seed={seed}"
    )
    session.train(episodes)
    agent = overrides[0].split("=")[1]
    assert np.array_equal(session.q, naive_q(session, agent, episodes, seed))


@pytest.mark.parametrize(
    "special, general",
    [
        (["agent=nstep_sarsa", "agent.n=1"], ["agent=sarsa"]),
        (["agent=sarsa_lambda", "agent.trace_decay=0.0"], ["agent=sarsa"]),
    ],
)
@pytest.mark.slow
def test_special_cases_reduce_to_sarsa(special, general):
    """n-step SARSA with n = 1, and SARSA(0), are SARSA, draw for draw."""
    common = ["env=taxi", "env.max_episode_steps=50", "runner.episodes=300", "seed=2"]
    a, b = session_for(*common, *special), session_for(*common, *general)
    ra, rb = a.train(300), b.train(300)
    assert np.array_equal(ra.returns, rb.returns)
    assert np.array_equal(a.q, b.q)


@pytest.mark.slow
@pytest.mark.parametrize("exploration", EXPLORATIONS)
def test_pessimistic_qlearning_with_beta_0_is_qlearning(exploration):
    """beta = 0: the target is Q-learning's max, so the runs agree draw for draw."""
    common = [
        "env=taxi",
        "env.max_episode_steps=50",
        "runner.episodes=300",
        "seed=3",
        f"agent.exploration={exploration}",
    ]
    a = session_for(*common, "agent=pessimistic_qlearning", "agent.beta=0.0")
    b = session_for(*common, "agent=qlearning")
    ra, rb = a.train(300), b.train(300)
    assert np.array_equal(ra.returns, rb.returns)
    assert np.array_equal(a.q, b.q)
    assert np.abs(a.q).max() > 0


@pytest.mark.parametrize("target", ["rlsafe.envs.toy_text.ToyText", "rlsafe.envs.gym.Gym"])
def test_evaluation_of_a_looping_policy_ends_without_a_time_limit(target):
    """CliffWalking has no time limit: a greedy policy that walks into a wall forever must still
    finish its evaluation episodes (truncated at rlsafe.envs.base.EVAL_MAX_STEPS)."""
    from rlsafe.envs.base import EVAL_MAX_STEPS

    session = session_for("env=cliffwalking", f"env._target_={target}")
    session.tables[0][:, 3] = 1.0  # Q: always LEFT, and from the start that is the wall
    result = session.evaluate(2)
    assert result.lengths.tolist() == [EVAL_MAX_STEPS, EVAL_MAX_STEPS]
    assert result.returns.tolist() == [-float(EVAL_MAX_STEPS)] * 2
