"""What every environment shares: its config, the gymnasium env it is (or mirrors), its limits."""

from __future__ import annotations

import difflib
import importlib
import sys
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

import gymnasium
import numpy as np


@dataclass
class EnvConfig:
    """Which gymnasium environment to train on, and how."""

    id: str = "CartPole-v1"  #: gymnasium id, e.g. CartPole-v1 or Acrobot-v1
    kwargs: Dict[str, Any] = field(default_factory=dict)  #: keyword arguments for gymnasium.make
    #: keyword arguments merged over ``kwargs`` for the evaluation env only (e.g. a test map)
    eval_kwargs: Dict[str, Any] = field(default_factory=dict)
    max_episode_steps: Optional[int] = None  #: time limit (truncation); null: the registered one
    #: for a continuous (Box) action space: actions per dimension, the centres of that many equal
    #: bins of each dimension's range (gymnasium's DiscretizeAction); null for a Discrete space
    action_bins: Optional[int] = None

    def check(self, key: str) -> None:
        if self.max_episode_steps is not None and not 1 <= self.max_episode_steps < 2**63:
            raise ValueError(
                f"{key}.max_episode_steps={self.max_episode_steps} must be >= 1 "
                "(and below 2**63) or null"
            )
        if self.action_bins is not None and self.action_bins < 2:
            raise ValueError(f"{key}.action_bins={self.action_bins} must be >= 2 or null")


#: The step at which an evaluation episode is truncated when the env has no time limit.
EVAL_MAX_STEPS = 100_000
#: ... and a training episode: a policy that walks in circles (CliffWalking, greedy, pessimistic
#: values) would otherwise never end its episode, its chunk, or the run (Ctrl-C waits for a
#: chunk's end). The runner warns when an episode reaches it.
TRAIN_MAX_STEPS = 10_000_000


def gym_spec(env_id: str, key: str = "env.id") -> gymnasium.envs.registration.EnvSpec:
    """gymnasium's spec for ``env_id``, or a ValueError with the closest registered ids.

    ``module:EnvId`` imports ``module`` first (it registers the env), as ``gymnasium.make`` does.
    """
    if ":" in env_id:
        module, env_id = env_id.split(":", 1)
        try:
            importlib.import_module(module)
        except ImportError as err:
            raise ValueError(f"{key}={module}:{env_id}: cannot import {module!r} ({err})") from None
    try:
        return gymnasium.spec(env_id)
    except gymnasium.error.Error:
        close = difflib.get_close_matches(env_id, list(gymnasium.registry), n=3, cutoff=0.5)
        hint = f" Did you mean {' or '.join(close)}?" if close else ""
        raise ValueError(
            f"{key}={env_id} is not a registered gymnasium environment.{hint}"
        ) from None


def entry_point(spec: gymnasium.envs.registration.EnvSpec) -> str:
    """The ``module:Class`` a gymnasium id is registered with (written out if it is a class)."""
    ep = spec.entry_point
    return ep if isinstance(ep, str) else f"{ep.__module__}:{ep.__qualname__}"


class Env:
    """An environment as the runner sees it: spaces, time limit, and how to make the real thing.

    Subclasses with a compiled model set ``kernels`` (``env_reset`` and ``env_step``, see
    :mod:`rlsafe.compiled.loop`), ``params`` and ``state_dim``; without them the env is stepped in Python.
    The optional capabilities are declared here with their defaults, so callers never probe for
    them: :meth:`model` (a tabular model: exact evaluation, the shield), :meth:`model_aux` (the
    model's per-step signals), :meth:`layout` (a grid map: pictures), :meth:`gym_state` (the
    parity tests), and the class attributes below.
    """

    Config = EnvConfig
    kernels: dict | None = None
    #: names of the per-step signals ``env_step`` writes into ``aux`` (and gymnasium's ``info``);
    #: without them, those a gymnasium env names in its own ``aux_names`` (the safety gridworlds)
    aux_names: tuple[str, ...] = ()
    #: the ``env.kwargs`` a compiled model implements (None: any, they all go to gymnasium.make)
    kwargs_allowed: frozenset[str] | None = None
    #: whether a compiled model builds ``eval_params`` from ``env.eval_kwargs``
    eval_kwargs_supported: bool = False
    #: the gymnasium classes (entry points, ``module:Class``) whose dynamics a compiled model
    #: implements: any ``env.id`` registered with another is refused, since the run would train
    #: this model under that id's name (None: any id, for a user's env that mirrors its own)
    entry_points: tuple[str, ...] | None = None
    #: for pictures of a discretized env (rlsafe.output.pictures): each action's arrow as (drow, dcol)
    #: on the picture ((0, -1) left, (0, 0) a dot), the observation dimensions' names, and the
    #: two dimensions drawn by default (x, y); None: action numbers, ``obs[d]``, the two with
    #: the most bins
    action_moves: tuple[tuple[int, int], ...] | None = None
    obs_names: tuple[str, ...] | None = None
    picture_dims: tuple[int, int] | None = None

    def __init__(self, config: EnvConfig, key: str = "env"):
        self.config = config
        self.spec = gym_spec(config.id, f"{key}.id")
        if self.compiled:
            self._check_compiled(config, key)
        if self.kwargs_allowed is not None:
            unknown = set(config.kwargs) - self.kwargs_allowed - {"render_mode"}
            if unknown:
                raise ValueError(
                    f"{key}.kwargs: the compiled {type(self).__name__} does not take "
                    f"{sorted(unknown)}; env=gym steps gymnasium's own env with them"
                )
            unknown = set(config.eval_kwargs) - self.kwargs_allowed - {"render_mode"}
            if unknown:
                raise ValueError(
                    f"{key}.eval_kwargs: the compiled {type(self).__name__} does not "
                    f"take {sorted(unknown)}; its kwargs are "
                    f"{sorted(self.kwargs_allowed) or 'none'}"
                )
        if config.eval_kwargs and self.compiled and not self.eval_kwargs_supported:
            raise ValueError(
                f"{key}.eval_kwargs: the compiled {type(self).__name__} evaluates on "
                "its training model only; env=gym evaluates gymnasium's own env with "
                "them"
            )
        try:
            probe = self.make_gym()
        except Exception as err:  # gymnasium raises many types for bad kwargs or missing extras
            raise ValueError(
                f"{key}: gymnasium.make({config.id!r}, **{dict(config.kwargs)}) failed: "
                f"{type(err).__name__}: {err}"
            ) from None
        self.observation_space = probe.observation_space
        if config.eval_kwargs and not self.compiled:  # a compiled env checks its own
            self._check_eval_spaces(probe, key)
        if not self.aux_names:  # a gymnasium env may name the info signals it reports
            self.aux_names = tuple(getattr(probe.unwrapped, "aux_names", ()))
        self.action_space = probe.action_space  # Discrete(action_bins ** dims) if discretized
        native = probe.env.action_space if self._discretized(probe) else probe.action_space
        probe.close()
        if config.action_bins is not None and not self._continuous(native):
            raise ValueError(
                f"{key}.action_bins={config.action_bins} is for continuous (Box) action spaces, "
                f"but {config.id} has {native}: remove it"
            )
        if config.action_bins is not None and self.compiled:
            raise ValueError(f"{key}.action_bins: the compiled env for {config.id} cannot take it")
        if self._continuous(native) and config.action_bins is None:
            raise ValueError(
                f"{key}.id={config.id} has the continuous action space {native}; tabular agents "
                "need a Discrete one: set env.action_bins=N (e.g. env=gym env.id=Pendulum-v1 "
                "env.action_bins=9) to act with the centres of N equal bins per dimension"
            )
        if not isinstance(self.action_space, gymnasium.spaces.Discrete):
            raise ValueError(
                f"{key}.id={config.id} has the action space {self.action_space}; tabular agents "
                "need a Discrete one (or a bounded 1-D Box, with env.action_bins=N)"
            )
        self.n_actions = int(self.action_space.n)
        limit = config.max_episode_steps or self.spec.max_episode_steps
        #: steps after which an episode is truncated; sys.maxsize where there is no limit
        self.max_steps = int(limit) if limit else sys.maxsize
        #: evaluation episodes end here even without a time limit: a greedy policy that walks in
        #: circles (CliffWalking has no limit) would otherwise never finish its evaluation
        self.eval_max_steps = min(self.max_steps, EVAL_MAX_STEPS)
        #: training episodes end here even without a time limit (truncated), see TRAIN_MAX_STEPS
        self.train_max_steps = min(self.max_steps, TRAIN_MAX_STEPS)
        self.reward_threshold = self.spec.reward_threshold

    def _check_compiled(self, config: EnvConfig, key: str) -> None:
        """Refuse what a compiled model would silently not do: another env's id, rendering."""
        name = type(self).__name__
        if self.entry_points is not None and entry_point(self.spec) not in self.entry_points:
            ids = [
                i
                for i, spec in gymnasium.registry.items()
                if entry_point(spec) in self.entry_points
            ]
            raise ValueError(
                f"{key}.id={config.id}: the compiled {name} implements {', '.join(ids)} only, so it "
                f"would train its own dynamics under the name {config.id}. For {config.id} use "
                f"env=gym env.id={config.id} (gymnasium's own env, stepped in Python), or the env "
                "option that compiles it if there is one (python -m rlsafe.run --help lists them)"
            )
        for kwargs_key in ("kwargs", "eval_kwargs"):
            mode = getattr(config, kwargs_key).get("render_mode")
            if mode is not None:
                raise ValueError(
                    f"{key}.{kwargs_key}.render_mode={mode}: the compiled {name} is never drawn; "
                    f"to watch gymnasium's env, use env=gym env.id={config.id} with it"
                )

    def _check_eval_spaces(self, probe: gymnasium.Env, key: str) -> None:
        """Refuse ``env.eval_kwargs`` that change the spaces: the Q-table learned on the training
        env would be read at states or actions it does not have (FrozenLake's 8x8 map evaluated
        with a 4x4 table)."""
        try:
            other = self.make_eval_gym()
        except Exception as err:
            raise ValueError(
                f"{key}.eval_kwargs: gymnasium.make({self.config.id!r}, ...) with "
                f"them failed: {type(err).__name__}: {err}"
            ) from None
        for name in ("observation_space", "action_space"):
            train, evaluation = getattr(probe, name), getattr(other, name)
            if train != evaluation:
                other.close()
                raise ValueError(
                    f"{key}.eval_kwargs={dict(self.config.eval_kwargs)} give the evaluation env "
                    f"the {name} {evaluation}, the training env {train}: a table learned on one "
                    "cannot act on the other; keep the spaces the same"
                )
        other.close()

    @property
    def compiled(self) -> bool:
        return self.kernels is not None

    @property
    def eval_params(self):
        """The compiled evaluation env's ``params``: ``env.eval_kwargs`` merged over ``kwargs``
        where the env supports them, else the training ``params``."""
        own = getattr(self, "_eval_params", None)
        return self.params if own is None else own

    def make_eval_gym(self) -> gymnasium.Env:
        """The gymnasium evaluation env: :meth:`make_gym` with ``env.eval_kwargs`` merged in."""
        return self.make_gym(**dict(self.config.eval_kwargs))

    @staticmethod
    def _discretized(env: gymnasium.Env) -> bool:
        return isinstance(env, gymnasium.wrappers.DiscretizeAction)

    @staticmethod
    def _continuous(space: gymnasium.Space) -> bool:
        return (
            isinstance(space, gymnasium.spaces.Box)
            and len(space.shape) == 1
            and bool(np.isfinite(space.low).all() and np.isfinite(space.high).all())
        )

    def make_gym(self, **kwargs) -> gymnasium.Env:
        """The gymnasium env this one is (or mirrors), with the same time limit; a continuous
        action space is discretized by gymnasium's ``DiscretizeAction`` into
        ``action_bins ** dims`` actions."""
        env = gymnasium.make(
            self.config.id,
            max_episode_steps=self.config.max_episode_steps,
            **{**dict(self.config.kwargs), **kwargs},
        )
        if self.config.action_bins is not None and self._continuous(env.action_space):
            env = gymnasium.wrappers.DiscretizeAction(env, bins=int(self.config.action_bins))
        return env

    def gym_state(self, gym_env: gymnasium.Env) -> np.ndarray:
        """The internal state of ``gym_env`` (made by :meth:`make_gym`) laid out as this env's
        compiled ``state``: the parity tests compare the two after every step."""
        raise NotImplementedError(f"{type(self).__name__} has no compiled state to compare")

    def model(self) -> tuple | None:
        """The tabular model (the arrays of :func:`rlsafe.envs.toy_text.model_arrays`: transition
        probabilities, next states, rewards, terminal flags... over the discretized states), for
        exact evaluation (:mod:`rlsafe.analysis.exact`, :mod:`rlsafe.analysis.dp`), the shield and pictures; None
        where the env has none (continuous dynamics, a Python-stepped env, a hidden state)."""
        return None

    def model_aux(self) -> np.ndarray | None:
        """The per-step signals of the tabular model, float64 (S, A, K, n_aux) in ``aux_names``
        order beside ``model()``'s arrays; None where there is none."""
        return None

    def layout(self):
        """The map of a grid env (:class:`rlsafe.envs.layout.GridLayout`): where each tabular
        state is, for pictures; None for an env that is not a grid."""
        return None

    def unsafe_actions(self, key: str = "agent.shield") -> np.ndarray:
        """bool (S, A): the (state, action) pairs the model says may cost (``cost`` > 0 in any
        outcome of positive probability), for the shield; a ValueError naming ``key`` without."""
        model = self.model()
        aux = self.model_aux()
        if model is None or aux is None or "cost" not in self.aux_names:
            raise ValueError(
                f"{key}=true needs an env with a tabular model and a cost signal; {self.config.id} "
                "has none. Envs that have both: env=island_navigation, distributional_shift, "
                "side_effects_sokoban, absent_supervisor, conveyor_belt"
            )
        prob, cost = model[0], aux[..., self.aux_names.index("cost")]  # (S, A, K) each
        return ((prob > 0) & (cost > 0)).any(axis=2)

    def make_rng(self, seed: int) -> np.random.Generator:
        """The generator gymnasium's ``reset(seed=seed)`` gives the env: same stream, same draws."""
        return gymnasium.utils.seeding.np_random(seed)[0]

    def make_state(self) -> np.ndarray:
        return np.zeros(getattr(self, "state_dim", 1))  # (state_dim,)

    def describe(self) -> dict:
        extra = {} if self.config.action_bins is None else {"action_bins": self.config.action_bins}
        if self.config.eval_kwargs:
            extra["eval_kwargs"] = dict(self.config.eval_kwargs)
        return {
            "id": self.config.id,
            "kwargs": dict(self.config.kwargs),
            **extra,
            "max_episode_steps": None if self.max_steps == sys.maxsize else self.max_steps,
            "compiled": self.compiled,
            "reward_threshold": self.reward_threshold,
        }
