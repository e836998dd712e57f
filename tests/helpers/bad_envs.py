"""Environments that misbehave on purpose, for the tests of what rlsafe does about it.

``gymnasium.make("bad_envs:NanObservation-v0")`` imports this module, which registers them.
"""

from __future__ import annotations

import gymnasium
import numpy as np


class NanObservation(gymnasium.Env):
    """A bounded Box observation that turns NaN at step 5 of episode 3."""

    observation_space = gymnasium.spaces.Box(-1.0, 1.0, (2,), dtype=np.float32)
    action_space = gymnasium.spaces.Discrete(2)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.episode = getattr(self, "episode", -1) + 1
        self.t = 0
        return np.zeros(2, dtype=np.float32), {}

    def step(self, action):
        self.t += 1
        value = np.nan if (self.episode == 3 and self.t == 5) else 0.5
        return np.full(2, value, dtype=np.float32), 1.0, False, self.t >= 10, {}


class HugeReward(gymnasium.Env):
    """Rewards of 1 for six episodes, then 1e308: the Q-values overflow to infinity."""

    observation_space = gymnasium.spaces.Discrete(3)
    action_space = gymnasium.spaces.Discrete(2)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.episode = getattr(self, "episode", -1) + 1
        self.t = 0
        return 0, {}

    def step(self, action):
        self.t += 1
        reward = 1e308 if self.episode >= 6 else 1.0
        return self.t % 3, reward, False, self.t >= 20, {}


gymnasium.register("NanObservation-v0", entry_point=NanObservation)
gymnasium.register("HugeReward-v0", entry_point=HugeReward)


class Raises(HugeReward):
    """Steps normally, then raises in step 4 of episode 5 (a bug in the user's env)."""

    def step(self, action):
        self.t += 1
        if self.episode == 5 and self.t == 4:
            raise KeyError("wall")
        return self.t % 3, 1.0, False, self.t >= 10, {}


gymnasium.register("Raises-v0", entry_point=Raises)
