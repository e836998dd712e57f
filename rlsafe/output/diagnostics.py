"""What the agent knows, from a session's tables, at each evaluation: numpy, off the hot path.

The runner calls :meth:`Diagnostics.__call__` once per evaluation per seed (``logger.diagnostics``);
nothing is added to the compiled loops. Tags (step: training episodes so far):

* ``diag/q_values`` (histogram): every Q-value of the visited states.
* ``diag/states_visited_fraction``: states with at least one visit.
* ``diag/pairs_untried_fraction``: (state, action) pairs never tried, over all pairs.
* ``diag/greedy_changed_fraction``: visited states whose greedy action (first argmax) changed since
  the previous evaluation (from the second evaluation on).
* ``diag/rare_states_fraction``: visited states with fewer than ``logger.rare_visits`` visits.
* ``diag/q_max_abs``: the largest |Q| of the visited states.

With ``discretizer=tiles`` there are no states: the histogram, ``q_max_abs`` and
``greedy_changed_fraction`` are over Q at the discretizer's fixed probe observations
(:meth:`rlsafe.discretizers.tiles.Tiles.probes`), and the tags about visits, rare states and
calibration are left out.

Where the env has a tabular model (the runner passes its :class:`rlsafe.analysis.exact.ExactEvaluator`,
which ran value iteration once per run at the agent's gamma):

* ``diag/value_gap_mean``, ``diag/value_gap_max``: ``|V*(s) - max_a Q(s, a)|`` over the visited
  states; ``diag/start_value_gap``: ``|sum_s start(s) (V*(s) - max_a Q(s, a))|``.
* ``diag/calibration_error``: the agent's own value of the start, ``sum_s start(s) max_a Q(s, a)``,
  minus the exact discounted value (same gamma, :mod:`rlsafe.analysis.exact` ``value``) of its greedy
  policy: positive when the agent is over-optimistic. Both sides are discounted values of the
  same objective. Without a model it is sampled from the evaluation episodes: the mean over them
  of ``max_a Q(s_0, a)`` at each episode's first state minus the mean of their returns discounted
  by the same gamma (the compiled and Python evaluation loops record both). It is an estimate,
  with the evaluation's sampling noise, and the agent's values bootstrap through a time limit
  where the sampled returns stop at it: for a policy that reaches the limit the sampled value is
  lower by at most ``gamma ** T * max|V|`` (CartPole: 0.99 ** 500 * 100 = 0.66 of 100).

Huge or non-finite Q-values (``agent.q_init=1e300``, a diverging run) reach TensorBoard safely
(:mod:`rlsafe.output.finite`): scalars beyond float32 are clipped and NaN ones left out, the histogram
leaves out what is not finite and is itself left out while its range cannot be cut into
:data:`rlsafe.output.logger.HISTOGRAM_BINS` equal bins; each is reported once per run, not per event.
"""

from __future__ import annotations

import numpy as np

from rlsafe.output.finite import FiniteHistogram, FiniteScalars
from rlsafe.output.logger import HISTOGRAM_BINS


class Diagnostics:
    """One seed's diagnostics; keeps the previous evaluation's greedy actions."""

    def __init__(self, rare_visits: int = 10, last_greedy=None):
        self.rare_visits = int(rare_visits)
        #: int64 (S,): the greedy actions at the previous evaluation (kept in checkpoints)
        self.last_greedy = None if last_greedy is None else np.asarray(last_greedy, np.int64)
        self.finite_scalars = FiniteScalars()  # what TensorBoard can show, reported once
        self.finite_histogram = FiniteHistogram("diag/q_values", HISTOGRAM_BINS)

    def __call__(
        self,
        q: np.ndarray,
        visits: np.ndarray,
        exact=None,
        metrics: dict | None = None,
        evaluation=None,
        step: int | None = None,
    ) -> tuple[dict, np.ndarray]:
        """Scalars (tag -> float) and the Q-values for the histogram, from q and visits (S, A).

        ``exact``: the run's :class:`rlsafe.analysis.exact.ExactEvaluator` or None; ``metrics``: what it
        returned for this ``q`` (its ``value`` is the greedy policy's exact discounted value);
        ``evaluation``: this evaluation's :class:`rlsafe.training.session.Evaluation`, for the sampled
        calibration error where there is no model; ``step``: the episode, for the warnings.
        Both results are safe for TensorBoard (see the module docstring).
        """
        with np.errstate(over="ignore", invalid="ignore"):  # huge Q: reported by FiniteScalars
            scalars, seen = self._values(q, visits, exact, metrics, evaluation)
        return (self.finite_scalars(scalars, step), self.finite_histogram(seen.ravel(), step))

    def _values(self, q, visits, exact, metrics, evaluation) -> tuple[dict, np.ndarray]:
        if visits is None:  # a tile coding: q is Q at fixed probe observations, no states
            return self._probe_values(q), q
        per_state = visits.sum(axis=1)  # (S,)
        visited = per_state > 0  # (S,)
        greedy = q.argmax(axis=1)  # (S,)
        n_visited = int(visited.sum())
        scalars = {
            "diag/states_visited_fraction": float(visited.mean()),
            "diag/pairs_untried_fraction": float((visits == 0).mean()),
            "diag/rare_states_fraction": (
                float((per_state[visited] < self.rare_visits).mean()) if n_visited else 0.0
            ),
        }
        seen = q[visited]  # (V, A)
        if n_visited:
            scalars["diag/q_max_abs"] = float(np.abs(seen).max())
        if self.last_greedy is not None and n_visited:
            scalars["diag/greedy_changed_fraction"] = float(
                (greedy[visited] != self.last_greedy[visited]).mean()
            )
        self.last_greedy = greedy
        if exact is not None:
            scalars.update(_exact_gaps(q.max(axis=1), visited, exact, metrics))
        elif evaluation is not None and evaluation.starts.shape[0]:
            own = float(q[evaluation.starts].max(axis=1).mean())
            scalars["diag/calibration_error"] = own - float(evaluation.discounted.mean())
        return scalars, seen

    def _probe_values(self, q) -> dict:
        """Without states (``discretizer=tiles``): ``q`` (N, A) is Q at the discretizer's fixed
        probe observations; the visit, rare-state and calibration tags are left out."""
        greedy = q.argmax(axis=1)  # (N,)
        scalars = {"diag/q_max_abs": float(np.abs(q).max())} if q.size else {}
        if self.last_greedy is not None and self.last_greedy.shape == greedy.shape:
            scalars["diag/greedy_changed_fraction"] = float((greedy != self.last_greedy).mean())
        self.last_greedy = greedy
        return scalars


def _exact_gaps(v_agent: np.ndarray, visited: np.ndarray, exact, metrics: dict | None) -> dict:
    """Value gaps to ``V*`` and the calibration error; v_agent, visited: (S,)."""
    start = exact.model[5]  # (S,) start distribution
    gap = np.abs(exact.v_star - v_agent)  # (S,)
    own = float(np.dot(start, v_agent))
    out = {"diag/start_value_gap": abs(float(np.dot(start, exact.v_star)) - own)}
    if visited.any():
        out["diag/value_gap_mean"] = float(gap[visited].mean())
        out["diag/value_gap_max"] = float(gap[visited].max())
    value = metrics and metrics.get("value")
    if value is not None:
        out["diag/calibration_error"] = own - value
    return out
