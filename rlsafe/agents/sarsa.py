"""SARSA: on-policy TD control.

Update rule (Rummery & Niranjan 1994, "On-line Q-learning using connectionist systems", CUED/F-
INFENG/TR 166; Sutton & Barto 2nd ed., 6.4):

    A' ~ pi(. | S')                       (the behaviour policy, see rlsafe.agents.explore)
    Q(S, A) <- Q(S, A) + alpha * (R + gamma * (1 - terminated) * Q(S', A') - Q(S, A))

As in the book, the next action is chosen *before* the update (it matters only when S' = S) and
is the action taken next. A truncated step bootstraps from Q(S', A') like any other; a terminal
one draws no next action.
"""

from __future__ import annotations

from dataclasses import dataclass

from rlsafe.agents import td
from rlsafe.agents.explore import TDConfig, choose, record
from rlsafe.jit import jit


@dataclass
class SarsaConfig(TDConfig):
    """Hyperparameters of :class:`Sarsa` (all of :class:`TDConfig`, with its defaults)."""


@jit
def learn(tables, s, a, r, aux, s2, terminated, truncated, hp, rng):
    """One SARSA update of ``tables[0]``; returns (next action, TD error)."""
    q = tables[0]
    record(tables, s, a)
    if terminated:
        return 0, td.update(q, s, a, r, hp[0])
    a2 = choose(tables, s2, hp[1], rng)
    return a2, td.update(q, s, a, r + hp[2] * q[s2, a2], hp[0])


class Sarsa(td.TDAgent):
    """Tabular SARSA: one table ``q`` of shape (n_states, n_actions)."""

    Config = SarsaConfig
    kernels = {"agent_schedule": td.schedule, "agent_begin": td.begin, "agent_learn": learn,
               "agent_greedy": td.greedy}  # fmt: skip
