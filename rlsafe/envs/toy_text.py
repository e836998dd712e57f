"""FrozenLake, Taxi, CliffWalking and any env in their convention, compiled from its own model.

The toy-text convention: ``env.unwrapped.P[s][a]`` lists the outcomes ``(probability,
next_state, reward, terminated)`` of action ``a`` in state ``s``, ``initial_state_distrib`` is the
distribution of the first state, and the env draws with ``categorical_sample`` as below. A user's
env in this convention is compiled too (``env=gym``, see :class:`rlsafe.envs.any_gym.AnyGym`),
once :func:`differs_from_model` has found it stepping exactly as its model says.

gymnasium's toy-text envs step by ``categorical_sample``: one ``np_random.random()`` per reset
(over the initial-state distribution) and per step (over the transitions of ``P[s][a]``), taking
the first index whose running sum exceeds the draw (index 0 if none does). The kernels do the same
with the same generator, so observations, rewards, flags and the random stream all match.

Padded model arrays, with ``K`` the most transitions of any (s, a):
``prob`` float64 (S, A, K), ``next_state`` int64 (S, A, K), ``reward`` float64 (S, A, K),
``terminal`` bool (S, A, K), ``n_next`` int64 (S, A), ``start`` float64 (S,).
"""

from __future__ import annotations

import gymnasium
import numpy as np

from rlsafe.compiled.jit import jit
from rlsafe.envs.base import Env, EnvConfig
from rlsafe.envs.layout import GridLayout


@jit
def categorical(prob, n, u):
    """gymnasium's ``categorical_sample``: first i with cumsum(prob[:n])[i] > u, else 0."""
    total = 0.0
    for i in range(n):
        total += prob[i]
        if total > u:
            return i
    return 0


@jit
def reset(params, state, rng, obs):
    start = params[5]
    s = categorical(start, start.shape[0], rng.random())
    state[0] = s
    obs[0] = s


@jit
def step(params, state, action, rng, obs, aux):
    prob, next_state, reward, terminal, n_next, _ = params
    s = int(state[0])
    i = categorical(prob[s, action], n_next[s, action], rng.random())
    s2 = next_state[s, action, i]
    state[0] = s2
    obs[0] = s2
    return reward[s, action, i], terminal[s, action, i]


def model_arrays(unwrapped) -> tuple:
    """The padded arrays of a toy-text env's ``P`` and initial-state distribution."""
    P = unwrapped.P
    n_states, n_actions = len(P), len(P[0])
    k = max(len(P[s][a]) for s in P for a in P[s])
    prob = np.zeros((n_states, n_actions, k))  # (S, A, K)
    next_state = np.zeros((n_states, n_actions, k), dtype=np.int64)  # (S, A, K)
    reward = np.zeros((n_states, n_actions, k))  # (S, A, K)
    terminal = np.zeros((n_states, n_actions, k), dtype=np.bool_)  # (S, A, K)
    n_next = np.zeros((n_states, n_actions), dtype=np.int64)  # (S, A)
    for s in range(n_states):
        for a in range(n_actions):
            n_next[s, a] = len(P[s][a])
            for i, (p, s2, r, t) in enumerate(P[s][a]):
                prob[s, a, i], next_state[s, a, i], reward[s, a, i], terminal[s, a, i] = p, s2, r, t
    start = np.asarray(unwrapped.initial_state_distrib, dtype=np.float64)  # (S,)
    return prob, next_state, reward, terminal, n_next, start


def categorical_python(prob, n: int, u: float) -> int:
    """:func:`categorical` in plain Python (the same float64 sums, so the same index)."""
    total = 0.0
    for i in range(n):
        total += float(prob[i])
        if total > u:
            return i
    return 0


def differs_from_model(
    gym_env,
    params: tuple,
    n_actions: int,
    episodes: int = 20,
    steps: int = 200,
    seed: int = 20261206,
) -> str | None:
    """How ``gym_env`` steps differently from the model ``params`` (:func:`model_arrays`), or None.

    Plays ``episodes`` episodes of random actions in both, seeded alike, and compares each first
    state, next state, reward and ``terminated``, and where the two random streams are at the end
    of each episode. An env that keeps a model ``P`` but steps by other rules (or draws from
    another generator, or in another way) is caught here rather than compiled wrongly.
    """
    prob, next_state, reward, terminal, n_next, start = params
    actions = np.random.default_rng(seed)
    for episode in range(episodes):
        observation, _ = gym_env.reset(seed=seed + episode)
        rng = gymnasium.utils.seeding.np_random(seed + episode)[0]  # what reset(seed) gives
        s = categorical_python(start, start.shape[0], rng.random())
        if int(observation) != s:
            return f"reset(seed={seed + episode}) gave state {observation}, its model {s}"
        for t in range(steps):
            a = int(actions.integers(n_actions))
            observation, r, terminated, truncated, _ = gym_env.step(a)
            i = categorical_python(prob[s, a], int(n_next[s, a]), rng.random())
            model = (int(next_state[s, a, i]), float(reward[s, a, i]), bool(terminal[s, a, i]))
            if (int(observation), float(r), bool(terminated)) != model:
                return (
                    f"step {t + 1} of a probe episode from state {s}, action {a}: it gave "
                    f"(state, reward, terminated) = {(int(observation), float(r), bool(terminated))}"
                    f", its model P {model}"
                )
            s = model[0]
            if terminated or truncated:
                break
        if gym_env.unwrapped.np_random.bit_generator.state != rng.bit_generator.state:
            return (
                "it draws from its generator other than categorical_sample over P (once per "
                "reset and step)"
            )
    return None


def _layout(unwrapped) -> GridLayout | None:
    """The map of FrozenLake, CliffWalking or Taxi, with its actions' arrows; None otherwise."""
    name = type(unwrapped).__name__
    if name == "FrozenLakeEnv":  # state row * ncol + col; actions left, down, right, up
        rows = ["".join(c.decode() for c in row) for row in unwrapped.desc]
        return GridLayout.from_rows(
            rows, np.arange(len(rows) * len(rows[0])), ((0, -1), (1, 0), (0, 1), (-1, 0))
        )
    if name == "CliffWalkingEnv":  # 4 x 12, state row * 12 + col; actions up, right, down, left
        n_rows, n_cols = unwrapped.shape
        rows = [["C" if cliff else "." for cliff in row] for row in unwrapped._cliff]
        start = np.unravel_index(unwrapped.start_state_index, unwrapped.shape)
        rows[start[0]][start[1]], rows[-1][-1] = "S", "G"
        return GridLayout.from_rows(
            ["".join(r) for r in rows],
            np.arange(n_rows * n_cols),
            ((-1, 0), (0, 1), (1, 0), (0, -1)),
        )
    if name == "TaxiEnv":  # the taxi's cell of each state (passenger, destination marginalized)
        desc = unwrapped.desc[1:-1, 1::2]  # (5, 5): the cells, without the walls between them
        rows = ["".join(c.decode().replace(" ", ".") for c in row) for row in desc]
        cell = [r * 5 + c for r, c, _, _ in (unwrapped.decode(s) for s in range(500))]
        return GridLayout.from_rows(
            rows,
            cell,  # south, north, east, west, pickup, dropoff
            ((1, 0), (-1, 0), (0, 1), (0, -1), (0, 0), (0, 0)),
        )
    return None


class ToyText(Env):
    """A toy-text env (FrozenLake, Taxi, CliffWalking, or one in their convention) run from its
    own model ``P``."""

    kernels = {"env_reset": reset, "env_step": step}
    entry_points = (
        "gymnasium.envs.toy_text.frozen_lake:FrozenLakeEnv",
        "gymnasium.envs.toy_text.cliffwalking:CliffWalkingEnv",
        "gymnasium.envs.toy_text.taxi:TaxiEnv",
    )  # they step by their model P
    state_dim = 1

    def __init__(self, config: EnvConfig, key: str = "env"):
        super().__init__(config, key)
        if config.kwargs.get("fickle_passenger"):
            raise ValueError(
                f"{key}.kwargs.fickle_passenger=true changes Taxi's destination outside its model "
                "P, so it cannot be compiled: use env=gym env.id=Taxi-v4 for it"
            )
        probe = self.make_gym()
        unwrapped = probe.unwrapped
        if not hasattr(unwrapped, "P"):
            raise ValueError(f"{key}.id={config.id} has no model P: use env=gym for it")
        self.params = model_arrays(unwrapped)
        self._layout = _layout(unwrapped)
        probe.close()

    def layout(self) -> GridLayout | None:
        """The map and each state's cell (FrozenLake, CliffWalking, Taxi), for pictures."""
        return self._layout

    def model(self) -> tuple:
        """The tabular model (the arrays of :func:`model_arrays`), for exact evaluation
        (:mod:`rlsafe.analysis.exact`, :mod:`rlsafe.analysis.dp`)."""
        return self.params

    @staticmethod
    def gym_state(gym_env) -> np.ndarray:
        """gymnasium's current state ``s``, float64 (1,)."""
        return np.array([float(gym_env.unwrapped.s)])
