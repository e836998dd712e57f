"""Expected SARSA with linear function approximation over tile-coded features.

Update rule (van Seijen et al. 2009; Sutton & Barto 2nd ed., 6.6 and 10.1):

    delta = R + gamma * (1 - terminated) * sum_b pi(b | S') Q(S', b) - Q(S, A)
    w[f, A] <- w[f, A] + alpha / n_tilings * delta     for each active feature f of S

``pi`` is the behaviour policy; the next action is drawn after the update, as the table kernel
(:func:`rlsafe.agents.expected_sarsa.learn`) does.
"""

from __future__ import annotations

from rlsafe.agents import td
from rlsafe.agents.explore import expected_value
from rlsafe.agents.features import (
    action_values,
    begin,
    choose_at,
    greedy,
    policy_view,
    step_size,
    update,
)
from rlsafe.compiled.jit import jit
from rlsafe.compiled.loop_args import HP_EXPLORE, HP_GAMMA


@jit
def learn(tables, s, a, r, aux, s2, terminated, truncated, hp, rng):
    """One semi-gradient Expected SARSA step; returns (next action, TD error)."""
    target = r
    if not terminated:
        action_values(tables, s2)
        target = r + hp[HP_GAMMA] * expected_value(policy_view(tables), s2, hp[HP_EXPLORE])
    td_error = update(tables, s, a, target, step_size(tables, hp))
    if terminated:
        return 0, td_error
    return choose_at(tables, s2, hp[HP_EXPLORE], rng), td_error


KERNELS = {"agent_schedule": td.schedule, "agent_begin": begin, "agent_learn": learn,
           "agent_greedy": greedy}  # fmt: skip
