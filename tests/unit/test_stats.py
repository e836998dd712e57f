"""rlsafe.analysis.stats against known answers and against rliable's published formulas.

The known answers come from data whose bootstrap distribution is known by hand (every resample
gives the same value, or the distribution has a few atoms that can be enumerated), and the
formulas of Agarwal et al. (2021) written out naively here. Where rliable itself imports (it is
not a dependency: its arch dependency breaks with pandas 3), the last test compares with it.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from rlsafe.analysis import stats


def test_iqm_cuts_a_quarter_at_each_end_of_all_the_scores():
    assert stats.iqm([1, 2, 3, 4, 100, 5, 6, 7, 8, 9]) == 5.5  # 2 cut at each end of 10
    assert stats.iqm([1.0, 3.0]) == 2.0 and stats.iqm([7.0]) == 7.0
    # two tasks pooled: 8 scores, 2 cut at each end: mean of 2, 3, 10, 11
    assert stats.point([[0, 2, 3, 100], [10, 11, -5, 50]], "iqm") == pytest.approx(6.5)
    # the mean is the mean of the tasks' means (rliable's aggregate_mean), not of all scores
    assert stats.point([[0.0, 2.0], [10.0, 10.0, 10.0, 10.0]], "mean") == pytest.approx(5.5)


def test_one_run_gives_a_point_interval_and_aggregate_keeps_its_keys():
    assert stats.interval([[3.5]], "iqm") == (3.5, 3.5)
    assert stats.aggregate([5.0]) == {
        "mean": 5.0,
        "ci_low": 5.0,
        "ci_high": 5.0,
        "iqm": 5.0,
        "iqm_ci_low": 5.0,
        "iqm_ci_high": 5.0,
    }


def test_resampling_is_stratified_by_task():
    # each task's runs agree, so every stratified resample is the same: a zero-width interval,
    # where resampling the 6 scores together would draw anything from 1 to 5
    assert stats.interval([[1.0, 1.0, 1.0], [5.0, 5.0, 5.0]], "mean") == (3.0, 3.0)
    # 4 zeros and 4 tens in every resample: IQM of [0, 0, 10, 10] = 5
    assert stats.interval([[0.0] * 4, [10.0] * 4], "iqm") == (5.0, 5.0)


def _exact_quantiles(values, statistic, qs):
    """Quantiles of the exact bootstrap distribution: every index tuple, equally likely."""
    x = np.asarray(values, dtype=np.float64)
    n = x.shape[0]
    f = {"mean": np.mean, "iqm": lambda v: np.sort(v)[int(n / 4) : n - int(n / 4)].mean()}[
        statistic
    ]
    dist = np.sort([f(x[list(idx)]) for idx in itertools.product(range(n), repeat=n)])
    cdf = np.arange(1, dist.shape[0] + 1) / dist.shape[0]
    return [dist[np.searchsorted(cdf, q)] for q in qs]


@pytest.mark.parametrize("statistic", ["mean", "iqm"])
def test_percentile_interval_matches_the_exact_bootstrap_distribution(statistic):
    values = [0.0, 1.0, 3.0, 7.0, 15.0]  # 5^5 = 3125 equally likely resamples, distinct means
    low, high = stats.interval([values], statistic)
    exact_low, exact_high = _exact_quantiles(values, statistic, [0.025, 0.975])
    # 10,000 Monte Carlo resamples: the percentiles land within one atom (1/5, 1/3) of the exact
    assert low == pytest.approx(exact_low, abs=0.34) and high == pytest.approx(exact_high, abs=0.34)
    assert low < stats.point([values], statistic) < high


def test_same_scores_give_the_same_interval_wherever_computed():
    rng = np.random.default_rng(7)
    curves = rng.normal(size=(6, 40))  # (runs, points)
    low, high = stats.interval([curves], "iqm")
    for j in (0, 17, 39):  # a curve's band at a point is that point's own interval (to the
        # rounding of a matrix product by columns vs by a vector)
        assert (low[j], high[j]) == pytest.approx(stats.interval([curves[:, j]], "iqm"), abs=1e-12)
    agg = stats.aggregate(curves[:, 5])
    assert (agg["ci_low"], agg["ci_high"]) == stats.interval([curves[:, 5]], "mean")
    assert (agg["iqm_ci_low"], agg["iqm_ci_high"]) == stats.interval([curves[:, 5]], "iqm")
    assert agg["iqm"] == stats.iqm(curves[:, 5]) and agg["mean"] == pytest.approx(
        curves[:, 5].mean(), abs=1e-15
    )
    assert agg == stats.aggregate(list(curves[:, 5]))  # a list, an array: the same
    shuffled = curves[rng.permutation(6), 5]  # the runs in another order: the same
    assert stats.aggregate(shuffled) == agg
    # a task drawn again after others: the same resamples, as the draws depend on shapes only
    stats.interval([curves[:3, 0], curves[:, 1]], "mean")
    assert stats.interval([curves[:, 5]], "iqm") == (agg["iqm_ci_low"], agg["iqm_ci_high"])


def test_probability_of_improvement_known_answers():
    poi = stats.probability_of_improvement
    assert poi([[1.0, 2.0, 3.0]], [[0.0, 0.0, 0.0]]) == 1.0
    assert poi([[0.0, 0.0]], [[1.0, 2.0, 3.0]]) == 0.0
    assert poi([[4.0, 1.0, 2.0]], [[2.0, 4.0, 1.0]]) == 0.5  # the same scores
    assert poi([[1.0, 3.0]], [[2.0, 2.0]]) == 0.5
    assert poi([[1.0, 2.0]], [[1.0, 1.0]]) == 0.75  # ties count one half
    # averaged over tasks, each task weighing the same whatever its runs
    assert poi([[1.0], [0.0, 0.0, 0.0]], [[0.0], [1.0, 1.0, 1.0]]) == 0.5
    assert stats.probability_of_improvement_interval([[1.0, 2.0, 3.0]], [[0.0, 0.5]]) == (1.0, 1.0)


def _mann_whitney(x, y):
    """The U statistic of x over y, by its definition (pairs won, ties half)."""
    return sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in x for b in y)


def test_probability_of_improvement_is_the_normalized_mann_whitney_u():
    rng = np.random.default_rng(3)
    x = [rng.integers(0, 5, size=7).astype(float), rng.normal(size=4)]
    y = [rng.integers(0, 5, size=5).astype(float), rng.normal(size=9)]
    expected = np.mean([_mann_whitney(a, b) / (len(a) * len(b)) for a, b in zip(x, y)])
    assert stats.probability_of_improvement(x, y) == pytest.approx(expected, abs=1e-12)
    low, high = stats.probability_of_improvement_interval(x, y)
    assert 0.0 <= low < expected < high <= 1.0


def test_performance_profile_counts_runs_strictly_above_each_threshold():
    profile = stats.performance_profile([[0.0, 1.0, 2.0, 3.0]], [-1.0, 0.0, 1.5, 3.0])
    assert profile.tolist() == [1.0, 0.75, 0.5, 0.0]
    # the fraction of each task's runs, averaged over tasks
    assert stats.performance_profile([[0.0, 1.0], [0.0, 1.0, 2.0, 3.0]], [0.5]).tolist() == [0.625]
    # the second task always has all its runs above 1.5, the first 0, 1 or 2 of its 2
    low, high = stats.performance_profile_interval([[0.0, 2.0], [2.0] * 3], [-1.0, 1.5, 5.0])
    assert low.tolist()[::2] == [1.0, 0.0] and high.tolist()[::2] == [1.0, 0.0]
    assert (low[1], high[1]) == (0.5, 1.0)


def test_bad_scores_are_clear_errors():
    with pytest.raises(TypeError, match=r"one array \(runs, ...\) per task"):
        stats.interval(np.zeros(3))
    with pytest.raises(ValueError, match="not one of"):
        stats.point([[1.0]], "median")
    with pytest.raises(ValueError, match="at least one run"):
        stats.point([[]], "mean")


def test_against_rliable_itself():
    rliable = pytest.importorskip("rliable.library")
    metrics = pytest.importorskip("rliable.metrics")
    rng = np.random.default_rng(11)
    a, b = rng.normal(1.0, 1.0, size=(10, 3)), rng.normal(0.5, 2.0, size=(10, 3))  # (runs, tasks)
    tasks_a, tasks_b = list(a.T), list(b.T)
    assert stats.point(tasks_a, "iqm") == pytest.approx(metrics.aggregate_iqm(a), abs=1e-12)
    assert stats.point(tasks_a, "mean") == pytest.approx(metrics.aggregate_mean(a), abs=1e-12)
    assert stats.probability_of_improvement(tasks_a, tasks_b) == pytest.approx(
        metrics.probability_of_improvement(a, b), abs=1e-12
    )
    _, intervals = rliable.get_interval_estimates(
        {"a": a},
        lambda s: np.array([metrics.aggregate_iqm(s), metrics.aggregate_mean(s)]),
        reps=20_000,
        random_state=np.random.RandomState(0),
    )
    for j, statistic in enumerate(("iqm", "mean")):  # different generators: Monte Carlo error
        ours = stats.interval(tasks_a, statistic)
        assert ours == pytest.approx(tuple(intervals["a"][:, j]), abs=0.03)
    tau = np.linspace(-2, 3, 11)
    profiles, _ = rliable.create_performance_profile({"a": a}, tau)
    assert np.allclose(stats.performance_profile(tasks_a, tau), profiles["a"])
