"""Exact dynamic programming on a tabular model: the values an agent should learn, to test it.

The model is the tuple of padded arrays :func:`rlsafe.envs.toy_text.model_arrays` returns:
``prob`` float64 (S, A, K), ``next_state`` int64 (S, A, K), ``reward`` float64 (S, A, K),
``terminal`` bool (S, A, K), ``n_next`` int64 (S, A), ``start`` float64 (S,). Padding entries
(``k >= n_next[s, a]``) have probability 0, so they drop out of every sum here.

Values are discounted and infinite-horizon:

    Q(s, a) = sum_k prob[s, a, k] * (reward[s, a, k]
                                     + gamma * (1 - terminal[s, a, k]) * V(next_state[s, a, k]))

A terminal transition does not bootstrap; truncation (a time limit) is ignored. That is what
:mod:`rlsafe.agents.qlearning` learns: it bootstraps through a truncated step, so its fixed point is
this infinite-horizon value, not the value of the time-limited episode.

Plain vectorised numpy: these models are small (Taxi has 500 x 6 x 1 transitions).
"""

from __future__ import annotations

import numpy as np


def _check_gamma(gamma: float) -> None:
    if not 0.0 <= gamma <= 1.0:
        raise ValueError(f"gamma={gamma} must lie in [0, 1]")


def _expected_reward(model) -> np.ndarray:
    """Expected immediate reward of each (s, a), (S, A)."""
    prob, reward = model[0], model[2]
    return np.einsum("sak,sak->sa", prob, reward)


def q_from_v(model, v: np.ndarray, gamma: float) -> np.ndarray:
    """One Bellman backup: Q(s, a) from the next-state values ``v`` (S,); returns (S, A)."""
    prob, next_state, _, terminal = model[:4]
    cont = prob * ~terminal  # (S, A, K): probability of each transition that bootstraps
    return _expected_reward(model) + gamma * np.einsum("sak,sak->sa", cont, v[next_state])


def value_iteration(model, gamma: float, tol: float = 1e-12, max_iter: int = 1_000_000):
    """Optimal values ``(V*, Q*)``, shapes (S,) and (S, A), by value iteration.

    Iterates ``V <- max_a Q(., a)`` from ``V = 0`` until the largest change of ``V`` is at most
    ``tol * max(1, max |V|)`` (relative for large values, which rounding would keep from an
    absolute 1e-12); then ``Q* = backup(V)`` satisfies the Bellman optimality equation to within
    ``gamma`` times that, and ``V*`` is within ``1 / (1 - gamma)`` times that of the optimum.
    For an exact optimal value, evaluate the greedy policy with :func:`policy_evaluation`. With
    ``gamma = 1`` this converges only if every policy reaches a terminal transition (otherwise
    ``RuntimeError`` after ``max_iter`` sweeps).
    """
    _check_gamma(gamma)
    prob, next_state, _, terminal = model[:4]
    r = _expected_reward(model)  # (S, A)
    cont = gamma * prob * ~terminal  # (S, A, K)
    v = np.zeros(prob.shape[0])  # (S,)
    for _ in range(max_iter):
        q = r + np.einsum("sak,sak->sa", cont, v[next_state])  # (S, A)
        v_new = q.max(axis=1)
        delta = np.max(np.abs(v_new - v))
        v = v_new
        if delta <= tol * max(1.0, np.max(np.abs(v))):
            q = r + np.einsum("sak,sak->sa", cont, v[next_state])
            return q.max(axis=1), q
    raise RuntimeError(
        f"value iteration did not converge to tol={tol} in {max_iter} sweeps (gamma={gamma})"
    )


def policy_evaluation(model, policy: np.ndarray, gamma: float) -> np.ndarray:
    """Exact ``V^pi`` (S,) of a deterministic ``policy`` (int (S,), an action per state).

    Solves the linear system ``(I - gamma * P_pi) V = r_pi``, where ``P_pi`` counts only the
    transitions that bootstrap (not terminal ones). With ``gamma = 1`` it is singular if the
    policy can loop forever without terminating (``numpy.linalg.LinAlgError``).
    """
    _check_gamma(gamma)
    prob, next_state, _, terminal = model[:4]
    n_states = prob.shape[0]
    policy = np.asarray(policy, dtype=np.int64)
    if policy.shape != (n_states,):
        raise ValueError(
            f"policy has shape {policy.shape}; it needs one action per state, ({n_states},)"
        )
    states = np.arange(n_states)
    r_pi = _expected_reward(model)[states, policy]  # (S,)
    cont = (prob * ~terminal)[states, policy]  # (S, K)
    p_pi = np.zeros((n_states, n_states))  # (S, S)
    np.add.at(p_pi, (np.repeat(states, cont.shape[1]), next_state[states, policy].ravel()),
              cont.ravel())
    return np.linalg.solve(np.eye(n_states) - gamma * p_pi, r_pi)


def start_value(model, v: np.ndarray) -> float:
    """Expected value ``sum_s start[s] * v[s]`` over the initial-state distribution."""
    return float(np.dot(model[5], v))


def greedy_policy(q: np.ndarray) -> np.ndarray:
    """``argmax_a q[s, a]`` per state (the first action among ties), int64 (S,)."""
    return np.argmax(q, axis=1).astype(np.int64)
