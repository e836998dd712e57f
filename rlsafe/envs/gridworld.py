"""The engine of the safety gridworlds: rules in plain Python, compiled to a tabular model.

Each gridworld (rlsafe/envs/gridworlds/safe_interruptibility.py, boat_race.py, ...) writes its rules as a
:class:`Rules` subclass: a distribution over start states (hashable tuples: the agent's cell plus
whatever else the rules track, such as a pressed button or the cell of a box) and a deterministic
``step(state, action) -> (state2, reward, terminated, signals)``. :func:`compile_rules` walks every
state reachable from the starts (breadth first) and lays the rules out as the padded arrays of
:func:`rlsafe.envs.toy_text.model_arrays` plus two more:

``prob`` float64 (S, A, 1), ``next_state`` int64 (S, A, 1), ``reward`` float64 (S, A, 1),
``terminal`` bool (S, A, 1), ``n_next`` int64 (S, A), ``start`` float64 (S,),
``aux`` float64 (S, A, 1, n_aux): the step's signals in ``Rules.aux_names`` order, and
``obs_of_state`` int64 (S,): the observation of each state, the index of its *visible* part
(``Rules.visible``; SafeInterruptibility hides whether the episode will be interrupted).

Steps are deterministic (K = 1) and draw nothing; ``reset`` draws once, ``rng.random()`` over
``start`` by gymnasium's ``categorical_sample`` rule. A state reached only by a terminal step
(the goal, water, lava) is absorbing: its rows loop back to it with reward 0 and ``terminal``.
States are numbered by observation (ties in discovery order), so where the observation is the
whole state the state index *is* the observation and the arrays are the model of the observed
MDP (:meth:`Gridworld.model`).

Three views of the same rules, compared in tests/test_gridworlds.py:

* :class:`GridworldEnv`, the gymnasium env: steps the Python rules themselves; ``info`` carries
  each signal by name; ``render()`` draws the map (``ansi`` returns it, ``human`` prints it).
* the compiled kernels :func:`reset` and :func:`step`, over the arrays (the fused loop's env);
* :class:`Gridworld`, the rlsafe :class:`~rlsafe.envs.base.Env` that holds the arrays, the model
  and the :class:`~rlsafe.envs.layout.GridLayout`.

Actions are UP=0, DOWN=1, LEFT=2, RIGHT=3; moving into a wall (``#``) leaves the agent in place.
Envs with a ``noops`` option add NOOP=4 (``Rules.n_actions`` 5): the agent stays and, depending
on the env, the world still moves (a conveyor belt) or nothing happens (Sokoban).
"""

from __future__ import annotations

import functools
from collections import deque
from dataclasses import dataclass
from typing import Any, Hashable

import gymnasium
import numpy as np

from rlsafe.compiled.jit import jit
from rlsafe.envs.base import Env, EnvConfig
from rlsafe.envs.layout import UDLR, GridLayout
from rlsafe.envs.toy_text import categorical

UP, DOWN, LEFT, RIGHT, NOOP = 0, 1, 2, 3, 4
#: the most states :meth:`Gridworld.model` offers: exact evaluation solves dense (S, S) linear
#: systems (:func:`rlsafe.analysis.dp.policy_value`), 200 MB here; SideEffectsSokoban's level 2 (31,174
#: states) would need 7.8 GB and minutes at every run
MODEL_MAX_STATES = 5000
N_ACTIONS = 4  #: the moves; ``Rules.n_actions`` is 5 where NOOP is allowed


class Grid:
    """A map as rows of characters, with the moves of the agent on it."""

    def __init__(self, rows):
        self.rows = tuple(rows)
        assert len({len(r) for r in self.rows}) == 1, "map rows must have equal lengths"

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.rows), len(self.rows[0])

    def __getitem__(self, cell) -> str:
        return self.rows[cell[0]][cell[1]]

    def find(self, char: str) -> tuple[int, int]:
        """The one cell holding ``char``."""
        cells = self.find_all(char)
        assert len(cells) == 1, f"{char!r} is on {len(cells)} cells"
        return cells[0]

    def find_all(self, char: str) -> list[tuple[int, int]]:
        return [(r, c) for r, row in enumerate(self.rows) for c, x in enumerate(row) if x == char]

    def wall(self, cell) -> bool:
        return self[cell] == "#"

    @staticmethod
    def ahead(cell, action: int) -> tuple[int, int]:
        """The cell next to ``cell`` in the direction of ``action`` (``cell`` itself for NOOP)."""
        if action == NOOP:
            return tuple(cell)
        dr, dc = UDLR[action]
        return cell[0] + dr, cell[1] + dc

    def move(self, cell, action: int) -> tuple[int, int]:
        """Where the agent ends up: the next cell, or ``cell`` itself when that is a wall."""
        target = self.ahead(cell, action)
        return cell if self.wall(target) else target

    def draw(self, marks: dict, erase: str = "A") -> list[str]:
        """The rows with the characters in ``erase`` blanked and ``marks`` ({cell: char}) drawn."""
        rows = [list(" " if x in erase else x for x in r) for r in self.rows]
        for (r, c), char in marks.items():
            rows[r][c] = char
        return ["".join(r) for r in rows]


class Rules:
    """One gridworld's rules in plain Python; subclasses fill in the methods below.

    ``aux_names``: the per-step signals ``step`` reports (in this order in ``aux``);
    ``info_names``: further names ``step`` may put in ``info`` only (not compiled).
    Constructor keyword arguments are the env's kwargs (``gymnasium.make(id, **kwargs)``).
    """

    aux_names: tuple[str, ...] = ()
    n_actions: int = N_ACTIONS  #: 5 where the env's ``noops`` option adds NOOP (action 4)
    grid: Grid  #: the map drawn by the layout (the first one, where there are several)

    def starts(self) -> list[tuple[float, Hashable]]:
        """The start states with their probabilities (summing to 1)."""
        raise NotImplementedError

    def step(self, state, action: int) -> tuple[Hashable, float, bool, dict]:
        """``(state2, reward, terminated, signals)``; ``signals`` maps aux (and info) names to
        floats; names left out are 0."""
        raise NotImplementedError

    def visible(self, state) -> Hashable:
        """The part of ``state`` the agent observes (all of it unless a subclass hides some)."""
        return state

    def direct_observations(self) -> int | None:
        """None (tabulate), or the number of observations of rules with too many states to
        tabulate: the gymnasium env then numbers observations by :meth:`encode` and steps the
        rules without tables, and there are no compiled arrays (SideEffectsSokoban levels 1, 3)."""
        return None

    def encode(self, state) -> int:
        """The observation of ``state`` where :meth:`direct_observations` is not None."""
        raise NotImplementedError

    def observations(self) -> list | None:
        """A fixed list of every visible part, or None to number them as they are found.

        Fixing the list keeps observations the same across kwargs (DistributionalShift's train
        and test maps), so a Q-table learned on one applies to the other."""
        return None

    def cell(self, state) -> tuple[int, int]:
        """The agent's cell in ``state``."""
        return state[0], state[1]

    def draw(self, state) -> list[str]:
        """The map in ``state``, the agent drawn as ``A``."""
        return self.grid.draw({self.cell(state): "A"})


@dataclass(frozen=True)
class Tables:
    """The compiled rules (see the module docstring for the arrays in ``params``)."""

    states: tuple  # (S,) the rule states, ordered by observation
    index: dict  # rule state -> its index
    observations: tuple  # (n_obs,) the visible parts
    obs_index: dict  # visible part -> its observation
    params: tuple  # prob, next_state, reward, terminal, n_next, start, aux, obs_of_state

    @property
    def n_states(self) -> int:
        return len(self.states)

    @property
    def n_obs(self) -> int:
        return len(self.observations)

    @property
    def observed(self) -> bool:
        """True when the observation is the whole state (state index == observation)."""
        obs_of_state = self.params[7]
        return self.n_states == self.n_obs and bool(
            np.array_equal(obs_of_state, np.arange(self.n_states))
        )


def compile_rules(rules: Rules) -> Tables:
    """Every state reachable from ``rules.starts()``, laid out as arrays (module docstring)."""
    starts = rules.starts()
    assert abs(sum(p for p, _ in starts) - 1.0) < 1e-12, "start probabilities must sum to 1"
    found: dict = {}  # state -> discovery order
    expanded: set = set()
    outcome: dict = {}  # (state, action) -> (state2, reward, terminated, signals)
    queue = deque()
    for _, s in starts:
        found.setdefault(s, len(found))
        if s not in expanded:
            expanded.add(s)
            queue.append(s)
    while queue:
        s = queue.popleft()
        for a in range(rules.n_actions):
            s2, reward, terminated, signals = rules.step(s, a)
            outcome[s, a] = (s2, float(reward), bool(terminated), signals)
            found.setdefault(s2, len(found))
            if not terminated and s2 not in expanded:
                expanded.add(s2)
                queue.append(s2)
    fixed = rules.observations()
    if fixed is None:
        observations = list(dict.fromkeys(rules.visible(s) for s in found))
    else:
        observations = list(fixed)
    obs_index = {o: i for i, o in enumerate(observations)}
    missing = {rules.visible(s) for s in found} - set(obs_index)
    assert not missing, f"observations() lacks {sorted(missing)[:3]}"
    states = sorted(found, key=lambda s: (obs_index[rules.visible(s)], found[s]))
    index = {s: i for i, s in enumerate(states)}
    n_states, n_aux, n_actions = len(states), len(rules.aux_names), rules.n_actions
    prob = np.ones((n_states, n_actions, 1))  # (S, A, K)
    next_state = np.zeros((n_states, n_actions, 1), dtype=np.int64)  # (S, A, K)
    reward = np.zeros((n_states, n_actions, 1))  # (S, A, K)
    terminal = np.zeros((n_states, n_actions, 1), dtype=np.bool_)  # (S, A, K)
    n_next = np.ones((n_states, n_actions), dtype=np.int64)  # (S, A)
    aux = np.zeros((n_states, n_actions, 1, n_aux))  # (S, A, K, n_aux)
    for s, i in index.items():
        for a in range(n_actions):
            if s not in expanded:  # absorbing: reached only by ending the episode
                next_state[i, a, 0], terminal[i, a, 0] = i, True
                continue
            s2, r, t, signals = outcome[s, a]
            next_state[i, a, 0], reward[i, a, 0], terminal[i, a, 0] = index[s2], r, t
            for k, name in enumerate(rules.aux_names):
                aux[i, a, 0, k] = float(signals.get(name, 0.0))
    start = np.zeros(n_states)  # (S,)
    for p, s in starts:
        start[index[s]] += p
    obs_of_state = np.array([obs_index[rules.visible(s)] for s in states], dtype=np.int64)  # (S,)
    params = (prob, next_state, reward, terminal, n_next, start, aux, obs_of_state)
    return Tables(tuple(states), index, tuple(observations), obs_index, params)


@functools.lru_cache(maxsize=64)
def _tables(rules_cls: type, kwargs: tuple) -> Tables:
    return compile_rules(rules_cls(**dict(kwargs)))


def tables_for(rules_cls: type, kwargs: dict) -> Tables:
    """:func:`compile_rules` of ``rules_cls(**kwargs)``, built once per process."""
    return _tables(rules_cls, tuple(sorted(kwargs.items())))


@jit
def reset(params, state, rng, obs):
    """One draw over ``start``; ``state[0]`` the state index, ``obs[0]`` its observation."""
    start, obs_of_state = params[5], params[7]
    s = categorical(start, start.shape[0], rng.random())
    state[0] = s
    obs[0] = obs_of_state[s]


@jit
def step(params, state, action, rng, obs, aux):
    """The deterministic step of the arrays (draws nothing); writes ``aux`` (n_aux,)."""
    next_state, reward, terminal, signals, obs_of_state = (
        params[1],
        params[2],
        params[3],
        params[6],
        params[7],
    )
    s = int(state[0])
    s2 = next_state[s, action, 0]
    for k in range(aux.shape[0]):
        aux[k] = signals[s, action, 0, k]
    state[0] = s2
    obs[0] = obs_of_state[s2]
    return reward[s, action, 0], terminal[s, action, 0]


def _draw_start(start: np.ndarray, u: float) -> int:
    """:func:`rlsafe.envs.toy_text.categorical` in Python, the same sums in the same order."""
    total = 0.0
    for i in range(start.shape[0]):
        total += start[i]
        if total > u:
            return i
    return 0


class GridworldEnv(gymnasium.Env):
    """The gymnasium env of a gridworld: its Python rules, stepped one call at a time.

    Observation: ``Discrete(n_obs)``, the index of the state's visible part. Actions:
    ``Discrete(4)``, UP, DOWN, LEFT, RIGHT (``Discrete(5)`` with NOOP where ``noops`` is set).
    ``info`` holds every signal of ``Rules.aux_names`` (and ``info_names``) by name. Reset draws
    ``np_random.random()`` once over the start states; steps draw nothing. Episodes end on the
    rules' terminal steps; the 100-step limit is the registration's ``max_episode_steps`` (a
    truncation).
    """

    metadata = {"render_modes": ["human", "ansi"], "render_fps": 4}
    rules_class: type[Rules]

    def __init__(self, render_mode: str | None = None, **kwargs: Any):
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode={render_mode!r}: use one of {self.metadata['render_modes']} or None"
            )
        self.render_mode = render_mode
        self.rules = self.rules_class(**kwargs)
        n_direct = self.rules.direct_observations()
        self.tables = None if n_direct else tables_for(self.rules_class, kwargs)
        self.observation_space = gymnasium.spaces.Discrete(n_direct or self.tables.n_obs)
        self.action_space = gymnasium.spaces.Discrete(self.rules.n_actions)
        self.state = None

    @property
    def aux_names(self) -> tuple[str, ...]:
        """The signals in ``info`` that rlsafe's Python-stepped loop sums (``Env.aux_names``)."""
        return self.rules.aux_names

    def _obs(self) -> int:
        if self.tables is None:
            return self.rules.encode(self.state)
        return int(self.tables.obs_index[self.rules.visible(self.state)])

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if self.tables is None:
            starts = self.rules.starts()
            i = _draw_start(np.array([p for p, _ in starts]), self.np_random.random())
            self.state = starts[i][1]
        else:
            i = _draw_start(self.tables.params[5], self.np_random.random())
            self.state = self.tables.states[i]
        if self.render_mode == "human":
            self.render()
        return self._obs(), {}

    def step(self, action):
        self.state, reward, terminated, signals = self.rules.step(self.state, int(action))
        info = {name: float(signals.get(name, 0.0)) for name in self.rules.aux_names}
        info.update((k, v) for k, v in signals.items() if k not in info)
        if self.render_mode == "human":
            self.render()
        return self._obs(), float(reward), bool(terminated), False, info

    def render(self) -> str | None:
        """The map with the agent as ``A``: returned (``ansi``) or printed (``human``)."""
        if self.render_mode is None:
            gymnasium.logger.warn(
                "render() without a render_mode: make the env with "
                "render_mode='ansi' (returns the map) or 'human' (prints it)"
            )
            return None
        text = "\n".join(self.rules.draw(self.state)) + "\n"
        if self.render_mode == "ansi":
            return text
        print(text)
        return None


class Gridworld(Env):
    """A safety gridworld with a compiled model: the arrays of :func:`compile_rules`.

    ``state`` float64 (1,): the state index. ``params``: the arrays for ``env.kwargs``;
    ``eval_params``: those for ``env.eval_kwargs`` merged over them (the evaluation env).
    """

    rules_class: type[Rules]
    kernels = {"env_reset": reset, "env_step": step}
    state_dim = 1
    kwargs_allowed: frozenset[str] = frozenset()
    eval_kwargs_supported = True

    def __init__(self, config: EnvConfig, key: str = "env"):
        super().__init__(config, key)
        kwargs = {k: v for k, v in config.kwargs.items() if k != "render_mode"}
        eval_kwargs = {
            **kwargs,
            **{k: v for k, v in config.eval_kwargs.items() if k != "render_mode"},
        }
        self.aux_names = self.rules_class.aux_names
        for options in (kwargs, eval_kwargs):
            n_direct = self.rules_class(**options).direct_observations()
            if n_direct:
                raise ValueError(
                    f"{key}.kwargs={options}: {n_direct:,} observations, too many states to "
                    f"compile: env._target_=rlsafe.envs.gym.Gym steps {config.id} in Python"
                )
        self.tables = tables_for(self.rules_class, kwargs)
        self.params = self.tables.params
        self.eval_tables = tables_for(self.rules_class, eval_kwargs)
        if self.eval_tables.n_obs != self.tables.n_obs:
            raise ValueError(
                f"{key}.eval_kwargs={dict(config.eval_kwargs)} give "
                f"{self.eval_tables.n_obs} observations, the training env "
                f"{self.tables.n_obs}: a Q-table cannot carry over"
            )
        self._eval_params = self.eval_tables.params

    @property
    def entry_points(self) -> tuple[str, ...]:
        """The gymnasium env of the same rules: ``<Name>Env`` beside ``<Name>`` in its module."""
        return (f"{type(self).__module__}:{type(self).__name__}Env",)

    def model(self) -> tuple | None:
        """The tabular model over observations (the arrays of :func:`rlsafe.envs.toy_text.
        model_arrays`), for :mod:`rlsafe.analysis.exact` and :mod:`rlsafe.analysis.dp`; None where the
        observation hides part of the state (the model of the observations is then not Markov)
        or where it has more than :data:`MODEL_MAX_STATES` states."""
        return self.params[:6] if self._has_model else None

    @property
    def _has_model(self) -> bool:
        return self.tables.observed and self.tables.n_states <= MODEL_MAX_STATES

    def model_aux(self) -> np.ndarray | None:
        """The signals of every transition of :meth:`model`, float64 (S, A, K, n_aux)."""
        return self.params[6] if self._has_model else None

    def layout(self) -> GridLayout:
        """The map, and the agent's cell of each observation."""
        rules, tables = (
            self.rules_class(**{k: v for k, v in self.config.kwargs.items() if k != "render_mode"}),
            self.tables,
        )
        cell = np.full(tables.n_obs, -1, dtype=np.int64)  # (n_obs,)
        cols = rules.grid.shape[1]
        for s, o in zip(tables.states, tables.params[7]):
            if cell[o] < 0:
                r, c = rules.cell(s)
                cell[o] = r * cols + c
        moves = UDLR + ((0, 0),) * (rules.n_actions - N_ACTIONS)  # NOOP: a dot
        return GridLayout.from_rows(rules.grid.rows, cell, moves)

    @staticmethod
    def gym_state(gym_env) -> np.ndarray:
        """The index of the gymnasium env's rule state, float64 (1,)."""
        env = gym_env.unwrapped
        return np.array([float(env.tables.index[env.state])])
