"""Exact evaluation of the greedy policy on an env's tabular model, against the optimum.

For an env whose ``model()`` returns the arrays of :mod:`rlsafe.analysis.dp` (the toy-text envs), the runner
builds one :class:`ExactEvaluator` per run (value iteration once, with the agent's ``gamma``) and
calls it at every evaluation with the agent's Q-values. Plain numpy, off the compiled hot path,
using no random stream: training and the sampled evaluation are unchanged by it.

What is compared to what:

* **The policy** is the greedy policy as the sampled evaluation runs it: in each state, uniform
  over the actions whose Q-value equals the row's maximum exactly (:func:`rlsafe.analysis.dp.greedy_ties`).
* ``value``: its exact discounted value, with the agent's ``gamma``, infinite horizon (time limits
  ignored), expected over the start distribution. That is the objective the agent learns: it
  bootstraps through a truncated step, so its fixed point is the infinite-horizon value.
* ``optimal_value``: the same for an optimal policy (greedy on value iteration's ``Q*``).
  ``random_value``: the same for the uniformly random policy.
* ``optimality = (value - random_value) / (optimal_value - random_value)``: 1 for an optimal
  policy, 0 for one no better than uniformly random, negative for worse. A plain ratio
  ``value / optimal_value`` would be meaningless where values are negative (Taxi, CliffWalking:
  a worse policy has a more negative value, so the ratio exceeds 1); this normalisation is
  invariant to shifting and scaling the rewards. (1 when every policy is as good as random.)
* ``optimal_action_fraction``: over the *decision states* (reachable from the start distribution
  under some sequence of actions, through non-terminating transitions:
  :func:`rlsafe.analysis.dp.reachable_states`; so neither FrozenLake's holes and goal nor CliffWalking's
  cliff cells nor Taxi's unreachable states count), the fraction where every greedy action is
  optimal (``Q*(s, a) >= V*(s) - 1e-9 * max(1, max |V*|)``), i.e. where the tie-broken greedy policy
  acts optimally with probability 1.
* ``return``: the exact expected *undiscounted* return of an episode as the sampled evaluation
  runs it, i.e. under the env's time limit (FrozenLake 100 steps, Taxi 200): what
  ``eval/return_mean`` estimates. Without a time limit (CliffWalking) it is the infinite-horizon
  undiscounted return. ``optimal_policy_return`` is the same for the optimal policy above, which
  is optimal for the discounted objective, not necessarily for the time-limited return (on
  slippery FrozenLake an optimal policy of gamma = 0.99 succeeds in 74% of 100-step episodes).

With ``gamma = 1`` (or no time limit for ``return``) a policy under which an episode from the start
may never end has no finite value: those fields are then None (null in ``summary.json``, not
logged to TensorBoard).
"""

from __future__ import annotations

import math
import sys

import numpy as np

from rlsafe.analysis import dp

#: Relative tolerance (of max(1, max |V*|)) within which an action counts as optimal.
OPTIMAL_ACTION_TOL = 1e-9


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


class ExactEvaluator:
    """Exact greedy-policy metrics for one model and discount; call it with Q-values (S, A)."""

    def __init__(self, model, gamma: float, max_steps: int | None):
        self.model, self.gamma = model, float(gamma)
        #: the evaluation's time limit in steps; None where episodes have none
        self.horizon = None if max_steps is None or max_steps >= sys.maxsize else int(max_steps)
        v_star, q_star = dp.value_iteration(model, self.gamma)
        self.v_star = v_star  #: (S,) optimal values, for rlsafe.output.diagnostics' value gaps
        tol = OPTIMAL_ACTION_TOL * max(1.0, float(np.max(np.abs(v_star))))
        self.optimal_actions = q_star >= v_star[:, None] - tol  # (S, A)
        self.decision_states = dp.reachable_states(model)  # (S,)
        optimal = dp.greedy_ties(q_star)
        self.optimal_value = dp.start_value(model, dp.policy_value(model, optimal, self.gamma))
        self.random_value = dp.start_value(
            model, dp.policy_value(model, dp.uniform_policy(model), self.gamma)
        )
        self.optimal_policy_return = self._return(optimal)
        self._last_ties, self._last = None, None

    @classmethod
    def for_run(cls, env, agent) -> "ExactEvaluator | None":
        """The run's evaluator; None when the env has no tabular model or the agent no gamma."""
        model = env.model()
        gamma = getattr(getattr(agent, "config", None), "gamma", None)
        if model is None or gamma is None or model[0].shape[1] != env.n_actions:
            return None
        return cls(model, gamma, env.max_steps)

    def _return(self, pi) -> float | None:
        if self.horizon is None:
            return _finite(dp.start_value(self.model, dp.policy_value(self.model, pi, 1.0)))
        return _finite(dp.start_value(self.model, dp.horizon_value(self.model, pi, self.horizon)))

    def __call__(self, q: np.ndarray) -> dict:
        """``value``, ``optimality``, ``optimal_action_fraction``, ``return`` of greedy(q)."""
        ties = q == q.max(axis=1, keepdims=True)  # (S, A)
        if self._last_ties is not None and np.array_equal(ties, self._last_ties):
            return dict(self._last)  # the same policy as last time: the same numbers
        pi = ties / ties.sum(axis=1, keepdims=True)  # dp.greedy_ties(q)
        value = _finite(dp.start_value(self.model, dp.policy_value(self.model, pi, self.gamma)))
        span = self.optimal_value - self.random_value
        if value is None or not math.isfinite(span):
            optimality = None
        else:
            optimality = 1.0 if span <= 0.0 else (value - self.random_value) / span
        good = ~(ties & ~self.optimal_actions).any(axis=1)  # (S,) every greedy action optimal
        result = {
            "value": value,
            "optimality": optimality,
            "optimal_action_fraction": float(good[self.decision_states].mean()),
            "return": self._return(pi),
        }
        self._last_ties, self._last = ties, result
        return dict(result)

    def describe(self) -> dict:
        """The run's constants, for ``summary.json``."""
        return {
            "gamma": self.gamma,
            "optimal_value": _finite(self.optimal_value),
            "random_value": _finite(self.random_value),
            "optimal_policy_return": self.optimal_policy_return,
            "horizon": self.horizon,
            "decision_states": int(self.decision_states.sum()),
            "states": int(self.decision_states.shape[0]),
        }
