"""Uniform bins per observation dimension, with explicit ranges and a count of what was clipped.

Each dimension ``d`` is cut into ``bins[d]`` equal bins over ``[low[d], high[d]]``; a value below
``low`` or above ``high`` (or NaN) goes into the edge bin and is counted as clipped. The state is
the mixed-radix number of the bin indices, so there are ``prod(bins)`` states.

Ranges come from, in order: this config, the environment config's recommendation (CartPole's
velocities are unbounded, so ``configs/env/cartpole.yaml`` gives ranges), or the observation
space's bounds where they are finite. An unbounded dimension with no range is an error that says
which key to set, before any training.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium
import numpy as np

from rlsafe.compiled.jit import jit


@dataclass
class BinsConfig:
    """How to cut a Box observation space into bins."""

    bins: Any = 10  #: bins per dimension: one count for all, or a list with one per dimension
    low: Any = None  #: lower range per dimension (list), or null for the space's own bounds
    high: Any = None  #: upper range per dimension (list), or null for the space's own bounds


@jit
def discretize(params, obs, clipped):
    """State index of ``obs`` (float64 (D,)); counts clipped dimensions in ``clipped`` (int64 (D,)).

    ``params`` = (bins int64 (D,), low float64 (D,), high float64 (D,), scale float64 (D,)) with
    ``scale = bins / (high - low)``.
    """
    bins, low, high, scale = params
    s = 0
    for d in range(obs.shape[0]):
        n = bins[d]
        x = obs[d]
        if not x >= low[d]:  # below the range, or NaN
            i = 0
            clipped[d] += 1
        elif x > high[d]:
            i = n - 1
            clipped[d] += 1
        else:
            i = min(int((x - low[d]) * scale[d]), n - 1)
        s = s * n + i
    return s


def box_dims(space: gymnasium.Space, name: str, key: str) -> int:
    """The number of dimensions of a 1-D Box ``space``; a ValueError naming ``key=name`` and the
    fix for any other space (``discretizer=identity`` for a Discrete one)."""
    if isinstance(space, gymnasium.spaces.Box) and len(space.shape) == 1:
        return space.shape[0]
    discrete = (gymnasium.spaces.Discrete, gymnasium.spaces.Tuple, gymnasium.spaces.MultiDiscrete)
    hint = (
        "Use discretizer=identity for a Discrete space (or a Tuple of them)."
        if isinstance(space, discrete)
        else ""
    )
    raise ValueError(
        f"{key}={name} needs a 1-D Box observation space, but the env has {space}. {hint}"
    )


def _per_dim(key: str, value: Any, dims: int, kind: type) -> np.ndarray:
    values = [value] * dims if np.isscalar(value) else list(value)
    if len(values) != dims:
        raise ValueError(
            f"{key}={value} has {len(values)} entries but the observation space has {dims} "
            f"dimensions: give one value, or a list of {dims}"
        )
    try:
        converted = [kind(v) for v in values]
    except (TypeError, ValueError, OverflowError):
        converted = None
    if converted is None or (
        kind is int and any(isinstance(v, bool) or c != v for v, c in zip(values, converted))
    ):
        what = "whole number" if kind is int else "number"
        raise ValueError(f"{key}={value}: every entry must be a {what}")
    if kind is int and max(converted) >= 2**62:
        raise ValueError(f"{key}={value}: too many bins")
    return np.array(converted, dtype=np.int64 if kind is int else np.float64)


class Bins:
    """Discretizes a 1-D ``Box`` observation space into ``prod(bins)`` states."""

    Config = BinsConfig
    kernel = staticmethod(discretize)

    def __init__(self, config: BinsConfig, space: gymnasium.Space, key: str = "discretizer"):
        dims = box_dims(space, "bins", key)
        if config.bins is None:
            raise ValueError(
                f"{key}.bins=null: give the bins per dimension, one number for all "
                f"or a list of {dims}"
            )
        if isinstance(config.bins, bool):
            raise ValueError(f"{key}.bins={config.bins}: give a whole number of bins")
        self.bins = _per_dim(f"{key}.bins", config.bins, dims, int)
        if (self.bins < 1).any():
            raise ValueError(f"{key}.bins={config.bins}: every bin count must be >= 1")
        self.low = self._range(f"{key}.low", config.low, space.low, dims)
        self.high = self._range(f"{key}.high", config.high, space.high, dims)
        for d in range(dims):
            if not self.low[d] < self.high[d]:
                raise ValueError(
                    f"{key}: dimension {d} has low={self.low[d]} >= high={self.high[d]}; "
                    "each low must be below its high"
                )
            width = float(self.high[d]) - float(self.low[d])  # inf, not a warning, if too wide
            if (
                not np.isfinite(width)
                or not np.isfinite(self.bins[d] / width)
                or (self.bins[d] / width == 0.0)
            ):
                raise ValueError(
                    f"{key}: dimension {d} spans [{self.low[d]}, {self.high[d]}], too wide to "
                    "cut into bins in float64 (every value would fall into one bin); give a "
                    "range that the observations actually cover"
                )
        self.n_states = int(np.prod(self.bins.astype(object)))  # exact, no int64 overflow
        self.obs_dim = dims
        self.params = (self.bins, self.low, self.high, self.bins / (self.high - self.low))

    @staticmethod
    def _range(key, value, bound, dims):
        values = (
            np.asarray(bound, dtype=np.float64)
            if value is None
            else (_per_dim(key, value, dims, float))
        )
        bad = [d for d in range(dims) if not np.isfinite(values[d])]
        if bad:
            raise ValueError(
                f"{key}: the observation space is unbounded in dimension(s) {bad}, so give "
                f"explicit ranges, e.g. {key}=[...] with {dims} numbers"
            )
        return values

    def describe(self) -> dict:
        return {
            "kind": "bins",
            "bins": self.bins.tolist(),
            "low": self.low.tolist(),
            "high": self.high.tolist(),
            "n_states": self.n_states,
        }
