"""Lagrangian Q-learning: reward and cost values, traded off by a multiplier learned by dual ascent.

A constrained MDP (Altman 1999): maximise the return subject to the expected episode cost staying
below ``cost_limit``. Its Lagrangian relaxation acts greedily on

    Q_R(s, a) - lambda * Q_C(s, a)

with Q_R and Q_C each learned by a Q-learning-style target along the action that maximises the
combined value (Tessler et al. 2019, "Reward Constrained Policy Optimization", the tabular
case; Ray et al. 2019, the Safety Gym Lagrangian baselines):

    b = argmax_b' [Q_R(s', b') - lambda Q_C(s', b')]          (first of ties)
    Q_R(s, a) <- Q_R(s, a) + alpha * (r + gamma (1 - terminated) Q_R(s', b) - Q_R(s, a))
    Q_C(s, a) <- Q_C(s, a) + alpha * (c + gamma (1 - terminated) Q_C(s', b) - Q_C(s, a))

and at the end of every episode, dual ascent on log lambda (which keeps lambda > 0):

    log lambda <- clip(log lambda + lr_lambda * (episode cost - cost_limit), -10, 5)

The cost ``c`` is the env's ``cost`` signal, its first ``aux`` slot (the safety gridworlds that
define one: island_navigation, distributional_shift, side_effects_sokoban, absent_supervisor,
conveyor_belt, rocks_diamonds, tomato_watering).

Tables: ``tables[T_Q]`` the combined values (what exploration and the greedy policy act on, kept
equal to Q_R - lambda Q_C), then the shared counts and meta, then Q_R, Q_C (S, A) and ``lag``
float64 (2,): log lambda, the running episode's cost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rlsafe.agents import td
from rlsafe.agents.explore import choose, record
from rlsafe.agents.td_config import TDConfig, in_range
from rlsafe.compiled.jit import jit, row_argmax
from rlsafe.compiled.loop_args import HP_ALPHA, HP_EXPLORE, HP_GAMMA, HP_OWN, T_OWN, T_Q

LOG_LAMBDA_RANGE = (-10.0, 5.0)

#: ``hp`` slots of its own (``extra_hparams``)
COST_LIMIT, LR_LAMBDA = HP_OWN, HP_OWN + 1
#: the reward and cost values (float64 (S, A)) and the multiplier's state (float64)
QR, QC, LAG = T_OWN, T_OWN + 1, T_OWN + 2
#: ``tables[LAG]`` slots: log lambda, and the cost of the episode so far
LOG_LAMBDA, EPISODE_COST = 0, 1


@dataclass
class LagrangianQLearningConfig(TDConfig):
    """Hyperparameters of :class:`LagrangianQLearning`."""

    cost_limit: float = 0.0  #: the expected episode cost allowed, >= 0
    lr_lambda: float = 0.05  #: dual-ascent step on log lambda per unit of excess cost, > 0
    lambda_init: float = 1.0  #: lambda at the start, > 0

    def check(self, key: str) -> None:
        super().check(key)
        in_range(f"{key}.cost_limit", self.cost_limit, 0.0, math.inf)
        in_range(f"{key}.lr_lambda", self.lr_lambda, 0.0, math.inf, low_open=True)
        in_range(
            f"{key}.lambda_init",
            self.lambda_init,
            math.exp(LOG_LAMBDA_RANGE[0]),
            math.exp(LOG_LAMBDA_RANGE[1]),
        )


@jit
def learn(tables, s, a, r, aux, s2, terminated, truncated, hp, rng):
    """One update of Q_R, Q_C and the combined values; lambda moves at episode end."""
    comb, qr, qc, lag = tables[T_Q], tables[QR], tables[QC], tables[LAG]
    record(tables, s, a)
    cost = aux[0]
    lag[EPISODE_COST] += cost
    target_r, target_c = r, cost
    if not terminated:
        _, b, _ = row_argmax(comb, s2)
        target_r += hp[HP_GAMMA] * qr[s2, b]
        target_c += hp[HP_GAMMA] * qc[s2, b]
    td_error = target_r - qr[s, a]
    qr[s, a] += hp[HP_ALPHA] * td_error
    qc[s, a] += hp[HP_ALPHA] * (target_c - qc[s, a])
    comb[s, a] = qr[s, a] - math.exp(lag[LOG_LAMBDA]) * qc[s, a]
    if terminated or truncated:
        step = hp[LR_LAMBDA] * (lag[EPISODE_COST] - hp[COST_LIMIT])
        lag[LOG_LAMBDA] = min(max(lag[LOG_LAMBDA] + step, -10.0), 5.0)
        lag[EPISODE_COST] = 0.0
        lam = math.exp(lag[LOG_LAMBDA])
        for i in range(comb.shape[0]):
            for j in range(comb.shape[1]):
                comb[i, j] = qr[i, j] - lam * qc[i, j]
        return 0, td_error  # the episode is over: no next action is needed
    return choose(tables, s2, hp[HP_EXPLORE], rng), td_error


class LagrangianQLearning(td.TDAgent):
    """Tabular Lagrangian Q-learning: combined, reward and cost tables (S, A) and lambda."""

    Config = LagrangianQLearningConfig
    extra_hparams = ("cost_limit", "lr_lambda")
    kernels = {"agent_schedule": td.schedule, "agent_begin": td.begin, "agent_learn": learn,
               "agent_greedy": td.greedy}  # fmt: skip

    def extra_params(self) -> list[float]:
        return [self.config.cost_limit, self.config.lr_lambda]

    @classmethod
    def extra_table_bytes(cls, n_states, n_actions, config) -> int:
        return 2 * 8 * n_states * n_actions + 16

    def extra_tables(self) -> tuple:
        q_r = np.full((self.n_states, self.n_actions), self.config.q_init)  # (S, A)
        q_c = np.zeros((self.n_states, self.n_actions))  # (S, A)
        lag = np.array([math.log(self.config.lambda_init), 0.0])  # log lambda, episode cost
        return q_r, q_c, lag

    def check_env(self, env) -> None:
        """The cost must be the env's first signal (the kernel reads ``aux[0]``)."""
        if not env.aux_names or env.aux_names[0] != "cost":
            raise ValueError(
                f"agent=lagrangian_qlearning needs a per-step cost (the env's first signal "
                f"'cost'); {env.config.id} reports {list(env.aux_names) or 'none'}. Envs with a "
                "cost: env=island_navigation, distributional_shift, side_effects_sokoban, "
                "absent_supervisor"
            )

    def scalars(self, tables) -> dict:
        """What TensorBoard shows per chunk: the current multiplier."""
        return {"train/lagrangian/lambda": math.exp(float(tables[LAG][LOG_LAMBDA]))}
