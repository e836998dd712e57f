"""One seed fans out to independent streams: the env, the agent, and their evaluation twins."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Streams:
    """The random streams of one run, all derived from ``seed`` through a SeedSequence.

    The envs get an integer seed because gymnasium's ``reset(seed=)`` takes one (and a compiled env
    must draw what gymnasium would draw); the agents get generators of their own.
    """

    seed: int
    env_seed: int  #: for the training env's first ``reset(seed=)``
    eval_env_seed: int  #: for the evaluation env's first ``reset(seed=)``
    agent: np.random.Generator  #: exploration and tie-breaking while training
    eval_agent: np.random.Generator  #: tie-breaking of the greedy policy in evaluation

    @classmethod
    def from_seed(cls, seed: int) -> "Streams":
        env, agent, eval_env, eval_agent = np.random.SeedSequence(seed).spawn(4)
        return cls(
            seed=seed,
            env_seed=int(env.generate_state(1, np.uint64)[0] >> np.uint64(1)),
            eval_env_seed=int(eval_env.generate_state(1, np.uint64)[0] >> np.uint64(1)),
            agent=np.random.Generator(np.random.PCG64(agent)),
            eval_agent=np.random.Generator(np.random.PCG64(eval_agent)),
        )
