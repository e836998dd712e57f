"""n-step SARSA: the n-step return, bootstrapped from Q(S_{t+n}, A_{t+n}).

Update rule (Sutton & Barto 2nd ed., 7.2; n-step returns go back to Watkins 1989), for the pair
taken n steps ago, once R_{t+n} and A_{t+n} are known:

    G = R_{t+1} + gamma R_{t+2} + ... + gamma^(n-1) R_{t+n} + gamma^n Q(S_{t+n}, A_{t+n})
    Q(S_t, A_t) <- Q(S_t, A_t) + alpha * (G - Q(S_t, A_t))

At the end of an episode the pending pairs (up to n) are settled, oldest first, with the returns
that remain: no bootstrap after a terminal step, bootstrap from Q(S', A') after a truncated one
(A' is drawn for that, as SARSA does). n = 1 is SARSA, draw for draw. The last n transitions
live in a ring buffer in the tables; ``meta[HEAD]`` is its head, ``meta[PENDING]`` how many are pending.
The TD error returned is the largest in magnitude of the step's updates (0 while fewer than n
transitions are pending; NaN whenever any update's is).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rlsafe.agents import td
from rlsafe.agents.explore import choose, record
from rlsafe.agents.features import TileCoded
from rlsafe.agents.features import nstep_sarsa as tile_coded
from rlsafe.agents.td_config import TDConfig
from rlsafe.compiled.jit import jit
from rlsafe.compiled.loop_args import HP_ALPHA, HP_EXPLORE, HP_GAMMA, META_OWN, T_META, T_OWN, T_Q

#: the ring buffer of the last n transitions: states, actions (int64 (n,)), rewards (float64 (n,))
BUF_S, BUF_A, BUF_R = T_OWN, T_OWN + 1, T_OWN + 2
#: ``meta`` slots: the buffer's head, and how many transitions are pending
HEAD, PENDING = META_OWN, META_OWN + 1


@dataclass
class NstepSarsaConfig(TDConfig):
    """Hyperparameters of :class:`NstepSarsa`."""

    n: int = 3  #: steps of real reward before bootstrapping, >= 1

    def check(self, key: str) -> None:
        super().check(key)
        if self.n < 1:
            raise ValueError(f"{key}.n={self.n} is out of range: it must be >= 1")


@jit
def begin(tables, s, hp, rng):
    """Empty the buffer (already empty after a finished episode), then choose the first action."""
    meta = tables[T_META]
    meta[HEAD] = 0
    meta[PENDING] = 0
    return choose(tables, s, hp[HP_EXPLORE], rng)


@jit
def settle_oldest(tables, hp, s2, a2, bootstrap):
    """Update the oldest pending pair with the rewards after it (and gamma^k Q(s2, a2))."""
    q, meta, buf_s, buf_a, buf_r = (
        tables[T_Q],
        tables[T_META],
        tables[BUF_S],
        tables[BUF_A],
        tables[BUF_R],
    )
    n = buf_s.shape[0]
    head = meta[HEAD]
    k = meta[PENDING]
    g = 0.0
    discount = 1.0
    for j in range(k):
        g += discount * buf_r[(head + j) % n]
        discount *= hp[HP_GAMMA]
    if bootstrap:
        g += discount * q[s2, a2]
    td_error = td.update(q, buf_s[head], buf_a[head], g, hp[HP_ALPHA])
    meta[HEAD] = (head + 1) % n
    meta[PENDING] = k - 1
    return td_error


@jit
def learn(tables, s, a, r, aux, s2, terminated, truncated, hp, rng):
    """Buffer (s, a, r); update the pair n steps back, or all pending ones at episode end."""
    meta, buf_s, buf_a, buf_r = tables[T_META], tables[BUF_S], tables[BUF_A], tables[BUF_R]
    n = buf_s.shape[0]
    record(tables, s, a)
    pos = (meta[HEAD] + meta[PENDING]) % n
    buf_s[pos] = s
    buf_a[pos] = a
    buf_r[pos] = r
    meta[PENDING] += 1
    a2 = 0
    if not terminated:
        a2 = choose(tables, s2, hp[HP_EXPLORE], rng)
    if not (terminated or truncated):
        if meta[PENDING] == n:
            return a2, settle_oldest(tables, hp, s2, a2, True)
        return a2, 0.0
    td_error = 0.0
    while meta[PENDING] > 0:
        d = settle_oldest(tables, hp, s2, a2, not terminated)
        if not abs(d) <= abs(td_error):
            td_error = d
    return a2, td_error


class NstepSarsa(TileCoded, td.TDAgent):
    """Tabular n-step SARSA: ``tables`` = (q, counts, meta, the last n states, actions (int64)
    and rewards (float64) of the episode, as a ring buffer)."""

    Config = NstepSarsaConfig
    kernels = {"agent_schedule": td.schedule, "agent_begin": begin, "agent_learn": learn,
               "agent_greedy": td.greedy}  # fmt: skip
    feature_kernels = tile_coded.KERNELS  # discretizer=tiles (rlsafe.agents.features)

    @classmethod
    def extra_table_bytes(cls, n_states, n_actions, config) -> int:
        return 3 * 8 * (config.n if config is not None else 1)

    def extra_tables(self) -> tuple:
        n = self.config.n
        return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64), np.zeros(n)

    def feature_extra_tables(self) -> tuple:
        return tile_coded.extra_tables(self.config.n, self.coding.n_tilings)
