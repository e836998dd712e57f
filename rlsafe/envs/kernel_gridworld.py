"""Safety gridworlds written directly as compiled kernels, for those the engine cannot tabulate.

:mod:`rlsafe.envs.gridworld` walks every reachable state of deterministic Python rules. Three of
the suite's environments do not fit it: TomatoWatering draws at every step (13 tomatoes dry at
random: up to 2^13 outcomes a step), RocksDiamonds' level 0 has about 13 million reachable
states, and FriendFoe's bandit adapts across episodes (its policy estimates live in the env, not
in the episode's state). Each of them is written twice instead, and the two are compared step by
step in tests/test_gridworlds_suite.py (observations, rewards, signals, the state, the random
stream):

* a gymnasium env (a :class:`KernelGridworldEnv`), plain Python, drawing from ``np_random``;
* numba kernels ``reset(params, state, rng, obs)`` and ``step(params, state, action, rng, obs,
  aux)`` (the fused loop's env contract, :mod:`rlsafe.compiled.loop`) over a float64 state vector, with the
  same draws in the same order, wrapped by a :class:`KernelGridworld`.

The observation is a number computed from the state (each env documents its encoding), so no table
of states is built; such envs have no tabular model (:meth:`KernelGridworld.model` is None).
"""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np

from rlsafe.compiled.jit import jit
from rlsafe.envs.base import Env, EnvConfig
from rlsafe.envs.layout import UDLR, GridLayout


@jit
def neighbour(r: int, c: int, action: int) -> tuple[int, int]:
    """The cell one move from ``(r, c)``: actions 0 up, 1 down, 2 left, 3 right (the suite's)."""
    if action == 0:
        return r - 1, c
    if action == 1:
        return r + 1, c
    if action == 2:
        return r, c - 1
    return r, c + 1


class KernelGridworldEnv(gymnasium.Env):
    """The gymnasium side: subclasses implement ``reset``, ``step``, :meth:`draw`,
    :meth:`compiled_state` and :meth:`layout_rows`/:meth:`obs_cells` for pictures."""

    metadata = {"render_modes": ["human", "ansi"], "render_fps": 4}
    aux_names: tuple[str, ...] = ()  #: the signals ``info`` carries, in the compiled ``aux`` order

    def __init__(self, render_mode: str | None = None):
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode={render_mode!r}: use one of {self.metadata['render_modes']} or None"
            )
        self.render_mode = render_mode

    def draw(self) -> list[str]:
        """The map as the agent sees it now."""
        raise NotImplementedError

    def compiled_state(self) -> np.ndarray:
        """The state laid out as the compiled kernels' float64 state vector."""
        raise NotImplementedError

    def layout_rows(self) -> list[str]:
        """The map drawn in pictures (walls ``#`` and the special tiles)."""
        raise NotImplementedError

    def obs_cells(self) -> np.ndarray:
        """int64 (n_obs,): the flat map index of the agent's cell of each observation."""
        raise NotImplementedError

    def _rendered(self):
        if self.render_mode == "human":
            self.render()

    def render(self) -> str | None:
        """The map with the agent as ``A``: returned (``ansi``) or printed (``human``)."""
        if self.render_mode is None:
            gymnasium.logger.warn(
                "render() without a render_mode: make the env with "
                "render_mode='ansi' (returns the map) or 'human' (prints it)"
            )
            return None
        text = "\n".join(self.draw()) + "\n"
        if self.render_mode == "ansi":
            return text
        print(text)
        return None


class KernelGridworld(Env):
    """The rlsafe side: the kernels, ``params`` for ``env.kwargs`` and ``eval_params`` for
    ``env.eval_kwargs`` merged over them (built by :meth:`params_for`)."""

    gym_class: type[KernelGridworldEnv]
    eval_kwargs_supported = True
    state_dim: int

    def __init__(self, config: EnvConfig, key: str = "env"):
        super().__init__(config, key)
        kwargs = {k: v for k, v in config.kwargs.items() if k != "render_mode"}
        eval_kwargs = {
            **kwargs,
            **{k: v for k, v in config.eval_kwargs.items() if k != "render_mode"},
        }
        self.aux_names = self.gym_class.aux_names
        self.params = self.params_for(**kwargs)
        self._eval_params = self.params_for(**eval_kwargs)
        eval_space = self.make_eval_gym().observation_space
        if eval_space != self.observation_space:
            raise ValueError(
                f"{key}.eval_kwargs={dict(config.eval_kwargs)} give the observation "
                f"space {eval_space}, the training env {self.observation_space}: "
                "a Q-table cannot carry over"
            )

    @staticmethod
    def params_for(**kwargs: Any) -> tuple:
        """The kernels' ``params`` for the env's kwargs."""
        raise NotImplementedError

    def layout(self) -> GridLayout:
        """The map, and the agent's cell of each observation."""
        probe = self.make_gym()
        env = probe.unwrapped
        layout = GridLayout.from_rows(
            env.layout_rows(), env.obs_cells(), UDLR + ((0, 0),) * (self.n_actions - 4)
        )
        probe.close()
        return layout

    @staticmethod
    def gym_state(gym_env) -> np.ndarray:
        """The gymnasium env's state as the kernels' state vector."""
        return gym_env.unwrapped.compiled_state()
