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
    np.add.at(
        p_pi, (np.repeat(states, cont.shape[1]), next_state[states, policy].ravel()), cont.ravel()
    )
    return np.linalg.solve(np.eye(n_states) - gamma * p_pi, r_pi)


def start_value(model, v: np.ndarray) -> float:
    """Expected value ``sum_s start[s] * v[s]`` over the initial-state distribution."""
    return float(np.dot(model[5], v))


def greedy_policy(q: np.ndarray) -> np.ndarray:
    """``argmax_a q[s, a]`` per state (the first action among ties), int64 (S,)."""
    return np.argmax(q, axis=1).astype(np.int64)


# ------------------------------------------------ stochastic policies, horizons, reachability


def greedy_ties(q: np.ndarray) -> np.ndarray:
    """The greedy policy with ties broken uniformly, as probabilities (S, A).

    ``pi[s, a] = 1 / n`` for each of the ``n`` actions whose ``q[s, a]`` equals the row's maximum
    exactly (the ``==`` of :func:`rlsafe.compiled.jit.argmax_random_tie`, which the sampled evaluation
    draws from), 0 elsewhere."""
    best = q.max(axis=1, keepdims=True)  # (S, 1)
    ties = q == best  # (S, A)
    return ties / ties.sum(axis=1, keepdims=True)


def uniform_policy(model) -> np.ndarray:
    """The uniformly random policy, probabilities (S, A)."""
    n_states, n_actions = model[0].shape[:2]
    return np.full((n_states, n_actions), 1.0 / n_actions)


def _policy_chain(model, pi: np.ndarray):
    """``r_pi`` (S,) and the bootstrapping transition matrix ``P_pi`` (S, S) of ``pi`` (S, A)."""
    prob, next_state, _, terminal = model[:4]
    n_states = prob.shape[0]
    pi = np.asarray(pi, dtype=np.float64)
    if pi.shape != prob.shape[:2]:
        raise ValueError(
            f"pi has shape {pi.shape}; it needs probabilities (S, A) = {prob.shape[:2]}"
        )
    r_pi = np.einsum("sa,sa->s", pi, _expected_reward(model))  # (S,)
    weight = pi[:, :, None] * prob * ~terminal  # (S, A, K)
    rows = np.broadcast_to(np.arange(n_states)[:, None, None], weight.shape)
    flat = (rows * n_states + next_state).ravel()
    p_pi = np.bincount(flat, weights=weight.ravel(), minlength=n_states * n_states)
    return r_pi, p_pi.reshape(n_states, n_states)


def _backward_closure(p_pi: np.ndarray, seed: np.ndarray) -> np.ndarray:
    """States from which some state of ``seed`` (bool (S,)) is reachable under ``p_pi``."""
    edge = p_pi > 0.0  # (S, S): edge[s, s2], s2 reachable in one step from s
    found = seed.copy()
    while True:
        grown = found | edge[:, found].any(axis=1)
        if np.array_equal(grown, found):
            return found
        found = grown


def _solve_m_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve ``a x = b`` for a nonsingular M-matrix ``a`` (``I - gamma * P``, P substochastic).

    Small systems go to LAPACK. Larger ones (Taxi's 500 states) are eliminated here, row by row,
    touching only the rows with a nonzero in the pivot column: these chains are sparse, so this
    takes a few milliseconds, while OpenBLAS's threads turn a 500 x 500 ``numpy.linalg.solve`` into
    50 to 150 ms whenever the cores are busy (measured on the 2-core machine during a run). An
    M-matrix needs no pivoting: every leading block is again a nonsingular M-matrix.
    """
    n = a.shape[0]
    if n <= 128:
        return np.linalg.solve(a, b)
    a, x = a.copy(), b.astype(np.float64)
    for k in range(n - 1):
        rows = np.flatnonzero(a[k + 1 :, k]) + (k + 1)
        if rows.size:
            f = a[rows, k] / a[k, k]
            a[rows, k + 1 :] -= f[:, None] * a[k, k + 1 :]
            x[rows] -= f * x[k]
    for k in range(n - 1, -1, -1):
        x[k] = (x[k] - np.dot(a[k, k + 1 :], x[k + 1 :])) / a[k, k]
    return x


def policy_value(model, pi: np.ndarray, gamma: float) -> np.ndarray:
    """Exact ``V^pi`` (S,) of a stochastic policy ``pi`` (probabilities (S, A)).

    Solves ``(I - gamma * P_pi) V = r_pi``; infinite horizon, truncation ignored, as
    :func:`policy_evaluation`. With ``gamma = 1`` a state from which the episode may never end
    (some non-terminating cycle is reachable under ``pi``) has no finite value in general (Taxi's
    and CliffWalking's -1 per step sum to minus infinity): it gets NaN, and the other states their
    exact value.
    """
    _check_gamma(gamma)
    r_pi, p_pi = _policy_chain(model, pi)
    n_states = r_pi.shape[0]
    if gamma < 1.0:
        return _solve_m_matrix(np.eye(n_states) - gamma * p_pi, r_pi)
    ends = 1.0 - p_pi.sum(axis=1) > 1e-12  # (S,) a terminal transition is possible here
    can_end = _backward_closure(p_pi, ends)
    improper = _backward_closure(p_pi, ~can_end)  # may reach a state that never ends
    proper = ~improper
    v = np.full(n_states, np.nan)
    sub = p_pi[np.ix_(proper, proper)]
    v[proper] = _solve_m_matrix(np.eye(int(proper.sum())) - sub, r_pi[proper])
    return v


def horizon_value(model, pi: np.ndarray, horizon: int) -> np.ndarray:
    """Exact expected undiscounted return (S,) of ``pi`` over at most ``horizon`` steps.

    The return of an episode that a time limit of ``horizon`` truncates, as gymnasium's TimeLimit
    and the evaluation loop end it: backward induction ``V_h = r_pi + P_pi V_{h-1}``, ``V_0 = 0``
    (stops early once ``V_h`` no longer changes)."""
    prob, next_state, _, terminal = model[:4]
    r_pi = np.einsum("sa,sa->s", pi, _expected_reward(model))  # (S,)
    weight = (pi[:, :, None] * prob * ~terminal).reshape(prob.shape[0], -1)  # (S, A * K)
    nxt = next_state.reshape(prob.shape[0], -1)  # (S, A * K)
    v = np.zeros(r_pi.shape[0])
    for _ in range(horizon):
        v_new = r_pi + np.einsum("sk,sk->s", weight, v[nxt])
        if np.array_equal(v_new, v):
            break
        v = v_new
    return v


def reachable_states(model) -> np.ndarray:
    """States an agent can have to act in: reachable from the start distribution under some
    sequence of actions, through transitions that do not terminate; bool (S,).

    Excludes states entered only by terminating (FrozenLake's holes and goal, CliffWalking's goal)
    or never entered (CliffWalking's cliff cells, Taxi's passenger-at-destination states)."""
    prob, next_state, _, terminal = model[:4]
    found = model[5] > 0.0
    frontier = found.copy()
    while frontier.any():
        live = (prob > 0.0) & ~terminal & frontier[:, None, None]  # (S, A, K)
        new = np.zeros_like(found)
        new[next_state[live]] = True
        frontier = new & ~found
        found |= new
    return found
