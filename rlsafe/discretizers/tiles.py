"""Tile coding: several offset tilings over the observation ranges, one active tile per tiling.

Each of ``tilings`` (n) tilings cuts dimension ``d`` of ``[low[d], high[d]]`` into ``tiles[d]``
equal tiles (a resolution per dimension); tiling ``t`` is displaced by ``t * (1, 3, 5, ...) / n``
of a tile width, the asymmetric displacements of Sutton's ``tiles3`` (Miller & Glanz 1996; Sutton
& Barto 2nd ed., 9.5.4), so each tiling has ``tiles[d] + 1`` tiles along ``d``. An observation
activates one tile per tiling; a linear agent's Q(s, a) is the sum of the n active tiles' weights.
The coordinates are ``tiles3.tileswrap``'s, ``c = (floor(f * n) + (t * (2d + 1)) % n) // n``
with ``f = (x - low) * tiles / (high - low)``, so the tilings partition the space exactly as
``tiles3`` does; without hashing, tile ``c`` of tiling ``t`` is feature ``t * P + (c as a
mixed-radix number)`` (``P`` tiles per tiling, no two tilings share a feature).

* **Clipping**: a value outside ``[low, high]`` (or NaN) is moved to the nearest end and counted
  in ``clipped[d]``, as :mod:`rlsafe.discretizers.bins` does.
* **Wrapping** (``wrap[d]``, for angles): dimension ``d`` is periodic with period
  ``high - low``; it has ``tiles[d]`` tiles per tiling (tile ``tiles[d]`` is tile 0 again, as
  ``tileswrap`` does) and nothing is clipped.
* **Hashing** (``size``): the coordinates ``(t, c_1, ..., c_D)`` are hashed into ``size``
  features (for high-dimensional inputs, where ``P`` would be huge). Two tiles that land on one
  feature share its weight: each lookup that finds its feature held by another tile (the first
  tile to reach a feature holds it) is a collision, counted like clipping and reported as
  ``train/hash_collisions_fraction``.

Ranges come from, in order: this config, the env config's recommendation, or the observation
space's finite bounds, as for bins. What the loop sees: ``discretize`` writes the active features
(int64 (n,)) into the next row of a small ring shared with the agent's tables and returns that
row's number as the state ``s`` (see :mod:`rlsafe.agents.features`); the ring has
:data:`RING_ROWS` rows, so a state stays readable for the next ``RING_ROWS - 1`` observations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium
import numpy as np

from rlsafe.compiled.jit import jit
from rlsafe.discretizers.bins import Bins, _per_dim, box_dims

#: Rows of the ring of active features: the states an agent may still read (s, s' and SARSA's
#: pending one); agents that keep more (n-step SARSA) copy the rows.
RING_ROWS = 4

#: Largest number of features a dense (unhashed) coding may have; beyond it set ``size``.
MAX_DENSE = 2**31


@dataclass
class TilesConfig:
    """How to tile a Box observation space."""

    tilings: int = 8  #: number of offset tilings (the book's and tiles3's usual 8; a power of 2)
    tiles: Any = 8  #: tiles per dimension in each tiling: one count for all, or a list
    low: Any = None  #: lower range per dimension (list), or null for the space's own bounds
    high: Any = None  #: upper range per dimension (list), or null for the space's own bounds
    wrap: Any = False  #: periodic dimensions (angles): one bool for all, or a list
    size: Any = None  #: hash into this many features (null: one feature per tile, no hashing)


@jit
def discretize(params, obs, clipped):
    """Writes the active features of ``obs`` (float64 (D,)) into the next ring row; returns it.

    ``params`` = (tiles int64 (D,), low, high, scale = tilings * tiles / (high - low), width =
    high - low (float64 (D,)), wrap bool (D,), stride int64 (D,): the mixed-radix place of each
    coordinate, per_tiling int64 (1,), size int64 (1,) (0: no hashing), offsets int64 (n, D):
    ``(t * (2d + 1)) % n``, shift int64 (1,): log2(n), -1 if n is not a power of 2 (integer
    division by a number known only at run time takes tens of cycles), quantized int64 (D,)
    (scratch: floor(f * n) per dimension), ring int64 (R, n), cursor int64 (1,), owner int64
    (size,) (the hash holding each feature, 0: free), hashing int64 (2,): lookups, collisions).
    Adds 1 to ``clipped[d]`` for each clipped dimension ``d``.
    """
    (
        tiles,
        low,
        high,
        scale,
        width,
        wrap,
        stride,
        per_tiling,
        size,
        offsets,
        shift,
        quantized,
        ring,
        cursor,
        owner,
        hashing,
    ) = params
    n_tilings = ring.shape[1]
    by_shift = shift[0] >= 0
    n_dims = obs.shape[0]
    row = cursor[0] + 1
    if row == ring.shape[0]:
        row = 0
    cursor[0] = row
    for d in range(n_dims):
        x = obs[d]
        if wrap[d]:
            x = x - low[d]
            x = x - np.floor(x / width[d]) * width[d]  # in [0, width]
            if not x >= 0.0:  # NaN or infinite
                x = 0.0
                clipped[d] += 1
            x = x + low[d]
        elif not x >= low[d]:  # below the range, or NaN
            x = low[d]
            clipped[d] += 1
        elif x > high[d]:
            x = high[d]
            clipped[d] += 1
        q = np.int64(np.floor((x - low[d]) * scale[d]))  # floor(f * n), f in tile widths
        top = tiles[d] * n_tilings
        q = max(q, 0)
        if q > top:  # rounding at the top of the range
            q = top
        if wrap[d] and q == top:  # high is low again
            q = 0
        quantized[d] = q
    dense = size[0] == 0
    for t in range(n_tilings):
        index = t * per_tiling[0]
        h = np.uint64(t + 1) * np.uint64(0x9E3779B97F4A7C15)
        for d in range(n_dims):
            # tiles3's coordinate (q + (t * (2d + 1)) % n) // n, a shift for n a power of 2
            c = quantized[d] + offsets[t, d]
            c = c >> shift[0] if by_shift else c // n_tilings
            if wrap[d] and c == tiles[d]:
                c = 0
            if dense:
                index += c * stride[d]
            else:
                h = (h ^ np.uint64(c)) * np.uint64(0xBF58476D1CE4E5B9)
                h = h ^ (h >> np.uint64(31))
        if not dense:  # splitmix64's finaliser, then the feature and its owner's key
            h = (h ^ (h >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            h = h ^ (h >> np.uint64(31))
            index = np.int64(h % np.uint64(size[0]))
            key = np.int64(h >> np.uint64(1)) | 1  # > 0: a free feature holds 0
            hashing[0] += 1
            if owner[index] == 0:
                owner[index] = key
            elif owner[index] != key:
                hashing[1] += 1
        ring[row, t] = index
    return row


class Tiles:
    """Tile-codes a 1-D ``Box`` observation space into ``n_features`` binary features, ``tilings``
    of them active at a time (see the module's docstring)."""

    Config = TilesConfig
    kernel = staticmethod(discretize)
    n_states = RING_ROWS  #: the loop's states are the ring's rows (no per-state tables)

    def __init__(self, config: TilesConfig, space: gymnasium.Space, key: str = "discretizer"):
        dims = box_dims(space, "tiles", key)
        tilings = config.tilings
        if isinstance(tilings, bool) or not isinstance(tilings, int) or not 1 <= tilings <= 1024:
            raise ValueError(
                f"{key}.tilings={tilings}: give a whole number of tilings from 1 to "
                "1024 (8 is the usual; a power of 2 spreads the offsets best)"
            )
        for name in ("tiles",):
            value = getattr(config, name)
            if value is None or isinstance(value, bool):
                raise ValueError(
                    f"{key}.{name}={value}: give the tiles per dimension, one "
                    f"number for all or a list of {dims}"
                )
        self.tiles = _per_dim(f"{key}.tiles", config.tiles, dims, int)
        if (self.tiles < 1).any() or (self.tiles > 2**20).any():
            raise ValueError(f"{key}.tiles={config.tiles}: every count must be from 1 to 2**20")
        self.wrap = self._wrap(key, config.wrap, dims)
        # the ranges exactly as bins takes them (config, env recommendation, finite bounds)
        self.low = Bins._range(f"{key}.low", config.low, space.low, dims)
        self.high = Bins._range(f"{key}.high", config.high, space.high, dims)
        for d in range(dims):
            if not self.low[d] < self.high[d]:
                raise ValueError(
                    f"{key}: dimension {d} has low={self.low[d]} >= high="
                    f"{self.high[d]}; each low must be below its high"
                )
            width = self.high[d] - self.low[d]
            if (
                not np.isfinite(width)
                or not np.isfinite(tilings * self.tiles[d] / width)
                or (tilings * self.tiles[d] / width == 0.0)
            ):
                raise ValueError(
                    f"{key}: dimension {d} spans [{self.low[d]}, {self.high[d]}], "
                    "too wide to tile in float64; give a range that the "
                    "observations actually cover"
                )
        self.n_tilings = tilings
        along = np.where(self.wrap, self.tiles, self.tiles + 1)  # tiles along each dimension
        per_tiling = int(np.prod(along.astype(object)))
        size = config.size
        if size is not None:
            if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 2**40:
                raise ValueError(
                    f"{key}.size={size}: give the number of hashed features, a "
                    "whole number from 1 to 2**40 (or null for no hashing)"
                )
            self.n_features = size
        else:
            if per_tiling * tilings > MAX_DENSE:
                raise ValueError(
                    f"{key}: {tilings} tilings of {per_tiling:,} tiles make "
                    f"{per_tiling * tilings:,} features, too many for a dense table: hash them "
                    f"into fewer with {key}.size=N (e.g. {key}.size={2**20}), or use fewer "
                    f"{key}.tiles"
                )
            self.n_features = per_tiling * tilings
        self.hashed = size is not None
        self.per_tiling = per_tiling
        stride = np.ones(dims, dtype=np.int64)
        for d in range(dims - 2, -1, -1):
            stride[d] = stride[d + 1] * along[d + 1]
        self.stride = stride
        self.along = along
        self.obs_dim = dims
        width = self.high - self.low
        offsets = np.array(
            [[(t * (2 * d + 1)) % tilings for d in range(dims)] for t in range(tilings)],
            dtype=np.int64,
        )  # (n, D)
        shift = tilings.bit_length() - 1 if tilings & (tilings - 1) == 0 else -1
        self.params = (
            self.tiles,
            self.low,
            self.high,
            tilings * self.tiles / width,
            width,
            self.wrap,
            self.stride,
            np.array([per_tiling], dtype=np.int64),
            np.array([size or 0], dtype=np.int64),
            offsets,
            np.array([shift], dtype=np.int64),
        )

    @staticmethod
    def _wrap(key, value, dims) -> np.ndarray:
        values = (
            [value] * dims
            if isinstance(value, bool)
            else list(value)
            if isinstance(value, (list, tuple))
            else None
        )
        if values is None or len(values) != dims or not all(isinstance(v, bool) for v in values):
            raise ValueError(
                f"{key}.wrap={value}: give true or false, or a list of {dims} of "
                "them (true for a periodic dimension such as an angle)"
            )
        return np.array(values, dtype=np.bool_)

    # --- per session ---

    def make_state(self) -> tuple:
        """The arrays a session's ``discretize`` writes: (ring int64 (R, n), cursor int64 (1,),
        owner int64 (size,) or (0,), hashing int64 (2,): lookups, collisions). They belong in the
        agent's tables, so that checkpoints keep them."""
        ring = np.zeros((RING_ROWS, self.n_tilings), dtype=np.int64)  # (R, n)
        cursor = np.zeros(1, dtype=np.int64)
        owner = np.zeros(self.n_features if self.hashed else 0, dtype=np.int64)  # (size,)
        hashing = np.zeros(2, dtype=np.int64)  # lookups, collisions
        return ring, cursor, owner, hashing

    def session_params(self, state: tuple) -> tuple:
        """``discretize``'s params over a session's ``state`` (:meth:`make_state`)."""
        ring, cursor, owner, hashing = state
        quantized = np.zeros(self.obs_dim, dtype=np.int64)  # (D,) scratch
        return (*self.params, quantized, ring, cursor, owner, hashing)

    def features(self, observations: np.ndarray) -> np.ndarray:
        """int64 (N, n): the active features of each of ``observations`` (N, D), computed by the
        kernel (for pictures and tests); the collision counts of this call are thrown away."""
        observations = np.atleast_2d(np.asarray(observations, dtype=np.float64))
        ring, cursor, owner, hashing = self.make_state()
        params = self.session_params((ring, cursor, owner, hashing))
        clipped = np.zeros(self.obs_dim, dtype=np.int64)
        out = np.zeros((observations.shape[0], self.n_tilings), dtype=np.int64)  # (N, n)
        for i, obs in enumerate(observations):
            out[i] = ring[discretize(params, np.ascontiguousarray(obs), clipped)]
        return out

    #: At most this many probe observations (:meth:`probes`)
    MAX_PROBES = 4096

    def probes(self) -> np.ndarray:
        """float64 (N, D): fixed observations at which diagnostics read Q (there are no states
        to read it at): the centres of a grid of ``tiles[d]`` cells per dimension over the
        ranges, or, where that grid has more than :data:`MAX_PROBES` cells, that many points
        drawn uniformly over the ranges with a fixed seed."""
        if int(np.prod(self.tiles.astype(object))) <= self.MAX_PROBES:
            axes = [
                self.low[d] + (np.arange(n) + 0.5) * (self.high[d] - self.low[d]) / n
                for d, n in enumerate(self.tiles.tolist())
            ]
            return np.stack([a.ravel() for a in np.meshgrid(*axes, indexing="ij")], axis=1)
        rng = np.random.default_rng(0)
        return rng.uniform(self.low, self.high, size=(self.MAX_PROBES, self.obs_dim))

    def q_at(self, weights: np.ndarray, observations: np.ndarray) -> np.ndarray:
        """float64 (N, A): Q of each of ``observations`` (N, D) under ``weights`` (F, A)."""
        return weights[self.features(observations)].sum(axis=1)

    def q_at_probes(self, weights: np.ndarray) -> np.ndarray:
        """float64 (N, A): Q at :meth:`probes` (their features computed once)."""
        if getattr(self, "_probe_features", None) is None:
            self._probe_features = self.features(self.probes())  # (N, n)
        return weights[self._probe_features].sum(axis=1)

    def hash_collisions(self, state: tuple) -> tuple[int, int] | None:
        """(lookups, collisions) so far in a session's ``state``; None without hashing."""
        return (int(state[3][0]), int(state[3][1])) if self.hashed else None

    def describe(self) -> dict:
        return {
            "kind": "tiles",
            "tilings": self.n_tilings,
            "tiles": self.tiles.tolist(),
            "low": self.low.tolist(),
            "high": self.high.tolist(),
            "wrap": self.wrap.tolist(),
            "size": self.n_features if self.hashed else None,
            "n_features": self.n_features,
        }
