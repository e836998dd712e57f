"""SARSA(lambda): SARSA with eligibility traces (the backward view).

Update rule (Rummery & Niranjan 1994; Sutton & Barto 1st ed., 7.5, and 2nd ed., 12.7), per step:

    A' ~ pi(. | S')                       (chosen before the update, as in SARSA)
    delta = R + gamma * (1 - terminated) * Q(S', A') - Q(S, A)
    e(S, A) <- e(S, A) + 1     (accumulating traces)   or   e(S, A) <- 1     (replacing traces,
                                                             Singh & Sutton 1996, Machine Learning 22)
    for every (s, a):  Q(s, a) <- Q(s, a) + alpha * delta * e(s, a);  e(s, a) <- gamma * lambda * e(s, a)

Traces start at 0 each episode (``begin`` clears them). Nothing is pending at the end of an
episode: every step's error has already been applied to all traced pairs, and a truncated step
bootstraps from Q(S', A'). Only the pairs visited this episode have non-zero traces, so the
kernel loops over a list of them instead of the whole table (the same arithmetic: the other
entries would get ``alpha * delta * 0``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from rlsafe.agents import td
from rlsafe.agents.explore import choose, record
from rlsafe.agents.features import TileCoded
from rlsafe.agents.features import sarsa_lambda as tile_coded
from rlsafe.agents.td_config import TDConfig, in_range
from rlsafe.compiled.jit import jit
from rlsafe.compiled.loop_args import (
    HP_ALPHA,
    HP_EXPLORE,
    HP_GAMMA,
    HP_OWN,
    META_OWN,
    T_META,
    T_OWN,
    T_Q,
)

#: ``hp[TRACE_DECAY]``: lambda (its ``extra_hparams``)
TRACE_DECAY = HP_OWN
#: the traces (float64 (S, A)), the listed pairs (int64 (S * A,)), which pairs are listed (bool (S, A))
TRACES, ACTIVE, LISTED = T_OWN, T_OWN + 1, T_OWN + 2
#: ``meta`` slots: how many pairs are listed, and the kind of traces
N_LISTED, TRACE_KIND = META_OWN, META_OWN + 1


class Traces(str, Enum):
    replacing = "replacing"
    accumulating = "accumulating"


REPLACING = 0
ACCUMULATING = 1


@dataclass
class SarsaLambdaConfig(TDConfig):
    """Hyperparameters of :class:`SarsaLambda`."""

    trace_decay: float = 0.8  #: lambda, in [0, 1]: 0 is one-step SARSA, 1 a Monte Carlo-like return
    traces: Traces = Traces.replacing  #: replacing or accumulating

    def check(self, key: str) -> None:
        super().check(key)
        in_range(f"{key}.trace_decay", self.trace_decay, 0.0, 1.0)


@jit
def begin(tables, s, hp, rng):
    """Clear the traces of the previous episode, then choose the first action."""
    meta, e, active, listed = tables[T_META], tables[TRACES], tables[ACTIVE], tables[LISTED]
    n_actions = e.shape[1]
    for i in range(meta[N_LISTED]):
        si = active[i] // n_actions
        ai = active[i] - si * n_actions
        e[si, ai] = 0.0
        listed[si, ai] = False
    meta[N_LISTED] = 0
    return choose(tables, s, hp[HP_EXPLORE], rng)


@jit
def learn(tables, s, a, r, aux, s2, terminated, truncated, hp, rng):
    """One SARSA(lambda) step over every traced pair; returns (next action, delta)."""
    q, meta, e, active, listed = (
        tables[T_Q],
        tables[T_META],
        tables[TRACES],
        tables[ACTIVE],
        tables[LISTED],
    )
    n_actions = q.shape[1]
    record(tables, s, a)
    a2 = 0
    target = r
    if not terminated:
        a2 = choose(tables, s2, hp[HP_EXPLORE], rng)
        target = r + hp[HP_GAMMA] * q[s2, a2]
    delta = target - q[s, a]
    if not listed[s, a]:
        listed[s, a] = True
        active[meta[N_LISTED]] = s * n_actions + a
        meta[N_LISTED] += 1
    if meta[TRACE_KIND] == ACCUMULATING:
        e[s, a] += 1.0
    else:
        e[s, a] = 1.0
    step = hp[HP_ALPHA] * delta
    decay = hp[HP_GAMMA] * hp[TRACE_DECAY]
    for i in range(meta[N_LISTED]):
        si = active[i] // n_actions
        ai = active[i] - si * n_actions
        q[si, ai] += step * e[si, ai]
        e[si, ai] *= decay
    return a2, delta


class SarsaLambda(TileCoded, td.TDAgent):
    """Tabular SARSA(lambda): ``tables`` = (q, counts, meta, traces e (S, A), list of the traced
    pairs (S * A,) int64, which pairs are listed (S, A) bool); ``meta[N_LISTED]`` = how many are listed,
    ``meta[TRACE_KIND]`` = 0 replacing, 1 accumulating."""

    Config = SarsaLambdaConfig
    extra_hparams = ("trace_decay",)
    kernels = {"agent_schedule": td.schedule, "agent_begin": begin, "agent_learn": learn,
               "agent_greedy": td.greedy}  # fmt: skip
    feature_kernels = tile_coded.KERNELS  # discretizer=tiles (rlsafe.agents.features)

    def extra_params(self) -> list[float]:
        return [self.config.trace_decay]

    @classmethod
    def extra_table_bytes(cls, n_states, n_actions, config) -> int:
        return (8 + 8 + 1) * n_states * n_actions

    def make_tables(self) -> tuple:  # with tiles too (TileCoded's)
        tables = super().make_tables()
        tables[T_META][TRACE_KIND] = (
            ACCUMULATING if Traces(self.config.traces) == Traces.accumulating else REPLACING
        )
        return tables

    def extra_tables(self) -> tuple:
        shape = (self.n_states, self.n_actions)
        return (
            np.zeros(shape),
            np.zeros(self.n_states * self.n_actions, dtype=np.int64),
            np.zeros(shape, dtype=np.bool_),
        )

    def feature_extra_tables(self) -> tuple:
        return tile_coded.extra_tables(self.coding.n_features, self.n_actions)
