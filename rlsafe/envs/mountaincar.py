"""MountainCar-v0, compiled: gymnasium's classic control MountainCar, step for step and bit for bit.

Description, spaces, rewards and episode end are gymnasium's (``gymnasium.envs.classic_control.
mountain_car``): push a car left (0), not at all (1) or right (2) to climb the right hill; -1 per
step; the episode terminates when the position reaches 0.5 (with a velocity of at least
``goal_velocity``, a ``gymnasium.make`` keyword, 0 by default) and is truncated after 200 steps.

To match gymnasium exactly, the internal state (position, velocity) is float64, the observation is
that state rounded to float32, the constants and the order of operations are gymnasium's (the
velocity gets ``(action - 1) * force + cos(3 * position) * (-gravity)`` added in one go, then both
are clipped, and a car stopped by the left wall loses its velocity), and the reset draws
``uniform(-0.6, -0.4)`` once from the same generator ``reset(seed=)`` makes. ``math.cos`` here and
in gymnasium is the C library's.
"""

from __future__ import annotations

import math

import numpy as np

from rlsafe.compiled.jit import jit
from rlsafe.envs.base import Env, EnvConfig

# gymnasium's constants
MIN_POSITION = -1.2
MAX_POSITION = 0.6
MAX_SPEED = 0.07
GOAL_POSITION = 0.5
FORCE = 0.001
GRAVITY = 0.0025


@jit
def reset(params, state, rng, obs):
    """Writes ``state`` (float64 (2,): position, velocity) and ``obs`` (float64 (2,), float32 values)."""
    state[0] = rng.uniform(-0.6, -0.4)
    state[1] = 0.0
    obs[0] = np.float32(state[0])
    obs[1] = np.float32(state[1])


@jit
def step(params, state, action, rng, obs, aux):
    """One step; ``params`` = (goal_velocity,). Returns (reward, terminated)."""
    position = state[0]
    velocity = state[1] + ((action - 1) * FORCE + math.cos(3 * position) * (-GRAVITY))
    velocity = min(max(velocity, -MAX_SPEED), MAX_SPEED)
    position = position + velocity
    position = min(max(position, MIN_POSITION), MAX_POSITION)
    if position == MIN_POSITION and velocity < 0:
        velocity = 0.0
    state[0] = position
    state[1] = velocity
    obs[0] = np.float32(position)
    obs[1] = np.float32(velocity)
    return -1.0, position >= GOAL_POSITION and velocity >= params[0]


class MountainCar(Env):
    """MountainCar-v0 with a compiled model (see the module docstring)."""

    kernels = {"env_reset": reset, "env_step": step}
    entry_points = ("gymnasium.envs.classic_control.mountain_car:MountainCarEnv",)
    kwargs_allowed = frozenset({"goal_velocity"})
    state_dim = 2
    action_moves = ((0, -1), (0, 0), (0, 1))  # accelerate left, none, right
    obs_names = ("position", "velocity")
    picture_dims = (0, 1)

    def __init__(self, config: EnvConfig, key: str = "env"):
        super().__init__(config, key)
        self.params = np.array([float(config.kwargs.get("goal_velocity", 0))])

    @staticmethod
    def gym_state(gym_env) -> np.ndarray:
        """gymnasium's internal state (position, velocity), float64 (2,)."""
        return np.asarray(gym_env.unwrapped.state, dtype=np.float64)
