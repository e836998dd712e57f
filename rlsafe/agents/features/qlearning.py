"""Q-learning with linear function approximation over tile-coded features (semi-gradient).

Update rule (Watkins 1989; linear, Sutton & Barto 2nd ed., 10.1 with the max target of 6.5):

    delta = R + gamma * (1 - terminated) * max_b Q(S', b) - Q(S, A)
    w[f, A] <- w[f, A] + alpha / n_tilings * delta     for each active feature f of S

The next action is chosen after the update, as the table kernel
(:func:`rlsafe.agents.qlearning.learn`) does, with the same draws.
"""

from __future__ import annotations

from rlsafe.agents import td
from rlsafe.agents.explore import EPSILON_GREEDY
from rlsafe.agents.features import (
    META,
    QS,
    action_values,
    begin,
    choose_at,
    greedy,
    step_size,
    update,
)
from rlsafe.compiled.jit import break_tie, jit, row_argmax
from rlsafe.compiled.loop_args import HP_EXPLORE, HP_GAMMA


@jit
def learn(tables, s, a, r, aux, s2, terminated, truncated, hp, rng):
    """One semi-gradient Q-learning step on the weights; returns (next action, TD error)."""
    qs = tables[QS]
    n_actions = qs.shape[1]
    target = r
    if not terminated:
        action_values(tables, s2)
        best, _, _ = row_argmax(qs, s2)
        target = r + hp[HP_GAMMA] * best
    td_error = update(tables, s, a, target, step_size(tables, hp))
    if terminated:
        return 0, td_error  # no next action is needed, and none is drawn
    if tables[META][0] != EPSILON_GREEDY:
        return choose_at(tables, s2, hp[HP_EXPLORE], rng), td_error
    u = rng.random()
    if u < hp[HP_EXPLORE]:
        return min(int(u / hp[HP_EXPLORE] * n_actions), n_actions - 1), td_error
    action_values(tables, s2)  # after the update, which may have moved Q(S', .)
    best, index, count = row_argmax(qs, s2)
    return break_tie(qs, s2, best, count, index, rng), td_error


KERNELS = {"agent_schedule": td.schedule, "agent_begin": begin, "agent_learn": learn,
           "agent_greedy": greedy}  # fmt: skip
