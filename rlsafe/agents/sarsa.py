"""SARSA: on-policy TD control.

Update rule (Rummery & Niranjan 1994, "On-line Q-learning using connectionist systems", CUED/F-
INFENG/TR 166; Sutton & Barto 2nd ed., 6.4):

    A' ~ pi(. | S')                       (the behaviour policy, see rlsafe.agents.explore)
    Q(S, A) <- Q(S, A) + alpha * (R + gamma * (1 - terminated) * Q(S', A') - Q(S, A))

As in the book, the next action is chosen *before* the update (it matters only when S' = S) and
is the action taken next. A truncated step bootstraps from Q(S', A') like any other; a terminal
one draws no next action.

A' in the target is the action *executed* next. Where the env overrides actions
(``actual_action``, e.g. an interruption) that is only known one step later, so each update waits
in ``tables[PENDING]`` (float64 (4,): pending, S, A, R) until the next call brings the executed A' as
its ``a``; the episode's last step settles at once (terminated: no bootstrap; truncated: on the
agent's own A'). Nothing else changes between the choice of A' and the deferred update, so where
nothing overrides actions the Q-values are those of the immediate update, bit for bit; the TD
error a call returns is then the previous step's (0 on an episode's first step, and the last
step returns the sum of its two). Bootstrapping on the executed action is what makes SARSA learn
to avoid interruptions (Orseau & Armstrong 2016); :mod:`rlsafe.agents.safe_sarsa` does not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rlsafe.agents import td
from rlsafe.agents.explore import choose, record
from rlsafe.agents.features import TileCoded
from rlsafe.agents.features import sarsa as tile_coded
from rlsafe.agents.td_config import TDConfig
from rlsafe.compiled.jit import jit
from rlsafe.compiled.loop_args import HP_ALPHA, HP_EXPLORE, HP_GAMMA, T_OWN, T_Q

#: the step waiting for its executed next action (float64 (4,): pending, S, A, R)
PENDING = T_OWN


@dataclass
class SarsaConfig(TDConfig):
    """Hyperparameters of :class:`Sarsa` (all of :class:`TDConfig`, with its defaults)."""


@jit
def learn(tables, s, a, r, aux, s2, terminated, truncated, hp, rng):
    """Settle the pending SARSA update with the executed ``a``, then defer this step's; returns
    (next action, TD error of the update made)."""
    q, pending = tables[T_Q], tables[PENDING]
    record(tables, s, a)
    td_error = 0.0
    if pending[0] == 1.0:
        td_error = td.update(
            q, int(pending[1]), int(pending[2]), pending[3] + hp[HP_GAMMA] * q[s, a], hp[HP_ALPHA]
        )
        pending[0] = 0.0
    if terminated:
        return 0, td_error + td.update(q, s, a, r, hp[HP_ALPHA])
    a2 = choose(tables, s2, hp[HP_EXPLORE], rng)
    if truncated:
        return a2, td_error + td.update(q, s, a, r + hp[HP_GAMMA] * q[s2, a2], hp[HP_ALPHA])
    pending[0], pending[1], pending[2], pending[3] = 1.0, s, a, r
    return a2, td_error


class Sarsa(TileCoded, td.TDAgent):
    """Tabular SARSA: one table ``q`` of shape (n_states, n_actions)."""

    Config = SarsaConfig
    kernels = {"agent_schedule": td.schedule, "agent_begin": td.begin, "agent_learn": learn,
               "agent_greedy": td.greedy}  # fmt: skip
    feature_kernels = tile_coded.KERNELS  # discretizer=tiles (rlsafe.agents.features)

    @classmethod
    def extra_table_bytes(cls, n_states, n_actions, config) -> int:
        return 8 * 4

    def extra_tables(self) -> tuple:
        return (np.zeros(4),)  # pending update: flag, S, A, R

    def feature_extra_tables(self) -> tuple:
        return tile_coded.extra_tables()
