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
from rlsafe.agents.explore import choose, expected_value, record
from rlsafe.agents.features import TileCoded
from rlsafe.agents.features import expected_sarsa as tile_coded
from rlsafe.agents.td_config import TDConfig
from rlsafe.compiled.jit import jit
from rlsafe.compiled.loop_args import HP_ALPHA, HP_EXPLORE, HP_GAMMA, T_Q


@dataclass
class ExpectedSarsaConfig(TDConfig):
    """Hyperparameters of :class:`ExpectedSarsa` (all of :class:`TDConfig`, with its defaults)."""


@jit
def learn(tables, s, a, r, aux, s2, terminated, truncated, hp, rng):
    """One Expected SARSA update of ``tables[T_Q]``; returns (next action, TD error)."""
    record(tables, s, a)
    target = r if terminated else r + hp[HP_GAMMA] * expected_value(tables, s2, hp[HP_EXPLORE])
    td_error = td.update(tables[T_Q], s, a, target, hp[HP_ALPHA])
    if terminated:
        return 0, td_error
    return choose(tables, s2, hp[HP_EXPLORE], rng), td_error


class ExpectedSarsa(TileCoded, td.TDAgent):
    """Tabular Expected SARSA: one table ``q`` of shape (n_states, n_actions)."""

    Config = ExpectedSarsaConfig
    kernels = {"agent_schedule": td.schedule, "agent_begin": td.begin, "agent_learn": learn,
               "agent_greedy": td.greedy}  # fmt: skip
    feature_kernels = tile_coded.KERNELS  # discretizer=tiles (rlsafe.agents.features)
