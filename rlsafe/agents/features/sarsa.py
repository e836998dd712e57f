"""SARSA with linear function approximation over tile-coded features (semi-gradient SARSA).

Update rule (Sutton & Barto 2nd ed., 10.1, episodic semi-gradient SARSA):

    A' ~ pi(. | S')                       (chosen before the update)
    delta = R + gamma * (1 - terminated) * Q(S', A') - Q(S, A)
    w[f, A] <- w[f, A] + alpha / n_tilings * delta     for each active feature f of S

As the table kernel (:func:`rlsafe.agents.sarsa.learn`), each update waits for the next call,
which brings the executed A' (``tables[EXTRA]``: pending flag, S, A, R); S's ring row is still
intact then (the ring keeps the last :data:`rlsafe.discretizers.tiles.RING_ROWS` states).
"""

from __future__ import annotations

import numpy as np

from rlsafe.agents import td
from rlsafe.agents.features import EXTRA, begin, choose_at, greedy, step_size, update, value
from rlsafe.compiled.jit import jit
from rlsafe.compiled.loop_args import HP_EXPLORE, HP_GAMMA


@jit
def learn(tables, s, a, r, aux, s2, terminated, truncated, hp, rng):
    """Settle the pending update with the executed ``a``, then defer this step's; returns
    (next action, TD error of the update made)."""
    pending = tables[EXTRA]
    step = step_size(tables, hp)
    td_error = 0.0
    if pending[0] == 1.0:
        td_error = update(
            tables,
            int(pending[1]),
            int(pending[2]),
            pending[3] + hp[HP_GAMMA] * value(tables, s, a),
            step,
        )
        pending[0] = 0.0
    if terminated:
        return 0, td_error + update(tables, s, a, r, step)
    a2 = choose_at(tables, s2, hp[HP_EXPLORE], rng)
    if truncated:
        return a2, td_error + update(tables, s, a, r + hp[HP_GAMMA] * value(tables, s2, a2), step)
    pending[0], pending[1], pending[2], pending[3] = 1.0, s, a, r
    return a2, td_error


KERNELS = {"agent_schedule": td.schedule, "agent_begin": begin, "agent_learn": learn,
           "agent_greedy": greedy}  # fmt: skip


def extra_tables() -> tuple:
    return (np.zeros(4),)  # pending update: flag, S (a ring row), A, R
