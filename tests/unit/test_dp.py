"""Exact dynamic programming (rlsafe/analysis/dp.py): a hand-solved MDP; Bellman equations on FrozenLake."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest

from rlsafe.analysis import dp
from rlsafe.envs.toy_text import model_arrays

GAMMA = 0.9


def hand_mdp():
    """Two states, two actions, padded to K = 2 (padding entries are deliberately poisonous).

    * state 0, action 0: reward 1, back to state 0.
    * state 0, action 1: probability 1/2 reward 0 to state 1; probability 1/2 reward 2, terminal
      (its next state, 0, must not bootstrap).
    * state 1, action 0: reward 3, terminal.
    * state 1, action 1: reward 0, to state 0.

    With gamma = 0.9, by hand: V*(0) = 1 + 0.9 V*(0) = 10 (action 0), V*(1) = max(3, 0.9 * 10) = 9
    (action 1); Q*(0, 1) = 1/2 * 0.9 * 9 + 1/2 * 2 = 5.05. Starting in state 0 with probability
    1/4: 0.25 * 10 + 0.75 * 9 = 9.25.
    """
    prob = np.array([[[1.0, 0.0], [0.5, 0.5]], [[1.0, 0.0], [1.0, 0.0]]])
    next_state = np.array([[[0, 1], [1, 0]], [[0, 1], [0, 1]]])
    reward = np.array([[[1.0, 100.0], [0.0, 2.0]], [[3.0, 100.0], [0.0, 100.0]]])
    terminal = np.array([[[False, False], [False, True]], [[True, False], [False, False]]])
    n_next = np.array([[1, 2], [1, 1]])
    start = np.array([0.25, 0.75])
    return prob, next_state, reward, terminal, n_next, start


def frozenlake():
    env = gymnasium.make("FrozenLake-v1")
    try:
        return model_arrays(env.unwrapped)
    finally:
        env.close()


def bellman_residual(model, q, gamma):
    """max |Q - (r + gamma * E[(1 - terminal) * max_b Q(s', b)])|, computed with explicit loops."""
    prob, next_state, reward, terminal, n_next, _ = model
    worst = 0.0
    for s in range(q.shape[0]):
        for a in range(q.shape[1]):
            target = 0.0
            for k in range(n_next[s, a]):
                bootstrap = 0.0 if terminal[s, a, k] else gamma * q[next_state[s, a, k]].max()
                target += prob[s, a, k] * (reward[s, a, k] + bootstrap)
            worst = max(worst, abs(q[s, a] - target))
    return worst


def test_value_iteration_solves_the_hand_mdp():
    model = hand_mdp()
    v, q = dp.value_iteration(model, GAMMA)
    np.testing.assert_allclose(v, [10.0, 9.0], rtol=0, atol=1e-10)
    np.testing.assert_allclose(q, [[10.0, 5.05], [3.0, 9.0]], rtol=0, atol=1e-10)
    assert dp.greedy_policy(q).tolist() == [0, 1]
    assert dp.start_value(model, v) == pytest.approx(9.25, abs=1e-10)


@pytest.mark.parametrize(
    "policy,expected",
    [
        ([0, 0], [10.0, 3.0]),  # V(0) = 1 + 0.9 V(0); V(1) = 3
        ([0, 1], [10.0, 9.0]),  # the optimal policy
        ([1, 0], [2.35, 3.0]),  # V(0) = 0.5 * 0.9 * 3 + 0.5 * 2
        ([1, 1], [1 / 0.595, 0.9 / 0.595]),  # V(0) = 0.45 V(1) + 1 and V(1) = 0.9 V(0)
    ],
)
def test_policy_evaluation_solves_the_hand_mdp(policy, expected):
    v = dp.policy_evaluation(hand_mdp(), np.array(policy), GAMMA)
    np.testing.assert_allclose(v, expected, rtol=1e-13, atol=0)


def test_gamma_zero_is_the_expected_reward():
    model = hand_mdp()
    _, q = dp.value_iteration(model, 0.0)
    np.testing.assert_array_equal(q, [[1.0, 1.0], [3.0, 0.0]])
    np.testing.assert_array_equal(dp.policy_evaluation(model, np.array([1, 0]), 0.0), [1.0, 3.0])


def test_policy_evaluation_rejects_a_policy_of_the_wrong_shape():
    with pytest.raises(ValueError, match="one action per state"):
        dp.policy_evaluation(hand_mdp(), np.array([0, 0, 0]), GAMMA)


def test_frozenlake_q_star_satisfies_the_bellman_optimality_equation():
    model = frozenlake()
    v, q = dp.value_iteration(model, 0.99)
    assert bellman_residual(model, q, 0.99) <= 1e-10
    np.testing.assert_array_equal(v, q.max(axis=1))
    # its greedy policy is optimal: its exact value is V*, and no single-action change improves it
    v_pi = dp.policy_evaluation(model, dp.greedy_policy(q), 0.99)
    np.testing.assert_allclose(v_pi, v, rtol=0, atol=1e-9)
    assert (dp.q_from_v(model, v_pi, 0.99) <= v_pi[:, None] + 1e-12).all()
    assert 0.5 < dp.start_value(model, v) < 0.6  # reaching the goal takes long on slippery ice


def test_policy_evaluation_is_the_fixed_point_of_the_policy_backup():
    """On FrozenLake, for random deterministic policies: V = Q^pi(s, pi(s)) from the backup."""
    model = frozenlake()
    rng = np.random.default_rng(0)
    states = np.arange(model[0].shape[0])
    for _ in range(5):
        policy = rng.integers(model[0].shape[1], size=states.size)
        v = dp.policy_evaluation(model, policy, 0.99)
        np.testing.assert_allclose(
            dp.q_from_v(model, v, 0.99)[states, policy], v, rtol=0, atol=1e-12
        )
