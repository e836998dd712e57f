"""True online SARSA(lambda) over tile-coded features (van Seijen & Sutton 2014; S&B 12.8).

Update rule (van Seijen & Sutton 2014, "True online TD(lambda)", ICML; the SARSA form of
Sutton & Barto 2nd ed., 12.8, with binary features x = x(S, A) and step size
alpha = agent.alpha / n_tilings), per step:

    A' ~ pi(. | S');  Q = w.x;  Q' = w.x(S', A')  (0 after a terminal step)
    delta = R + gamma Q' - Q
    z <- gamma lambda z + (1 - alpha gamma lambda z.x) x          (dutch traces)
    w <- w + alpha (delta + Q - Q_old) z - alpha (Q - Q_old) x
    Q_old <- Q'

``z``, ``Q_old`` start at 0 each episode. The updates over ``z`` run over a list of the
(feature, action) pairs traced this episode (the others are 0), as in
:mod:`rlsafe.agents.features.sarsa_lambda`, whose ``clear`` and ``trace`` it uses.
"""

from __future__ import annotations

import numpy as np

from rlsafe.agents import td
from rlsafe.agents.features import EXTRA, META, RING, W, choose_at, greedy, step_size, value
from rlsafe.agents.features.sarsa_lambda import ACTIVE, Z, clear, trace
from rlsafe.compiled.jit import jit
from rlsafe.compiled.loop_args import HP_EXPLORE, HP_GAMMA, HP_OWN, META_OWN

Q_OLD = EXTRA + 3  #: index of Q_old in the tables
#: ``meta[N_LISTED]``: how many weights are listed; ``hp[TRACE_DECAY]``: lambda
N_LISTED = META_OWN
TRACE_DECAY = HP_OWN


@jit
def begin(tables, s, hp, rng):
    """Clear the traces and Q_old of the previous episode, then choose the first action."""
    clear(tables)
    tables[Q_OLD][0] = 0.0
    return choose_at(tables, s, hp[HP_EXPLORE], rng)


@jit
def learn(tables, s, a, r, aux, s2, terminated, truncated, hp, rng):
    """One true online SARSA(lambda) step; returns (next action, delta)."""
    w, meta, ring = tables[W], tables[META], tables[RING]
    z, active, q_old = tables[Z], tables[ACTIVE], tables[Q_OLD]
    n_actions = w.shape[1]
    n_tilings = ring.shape[1]
    a2 = 0
    q2 = 0.0
    if not terminated:
        a2 = choose_at(tables, s2, hp[HP_EXPLORE], rng)
        q2 = value(tables, s2, a2)
    q = value(tables, s, a)
    delta = r + hp[HP_GAMMA] * q2 - q
    alpha = step_size(tables, hp)
    decay = hp[HP_GAMMA] * hp[TRACE_DECAY]
    zx = z[ring[s, 0], a]
    for t in range(1, n_tilings):
        zx += z[ring[s, t], a]
    for i in range(meta[N_LISTED]):
        f = active[i] // n_actions
        b = active[i] - f * n_actions
        z[f, b] *= decay
    grow = 1.0 - alpha * decay * zx
    for t in range(n_tilings):
        f = ring[s, t]
        trace(tables, f, a)
        z[f, a] += grow
    along = alpha * (delta + q - q_old[0])
    against = alpha * (q - q_old[0])
    for i in range(meta[N_LISTED]):
        f = active[i] // n_actions
        b = active[i] - f * n_actions
        w[f, b] += along * z[f, b]
    for t in range(n_tilings):
        w[ring[s, t], a] -= against
    q_old[0] = q2
    return a2, delta


KERNELS = {"agent_schedule": td.schedule, "agent_begin": begin, "agent_learn": learn,
           "agent_greedy": greedy}  # fmt: skip


def extra_tables(n_features: int, n_actions: int) -> tuple:
    """Traces z (F, A), the list of traced pairs (F * A,) int64, which are listed (F, A) bool,
    Q_old (1,)."""
    shape = (n_features, n_actions)
    return (
        np.zeros(shape),
        np.zeros(n_features * n_actions, dtype=np.int64),
        np.zeros(shape, dtype=np.bool_),
        np.zeros(1),
    )
