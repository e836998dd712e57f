"""The identity discretizer: a Discrete observation already is the tabular state.

A ``Tuple`` of ``Discrete`` spaces (Blackjack's) or a 1-D ``MultiDiscrete`` space is one state
too: the mixed-radix number of its entries, the first the most significant, so a
``Tuple(Discrete(32), Discrete(11), Discrete(2))`` has 704 states and ``(x0, x1, x2)`` is state
``(x0 * 11 + x1) * 2 + x2``. Entries are counted from each space's ``start``.
"""

from __future__ import annotations

from dataclasses import dataclass

import gymnasium
import numpy as np

from rlsafe.compiled.jit import jit


@dataclass
class IdentityConfig:
    """The identity discretizer has no settings."""


@jit
def discretize(params, obs, clipped):
    """The mixed-radix number of ``obs`` (float64 (D,)); a value outside its ``[start, start + n)``
    (which a correct env never gives) goes to the nearest end and is counted in ``clipped``.

    ``params`` = (n int64 (D,), start float64 (D,)); ``clipped`` int64 (D,).
    """
    n, start = params
    s = 0
    for d in range(obs.shape[0]):
        x = obs[d] - start[d]
        if not x >= 0.0:
            clipped[d] += 1
            i = 0
        elif x > n[d] - 1:
            clipped[d] += 1
            i = n[d] - 1
        else:
            i = int(x)
        s = s * n[d] + i
    return s


def _components(space: gymnasium.Space) -> list[tuple[int, int]] | None:
    """(n, start) of each discrete component of ``space``, or None if it has other kinds."""
    if isinstance(space, gymnasium.spaces.Discrete):
        return [(int(space.n), int(space.start))]
    if isinstance(space, gymnasium.spaces.MultiDiscrete) and len(space.nvec.shape) == 1:
        return [(int(n), int(s)) for n, s in zip(space.nvec, space.start)]
    if isinstance(space, gymnasium.spaces.Tuple) and all(
        isinstance(sub, gymnasium.spaces.Discrete) for sub in space.spaces
    ):
        return [(int(sub.n), int(sub.start)) for sub in space.spaces]
    return None


class Identity:
    """Uses a ``Discrete`` observation (or a Tuple/MultiDiscrete of them) as the state."""

    Config = IdentityConfig
    kernel = staticmethod(discretize)

    def __init__(self, config: IdentityConfig, space: gymnasium.Space, key: str = "discretizer"):
        components = _components(space)
        if not components:
            raise ValueError(
                f"{key}=identity needs a Discrete observation space (or a Tuple or 1-D "
                f"MultiDiscrete of Discrete spaces), but the env has {space}. Use "
                "discretizer=bins (with discretizer.low/high where the space is unbounded)."
            )
        self.sizes = [n for n, _ in components]
        self.n_states = int(np.prod(np.array(self.sizes, dtype=object)))  # exact, no overflow
        self.obs_dim = len(components)
        self.params = (
            np.array(self.sizes, dtype=np.int64),
            np.array([s for _, s in components], dtype=np.float64),
        )

    def describe(self) -> dict:
        return {"kind": "identity", "sizes": self.sizes, "n_states": self.n_states}
