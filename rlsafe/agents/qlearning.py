"""Watkins' Q-learning with epsilon-greedy exploration.

Update rule (Watkins 1989; Watkins & Dayan 1992, "Q-learning", Machine Learning 8):

    Q(s, a) <- Q(s, a) + alpha * (r + gamma * (1 - terminated) * max_b Q(s', b) - Q(s, a))

A truncated step (time limit) still bootstraps: only ``terminated`` zeroes the next value. The next
action is chosen after the update, epsilon-greedily, with ties among greedy actions broken at random.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rlsafe.jit import argmax_random_tie, break_tie, jit, row_argmax
from rlsafe.schedules import Schedule, ScheduleKind, schedule_value


@dataclass
class QLearningConfig:
    """Hyperparameters of :class:`QLearning`."""

    alpha: float = 0.5  #: learning rate at the start of training, in (0, 1]
    alpha_schedule: Schedule = field(
        default_factory=lambda: Schedule(kind=ScheduleKind.exponential, end=0.01, duration=1.0)
    )  #: how alpha moves
    epsilon: float = 1.0  #: exploration rate at the start of training, in [0, 1]
    epsilon_schedule: Schedule = field(
        default_factory=lambda: Schedule(kind=ScheduleKind.linear, end=0.01, duration=0.5)
    )  #: how epsilon moves
    gamma: float = 0.99  #: discount factor, in [0, 1]
    q_init: float = 0.0  #: initial value of every Q(s, a); > 0 is optimistic

    def check(self, key: str) -> None:
        """Raise ``ValueError`` naming the key of the first bad value."""
        _in_range(f"{key}.alpha", self.alpha, 0.0, 1.0, low_open=True)
        _in_range(f"{key}.alpha_schedule.end", self.alpha_schedule.end, 0.0, 1.0)
        _in_range(f"{key}.epsilon", self.epsilon, 0.0, 1.0)
        _in_range(f"{key}.epsilon_schedule.end", self.epsilon_schedule.end, 0.0, 1.0)
        _in_range(f"{key}.gamma", self.gamma, 0.0, 1.0)
        if not np.isfinite(self.q_init):
            raise ValueError(f"{key}.q_init={self.q_init} must be a finite number")
        self.alpha_schedule.check(f"{key}.alpha_schedule", self.alpha)
        self.epsilon_schedule.check(f"{key}.epsilon_schedule", self.epsilon)


def _in_range(key, value, low, high, low_open=False):
    ok = (low < value if low_open else low <= value) and value <= high
    if not ok:
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}]"
        raise ValueError(f"{key}={value} is out of range: it must lie in {interval}")


# ----------------------------------------------------------------------------------- kernels


@jit
def epsilon_greedy(q, s, epsilon, rng):
    """With probability ``epsilon`` a uniform action, else greedy on ``q[s]`` (random ties).

    One uniform ``u`` decides both: ``u < epsilon`` explores, and then ``u / epsilon`` is itself
    uniform on [0, 1) and picks the action (one draw a step instead of two; the rounding bias is
    below 2**-40 for any table that fits in memory). Ties draw one integer more.
    """
    u = rng.random()
    if u < epsilon:
        return min(int(u / epsilon * q.shape[1]), q.shape[1] - 1)
    return argmax_random_tie(q, s, rng)


@jit
def schedule(params, progress, hp):
    """``params`` (float64 (3, 4)): packed alpha and epsilon schedules, then (gamma, 0, 0, 0).

    Writes ``hp`` = (alpha, epsilon, gamma) at ``progress``."""
    hp[0] = schedule_value(params[0], progress)
    hp[1] = schedule_value(params[1], progress)
    hp[2] = params[2, 0]


@jit
def begin(q, s, hp, rng):
    return epsilon_greedy(q, s, hp[1], rng)


@jit
def learn(q, s, a, r, aux, s2, terminated, truncated, hp, rng):
    """One Q-learning update of ``q`` (float64 (S, A), modified); returns (next action, TD error).

    ``aux`` and ``truncated`` play no part: a truncated step bootstraps like any other.
    One pass over ``q[s2]`` serves both the target's max and the next greedy action (redone only
    when ``s2 == s``, the one case where the update changed that row).
    """
    best, index, count = row_argmax(q, s2)
    target = r if terminated else r + hp[2] * best
    td = target - q[s, a]
    q[s, a] += hp[0] * td
    if terminated:
        return 0, td  # the episode is over: no next action is needed, and none is drawn
    u = rng.random()
    if u < hp[1]:
        return min(int(u / hp[1] * q.shape[1]), q.shape[1] - 1), td
    if s2 == s:
        best, index, count = row_argmax(q, s2)
    return break_tie(q, s2, best, count, index, rng), td


@jit
def greedy(q, s, rng):
    return argmax_random_tie(q, s, rng)


# ------------------------------------------------------------------------------------- agent


class QLearning:
    """Tabular Q-learning: one table ``q`` of shape (n_states, n_actions)."""

    Config = QLearningConfig
    #: names of the per-episode hyperparameters, in the order ``schedule`` writes them
    hparam_names = ("alpha", "epsilon", "gamma")
    kernels = {"agent_schedule": schedule, "agent_begin": begin, "agent_learn": learn,
               "agent_greedy": greedy}  # fmt: skip

    def __init__(self, config: QLearningConfig, n_states: int, n_actions: int):
        self.config = config
        self.n_states = n_states
        self.n_actions = n_actions
        self.params = np.stack([
            config.alpha_schedule.pack(config.alpha),
            config.epsilon_schedule.pack(config.epsilon),
            np.array([config.gamma, 0.0, 0.0, 0.0]),
        ])  # (3, 4)

    @staticmethod
    def table_bytes(n_states: int, n_actions: int) -> int:
        """Memory the agent's tables take, to refuse a run before allocating them."""
        return 8 * n_states * n_actions

    def make_tables(self) -> np.ndarray:
        return np.full((self.n_states, self.n_actions), self.config.q_init)  # (S, A)

    def q_values(self, tables: np.ndarray) -> np.ndarray:
        """The action values the greedy policy acts on, (S, A)."""
        return tables
