"""Everything a run changes as it trains: tables, generators, env states, counters.

A :class:`Session` trains and evaluates in chunks and returns plain arrays; it neither logs nor
writes files (that is :mod:`rlsafe.training.runner`'s job). Every env runs the fused loop of
:mod:`rlsafe.compiled.loop`: a compiled env with its own kernels, any other gymnasium env with
:mod:`rlsafe.envs.gym`'s, which step it in Python from inside the loop.
"""

from __future__ import annotations

import contextlib
import sys
import time
from dataclasses import dataclass

import numpy as np

from rlsafe.compiled.jit import bindings_used, compiling, never, specialize
from rlsafe.compiled.loop_args import (
    ENV_STEPS,
    EVALUATION,
    OK,
    TRAINING,
    AgentArgs,
    Counters,
    EnvArgs,
    EvalOut,
    Scratch,
    TrainLimits,
    TrainOut,
)
from rlsafe.envs import gym as python_env
from rlsafe.training.seeding import Streams


@dataclass
class Chunk:
    """What ``Session.train`` returns for a chunk of E episodes.

    The per-episode arrays are views of the session's buffers: valid until its next ``train``.
    """

    first_episode: int
    returns: np.ndarray  # (E,) float64
    lengths: np.ndarray  # (E,) int64
    terminated: np.ndarray  # (E,) bool
    aux: np.ndarray  # (E, n_aux) float64: per-episode sums of the env's per-step signals
    hparams: np.ndarray  # (E, n_hp) float64: the agent's hyperparameters in each episode
    td_stats: np.ndarray = None  # (3,) float64: sum, sum of squares, max |TD error|
    steps: int = 0
    seconds: float = 0.0
    diverged: bool = False  # a TD error became NaN or infinite; the chunk stopped early
    interventions: int = 0  # actions the shield replaced (agent.shield)


@dataclass
class Evaluation:
    returns: np.ndarray  # (E,) float64
    lengths: np.ndarray  # (E,) int64
    aux: np.ndarray  # (E, n_aux) float64
    starts: np.ndarray  # (E,) int64: each episode's first state
    discounted: np.ndarray  # (E,) float64: its return discounted by the agent's gamma
    interventions: int = 0  # actions the shield replaced (agent.shield)


def safety_bindings(env, agent, n_states: int) -> tuple[dict, np.ndarray]:
    """The constants of :mod:`rlsafe.compiled.loop` for this env and agent (the ``aux`` slots of
    ``actual_action`` and ``exploration``, ``agent.update_on``, the shield) and ``unsafe`` (bool
    (S, A), the shield's; (1, A) and never read without it)."""
    names = tuple(env.aux_names)
    config = agent.config
    shield = bool(getattr(config, "shield", False))
    proposed = str(getattr(getattr(config, "update_on", "executed"), "value", "executed"))
    constants = {
        "ACTUAL_ACTION": names.index("actual_action") if "actual_action" in names else -1,
        "EXPLORATION": names.index("exploration") if "exploration" in names else -1,
        "LEARN_PROPOSED": proposed == "proposed",
        "SHIELD": shield,
    }
    if shield:
        unsafe = env.unsafe_actions("agent.shield")
        if unsafe.shape != (n_states, env.n_actions):
            raise ValueError(
                f"agent.shield=true: the model has {unsafe.shape[0]} states, the "
                f"discretizer {n_states}: the shield needs discretizer=identity"
            )
    else:
        unsafe = np.zeros((1, env.n_actions), dtype=np.bool_)  # (1, A): never read
    return constants, unsafe


#: What a compiled env and a Python-stepped one bind differently in the loops: nothing else.
ENV_BINDINGS = ("env_reset", "env_step", "env_truncated")


def loop_bindings(env, discretizer, agent) -> tuple[dict, np.ndarray]:
    """The names :func:`rlsafe.compiled.jit.specialize` binds in :mod:`rlsafe.compiled.loop` for
    these parts, and the shield's ``unsafe`` (see :func:`safety_bindings`).

    The fused loop and the Python-stepped one are the same template with the same kernels but
    the env's (:data:`ENV_BINDINGS`): a compiled env binds its own, any other gymnasium env
    those of :mod:`rlsafe.envs.gym`, which step it in Python and return what a compiled env's
    kernels return, of the same types. So an agent learns the same on both paths once the env's
    steps match (``tests/parity``).
    """
    constants, unsafe = safety_bindings(env, agent, discretizer.n_states)
    kernels = {
        "discretize": discretizer.kernel,
        **agent.kernels,
        **constants,
        "N_HP": len(agent.hparam_names),
        **({"env_truncated": never, **env.kernels} if env.compiled else python_env.KERNELS),
    }
    return kernels, unsafe


class Session:
    """One seed's training state for an env, a discretizer and an agent."""

    def __init__(self, env, discretizer, agent, seed: int, total_episodes: int):
        self.env, self.discretizer, self.agent = env, discretizer, agent
        #: the agent's discount, for the evaluations' discounted returns (calibration)
        self.gamma = float(getattr(getattr(agent, "config", None), "gamma", 1.0))
        self.streams = Streams.from_seed(seed)
        self.total_episodes = total_episodes
        self.episode = 0  # episodes trained so far
        self.eval_episodes_done = 0
        n_states, n_actions, obs_dim = discretizer.n_states, env.n_actions, discretizer.obs_dim
        self.tables = agent.make_tables()
        self.disc_params = discretizer.params
        #: False for a tile coding: its states are rows of a ring of active features, so the
        #: visit counts per state mean nothing (rlsafe.discretizers.tiles)
        self.per_state = getattr(agent, "coding", None) is None
        if not self.per_state:  # the discretizer writes into the agent's tables (the ring)
            self.disc_params = discretizer.session_params(agent.coding_state(self.tables))
        self.hp = np.zeros(len(agent.hparam_names))  # (n_hp,)
        self.counters = Counters(
            visits=np.zeros((n_states, n_actions), dtype=np.int64),  # (S, A)
            clipped=np.zeros(obs_dim, dtype=np.int64),  # (D,)
            counts=np.zeros(2, dtype=np.int64),  # env steps, observations
            td_stats=np.zeros(3),  # sum, sum of squares, max |td| (of the current chunk)
            shield_counts=np.zeros(2, dtype=np.int64),  # shield interventions: train, eval
        )
        kernels, self.unsafe = loop_bindings(env, discretizer, agent)
        n_aux = len(env.aux_names)
        if env.compiled:
            self.train_env = EnvArgs(
                env.params,
                env.make_state(),
                env.make_rng(self.streams.env_seed),
                env.train_max_steps,
            )
            self.eval_env = EnvArgs(
                env.eval_params,
                env.make_state(),
                env.make_rng(self.streams.eval_env_seed),
                env.eval_max_steps,
            )
            self.scratch = Scratch(np.zeros(obs_dim), np.zeros(n_aux), self.counters.clipped)
            self.eval_scratch = Scratch(
                np.zeros(obs_dim), np.zeros(n_aux), np.zeros(obs_dim, dtype=np.int64)
            )
            self.python_env = self.python_eval_env = None
        else:
            unused = np.random.default_rng(0)  # the Python env draws from its own np_random
            self.python_env = python_env.PythonEnv(
                env.make_gym(), env.config.id, env.aux_names, self.streams.env_seed, obs_dim
            )
            self.python_eval_env = python_env.PythonEnv(
                env.make_eval_gym(),
                env.config.id,
                env.aux_names,
                self.streams.eval_env_seed,
                obs_dim,
                role="evaluation",
            )
            pe, pv = self.python_env, self.python_eval_env
            self.train_env = EnvArgs(pe.params, pe.state, unused, env.train_max_steps)
            self.eval_env = EnvArgs(pv.params, pv.state, unused, env.eval_max_steps)
            self.scratch = Scratch(pe.obs, pe.aux, self.counters.clipped)
            self.eval_scratch = Scratch(pv.obs, pv.aux, np.zeros(obs_dim, dtype=np.int64))
        self.loops = specialize("rlsafe.compiled.loop", **kernels)
        # Evaluation binds only what it uses (no learning kernels) and reads only the tables every
        # agent has (agent.greedy_tables): every agent with the same greedy rule shares one
        # evaluation loop on an env, compiled once.
        used = bindings_used("rlsafe.compiled.loop", "evaluate")
        self.eval_loops = specialize(
            "rlsafe.compiled.loop", **{k: v for k, v in kernels.items() if k in used}
        )
        self._buffers = None  # TrainOut of the largest chunk so far, reused
        # compile (or load from the cache) now: chunks time only work. The evaluation loop
        # compiles at the first evaluation (a session may never evaluate: a parity test's).
        with compiling(self.loops):
            self.train(0)
        self._eval_loaded = False

    # The session's arrays by name (checkpoints, logging, tests).
    visits = property(lambda self: self.counters.visits)
    clipped = property(lambda self: self.counters.clipped)
    counts = property(lambda self: self.counters.counts)
    td_stats = property(lambda self: self.counters.td_stats)
    shield_counts = property(lambda self: self.counters.shield_counts)
    env_state = property(lambda self: self.train_env.state)
    eval_env_state = property(lambda self: self.eval_env.state)
    env_rng = property(lambda self: self.train_env.rng)
    eval_env_rng = property(lambda self: self.eval_env.rng)
    gym = property(lambda self: self.python_env and self.python_env.gym)
    eval_gym = property(lambda self: self.python_eval_env and self.python_eval_env.gym)

    def _out(self, n: int) -> TrainOut:
        if self._buffers is None or self._buffers.returns.shape[0] < n:
            n_aux, n_hp = len(self.env.aux_names), len(self.hp)
            self._buffers = TrainOut(
                np.zeros(n),
                np.zeros(n, dtype=np.int64),
                np.zeros(n, dtype=np.bool_),
                np.zeros((n, n_aux)),
                np.zeros((n, n_hp)),
            )
        return self._buffers

    def train(self, n: int, max_steps: int | None = None) -> Chunk:
        """Train ``n`` more episodes, or fewer: with ``max_steps``, stop at the first episode end
        after the chunk has taken that many env steps (where chunks end depends only on the
        config and the seed, so it is the same in every run)."""
        out = self._out(n)
        steps_before, shielded = int(self.counts[ENV_STEPS]), int(self.shield_counts[TRAINING])
        self.td_stats[:] = 0.0
        if self.python_env is not None:  # gymnasium seeds the first reset only
            self.python_env.seed = self.streams.env_seed if self.episode == 0 else None
            self.python_env.episode = self.episode - 1
        limits = TrainLimits(
            self.episode, self.total_episodes, n, sys.maxsize if max_steps is None else max_steps
        )
        agent = AgentArgs(self.agent.params, self.tables, self.streams.agent, self.hp)
        start = time.perf_counter()
        done, status = self.loops.train(
            self.train_env,
            self.disc_params,
            agent,
            limits,
            self.scratch,
            self.counters,
            self.unsafe,
            out,
        )
        seconds = time.perf_counter() - start
        # a TD error that was not finite, or an update that overflowed on the chunk's last step
        diverged = status != OK or not np.isfinite(self.q).all()
        chunk = Chunk(
            self.episode,
            out.returns[:done],
            out.lengths[:done],
            out.terminated[:done],
            out.aux[:done],
            out.hparams[:done],
            td_stats=self.td_stats.copy(),
            steps=int(self.counts[ENV_STEPS]) - steps_before,
            seconds=seconds,
            diverged=diverged,
            interventions=int(self.shield_counts[TRAINING]) - shielded,
        )
        self.episode += done
        return chunk

    def evaluate(self, n: int) -> Evaluation:
        """Run ``n`` episodes of the greedy policy on the evaluation env; learns nothing."""
        n_aux = len(self.env.aux_names)
        out = EvalOut(
            np.zeros(n),
            np.zeros(n, dtype=np.int64),
            np.zeros((n, n_aux)),
            np.zeros(n, dtype=np.int64),
            np.zeros(n),
        )
        shielded = int(self.shield_counts[EVALUATION])
        if self.python_eval_env is not None:
            first = self.eval_episodes_done == 0
            self.python_eval_env.seed = self.streams.eval_env_seed if first else None
            self.python_eval_env.episode = self.eval_episodes_done - 1
        with contextlib.nullcontext() if self._eval_loaded else compiling(self.eval_loops):
            self.eval_loops.evaluate(
                self.eval_env,
                self.disc_params,
                self.agent.greedy_tables(self.tables),
                self.streams.eval_agent,
                self.eval_scratch,
                self.unsafe,
                self.shield_counts,
                self.gamma,
                out,
            )
        self._eval_loaded = True
        self.eval_episodes_done += n
        return Evaluation(*out, interventions=int(self.shield_counts[EVALUATION]) - shielded)

    @property
    def q(self) -> np.ndarray:
        """The action values the greedy policy acts on, (S, A)."""
        return self.agent.q_values(self.tables)
