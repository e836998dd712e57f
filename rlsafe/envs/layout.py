"""Where each tabular state lies on a map: what pictures of a policy and its values need.

An env whose states are cells of a grid (the toy-text envs, the safety gridworlds) returns a
:class:`GridLayout` from ``Env.layout()``; envs without one return None (pictures of discretized
continuous envs use the discretizer's bins instead). Several states may share a cell (Taxi's
passenger and destination, a gridworld's button flag): pictures marginalize over them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class GridLayout:
    """The map of a grid env.

    ``chars``: (rows, cols) str array, the map as rendered (``#`` a wall, letters the special
    tiles); ``cell``: int64 (n_states,), the flat index ``row * cols + col`` of each tabular state's
    agent cell, -1 for a state with no cell; ``moves``: per action its (drow, dcol) arrow, (0, 0) for
    an action that does not move (Taxi's pickup, a no-op).
    """

    chars: np.ndarray  # (rows, cols) <U1
    cell: np.ndarray  # (n_states,) int64
    moves: tuple[tuple[int, int], ...]  # (n_actions,) of (drow, dcol)

    @property
    def shape(self) -> tuple[int, int]:
        return self.chars.shape

    @property
    def walls(self) -> np.ndarray:
        """bool (rows, cols): the wall cells."""
        return self.chars == "#"

    @classmethod
    def from_rows(cls, rows, cell, moves) -> "GridLayout":
        """From the map as a list of equal-length strings."""
        chars = np.array([list(r) for r in rows], dtype="<U1")  # (rows, cols)
        return cls(chars, np.asarray(cell, dtype=np.int64), tuple(tuple(m) for m in moves))


#: arrows of the actions UP, DOWN, LEFT, RIGHT (the safety gridworlds' order)
UDLR = ((-1, 0), (1, 0), (0, -1), (0, 1))
