"""Everything a run changes as it trains: tables, generators, env states, counters.

A :class:`Session` trains and evaluates in chunks and returns plain arrays; it neither logs nor
writes files (that is :mod:`rlsafe.runner`'s job). Compiled envs run the fused loop of
:mod:`rlsafe.loop`; any other gymnasium env runs :mod:`rlsafe.envs.gym`'s Python-stepped twin of it,
with the same kernels, so both give the same Q-table for the same seed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from rlsafe.envs import gym as python_loop
from rlsafe.jit import specialize
from rlsafe.seeding import Streams


@dataclass
class Chunk:
    """What ``Session.train`` returns for a chunk of E episodes."""

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

    @classmethod
    def empty(cls, first_episode: int, n: int, n_aux: int, n_hp: int) -> "Chunk":
        return cls(first_episode, np.zeros(n), np.zeros(n, dtype=np.int64),
                   np.zeros(n, dtype=np.bool_), np.zeros((n, n_aux)), np.zeros((n, n_hp)))

    def truncate(self, n: int) -> None:
        for name in ("returns", "lengths", "terminated", "aux", "hparams"):
            setattr(self, name, getattr(self, name)[:n])


@dataclass
class Evaluation:
    returns: np.ndarray  # (E,) float64
    lengths: np.ndarray  # (E,) int64
    aux: np.ndarray  # (E, n_aux) float64
    starts: np.ndarray  # (E,) int64: each episode's first state
    discounted: np.ndarray  # (E,) float64: its return discounted by the agent's gamma
    interventions: int = 0  # actions the shield replaced (agent.shield)


def safety_controls(env, agent, n_states: int) -> tuple[np.ndarray, np.ndarray]:
    """``ctrl`` (int64 (4,)) and ``unsafe`` (bool (S, A)) of :mod:`rlsafe.loop` for this env and
    agent: the slots of ``actual_action`` and ``exploration``, ``agent.update_on``, the shield."""
    names = tuple(env.aux_names)
    config = agent.config
    shield = bool(getattr(config, "shield", False))
    proposed = str(getattr(getattr(config, "update_on", "executed"), "value", "executed"))
    ctrl = np.array([names.index("actual_action") if "actual_action" in names else -1,
                     names.index("exploration") if "exploration" in names else -1,
                     int(proposed == "proposed"), int(shield)], dtype=np.int64)
    if shield:
        unsafe = env.unsafe_actions("agent.shield")
        if unsafe.shape != (n_states, env.n_actions):
            raise ValueError(f"agent.shield=true: the model has {unsafe.shape[0]} states, the "
                             f"discretizer {n_states}: the shield needs discretizer=identity")
    else:
        unsafe = np.zeros((1, env.n_actions), dtype=np.bool_)  # (1, A): never read
    return ctrl, unsafe


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
        n_states, n_actions = discretizer.n_states, env.n_actions
        self.tables = agent.make_tables()
        self.hp = np.zeros(len(agent.hparam_names))  # (n_hp,)
        self.visits = np.zeros((n_states, n_actions), dtype=np.int64)  # (S, A)
        self.clipped = np.zeros(discretizer.obs_dim, dtype=np.int64)  # (D,)
        self.counts = np.zeros(2, dtype=np.int64)  # env steps, observations
        self.td_stats = np.zeros(3)  # sum, sum of squares, max |td| (of the current chunk)
        self.ctrl, self.unsafe = safety_controls(env, agent, n_states)  # see rlsafe.loop
        self.shield_counts = np.zeros(2, dtype=np.int64)  # shield interventions: train, eval
        kernels = {"discretize": discretizer.kernel, **agent.kernels}
        if env.compiled:
            kernels.update(env.kernels)
            self.env_state, self.eval_env_state = env.make_state(), env.make_state()
            self.env_rng = env.make_rng(self.streams.env_seed)
            self.eval_env_rng = env.make_rng(self.streams.eval_env_seed)
        else:
            self.gym, self.eval_gym = env.make_gym(), env.make_eval_gym()
        self.loops = specialize("rlsafe.loop", **kernels)
        self._warm_up()

    def _warm_up(self) -> None:
        """Compile (or load from the cache) now, so that chunks time only work.

        Uses scratch copies and a throwaway generator: the session's state is not touched."""
        if self.env.compiled:
            self.train(0)
            self.evaluate(0)
            return
        loops, rng = self.loops, np.random.default_rng(0)
        scratch = (tuple(t.copy() for t in self.tables) if isinstance(self.tables, tuple)
                   else self.tables.copy())  # an agent's tables: one array or a tuple of them
        hp = self.hp.copy()
        loops.schedule(self.agent.params, 0.0, hp)
        obs = np.zeros(self.discretizer.obs_dim)  # (D,)
        s = loops.observe(self.discretizer.params, obs, self.clipped.copy())
        a = loops.begin(scratch, s, hp, rng)
        aux = np.zeros(len(self.env.aux_names))  # (n_aux,)
        loops.learn(scratch, s, a, 0.0, aux, s, False, False, hp, rng)
        loops.greedy(scratch, s, rng)
        loops.act(scratch, s, 0, 0.0, self.ctrl, self.unsafe, self.shield_counts.copy(), 0, rng)

    def train(self, n: int) -> Chunk:
        """Train ``n`` more episodes."""
        chunk = Chunk.empty(self.episode, n, len(self.env.aux_names), len(self.hp))
        steps_before, shielded = int(self.counts[0]), int(self.shield_counts[0])
        self.td_stats[:] = 0.0
        start = time.perf_counter()
        if self.env.compiled:
            obs = np.zeros(self.discretizer.obs_dim)  # (D,)
            aux = np.zeros(len(self.env.aux_names))  # (n_aux,)
            done, status = self.loops.train(
                self.env.params, self.env_state, self.env_rng,
                self.discretizer.params,
                self.agent.params, self.tables, self.streams.agent,
                self.episode, self.total_episodes, self.env.max_steps,
                obs, aux, self.hp,
                chunk.returns, chunk.lengths, chunk.terminated, chunk.aux, chunk.hparams,
                self.visits, self.clipped, self.counts, self.td_stats,
                self.ctrl, self.unsafe, self.shield_counts,
            )  # fmt: skip
        else:
            done, status = python_loop.train_python(self, chunk)
        chunk.seconds = time.perf_counter() - start
        chunk.steps = int(self.counts[0]) - steps_before
        chunk.interventions = int(self.shield_counts[0]) - shielded
        chunk.td_stats = self.td_stats.copy()
        # a TD error that was not finite, or an update that overflowed on the chunk's last step
        chunk.diverged = status != 0 or not np.isfinite(self.q).all()
        chunk.truncate(done)
        self.episode += done
        return chunk

    def evaluate(self, n: int) -> Evaluation:
        """Run ``n`` episodes of the greedy policy on the evaluation env; learns nothing."""
        n_aux = len(self.env.aux_names)
        result = Evaluation(np.zeros(n), np.zeros(n, dtype=np.int64), np.zeros((n, n_aux)),
                            np.zeros(n, dtype=np.int64), np.zeros(n))
        shielded = int(self.shield_counts[1])
        if self.env.compiled:
            self.loops.evaluate(
                self.env.eval_params, self.eval_env_state, self.eval_env_rng,
                self.discretizer.params,
                self.tables, self.streams.eval_agent,
                self.env.eval_max_steps,
                np.zeros(self.discretizer.obs_dim), np.zeros(n_aux),
                np.zeros(self.discretizer.obs_dim, dtype=np.int64),
                result.returns, result.lengths, result.aux,
                self.ctrl, self.unsafe, self.shield_counts,
                self.gamma, result.starts, result.discounted,
            )  # fmt: skip
        else:
            python_loop.evaluate_python(self, result)
        self.eval_episodes_done += n
        result.interventions = int(self.shield_counts[1]) - shielded
        return result

    @property
    def q(self) -> np.ndarray:
        """The action values the greedy policy acts on, (S, A)."""
        return self.agent.q_values(self.tables)
