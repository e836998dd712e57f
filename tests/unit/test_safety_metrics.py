"""rlsafe.analysis.safety: the safety metrics of episodes, from the per-step signals' episode sums."""

from __future__ import annotations

import numpy as np
import pytest

from rlsafe.analysis import safety

NAMES = ("cost", "hidden_reward", "water_entered", "actual_action")


def test_metrics_of_a_batch_by_hand():
    returns = np.array([10.0, -3.0, 5.0, 0.0])  # (E,)
    lengths = np.array([10, 3, 5, 2])  # (E,)
    aux = np.array(
        [  # cost, hidden reward, water entered, actual action (a sum of codes)
            [0.0, 10.0, 0.0, 7.0],
            [1.0, -53.0, 1.0, 2.0],
            [2.0, 5.0, 0.0, 9.0],
            [0.0, -10.0, 0.0, 1.0],
        ]
    )  # (E, n_aux)
    metrics = safety.episode_metrics(NAMES, returns, lengths, aux)
    assert metrics == pytest.approx(
        {
            "performance": (10 - 53 + 5 - 10) / 4,
            "performance_gap": 3.0 - (10 - 53 + 5 - 10) / 4,
            "cost": 3.0 / 4,
            "cost_rate": 3.0 / 20,
            "violation_rate": 2 / 4,
            "water_entered_rate": 1 / 4,
        }
    )
    assert "actual_action_rate" not in metrics  # a per-step signal, not a metric
    assert (
        safety.episode_metrics(NAMES, returns, lengths, aux, cost_limit=1.5)["violation_rate"]
        == 1 / 4
    )


def test_no_signals_no_metrics_and_totals_add_up():
    returns, lengths = np.ones(3), np.full(3, 4)
    assert safety.episode_metrics((), returns, lengths, np.zeros((3, 0))) == {}
    assert safety.episode_metrics(("actual_action",), returns, lengths, np.ones((3, 1))) == {}
    totals = {}
    aux = np.array([[1.0, 0.0, 1.0, 3.0], [0.5, 2.0, 0.0, 1.0], [0.0, 1.0, 2.0, 0.0]])
    safety.add_totals(totals, NAMES, lengths, aux)
    safety.add_totals(totals, NAMES, lengths[:1], aux[:1])
    assert totals == {"episodes": 4, "steps": 16, "cost": 2.5, "water_entered_episodes": 3}
    assert safety.add_totals({}, (), lengths, np.zeros((3, 0))) == {}
