"""WindyCorridor: a gymnasium env, and the same env compiled for rlsafe's fused loop.

Description: a corridor of ``length`` cells; the agent starts in cell 0 and must reach the last.
Action space: ``Discrete(2)``, 0 left, 1 right. Observation space: ``Discrete(length)``, the cell.
Rewards: -1 per step. Dynamics: with probability ``wind`` a gust moves the agent by -1, 0 or +1
(uniformly) instead of its action; walls stop it at both ends. Episode end: terminated on the
last cell; truncated after 100 steps (the registration's ``max_episode_steps``).

Three parts, the recipe for any compiled env:

1. :class:`WindyCorridorEnv`, a plain gymnasium env: the reference, and what ``env=gym`` steps.
2. ``reset`` and ``step``, numba kernels (``rlsafe.compiled.jit.jit``) with the contracts of
   ``rlsafe/compiled/loop.py``: they write the state and observation into the arrays passed in, draw from
   the generator passed in exactly as the gymnasium env draws from ``np_random`` (so the same seed
   gives the same episodes), and allocate nothing. ``rng.integers`` allocates, so the gust uses
   ``rlsafe.compiled.jit.random_index(rng, 3)``, which gives the same value from the same draws.
3. :class:`WindyCorridor`, the ``rlsafe.envs.base.Env`` that names the kernels and packs their
   parameters; ``configs/env/windy_corridor.yaml`` names it as ``_target_``.
"""

from __future__ import annotations

import gymnasium
import numpy as np

from rlsafe.compiled.jit import jit, random_index
from rlsafe.envs.base import Env, EnvConfig

LENGTH, WIND = 10, 0.2  # the defaults of the kwargs length and wind


class WindyCorridorEnv(gymnasium.Env):
    """The gymnasium env (see the module docstring)."""

    def __init__(self, length: int = LENGTH, wind: float = WIND):
        self.length, self.wind = int(length), float(wind)
        self.observation_space = gymnasium.spaces.Discrete(self.length)
        self.action_space = gymnasium.spaces.Discrete(2)
        self.position = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.position = 0
        return self.position, {}

    def step(self, action):
        if self.np_random.random() < self.wind:
            move = int(self.np_random.integers(0, 3)) - 1  # the gust: -1, 0 or +1
        else:
            move = 1 if action == 1 else -1
        self.position = min(max(self.position + move, 0), self.length - 1)
        return self.position, -1.0, self.position == self.length - 1, False, {}


@jit
def reset(params, state, rng, obs):
    """Writes ``state`` (float64 (1,): the cell) and ``obs`` (float64 (1,)); draws nothing."""
    state[0] = 0.0
    obs[0] = 0.0


@jit
def step(params, state, action, rng, obs, aux):
    """One step; ``params`` = float64 (2,): length, wind. Returns (reward, terminated)."""
    length, wind = params[0], params[1]
    if rng.random() < wind:
        move = random_index(rng, 3) - 1  # not rng.integers(0, 3): that allocates an array
    else:
        move = 1 if action == 1 else -1
    position = min(max(state[0] + move, 0.0), length - 1.0)
    state[0] = position
    obs[0] = position
    return -1.0, position == length - 1.0


class WindyCorridor(Env):
    """WindyCorridor compiled: rlsafe runs ``reset``/``step`` inside its fused loop."""

    kernels = {"env_reset": reset, "env_step": step}
    kwargs_allowed = frozenset({"length", "wind"})  # what the kernels implement
    state_dim = 1

    def __init__(self, config: EnvConfig, key: str = "env"):
        super().__init__(config, key)  # makes the gymnasium env once: spaces, time limit
        kwargs = dict(config.kwargs)
        self.params = np.array(
            [float(kwargs.get("length", LENGTH)), float(kwargs.get("wind", WIND))]
        )  # (2,)

    @staticmethod
    def gym_state(gym_env) -> np.ndarray:
        """The gymnasium env's state laid out as the kernels' ``state``: for parity tests."""
        return np.array([float(gym_env.unwrapped.position)])
