"""Aggregates over runs: point estimates with 95% stratified percentile-bootstrap intervals.

The one method of rlsafe, used by every number over seeds it writes (``summary.json``, the
TensorBoard aggregate run of a ``seeds=N`` job, :mod:`rlsafe.report`), after Agarwal et al.
(2021), "Deep Reinforcement Learning at the Edge of the Statistical Precipice" (rliable):

* **Scores by task.** A configuration's scores are a list with one array per task (a stratum),
  ``(runs, *points)``: one score per run (seed), or one per run and point of a learning curve. A
  job on one env is one task.
* **Point estimates.** ``"iqm"``: the interquartile mean of all the scores of all tasks, the mean
  of the middle half with ``int(N / 4)`` of the N values cut at each end (``scipy.stats.trim_mean(
  x, 0.25, axis=None)``, rliable's ``aggregate_iqm``); ``"mean"``: the mean over tasks of each
  task's mean over runs (rliable's ``aggregate_mean``).
* **Intervals.** 95% percentile bootstrap, stratified: each of :data:`RESAMPLES` resamples draws,
  in every task independently, as many runs as the task has, with replacement, and the interval is
  the 2.5th and 97.5th percentiles (numpy's linear interpolation) of the statistic over the
  resamples (rliable's ``StratifiedBootstrap`` with ``method="percentile"``). Every call draws
  from a new generator seeded with :data:`SEED`, so the same scores give the same interval
  wherever and in whatever order they are computed: the report's interval of a job's final
  returns is the one in its ``summary.json``. One run gives the interval [x, x].
* **Probability of improvement** of X over Y (rliable's ``probability_of_improvement``): per task,
  the probability that a run of X scores above a run of Y, ties counting one half (the
  Mann-Whitney U statistic over ``n_x * n_y``), averaged over tasks; its interval resamples X's
  and Y's runs independently (rliable's ``StratifiedIndependentBootstrap``).
* **Performance profile** (rliable's ``create_performance_profile`` with score distributions):
  at each threshold tau, the fraction of runs scoring strictly above tau, averaged over tasks.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence

import numpy as np

#: Bootstrap resamples of every interval.
RESAMPLES = 10_000
#: Seed of the generator each interval draws its resamples from.
SEED = 0
#: Coverage of every interval.
CONFIDENCE = 0.95
#: The point estimates an interval can be of.
STATISTICS = ("iqm", "mean")
#: Resampled values held at once (resamples x runs x points), to bound the memory of long curves.
_CHUNK_VALUES = 4_000_000


def iqm(values) -> float:
    """Interquartile mean of all ``values``: the mean of the middle half, ``int(n / 4)`` values cut
    at each end (``scipy.stats.trim_mean(values, 0.25, axis=None)``, rliable's IQM)."""
    return point([np.asarray(values, dtype=np.float64).reshape(-1)], "iqm")


def _statistic(resampled: list[np.ndarray], statistic: str) -> np.ndarray:
    """The statistic of each resample: ``resampled`` holds one (P, R, runs_t) per task -> (P, R)."""
    if statistic == "mean":
        return np.mean([t.mean(axis=-1) for t in resampled], axis=0)
    x = np.sort(np.concatenate(resampled, axis=-1), axis=-1)  # (P, R, N)
    cut = int(0.25 * x.shape[-1])
    return x[..., cut:x.shape[-1] - cut].mean(axis=-1)


def _bootstrap(arrays: list[np.ndarray], statistics: Sequence[str],
               resamples: int) -> dict[str, np.ndarray]:
    """{statistic: (R, P)} over the stratified resamples of ``arrays`` (runs_t, P), all statistics
    from the same resamples, drawn from a new generator seeded with SEED (task by task)."""
    rng = np.random.default_rng(SEED)
    draws = [rng.integers(0, a.shape[0], size=(resamples, a.shape[0])) for a in arrays]  # (R, n_t)
    points = arrays[0].shape[1]
    chunk = max(1, _CHUNK_VALUES // (resamples * sum(a.shape[0] for a in arrays)))
    stats = {s: np.empty((points, resamples)) for s in statistics}  # (P, R) each
    for start in range(0, points, chunk):
        part = slice(start, start + chunk)
        resampled = [a[:, part].T[:, d] for a, d in zip(arrays, draws)]  # (chunk, R, n_t) each
        for s in statistics:
            stats[s][part] = _statistic(resampled, s)
    return {s: v.T for s, v in stats.items()}  # (R, P) each


def _tasks(tasks: Sequence) -> list[np.ndarray]:
    """The scores as float64 arrays (runs, *points), checked: a list with one entry per task."""
    if isinstance(tasks, np.ndarray) or not isinstance(tasks, (list, tuple)):
        raise TypeError("scores must be a list with one array (runs, ...) per task, got "
                        f"{type(tasks).__name__}; for one task write [scores]")
    arrays = [np.asarray(t, dtype=np.float64) for t in tasks]
    if not arrays or any(a.ndim == 0 or a.shape[0] == 0 for a in arrays):
        raise ValueError("every task needs at least one run's score")
    if len({a.shape[1:] for a in arrays}) > 1:
        raise ValueError(f"the tasks' scores have different points: {[a.shape for a in arrays]}")
    return arrays


def _check(statistic: str) -> None:
    if statistic not in STATISTICS:
        raise ValueError(f"statistic {statistic!r} is not one of {STATISTICS}")


def point(tasks: Sequence, statistic: str = "iqm") -> np.ndarray | float:
    """The ``"iqm"`` or ``"mean"`` of the scores (one array per task): a float, or one per point."""
    _check(statistic)
    arrays = _tasks(tasks)
    value = _statistic([a.reshape(a.shape[0], -1).T[:, None] for a in arrays], statistic)[:, 0]
    return float(value[0]) if not arrays[0].shape[1:] else value.reshape(arrays[0].shape[1:])


def _percentiles(stats: np.ndarray, confidence: float) -> tuple:
    """(low, high) percentiles of ``stats`` (R, ...) along the resamples: floats or arrays."""
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(stats, [tail, 100 - tail], axis=0)
    return (float(low), float(high)) if np.ndim(low) == 0 else (low, high)


def _intervals(tasks: Sequence, statistics: Sequence[str], resamples: int,
               confidence: float) -> dict[str, tuple]:
    for statistic in statistics:
        _check(statistic)
    arrays = _tasks(tasks)
    shape = arrays[0].shape[1:]
    stats = _bootstrap([a.reshape(a.shape[0], -1) for a in arrays], statistics, resamples)
    out = {}
    for statistic, values in stats.items():
        low, high = _percentiles(values, confidence)  # (P,) each
        out[statistic] = ((float(low[0]), float(high[0])) if not shape
                          else (low.reshape(shape), high.reshape(shape)))
    return out


def interval(tasks: Sequence, statistic: str = "iqm", *, resamples: int = RESAMPLES,
             confidence: float = CONFIDENCE) -> tuple:
    """(low, high): the stratified percentile-bootstrap interval of :func:`point`.

    With scores (runs, points) per task, every point gets its interval from the same resamples of
    runs, so each point's interval is the one its scores alone would get.
    """
    return _intervals(tasks, [statistic], resamples, confidence)[statistic]


def estimate(tasks: Sequence, statistic: str = "iqm") -> dict:
    """``{"value", "ci_low", "ci_high"}``: :func:`point` and :func:`interval` (floats or arrays)."""
    low, high = interval(tasks, statistic)
    return {"value": point(tasks, statistic), "ci_low": low, "ci_high": high}


def aggregate(values) -> dict:
    """A job's aggregate of one number per seed (one task): ``mean``, ``ci_low``, ``ci_high`` (the
    95% interval of the mean), ``iqm``, ``iqm_ci_low``, ``iqm_ci_high`` (that of the IQM).

    Deterministic (the bootstrap's seed is fixed); with one value every entry is that value. The
    same numbers as :func:`point` and :func:`interval` of ``[values]``.
    """
    return dict(_aggregate(tuple(np.asarray(values, dtype=np.float64).reshape(-1).tolist())))


@lru_cache(maxsize=256)
def _aggregate(values: tuple) -> tuple:
    """:func:`aggregate`, cached: a job aggregates each evaluation's returns twice (TensorBoard at
    the evaluation, summary.json at the end), and a bootstrap costs milliseconds."""
    task = [np.array(values)]
    intervals = _intervals(task, STATISTICS, RESAMPLES, CONFIDENCE)
    return (("mean", point(task, "mean")), ("ci_low", intervals["mean"][0]),
            ("ci_high", intervals["mean"][1]), ("iqm", point(task, "iqm")),
            ("iqm_ci_low", intervals["iqm"][0]), ("iqm_ci_high", intervals["iqm"][1]))


def _counts(draws: np.ndarray) -> np.ndarray:
    """How often each run is drawn in each resample: ``draws`` (R, n) -> (R, n) float64."""
    resamples, n = draws.shape
    offsets = (draws + n * np.arange(resamples)[:, None]).ravel()
    return np.bincount(offsets, minlength=resamples * n).reshape(resamples, n).astype(np.float64)


def _beats(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(n_x, n_y): 1 where x_i > y_j, 0.5 where equal, 0 below."""
    return (x[:, None] > y[None, :]) + 0.5 * (x[:, None] == y[None, :])


def _paired(tasks_x: Sequence, tasks_y: Sequence) -> tuple[list, list]:
    x, y = _tasks(tasks_x), _tasks(tasks_y)
    if len(x) != len(y) or any(a.ndim != 1 for a in x + y):
        raise ValueError("probability of improvement needs one score per run on the same tasks "
                         f"for both: {[a.shape for a in x]} vs {[a.shape for a in y]}")
    return x, y


def probability_of_improvement(tasks_x: Sequence, tasks_y: Sequence) -> float:
    """P(X > Y): per task the probability that a run of X beats a run of Y (ties half), averaged
    over tasks. Scores: one 1-D array (runs,) per task, the same tasks in the same order."""
    x, y = _paired(tasks_x, tasks_y)
    return float(np.mean([_beats(a, b).mean() for a, b in zip(x, y)]))


def probability_of_improvement_interval(tasks_x: Sequence, tasks_y: Sequence, *,
                                        resamples: int = RESAMPLES,
                                        confidence: float = CONFIDENCE) -> tuple[float, float]:
    """(low, high) of :func:`probability_of_improvement`: X's and Y's runs resampled independently
    within each task (per task: X's draws, then Y's, from one generator seeded with SEED)."""
    x, y = _paired(tasks_x, tasks_y)
    rng = np.random.default_rng(SEED)
    per_task = []
    for a, b in zip(x, y):
        ca = _counts(rng.integers(0, a.shape[0], size=(resamples, a.shape[0])))  # (R, n_x)
        cb = _counts(rng.integers(0, b.shape[0], size=(resamples, b.shape[0])))  # (R, n_y)
        per_task.append(((ca @ _beats(a, b)) * cb).sum(axis=1) / (a.shape[0] * b.shape[0]))
    return _percentiles(np.mean(per_task, axis=0), confidence)


def performance_profile(tasks: Sequence, thresholds) -> np.ndarray:
    """(T,): at each threshold tau, the fraction of runs scoring above tau, averaged over tasks."""
    tau = np.asarray(thresholds, dtype=np.float64)
    return np.mean([(a[:, None] > tau[None, :]).mean(axis=0) for a in _tasks(tasks)], axis=0)


def performance_profile_interval(tasks: Sequence, thresholds, *, resamples: int = RESAMPLES,
                                 confidence: float = CONFIDENCE) -> tuple[np.ndarray, np.ndarray]:
    """((T,), (T,)): the stratified percentile-bootstrap band of :func:`performance_profile`."""
    tau = np.asarray(thresholds, dtype=np.float64)
    rng = np.random.default_rng(SEED)
    per_task = []
    for a in _tasks(tasks):
        counts = _counts(rng.integers(0, a.shape[0], size=(resamples, a.shape[0])))  # (R, n)
        per_task.append(counts @ (a[:, None] > tau[None, :]) / a.shape[0])  # (R, T)
    return _percentiles(np.mean(per_task, axis=0), confidence)
