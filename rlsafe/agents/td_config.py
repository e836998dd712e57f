"""The settings every tabular TD agent shares (:class:`TDConfig`), and their checks.

An agent's own ``Config`` derives from :class:`TDConfig`; its YAML defaults are
``configs/agent_common/td.yaml`` plus ``configs/agent/<name>.yaml`` (tests check both against the
dataclasses). The exploration rules themselves are kernels in :mod:`rlsafe.agents.explore`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from rlsafe.compiled.schedules import Schedule, ScheduleKind


class Exploration(str, Enum):
    epsilon_greedy = "epsilon_greedy"
    softmax = "softmax"
    ucb = "ucb"


class UpdateOn(str, Enum):
    """Which action an agent learns about when the env executed another (``actual_action``)."""

    executed = "executed"  # the one the env executed (interruptions are part of the world)
    proposed = "proposed"  # the agent's own choice (the env's override is hidden from it)


def in_range(key, value, low, high, low_open=False):
    """Raise ``ValueError`` naming ``key`` unless ``value`` is a finite number in [low, high] (or
    (low, high]); ``high`` may be inf for "no upper bound", but an infinite value is refused (an
    infinite temperature or UCB bonus would silently make every action equally likely)."""
    ok = (low < value if low_open else low <= value) and value <= high and math.isfinite(value)
    if not ok:
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}" + (
            ")" if high == math.inf else "]"
        )
        raise ValueError(f"{key}={value} is out of range: it must be a finite number in {interval}")


@dataclass
class TDConfig:
    """Settings every agent has: learning rate, exploration, discount, initial values.

    An agent's own ``Config`` derives from this and sets its defaults.
    """

    alpha: float = 0.5  #: learning rate at the start of training, in (0, 1]
    alpha_schedule: Schedule = field(
        default_factory=lambda: Schedule(kind=ScheduleKind.exponential, end=0.01, duration=1.0)
    )  #: how alpha moves
    exploration: Exploration = Exploration.epsilon_greedy  #: epsilon_greedy, softmax or ucb
    epsilon: float = 1.0  #: epsilon_greedy: exploration rate at the start, in [0, 1]
    epsilon_schedule: Schedule = field(
        default_factory=lambda: Schedule(kind=ScheduleKind.linear, end=0.01, duration=0.5)
    )  #: how epsilon moves
    temperature: float = 1.0  #: softmax: temperature at the start, > 0
    temperature_schedule: Schedule = field(
        default_factory=lambda: Schedule(kind=ScheduleKind.exponential, end=0.01, duration=0.5)
    )  #: how the temperature moves (its end must stay > 0)
    ucb_c: float = 1.0  #: ucb: bonus scale c at the start, >= 0
    ucb_c_schedule: Schedule = field(default_factory=Schedule)  #: how c moves
    gamma: float = 0.99  #: discount factor, in [0, 1]
    q_init: float = 0.0  #: initial value of every Q(s, a); > 0 is optimistic
    #: envs that override actions (``actual_action``): learn about the executed or the proposed one
    update_on: UpdateOn = UpdateOn.executed
    #: replace actions the env's model says may cost (``cost`` > 0) by the best safe one
    shield: bool = False

    def check(self, key: str) -> None:
        """Raise ``ValueError`` naming the key of the first bad value."""
        in_range(f"{key}.alpha", self.alpha, 0.0, 1.0, low_open=True)
        in_range(f"{key}.alpha_schedule.end", self.alpha_schedule.end, 0.0, 1.0)
        in_range(f"{key}.epsilon", self.epsilon, 0.0, 1.0)
        in_range(f"{key}.epsilon_schedule.end", self.epsilon_schedule.end, 0.0, 1.0)
        in_range(f"{key}.temperature", self.temperature, 0.0, math.inf, low_open=True)
        if self.temperature_schedule.kind != ScheduleKind.constant:
            in_range(
                f"{key}.temperature_schedule.end",
                self.temperature_schedule.end,
                0.0,
                math.inf,
                low_open=True,
            )
        in_range(f"{key}.ucb_c", self.ucb_c, 0.0, math.inf)
        in_range(f"{key}.ucb_c_schedule.end", self.ucb_c_schedule.end, 0.0, math.inf)
        in_range(f"{key}.gamma", self.gamma, 0.0, 1.0)
        if not np.isfinite(self.q_init):
            raise ValueError(f"{key}.q_init={self.q_init} must be a finite number")
        self.alpha_schedule.check(f"{key}.alpha_schedule", self.alpha)
        self.epsilon_schedule.check(f"{key}.epsilon_schedule", self.epsilon)
        self.temperature_schedule.check(f"{key}.temperature_schedule", self.temperature)
        self.ucb_c_schedule.check(f"{key}.ucb_c_schedule", self.ucb_c)

    def exploration_schedule(self) -> np.ndarray:
        """The packed schedule of the chosen rule's hyperparameter (``hp[HP_EXPLORE]``)."""
        kind = Exploration(self.exploration)
        if kind == Exploration.epsilon_greedy:
            return self.epsilon_schedule.pack(self.epsilon)
        if kind == Exploration.softmax:
            return self.temperature_schedule.pack(self.temperature)
        return self.ucb_c_schedule.pack(self.ucb_c)
