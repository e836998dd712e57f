"""beta-pessimistic Q-learning: a target that mixes the best and the worst next action.

Update rule (Gaskett 2003, "Reinforcement learning under circumstances beyond its control",
CIMCA 2003), with ``beta`` in [0, 1]:

    V(s') = (1 - beta) * max_b Q(s', b) + beta * min_b Q(s', b)
    Q(s, a) <- Q(s, a) + alpha * (r + gamma * (1 - terminated) * V(s') - Q(s, a))

``beta = 0`` is Q-learning, draw for draw; ``beta = 1`` plans as if the worst next action were
always taken (an adversary, or exploration, that cannot be controlled). A truncated step still
bootstraps. The next action is chosen after the update by the configured exploration rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from rlsafe.agents import td
from rlsafe.agents.explore import choose, record
from rlsafe.agents.td_config import TDConfig
from rlsafe.compiled.jit import jit
from rlsafe.compiled.loop_args import HP_ALPHA, HP_EXPLORE, HP_GAMMA, HP_OWN, T_Q

#: ``hp[BETA]``: the weight of the worst next value (its ``extra_hparams``)
BETA = HP_OWN


@dataclass
class PessimisticQLearningConfig(TDConfig):
    """Hyperparameters of :class:`PessimisticQLearning`."""

    beta: float = 0.1  #: weight of the worst next action in the target, in [0, 1]

    def check(self, key: str) -> None:
        super().check(key)
        if not 0.0 <= self.beta <= 1.0:
            raise ValueError(f"{key}.beta={self.beta} is out of range: it must be in [0, 1]")


@jit
def learn(tables, s, a, r, aux, s2, terminated, truncated, hp, rng):
    """One beta-pessimistic update of ``tables[T_Q]`` (``hp[BETA]`` = beta); returns (next action,
    TD error). ``aux`` and ``truncated`` play no part."""
    q = tables[T_Q]
    record(tables, s, a)
    best = q[s2, 0]
    worst = q[s2, 0]
    for b in range(1, q.shape[1]):
        best = max(best, q[s2, b])
        worst = min(worst, q[s2, b])
    target = r if terminated else r + hp[HP_GAMMA] * ((1.0 - hp[BETA]) * best + hp[BETA] * worst)
    td_error = td.update(q, s, a, target, hp[HP_ALPHA])
    if terminated:
        return 0, td_error
    return choose(tables, s2, hp[HP_EXPLORE], rng), td_error


class PessimisticQLearning(td.TDAgent):
    """Tabular beta-pessimistic Q-learning: one table ``q`` (n_states, n_actions); ``beta`` is
    logged as ``train/beta``."""

    Config = PessimisticQLearningConfig
    extra_hparams = ("beta",)
    kernels = {"agent_schedule": td.schedule, "agent_begin": td.begin, "agent_learn": learn,
               "agent_greedy": td.greedy}  # fmt: skip

    def extra_params(self) -> list[float]:
        return [self.config.beta]
