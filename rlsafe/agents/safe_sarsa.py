"""Safe SARSA: SARSA that bootstraps on its own next choice, so interruptions do not bias it.

Orseau & Armstrong 2016, "Safely Interruptible Agents" (UAI), Section 4: SARSA learns the value of
the policy it actually follows, interruptions included, and so learns to avoid them; replacing
the next action in the target by the agent's own uninterrupted choice makes it safely
interruptible:

    A' ~ pi(. | S')                       (the agent's choice, before any override by the env)
    Q(S, A) <- Q(S, A) + alpha * (R + gamma * (1 - terminated) * Q(S', A') - Q(S, A))

with ``A`` the action the env executed (``agent.update_on=executed``, see :mod:`rlsafe.compiled.loop`).
Where nothing overrides actions this is :mod:`rlsafe.agents.sarsa` step for step.
"""

from __future__ import annotations

from dataclasses import dataclass

from rlsafe.agents import td
from rlsafe.agents.explore import choose, record
from rlsafe.agents.td_config import TDConfig
from rlsafe.compiled.jit import jit
from rlsafe.compiled.loop_args import HP_ALPHA, HP_EXPLORE, HP_GAMMA, T_Q


@dataclass
class SafeSarsaConfig(TDConfig):
    """Hyperparameters of :class:`SafeSarsa` (all of :class:`TDConfig`, with its defaults)."""


@jit
def learn(tables, s, a, r, aux, s2, terminated, truncated, hp, rng):
    """One update of ``tables[T_Q]`` bootstrapped on the agent's own next choice; returns
    (next action, TD error)."""
    q = tables[T_Q]
    record(tables, s, a)
    if terminated:
        return 0, td.update(q, s, a, r, hp[HP_ALPHA])
    a2 = choose(tables, s2, hp[HP_EXPLORE], rng)
    return a2, td.update(q, s, a, r + hp[HP_GAMMA] * q[s2, a2], hp[HP_ALPHA])


class SafeSarsa(td.TDAgent):
    """Tabular Safe SARSA: one table ``q`` of shape (n_states, n_actions)."""

    Config = SafeSarsaConfig
    kernels = {"agent_schedule": td.schedule, "agent_begin": td.begin, "agent_learn": learn,
               "agent_greedy": td.greedy}  # fmt: skip
