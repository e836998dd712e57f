"""Watkins' Q-learning.

Update rule (Watkins 1989; Watkins & Dayan 1992, "Q-learning", Machine Learning 8):

    Q(s, a) <- Q(s, a) + alpha * (r + gamma * (1 - terminated) * max_b Q(s', b) - Q(s, a))

A truncated step (time limit) still bootstraps: only ``terminated`` zeroes the next value. The next
action is chosen after the update, by the configured exploration rule (epsilon-greedy by default,
ties among greedy actions broken at random; see :mod:`rlsafe.agents.explore`).
"""

from __future__ import annotations

from dataclasses import dataclass

from rlsafe.agents import td
from rlsafe.agents.explore import EPSILON_GREEDY, choose, record
from rlsafe.agents.features import TileCoded
from rlsafe.agents.features import qlearning as tile_coded
from rlsafe.agents.td_config import TDConfig
from rlsafe.compiled.jit import break_tie, jit, row_argmax
from rlsafe.compiled.loop_args import HP_ALPHA, HP_EXPLORE, HP_GAMMA, META_RULE, T_META, T_Q


@dataclass
class QLearningConfig(TDConfig):
    """Hyperparameters of :class:`QLearning` (all of :class:`TDConfig`, with its defaults)."""


@jit
def learn(tables, s, a, r, aux, s2, terminated, truncated, hp, rng):
    """One Q-learning update of ``q`` (modified); returns (next action, TD error).

    ``aux`` and ``truncated`` play no part: a truncated step bootstraps like any other.
    With epsilon-greedy, one pass over ``q[s2]`` serves both the target's max and the next greedy
    action (redone only when ``s2 == s``, the one case where the update changed that row).
    """
    q = tables[T_Q]
    record(tables, s, a)
    best, index, count = row_argmax(q, s2)
    target = r if terminated else r + hp[HP_GAMMA] * best
    td_error = target - q[s, a]
    q[s, a] += hp[HP_ALPHA] * td_error
    if terminated:
        return 0, td_error  # the episode is over: no next action is needed, and none is drawn
    if tables[T_META][META_RULE] != EPSILON_GREEDY:
        return choose(tables, s2, hp[HP_EXPLORE], rng), td_error
    u = rng.random()
    if u < hp[HP_EXPLORE]:
        return min(int(u / hp[HP_EXPLORE] * q.shape[1]), q.shape[1] - 1), td_error
    if s2 == s:
        best, index, count = row_argmax(q, s2)
    return break_tie(q, s2, best, count, index, rng), td_error


class QLearning(TileCoded, td.TDAgent):
    """Tabular Q-learning: one table ``q`` of shape (n_states, n_actions)."""

    Config = QLearningConfig
    kernels = {"agent_schedule": td.schedule, "agent_begin": td.begin, "agent_learn": learn,
               "agent_greedy": td.greedy}  # fmt: skip
    feature_kernels = tile_coded.KERNELS  # discretizer=tiles (rlsafe.agents.features)
