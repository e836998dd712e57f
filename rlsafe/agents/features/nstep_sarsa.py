"""n-step SARSA with linear function approximation over tile-coded features (S&B 10.2).

Update rule (episodic semi-gradient n-step SARSA, Sutton & Barto 2nd ed., 10.2), for the pair
taken n steps ago, once R_{t+n} and A_{t+n} are known:

    G = R_{t+1} + gamma R_{t+2} + ... + gamma^(n-1) R_{t+n} + gamma^n Q(S_{t+n}, A_{t+n})
    w[f, A_t] <- w[f, A_t] + alpha / n_tilings * (G - Q(S_t, A_t))   for each active f of S_t

As the table kernel (:mod:`rlsafe.agents.nstep_sarsa`): the pending pairs (up to n) are settled
at an episode's end, oldest first, without bootstrap after a terminal step; n = 1 is SARSA.
The ring of states is shorter than n, so the buffer keeps a copy of each pending state's
features (``tables[EXTRA]``, int64 (n, n_tilings)), with its action and reward.
"""

from __future__ import annotations

import numpy as np

from rlsafe.agents import td
from rlsafe.agents.features import EXTRA, META, RING, W, choose_at, greedy, step_size, value
from rlsafe.compiled.jit import jit
from rlsafe.compiled.loop_args import HP_EXPLORE, HP_GAMMA, META_OWN

#: the buffer's indices in the tables (numba indexes a tuple by constants only)
BUF_F, BUF_A, BUF_R = EXTRA, EXTRA + 1, EXTRA + 2
#: ``meta`` slots: the buffer's head, and how many transitions are pending
HEAD, PENDING = META_OWN, META_OWN + 1


@jit
def begin(tables, s, hp, rng):
    """Empty the buffer (already empty after a finished episode), then choose the first action."""
    meta = tables[META]
    meta[HEAD] = 0
    meta[PENDING] = 0
    return choose_at(tables, s, hp[HP_EXPLORE], rng)


@jit
def settle_oldest(tables, hp, s2, a2, bootstrap, step):
    """Update the oldest pending pair with the rewards after it (and gamma^k Q(s2, a2))."""
    w, meta = tables[W], tables[META]
    buf_f, buf_a, buf_r = tables[BUF_F], tables[BUF_A], tables[BUF_R]
    n = buf_a.shape[0]
    head = meta[HEAD]
    k = meta[PENDING]
    g = 0.0
    discount = 1.0
    for j in range(k):
        g += discount * buf_r[(head + j) % n]
        discount *= hp[HP_GAMMA]
    if bootstrap:
        g += discount * value(tables, s2, a2)
    a = buf_a[head]
    q = w[buf_f[head, 0], a]
    for t in range(1, buf_f.shape[1]):
        q += w[buf_f[head, t], a]
    td_error = g - q
    change = step * td_error
    for t in range(buf_f.shape[1]):
        w[buf_f[head, t], a] += change
    meta[HEAD] = (head + 1) % n
    meta[PENDING] = k - 1
    return td_error


@jit
def learn(tables, s, a, r, aux, s2, terminated, truncated, hp, rng):
    """Buffer (features of s, a, r); update the pair n steps back, or all pending ones at the
    episode's end. Returns (next action, the largest |TD error| of the step's updates)."""
    meta, ring = tables[META], tables[RING]
    buf_f, buf_a, buf_r = tables[BUF_F], tables[BUF_A], tables[BUF_R]
    n = buf_a.shape[0]
    pos = (meta[HEAD] + meta[PENDING]) % n
    for t in range(ring.shape[1]):
        buf_f[pos, t] = ring[s, t]
    buf_a[pos] = a
    buf_r[pos] = r
    meta[PENDING] += 1
    a2 = 0
    if not terminated:
        a2 = choose_at(tables, s2, hp[HP_EXPLORE], rng)
    step = step_size(tables, hp)
    if not (terminated or truncated):
        if meta[PENDING] == n:
            return a2, settle_oldest(tables, hp, s2, a2, True, step)
        return a2, 0.0
    td_error = 0.0
    while meta[PENDING] > 0:
        d = settle_oldest(tables, hp, s2, a2, not terminated, step)
        if not abs(d) <= abs(td_error):
            td_error = d
    return a2, td_error


KERNELS = {"agent_schedule": td.schedule, "agent_begin": begin, "agent_learn": learn,
           "agent_greedy": greedy}  # fmt: skip


def extra_tables(n: int, n_tilings: int) -> tuple:
    """The buffer: features (n, n_tilings) int64, actions (n,) int64, rewards (n,) float64."""
    return (np.zeros((n, n_tilings), dtype=np.int64), np.zeros(n, dtype=np.int64), np.zeros(n))
