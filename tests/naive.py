"""Slow, obvious references for the compiled kernels: plain Python, one line per idea."""

from __future__ import annotations

import math

import numpy as np


def schedule(kind: str, start: float, end: float, duration: float, progress: float) -> float:
    frac = min(progress / duration, 1.0)
    if kind == "constant":
        return start
    if kind == "linear":
        return start + (end - start) * frac
    return start * (end / start) ** frac


def greedy(q_row, rng) -> int:
    best = max(q_row)
    ties = [a for a, v in enumerate(q_row) if v == best]
    return ties[0] if len(ties) == 1 else ties[int(rng.integers(0, len(ties)))]


def epsilon_greedy(q_row, epsilon, rng) -> int:
    u = rng.random()
    if u < epsilon:  # the same uniform picks the exploring action
        return min(int(u / epsilon * len(q_row)), len(q_row) - 1)
    return greedy(q_row, rng)


def bins_state(obs, bins, low, high) -> tuple[int, list[bool]]:
    state, clipped = 0, []
    for x, n, lo, hi in zip(obs, bins, low, high):
        if math.isnan(x) or x < lo:
            i, c = 0, True
        elif x > hi:
            i, c = n - 1, True
        else:
            i, c = min(int((x - lo) * (n / (hi - lo))), n - 1), False
        state, _ = state * n + i, clipped.append(c)
    return state, clipped


def q_learning(gym_env, n_states, n_actions, episodes, env_seed, rng, alpha_at, epsilon_at, gamma,
               state_of=int):
    """Watkins' Q-learning on a gymnasium env; ``alpha_at(episode)``, ``epsilon_at(episode)``."""
    q = np.zeros((n_states, n_actions))
    for episode in range(episodes):
        eps, alpha = epsilon_at(episode), alpha_at(episode)
        obs, _ = gym_env.reset(seed=env_seed if episode == 0 else None)
        s = state_of(obs)
        a = epsilon_greedy(q[s], eps, rng)
        while True:
            obs, r, terminated, truncated, _ = gym_env.step(a)
            s2 = state_of(obs)
            target = r if terminated else r + gamma * max(q[s2])
            q[s, a] += alpha * (target - q[s, a])
            if terminated:
                break
            a2 = epsilon_greedy(q[s2], eps, rng)
            if truncated:
                break
            s, a = s2, a2
    return q
