"""The argument groups of the loops in :mod:`rlsafe.compiled.loop`, and the named slots of packed arrays.

The loops take a few named tuples instead of two dozen positional arrays: numba compiles a
``NamedTuple`` of arrays into a struct whose fields are read by name at no cost, so the call
site and the loop both say ``out.returns`` and ``counters.env_steps`` rather than relying on an
argument order. Small counters live in one int64 array each, read through the slot constants
below (module-level integers are compile-time constants in numba).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

#: ``Counters.counts`` slots (int64 (2,)).
ENV_STEPS = 0  #: env steps taken in training
OBSERVATIONS = 1  #: observations discretized in training (steps plus resets)

#: ``Counters.td_stats`` slots (float64 (3,)), of the current chunk.
TD_SUM, TD_SUM_SQUARES, TD_MAX_ABS = 0, 1, 2

#: ``Counters.shield_counts`` slots (int64 (2,)): actions the shield replaced.
TRAINING, EVALUATION = 0, 1

#: An agent's ``hp`` slots (float64 (n_hp,)): this episode's hyperparameters, as
#: ``rlsafe.agents.td.schedule`` writes them; an agent's own (``extra_hparams``) follow in order.
HP_ALPHA, HP_EXPLORE, HP_GAMMA, HP_OWN = 0, 1, 2, 3

#: An agent's ``tables`` slots (a tuple of arrays): the action values the policy acts on (float64
#: (S, A)), the UCB counts (int64 (S, A), or (0, A) without UCB), ``meta`` (int64 (4,): the
#: exploration rule's code at ``META_RULE``, then per-episode counters an agent may use); an
#: agent's own arrays (``extra_tables()``) follow in order.
T_Q, T_COUNTS, T_META, T_OWN = 0, 1, 2, 3
META_RULE, META_OWN = 0, 1

#: What :func:`rlsafe.compiled.loop.train` returns as its status.
OK = 0
NONFINITE_TD = 1  #: a TD error was NaN or infinite: the Q-values are diverging


class EnvArgs(NamedTuple):
    """An env inside a loop: its kernels' parameters and state, and its generator."""

    params: np.ndarray  #: float64, the env's constants (the compiled model, a Python env's slot)
    state: np.ndarray  #: float64 (state_dim,), written by reset and step
    rng: np.random.Generator  #: the env's draws, as gymnasium's ``np_random``
    max_steps: int  #: truncation: the time limit (sys.maxsize without one)


class AgentArgs(NamedTuple):
    """An agent inside a loop."""

    params: np.ndarray  #: float64 (3, 4): schedules and constants (rlsafe.agents.td)
    tables: Any  #: the agent's tables: a tuple of arrays, the first the Q-values (S, A)
    rng: np.random.Generator  #: exploration and tie-breaking
    hp: np.ndarray  #: float64 (n_hp,): this episode's hyperparameters, written by the schedule


class Scratch(NamedTuple):
    """Arrays a loop writes and reads back within a step."""

    obs: np.ndarray  #: float64 (obs_dim,): the current observation
    aux: np.ndarray  #: float64 (n_aux,): the env's per-step signals
    clipped: np.ndarray  #: int64 (obs_dim,): clipped observations (evaluation: not reported)


class Counters(NamedTuple):
    """What training accumulates across chunks (checkpointed)."""

    visits: np.ndarray  #: int64 (S, A): visits per executed (state, action)
    clipped: np.ndarray  #: int64 (obs_dim,): observations outside the bins, per dimension
    counts: np.ndarray  #: int64 (2,): ENV_STEPS, OBSERVATIONS
    td_stats: np.ndarray  #: float64 (3,): TD_SUM, TD_SUM_SQUARES, TD_MAX_ABS of the chunk
    shield_counts: np.ndarray  #: int64 (2,): TRAINING, EVALUATION interventions


class TrainLimits(NamedTuple):
    """How far a call of :func:`rlsafe.compiled.loop.train` goes."""

    first_episode: int  #: number of the first episode of the chunk
    total_episodes: int  #: episodes of the whole run (the schedules' progress)
    max_episodes: int  #: at most this many episodes (<= the length of the output arrays)
    max_steps: int  #: stop at the first episode end once the chunk has taken this many steps


class TrainOut(NamedTuple):
    """Per training episode ``e`` of a chunk (arrays of length >= max_episodes)."""

    returns: np.ndarray  #: float64 (E,)
    lengths: np.ndarray  #: int64 (E,)
    terminated: np.ndarray  #: bool (E,)
    aux: np.ndarray  #: float64 (E, n_aux): sums of the per-step signals
    hparams: np.ndarray  #: float64 (E, n_hp): the hyperparameters used


class EvalOut(NamedTuple):
    """Per evaluation episode ``e``."""

    returns: np.ndarray  #: float64 (E,)
    lengths: np.ndarray  #: int64 (E,)
    aux: np.ndarray  #: float64 (E, n_aux)
    starts: np.ndarray  #: int64 (E,): the first state
    discounted: np.ndarray  #: float64 (E,): the return discounted by ``gamma``
