"""The identity discretizer: a Discrete observation already is the tabular state."""

from __future__ import annotations

from dataclasses import dataclass

import gymnasium
import numpy as np

from rlsafe.jit import jit


@dataclass
class IdentityConfig:
    """The identity discretizer has no settings."""


@jit
def discretize(params, obs, clipped):
    """``int(obs[0])``; a value outside ``[0, n)`` (which a correct env never gives) is clipped.

    ``params`` = (n int64 (1,),); ``obs`` float64 (1,); ``clipped`` int64 (1,).
    """
    n = params[0][0]
    x = obs[0]
    if not x >= 0.0:
        clipped[0] += 1
        return 0
    if x > n - 1:
        clipped[0] += 1
        return n - 1
    return int(x)


class Identity:
    """Uses the observation of a ``Discrete(n)`` space as the state."""

    Config = IdentityConfig
    kernel = staticmethod(discretize)

    def __init__(self, config: IdentityConfig, space: gymnasium.Space, key: str = "discretizer"):
        if not isinstance(space, gymnasium.spaces.Discrete):
            raise ValueError(
                f"{key}=identity needs a Discrete observation space, but the env has {space}. "
                "Use discretizer=bins (with discretizer.low/high where the space is unbounded)."
            )
        if space.start != 0:
            raise ValueError(f"{key}=identity needs a Discrete space starting at 0, got {space}")
        self.n_states = int(space.n)
        self.obs_dim = 1
        self.params = (np.array([self.n_states], dtype=np.int64),)

    def describe(self) -> dict:
        return {"kind": "identity", "n_states": self.n_states}
