"""Schedules for a hyperparameter that changes over training (learning rate, epsilon, ...).

A schedule is a function of training *progress* ``p = episode / episodes`` in ``[0, 1)``, so a
config written for one budget keeps its shape for another. It starts at the hyperparameter's own
value and reaches ``end`` at ``p = duration``, then stays there:

* ``constant``: the start value throughout (``end`` and ``duration`` are ignored);
* ``linear``: a straight line from start to ``end``;
* ``exponential``: ``start * (end / start) ** (p / duration)``, a geometric decay to the floor
  ``end`` (both must be > 0).

The value is computed once per episode, inside the compiled loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from rlsafe.compiled.jit import jit


class ScheduleKind(str, Enum):
    constant = "constant"
    linear = "linear"
    exponential = "exponential"


_KIND_CODE = {ScheduleKind.constant: 0, ScheduleKind.linear: 1, ScheduleKind.exponential: 2}


@dataclass
class Schedule:
    """How a hyperparameter moves from its start value to ``end`` over training."""

    kind: ScheduleKind = ScheduleKind.constant  #: constant, linear or exponential
    end: float = 0.0  #: value reached at ``duration`` and kept afterwards
    duration: float = 1.0  #: fraction of the training episodes over which it moves, in (0, 1]

    def check(self, key: str, start: float) -> None:
        """Raise ``ValueError`` naming ``key`` if this schedule cannot run from ``start``."""
        if not 0.0 < self.duration <= 1.0:
            raise ValueError(
                f"{key}.duration={self.duration} is out of range: it is the fraction of training "
                "over which the value moves, in (0, 1]"
            )
        if self.kind == ScheduleKind.exponential and (start <= 0.0 or self.end <= 0.0):
            raise ValueError(
                f"{key}: an exponential schedule needs a start and end > 0 (got start={start}, "
                f"end={self.end}); use kind=linear to reach 0"
            )

    def pack(self, start: float) -> np.ndarray:
        """The schedule as the float64 vector ``schedule_value`` reads: (kind, start, end, duration)."""
        return np.array([_KIND_CODE[ScheduleKind(self.kind)], start, self.end, self.duration])


@jit
def schedule_value(packed, progress):
    """Value of a packed schedule (see :meth:`Schedule.pack`) at ``progress`` in [0, 1]."""
    kind = packed[0]
    start = packed[1]
    end = packed[2]
    frac = min(progress / packed[3], 1.0)
    if kind == 0:
        return start
    if kind == 1:
        return start + (end - start) * frac
    return start * (end / start) ** frac
