"""Expected SARSA: the expectation of the next value under the behaviour policy.

Update rule (van Seijen, van Hasselt, Whiteson & Wiering 2009, "A theoretical and empirical
analysis of Expected Sarsa", IEEE ADPRL; Sutton & Barto 2nd ed., 6.6):

    Q(S, A) <- Q(S, A) + alpha * (R + gamma * (1 - terminated) * sum_a pi(a | S') Q(S', a) - Q(S, A))

``pi`` is the behaviour policy itself (epsilon-greedy, softmax or UCB, see
rlsafe.agents.explore), so the target has SARSA's meaning without its sampling noise. The next
action is drawn after the update, as Q-learning does. A truncated step bootstraps.
"""

from __future__ import annotations

from dataclasses import dataclass

from rlsafe.agents import td
from rlsafe.agents.features import TileCoded
from rlsafe.agents.features import expected_sarsa as tile_coded
from rlsafe.agents.explore import TDConfig, choose, expected_value, record
from rlsafe.jit import jit


@dataclass
class ExpectedSarsaConfig(TDConfig):
    """Hyperparameters of :class:`ExpectedSarsa` (all of :class:`TDConfig`, with its defaults)."""


@jit
def learn(tables, s, a, r, aux, s2, terminated, truncated, hp, rng):
    """One Expected SARSA update of ``tables[0]``; returns (next action, TD error)."""
    record(tables, s, a)
    target = r if terminated else r + hp[2] * expected_value(tables, s2, hp[1])
    td_error = td.update(tables[0], s, a, target, hp[0])
    if terminated:
        return 0, td_error
    return choose(tables, s2, hp[1], rng), td_error


class ExpectedSarsa(TileCoded, td.TDAgent):
    """Tabular Expected SARSA: one table ``q`` of shape (n_states, n_actions)."""

    Config = ExpectedSarsaConfig
    kernels = {"agent_schedule": td.schedule, "agent_begin": td.begin, "agent_learn": learn,
               "agent_greedy": td.greedy}  # fmt: skip
    feature_kernels = tile_coded.KERNELS  # discretizer=tiles (rlsafe.agents.features)
