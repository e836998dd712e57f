"""SARSA(lambda) with linear function approximation over tile-coded features (S&B 12.7).

Update rule (Sutton & Barto 2nd ed., 12.7, binary features), per step:

    A' ~ pi(. | S')                       (chosen before the update, as in SARSA)
    delta = R + gamma * (1 - terminated) * Q(S', A') - Q(S, A)
    for each active feature f of S:  z[f, A] <- z[f, A] + 1   (accumulating)
                                    or z[f, A] <- 1            (replacing)
    w <- w + alpha / n_tilings * delta * z;   z <- gamma * lambda * z

As the table kernel (:mod:`rlsafe.agents.sarsa_lambda`), the loop runs over a list of the
(feature, action) pairs traced this episode rather than all of ``w`` (the others would get
``+ 0``); ``begin`` clears them.
"""

from __future__ import annotations

import numpy as np

from rlsafe.agents import td
from rlsafe.agents.features import EXTRA, META, RING, W, choose_at, greedy, step_size, value
from rlsafe.compiled.jit import jit
from rlsafe.compiled.loop_args import HP_EXPLORE, HP_GAMMA, HP_OWN, META_OWN

#: ``meta[TRACE_KIND]`` of accumulating traces, as :class:`rlsafe.agents.sarsa_lambda.SarsaLambda` sets
#: it (that module imports this one, so the constant is repeated, and tested equal)
ACCUMULATING = 1

#: the traces' indices in the tables (numba indexes a tuple by constants only)
Z, ACTIVE, LISTED = EXTRA, EXTRA + 1, EXTRA + 2
#: ``meta`` slots: how many weights are listed, and the kind of traces; ``hp[TRACE_DECAY]``: lambda
N_LISTED, TRACE_KIND = META_OWN, META_OWN + 1
TRACE_DECAY = HP_OWN


@jit
def clear(tables):
    """Zero the traces of the listed pairs and empty the list."""
    meta, z, active, listed = tables[META], tables[Z], tables[ACTIVE], tables[LISTED]
    n_actions = z.shape[1]
    for i in range(meta[N_LISTED]):
        f = active[i] // n_actions
        b = active[i] - f * n_actions
        z[f, b] = 0.0
        listed[f, b] = False
    meta[N_LISTED] = 0


@jit
def trace(tables, f, a):
    """List the pair (f, a) if it is not yet."""
    meta, active, listed = tables[META], tables[ACTIVE], tables[LISTED]
    if not listed[f, a]:
        listed[f, a] = True
        active[meta[N_LISTED]] = f * tables[W].shape[1] + a
        meta[N_LISTED] += 1


@jit
def begin(tables, s, hp, rng):
    """Clear the traces of the previous episode, then choose the first action."""
    clear(tables)
    return choose_at(tables, s, hp[HP_EXPLORE], rng)


@jit
def learn(tables, s, a, r, aux, s2, terminated, truncated, hp, rng):
    """One SARSA(lambda) step over every traced pair; returns (next action, delta)."""
    w, meta, ring = tables[W], tables[META], tables[RING]
    z, active = tables[Z], tables[ACTIVE]
    n_actions = w.shape[1]
    a2 = 0
    target = r
    if not terminated:
        a2 = choose_at(tables, s2, hp[HP_EXPLORE], rng)
        target = r + hp[HP_GAMMA] * value(tables, s2, a2)
    delta = target - value(tables, s, a)
    for t in range(ring.shape[1]):
        f = ring[s, t]
        trace(tables, f, a)
        if meta[TRACE_KIND] == ACCUMULATING:
            z[f, a] += 1.0
        else:
            z[f, a] = 1.0
    step = step_size(tables, hp) * delta
    decay = hp[HP_GAMMA] * hp[TRACE_DECAY]
    for i in range(meta[N_LISTED]):
        f = active[i] // n_actions
        b = active[i] - f * n_actions
        w[f, b] += step * z[f, b]
        z[f, b] *= decay
    return a2, delta


KERNELS = {"agent_schedule": td.schedule, "agent_begin": begin, "agent_learn": learn,
           "agent_greedy": greedy}  # fmt: skip


def extra_tables(n_features: int, n_actions: int) -> tuple:
    """Traces z (F, A), the list of traced pairs (F * A,) int64, which are listed (F, A) bool."""
    shape = (n_features, n_actions)
    return (
        np.zeros(shape),
        np.zeros(n_features * n_actions, dtype=np.int64),
        np.zeros(shape, dtype=np.bool_),
    )
