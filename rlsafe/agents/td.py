"""What every tabular TD agent shares: its schedule, first action, greedy action and tables.

Hyperparameters ``hp`` per episode: ``hp[HP_ALPHA]`` = alpha, ``hp[HP_EXPLORE]`` = the exploration rule's
parameter (epsilon, temperature or ucb_c, see :mod:`rlsafe.agents.explore`), ``hp[HP_GAMMA]`` = gamma,
then an agent's constant extras (lambda for SARSA(lambda)). ``params`` (float64 (3, 4)): the
packed alpha and exploration schedules, then (gamma, extras...).

The tables are a tuple whose first three entries every agent shares (q, counts, meta; see
:mod:`rlsafe.agents.explore`); an agent appends its own arrays with :meth:`TDAgent.extra_tables`.
"""

from __future__ import annotations

import numpy as np

from rlsafe.agents.explore import CODES, PARAMETER_NAMES, choose
from rlsafe.agents.td_config import Exploration, TDConfig
from rlsafe.compiled.jit import argmax_random_tie, jit
from rlsafe.compiled.loop_args import HP_ALPHA, HP_EXPLORE, META_RULE, T_OWN, T_Q
from rlsafe.compiled.schedules import schedule_value


@jit
def schedule(params, progress, hp):
    """Writes ``hp`` = (alpha, exploration parameter, gamma, extras...) at ``progress``."""
    hp[HP_ALPHA] = schedule_value(params[0], progress)
    hp[HP_EXPLORE] = schedule_value(params[1], progress)
    for k in range(2, hp.shape[0]):
        hp[k] = params[2, k - 2]


@jit
def update(q, s, a, target, alpha):
    """``q[s, a] += alpha * (target - q[s, a])``; returns the TD error ``target - q[s, a]``."""
    td_error = target - q[s, a]
    q[s, a] += alpha * td_error
    return td_error


@jit
def begin(tables, s, hp, rng):
    """First action of an episode, for agents without per-episode scratch."""
    return choose(tables, s, hp[HP_EXPLORE], rng)


@jit
def greedy(tables, s, rng):
    return argmax_random_tie(tables[T_Q], s, rng)


class TDAgent:
    """Base of the tabular agents: ``Config``, parameters, tables and the memory they need.

    A subclass sets ``Config`` (a :class:`TDConfig` subclass), ``kernels``, and where it needs
    them ``extra_hparams`` (constant hyperparameters appended to ``hp``, in order),
    ``extra_params()``, ``extra_tables()`` and ``extra_table_bytes()``.
    """

    Config = TDConfig
    kernels: dict = {}
    extra_hparams: tuple = ()

    def __init__(self, config: TDConfig, n_states: int, n_actions: int):
        self.config = config
        self.n_states = n_states
        self.n_actions = n_actions
        exploration = Exploration(config.exploration)
        #: names of the per-episode hyperparameters, in the order ``schedule`` writes them
        self.hparam_names = ("alpha", PARAMETER_NAMES[exploration], "gamma", *self.extra_hparams)
        row = np.zeros(4)
        row[: 1 + len(self.extra_hparams)] = [config.gamma, *self.extra_params()]
        self.params = np.stack(
            [config.alpha_schedule.pack(config.alpha), config.exploration_schedule(), row]
        )  # (3, 4)

    def extra_params(self) -> list[float]:
        return []

    @classmethod
    def table_bytes(cls, n_states: int, n_actions: int, config: TDConfig | None = None) -> int:
        """Memory the agent's tables take, to refuse a run before allocating them.

        Without ``config``, the most any exploration rule takes (with the counts of ``ucb``)."""
        ucb = config is None or Exploration(config.exploration) == Exploration.ucb
        shared = 8 * n_states * n_actions * (2 if ucb else 1) + 8 * 4
        return shared + cls.extra_table_bytes(n_states, n_actions, config)

    @classmethod
    def extra_table_bytes(cls, n_states: int, n_actions: int, config) -> int:
        return 0

    def make_tables(self) -> tuple:
        exploration = Exploration(self.config.exploration)
        q = np.full((self.n_states, self.n_actions), self.config.q_init)  # (S, A)
        counts = np.zeros(
            (self.n_states if exploration == Exploration.ucb else 0, self.n_actions), dtype=np.int64
        )  # (S, A) for ucb, else (0, A)
        meta = np.zeros(4, dtype=np.int64)  # exploration code, per-episode counters
        meta[META_RULE] = CODES[exploration]
        return (q, counts, meta, *self.extra_tables())

    def extra_tables(self) -> tuple:
        return ()

    def scalars(self, tables: tuple) -> dict[str, float]:
        """The agent's own per-chunk TensorBoard scalars (tag -> value); none by default."""
        return {}

    def q_values(self, tables: tuple) -> np.ndarray:
        """The action values the greedy policy acts on, (S, A) (a view of ``tables[T_Q]``)."""
        return tables[T_Q]

    def greedy_tables(self, tables: tuple) -> tuple:
        """The tables the evaluation loop reads (the greedy action and the shield read
        ``tables[T_Q]``): the shared first ones, whose types are the same for every agent. numba
        compiles a loop once per argument types, and the whole tuple's types differ from agent to
        agent, so passing it whole would compile the shared evaluation loop once per agent."""
        return tables[:T_OWN]
