"""CartPole-v1, compiled: gymnasium's classic control CartPole, step for step and bit for bit.

Description, spaces, rewards and episode end are gymnasium's (``gymnasium.envs.classic_control.
cartpole``): push a cart left (0) or right (1) to keep a pole upright; +1 per step; the episode
terminates when the pole leans more than 12 degrees or the cart leaves [-2.4, 2.4], and is
truncated after 500 steps. ``sutton_barto_reward=True`` gives 0 per step and -1 on failure.

To match gymnasium exactly, the internal state is float64, the observation is that state rounded
to float32, the constants and the order of operations are gymnasium's (Euler integration), and the
reset draws ``uniform(-0.05, 0.05)`` four times from the same generator ``reset(seed=)`` makes.
"""

from __future__ import annotations

import math

import numpy as np

from rlsafe.compiled.jit import jit
from rlsafe.envs.base import Env, EnvConfig

# gymnasium's constants, computed as gymnasium computes them
GRAVITY = 9.8
MASSCART = 1.0
MASSPOLE = 0.1
TOTAL_MASS = MASSPOLE + MASSCART
LENGTH = 0.5  # half the pole's length
POLEMASS_LENGTH = MASSPOLE * LENGTH
FORCE_MAG = 10.0
TAU = 0.02
THETA_THRESHOLD = 12 * 2 * math.pi / 360
X_THRESHOLD = 2.4


@jit
def reset(params, state, rng, obs):
    """Writes ``state`` (float64 (4,)) and ``obs`` (float64 (4,), float32 values)."""
    for i in range(4):
        state[i] = rng.uniform(-0.05, 0.05)
        obs[i] = np.float32(state[i])


@jit
def step(params, state, action, rng, obs, aux):
    """One Euler step; ``params`` = (sutton_barto_reward,). Returns (reward, terminated)."""
    x = state[0]
    x_dot = state[1]
    theta = state[2]
    theta_dot = state[3]
    force = FORCE_MAG if action == 1 else -FORCE_MAG
    costheta = math.cos(theta)
    sintheta = math.sin(theta)
    temp = (force + POLEMASS_LENGTH * (theta_dot * theta_dot) * sintheta) / TOTAL_MASS
    thetaacc = (GRAVITY * sintheta - costheta * temp) / (
        LENGTH * (4.0 / 3.0 - MASSPOLE * (costheta * costheta) / TOTAL_MASS)
    )
    xacc = temp - POLEMASS_LENGTH * thetaacc * costheta / TOTAL_MASS
    x = x + TAU * x_dot
    x_dot = x_dot + TAU * xacc
    theta = theta + TAU * theta_dot
    theta_dot = theta_dot + TAU * thetaacc
    state[0] = x
    state[1] = x_dot
    state[2] = theta
    state[3] = theta_dot
    for i in range(4):
        obs[i] = np.float32(state[i])
    terminated = (
        x < -X_THRESHOLD or x > X_THRESHOLD or theta < -THETA_THRESHOLD or theta > THETA_THRESHOLD
    )
    if params[0] != 0.0:
        return (-1.0 if terminated else 0.0), terminated
    return 1.0, terminated


class CartPole(Env):
    """CartPole-v1 with a compiled model (see the module docstring)."""

    kernels = {"env_reset": reset, "env_step": step}
    entry_points = ("gymnasium.envs.classic_control.cartpole:CartPoleEnv",)
    kwargs_allowed = frozenset({"sutton_barto_reward"})
    state_dim = 4
    action_moves = ((0, -1), (0, 1))  # push left, push right
    obs_names = ("cart position", "cart velocity", "pole angle", "pole angular velocity")
    picture_dims = (2, 3)

    def __init__(self, config: EnvConfig, key: str = "env"):
        super().__init__(config, key)
        self.params = np.array([float(bool(config.kwargs.get("sutton_barto_reward", False)))])

    @staticmethod
    def gym_state(gym_env) -> np.ndarray:
        """gymnasium's internal state (x, x_dot, theta, theta_dot), float64 (4,)."""
        return np.asarray(gym_env.unwrapped.state, dtype=np.float64)
