"""Any gymnasium environment, stepped in Python from inside the compiled loop (``env=gym``).

The loop is :mod:`rlsafe.compiled.loop`'s, the same machine code path as for a compiled env, with this
module's :func:`reset` and :func:`step` bound as the env kernels: they leave the compiled loop for
one Python call per step (numba's ``objmode``), step the gymnasium env, and write the observation
and the env's signals into the loop's arrays. Agent, discretizer, schedules and statistics stay
compiled, no generator crosses between Python and numba per step, and the same seed gives the same
Q-table as a compiled model of the same env.

gymnasium's ``make`` wraps an env in ``TimeLimit``, ``OrderEnforcing`` and ``PassiveEnvChecker``;
the loop enforces the time limit itself (``max_steps``) and calls reset and step in order, so
where those three are the only wrappers the env is stepped unwrapped (a few microseconds a step).
"""

from __future__ import annotations

import itertools
import warnings
import weakref

import gymnasium
import numba
import numpy as np

from rlsafe.compiled.jit import jit
from rlsafe.envs.base import Env

# The loops release the GIL; the objmode block below takes it back for its Python call, which is
# what numba warns about when it compiles them. A Python env cannot run in parallel anyway.
warnings.filterwarnings(
    "ignore",
    message="Code running in object mode won't allow parallel",
    category=numba.NumbaWarning,
)


class Gym(Env):
    """A gymnasium environment without a compiled model."""


class NonFiniteObservation(ValueError):
    """The environment returned NaN or an infinity: training cannot go on meaningfully."""


class EnvFailed(RuntimeError):
    """The user's environment raised an exception; the message names the env, episode and step."""


def as_obs(observation, out: np.ndarray) -> np.ndarray:
    """Copy a gymnasium observation into ``out`` (float64 (obs_dim,)), exactly."""
    out[:] = np.asarray(observation, dtype=np.float64).reshape(-1)
    return out


#: Wrappers ``gymnasium.make`` adds that the loop makes redundant (it truncates and orders calls).
_REDUNDANT = (
    gymnasium.wrappers.TimeLimit,
    gymnasium.wrappers.OrderEnforcing,
    gymnasium.wrappers.PassiveEnvChecker,
)


def _steppable(env: gymnasium.Env) -> gymnasium.Env:
    """``env`` without the wrappers of :data:`_REDUNDANT` where they are its only wrappers."""
    inner = env
    while isinstance(inner, gymnasium.Wrapper):
        if not isinstance(inner, _REDUNDANT):
            return env  # a wrapper that changes something: step the whole stack
        inner = inner.env
    return inner


class PythonEnv:
    """One gymnasium env as the loop's kernels see it: its slot, the loop's arrays it writes.

    ``obs``, ``aux`` and ``state`` are the very arrays the loop passes to the kernels; the env
    writes them here, in Python, and the loop reads them after the call. ``state[0]`` is 1.0 when
    the env reported ``truncated`` (its own time limit) on the last step.
    """

    _slots = itertools.count()

    def __init__(
        self,
        gym_env: gymnasium.Env,
        env_id: str,
        aux_names,
        seed: int | None,
        obs_dim: int,
        role: str = "training",
    ):
        self.gym = gym_env
        self.stepped = _steppable(gym_env)
        self.env_id = env_id
        self.role = role  #: "training" or "evaluation", for messages
        self.aux_names = tuple(aux_names)
        self.seed = seed  #: for the next reset only (gymnasium keeps its generator after it)
        self.obs = np.zeros(obs_dim)  # (D,)
        self.aux = np.zeros(len(self.aux_names))  # (n_aux,)
        self.state = np.zeros(1)  # (1,): truncated by the env itself
        space = gym_env.observation_space
        self.discrete = isinstance(space, gymnasium.spaces.Discrete)
        self.check = isinstance(space, gymnasium.spaces.Box) and np.issubdtype(
            space.dtype, np.floating
        )
        self.episode = -1  #: the episode being run, for messages (set by the session)
        self.t = 0
        self.slot = next(self._slots)
        self.params = np.array([float(self.slot)])  # (1,): the kernels' env_params
        _ENVS[self.slot] = self

    def _observe(self, observation) -> None:
        if self.discrete:
            self.obs[0] = observation
            return
        as_obs(observation, self.obs)
        if self.check and not np.isfinite(self.obs).all():
            raise NonFiniteObservation(
                f"{self.env_id} returned the observation {self.obs.tolist()} at step {self.t} "
                f"of {self.role} episode {self.episode}: NaN or infinite values cannot be "
                "discretized. Fix "
                "the environment or wrap it so it returns finite observations."
            )

    def _failed(self, what: str, err: Exception) -> EnvFailed:
        return EnvFailed(
            f"{self.env_id} raised in {what} ({self.role} episode {self.episode}, "
            f"step {self.t}): {type(err).__name__}: {err}"
        )

    def reset(self) -> None:
        self.episode += 1
        self.t = 0
        try:
            observation, _ = self.stepped.reset(seed=self.seed)
        except Exception as err:
            raise self._failed("reset", err) from err
        self.seed = None
        self.state[0] = 0.0
        self._observe(observation)

    def step(self, action: int) -> tuple[float, bool]:
        self.t += 1
        try:
            observation, reward, terminated, truncated, info = self.stepped.step(action)
        except Exception as err:
            raise self._failed("step", err) from err
        self._observe(observation)
        for k, name in enumerate(self.aux_names):
            self.aux[k] = float(info.get(name, 0.0))
        self.state[0] = float(bool(truncated))
        return float(reward), bool(terminated)


#: The live Python envs by slot; a session holds its envs, so they leave with it.
_ENVS: "weakref.WeakValueDictionary[int, PythonEnv]" = weakref.WeakValueDictionary()


def _reset(slot: int) -> None:
    _ENVS[slot].reset()


def _step(slot: int, action: int) -> tuple[float, bool]:
    return _ENVS[slot].step(action)


# The kernels. Not inlined (numba cannot inline a function with an objmode block): one call per
# step into this small function, which enters Python once.
@numba.njit(nogil=True, error_model="numpy")
def reset(env_params, env_state, rng, obs):
    """``env_reset`` of :mod:`rlsafe.compiled.loop`: resets the Python env in slot ``env_params[0]``."""
    slot = int(env_params[0])
    with numba.objmode():
        _reset(slot)


@numba.njit(nogil=True, error_model="numpy")
def step(env_params, env_state, action, rng, obs, aux):
    """``env_step`` of :mod:`rlsafe.compiled.loop`: steps the Python env in slot ``env_params[0]``."""
    slot = int(env_params[0])
    a = int(action)
    with numba.objmode(reward="float64", terminated="boolean"):
        reward, terminated = _step(slot, a)
    return reward, terminated


@jit
def truncated(env_state):
    """``env_truncated`` of :mod:`rlsafe.compiled.loop`: the env's own truncation of the last step."""
    return env_state[0] != 0.0


#: The env kernels of every Python-stepped env.
KERNELS = {"env_reset": reset, "env_step": step, "env_truncated": truncated}
