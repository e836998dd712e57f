"""Slow, obvious references for the compiled kernels: plain Python, one line per idea."""

from __future__ import annotations

import math

import numpy as np


def schedule(kind: str, start: float, end: float, duration: float, progress: float) -> float:
    frac = min(progress / duration, 1.0)
    if kind == "constant":
        return start
    if kind == "linear":
        return start + (end - start) * frac
    return start * (end / start) ** frac


def greedy(q_row, rng) -> int:
    best = max(q_row)
    ties = [a for a, v in enumerate(q_row) if v == best]
    return ties[0] if len(ties) == 1 else ties[int(rng.integers(0, len(ties)))]


def epsilon_greedy(q_row, epsilon, rng) -> int:
    u = rng.random()
    if u < epsilon:  # the same uniform picks the exploring action
        return min(int(u / epsilon * len(q_row)), len(q_row) - 1)
    return greedy(q_row, rng)


def bins_state(obs, bins, low, high) -> tuple[int, list[bool]]:
    state, clipped = 0, []
    for x, n, lo, hi in zip(obs, bins, low, high):
        if math.isnan(x) or x < lo:
            i, c = 0, True
        elif x > hi:
            i, c = n - 1, True
        else:
            i, c = min(int((x - lo) * (n / (hi - lo))), n - 1), False
        state, _ = state * n + i, clipped.append(c)
    return state, clipped


def q_learning(
    gym_env, n_states, n_actions, episodes, env_seed, rng, alpha_at, epsilon_at, gamma, state_of=int
):
    """Watkins' Q-learning on a gymnasium env; ``alpha_at(episode)``, ``epsilon_at(episode)``."""
    q = np.zeros((n_states, n_actions))
    for episode in range(episodes):
        eps, alpha = epsilon_at(episode), alpha_at(episode)
        obs, _ = gym_env.reset(seed=env_seed if episode == 0 else None)
        s = state_of(obs)
        a = epsilon_greedy(q[s], eps, rng)
        while True:
            obs, r, terminated, truncated, _ = gym_env.step(a)
            s2 = state_of(obs)
            target = r if terminated else r + gamma * max(q[s2])
            q[s, a] += alpha * (target - q[s, a])
            if terminated:
                break
            a2 = epsilon_greedy(q[s2], eps, rng)
            if truncated:
                break
            s, a = s2, a2
    return q


# --- exploration rules and the other agents (rlsafe/agents/*.py), one obvious class each ---


def softmax(q_row, temperature, rng) -> int:
    best = max(q_row)
    weights = [math.exp((v - best) / temperature) for v in q_row]
    total = 0.0
    for w in weights:
        total += w
    u = rng.random() * total
    cumulative, last = 0.0, 0
    for a, w in enumerate(weights):
        if w > 0.0:
            last, cumulative = a, cumulative + w
            if u < cumulative:
                return a
    return last


def ucb_scores(q_row, n_row, c):
    log_n = math.log(sum(n_row))
    return [v + c * math.sqrt(log_n / n) for v, n in zip(q_row, n_row)]


def ucb(q_row, n_row, c, rng) -> int:
    untried = [a for a, n in enumerate(n_row) if n == 0]
    if untried:
        return untried[0] if len(untried) == 1 else untried[int(rng.integers(0, len(untried)))]
    return greedy(ucb_scores(q_row, n_row, c), rng)


def policy_probabilities(kind, q_row, n_row, x) -> list[float]:
    """pi(a | s) of the behaviour policy, as a list."""
    n = len(q_row)
    if kind == "epsilon_greedy":
        best = max(q_row)
        ties = sum(v == best for v in q_row)
        return [x / n + ((1.0 - x) / ties if v == best else 0.0) for v in q_row]
    if kind == "softmax":
        best = max(q_row)
        weights = [math.exp((v - best) / x) for v in q_row]
        total = 0.0
        for w in weights:
            total += w
        return [w / total for w in weights]
    untried = [a for a, k in enumerate(n_row) if k == 0]
    if untried:
        chosen = untried
    else:
        scores = ucb_scores(q_row, n_row, x)
        chosen = [a for a, v in enumerate(scores) if v == max(scores)]
    return [1.0 / len(chosen) if a in chosen else 0.0 for a in range(n)]


def reference(agent: str) -> type:
    """The naive reference of ``agent=<agent>``: the class below named like rlsafe's agent class
    (``rlsafe.agents.qlearning.QLearning`` -> ``QLearning``), found by name so that a new agent
    needs no list; an AssertionError that says what to write when there is none."""
    from conftest import agent_class

    name = agent_class(agent).__name__
    cls = globals().get(name)
    assert isinstance(cls, type) and issubclass(cls, Agent), (
        f"agent={agent} has no naive reference: write class {name}(Agent) in tests/helpers/naive.py"
    )
    return cls


class Agent:
    """Q-table, UCB counts and the behaviour policy; subclasses define ``learn``."""

    #: the test file that checks this agent against its reference, where it is not
    #: tests/test_kernels.py (an agent that needs an env with a cost or an override)
    covered_by: str | None = None

    def __init__(self, n_states, n_actions, kind, rng, q_init=0.0):
        self.q = np.full((n_states, n_actions), q_init)
        self.counts = np.zeros((n_states, n_actions), dtype=np.int64)
        self.kind, self.rng = kind, rng

    def acting_values(self, s):
        return list(self.q[s])

    def choose(self, s, x):
        row = self.acting_values(s)
        if self.kind == "epsilon_greedy":
            return epsilon_greedy(row, x, self.rng)
        if self.kind == "softmax":
            return softmax(row, x, self.rng)
        return ucb(row, list(self.counts[s]), x, self.rng)

    def expected(self, s, x):
        row = self.acting_values(s)
        value = 0.0
        for p, v in zip(policy_probabilities(self.kind, row, list(self.counts[s]), x), row):
            value += p * v
        return value

    def record(self, s, a):
        if self.kind == "ucb":
            self.counts[s, a] += 1

    def begin(self, s, hp):
        return self.choose(s, hp["x"])

    def q_values(self):
        return self.q


class QLearning(Agent):
    def learn(self, s, a, r, s2, terminated, truncated, hp):
        self.record(s, a)
        target = r if terminated else r + hp["gamma"] * max(self.q[s2])
        self.q[s, a] += hp["alpha"] * (target - self.q[s, a])
        return 0 if terminated else self.choose(s2, hp["x"])


class Sarsa(Agent):
    def learn(self, s, a, r, s2, terminated, truncated, hp):
        self.record(s, a)
        a2 = 0 if terminated else self.choose(s2, hp["x"])  # chosen before the update
        target = r if terminated else r + hp["gamma"] * self.q[s2, a2]
        self.q[s, a] += hp["alpha"] * (target - self.q[s, a])
        return a2


class PessimisticQLearning(Agent):
    """Gaskett 2003: the target mixes max and min of the next row with weight beta."""

    def learn(self, s, a, r, s2, terminated, truncated, hp):
        self.record(s, a)
        row, beta = list(self.q[s2]), hp["beta"]
        target = r if terminated else r + hp["gamma"] * ((1 - beta) * max(row) + beta * min(row))
        self.q[s, a] += hp["alpha"] * (target - self.q[s, a])
        return 0 if terminated else self.choose(s2, hp["x"])


class ExpectedSarsa(Agent):
    def learn(self, s, a, r, s2, terminated, truncated, hp):
        self.record(s, a)
        target = r if terminated else r + hp["gamma"] * self.expected(s2, hp["x"])
        self.q[s, a] += hp["alpha"] * (target - self.q[s, a])
        return 0 if terminated else self.choose(s2, hp["x"])


class DoubleQLearning(Agent):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.qa, self.qb = self.q.copy(), self.q.copy()

    def acting_values(self, s):
        return [(x + y) * 0.5 for x, y in zip(self.qa[s], self.qb[s])]

    def learn(self, s, a, r, s2, terminated, truncated, hp):
        self.record(s, a)
        upd, other = (self.qa, self.qb) if self.rng.random() < 0.5 else (self.qb, self.qa)
        target = r
        if not terminated:
            target = r + hp["gamma"] * other[s2, greedy(list(upd[s2]), self.rng)]
        upd[s, a] += hp["alpha"] * (target - upd[s, a])
        return 0 if terminated else self.choose(s2, hp["x"])

    def q_values(self):
        return (self.qa + self.qb) * 0.5


class SarsaLambda(Agent):
    """Every entry of the table updated every step, as the book writes it."""

    def __init__(self, *args, accumulating=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.e = np.zeros_like(self.q)
        self.accumulating = accumulating

    def begin(self, s, hp):
        self.e[:] = 0.0
        return self.choose(s, hp["x"])

    def learn(self, s, a, r, s2, terminated, truncated, hp):
        self.record(s, a)
        a2 = 0 if terminated else self.choose(s2, hp["x"])
        target = r if terminated else r + hp["gamma"] * self.q[s2, a2]
        delta = target - self.q[s, a]
        self.e[s, a] = self.e[s, a] + 1.0 if self.accumulating else 1.0
        self.q += hp["alpha"] * delta * self.e
        self.e *= hp["gamma"] * hp["lambda"]
        return a2


class NstepSarsa(Agent):
    """A list of the pending (s, a, r); the oldest is updated once n rewards follow it."""

    def __init__(self, *args, n=1, **kwargs):
        super().__init__(*args, **kwargs)
        self.n, self.pending = n, []

    def begin(self, s, hp):
        self.pending = []
        return self.choose(s, hp["x"])

    def settle_oldest(self, s2, a2, bootstrap, hp):
        g, discount = 0.0, 1.0
        for _, _, r in self.pending:
            g += discount * r
            discount *= hp["gamma"]
        if bootstrap:
            g += discount * self.q[s2, a2]
        s, a, _ = self.pending.pop(0)
        self.q[s, a] += hp["alpha"] * (g - self.q[s, a])

    def learn(self, s, a, r, s2, terminated, truncated, hp):
        self.record(s, a)
        self.pending.append((s, a, r))
        a2 = 0 if terminated else self.choose(s2, hp["x"])
        if not (terminated or truncated):
            if len(self.pending) == self.n:
                self.settle_oldest(s2, a2, True, hp)
            return a2
        while self.pending:
            self.settle_oldest(s2, a2, not terminated, hp)
        return a2


class SarsaExecuted(Agent):
    """SARSA whose target uses the next *executed* action: each update waits for it."""

    pending = None

    def learn(self, s, a, r, s2, terminated, truncated, hp):
        self.record(s, a)
        if self.pending:  # the executed a (this call's) completes the previous step's target
            ps, pa, pr = self.pending
            self.q[ps, pa] += hp["alpha"] * (pr + hp["gamma"] * self.q[s, a] - self.q[ps, pa])
            self.pending = None
        if terminated:
            self.q[s, a] += hp["alpha"] * (r - self.q[s, a])
            return 0
        a2 = self.choose(s2, hp["x"])
        if truncated:
            self.q[s, a] += hp["alpha"] * (r + hp["gamma"] * self.q[s2, a2] - self.q[s, a])
        else:
            self.pending = (s, a, r)
        return a2


class LagrangianQLearning(Agent):
    """Q_R and Q_C along the argmax of Q_R - lambda Q_C; log lambda by dual ascent per episode."""

    covered_by = "tests/parity/test_safe_agents.py"  # needs an env with a cost signal

    def __init__(self, *args, cost_limit=0.0, lr_lambda=0.05, lambda_init=1.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.qr, self.qc = self.q.copy(), np.zeros_like(self.q)
        self.log_lambda, self.episode_cost = math.log(lambda_init), 0.0
        self.cost_limit, self.lr_lambda, self.cost = cost_limit, lr_lambda, 0.0

    def see(self, info):
        self.cost = float(info.get("cost", 0.0))

    def learn(self, s, a, r, s2, terminated, truncated, hp):
        self.record(s, a)
        self.episode_cost += self.cost
        lam = math.exp(self.log_lambda)
        target_r, target_c = r, self.cost
        if not terminated:
            b = int(np.argmax(self.q[s2]))  # the first of ties
            target_r += hp["gamma"] * self.qr[s2, b]
            target_c += hp["gamma"] * self.qc[s2, b]
        self.qr[s, a] += hp["alpha"] * (target_r - self.qr[s, a])
        self.qc[s, a] += hp["alpha"] * (target_c - self.qc[s, a])
        self.q[s, a] = self.qr[s, a] - lam * self.qc[s, a]
        if terminated or truncated:
            excess = self.episode_cost - self.cost_limit
            self.log_lambda = min(max(self.log_lambda + self.lr_lambda * excess, -10.0), 5.0)
            self.episode_cost = 0.0
            self.q = self.qr - math.exp(self.log_lambda) * self.qc
            return 0
        return self.choose(s2, hp["x"])


def exploration_parameter(config) -> tuple:
    """(rule, its starting value, its schedule) of an agent's config (``TDConfig``)."""
    kind = config.exploration.value
    name = {"epsilon_greedy": "epsilon", "softmax": "temperature", "ucb": "ucb_c"}[kind]
    return kind, getattr(config, name), getattr(config, f"{name}_schedule")


def hparams(config, episodes: int):
    """``hp_at(episode)`` for :func:`train`: the hyperparameters rlsafe schedules in that episode
    of ``episodes``, computed plainly from the agent's config."""
    _, x0, xs = exploration_parameter(config)
    alpha = config.alpha_schedule

    def hp_at(e):
        return {
            "alpha": schedule(
                alpha.kind.value, config.alpha, alpha.end, alpha.duration, e / episodes
            ),
            "x": schedule(xs.kind.value, x0, xs.end, xs.duration, e / episodes),
            "gamma": config.gamma,
            "lambda": getattr(config, "trace_decay", None),
            "beta": getattr(config, "beta", None),
        }

    return hp_at


def extras(agent: str, config) -> dict:
    """The constructor arguments an agent's naive twin takes beyond the shared ones."""
    if agent == "sarsa_lambda":
        return {"accumulating": config.traces.value == "accumulating"}
    if agent == "nstep_sarsa":
        return {"n": config.n}
    return {}


def train(agent, gym_env, episodes, env_seed, hp_at, state_of=int):
    """The training loop of rlsafe.compiled.loop.train, plainly: ``hp_at(episode)`` gives a dict with
    alpha, x (the exploration parameter), gamma and lambda. Returns the agent's Q-values.

    The agent learns about the action the env executed (``info["actual_action"]``, else its own)
    and sees each step's ``info`` first when it wants to (``agent.see``: a cost)."""
    for episode in range(episodes):
        hp = hp_at(episode)
        obs, _ = gym_env.reset(seed=env_seed if episode == 0 else None)
        s = state_of(obs)
        a = agent.begin(s, hp)
        while True:
            obs, r, terminated, truncated, info = gym_env.step(a)
            s2 = state_of(obs)
            if hasattr(agent, "see"):
                agent.see(info)
            a = int(info.get("actual_action", a))
            a2 = agent.learn(s, a, float(r), s2, terminated, truncated, hp)
            if terminated or truncated:
                break
            s, a = s2, a2
    return agent.q_values()


class SafeSarsa(Sarsa):
    """Safe SARSA is SARSA bootstrapped on its own next choice: where the env never overrides an
    action, the same updates as :class:`Sarsa`."""

    covered_by = "tests/parity/test_safe_agents.py"  # against Sarsa, with and without overrides


class TrueOnlineSarsaLambda(Agent):
    """True online SARSA(lambda) is linear over features only (``discretizer=tiles``): its naive
    reference is ``naive_tiles.TrueOnlineSarsaLambda``."""

    covered_by = "tests/parity/test_tiles.py"
