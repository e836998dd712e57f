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
"""

from __future__ import annotations

import numpy as np


class Diagnostics:
    """One seed's diagnostics; keeps the previous evaluation's greedy actions."""

    def __init__(self, rare_visits: int = 10, last_greedy=None):
        self.rare_visits = int(rare_visits)
        #: int64 (S,): the greedy actions at the previous evaluation (kept in checkpoints)
        self.last_greedy = None if last_greedy is None else np.asarray(last_greedy, np.int64)

    def __call__(self, q: np.ndarray, visits: np.ndarray) -> tuple[dict, np.ndarray]:
        """Scalars (tag -> float) and the Q-values for the histogram, from q and visits (S, A)."""
        per_state = visits.sum(axis=1)  # (S,)
        visited = per_state > 0  # (S,)
        greedy = q.argmax(axis=1)  # (S,)
        n_visited = int(visited.sum())
        scalars = {
            "diag/states_visited_fraction": float(visited.mean()),
            "diag/pairs_untried_fraction": float((visits == 0).mean()),
            "diag/rare_states_fraction": (float((per_state[visited] < self.rare_visits).mean())
                                          if n_visited else 0.0),
        }
        seen = q[visited]  # (V, A)
        if n_visited:
            scalars["diag/q_max_abs"] = float(np.abs(seen).max())
        if self.last_greedy is not None and n_visited:
            scalars["diag/greedy_changed_fraction"] = float(
                (greedy[visited] != self.last_greedy[visited]).mean())
        self.last_greedy = greedy
        return scalars, seen.ravel()
