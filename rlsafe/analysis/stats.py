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
  resamples (rliable's ``StratifiedBootstrap`` with ``method="percentile"``). The draws come from
  a generator seeded with :data:`SEED` and pick runs by their rank (the task's scores in ascending
  order), so the same scores give the same interval wherever, in whatever order and in whatever
  order of runs they are computed: the report's interval of a job's final returns is the one in
  its ``summary.json``. One run gives the interval [x, x].
* **Probability of improvement** of X over Y (rliable's ``probability_of_improvement``): per task,
  the probability that a run of X scores above a run of Y, ties counting one half (the
  Mann-Whitney U statistic over ``n_x * n_y``), averaged over tasks; its interval resamples X's
  and Y's runs independently (rliable's ``StratifiedIndependentBootstrap``).
* **Performance profile** (rliable's ``create_performance_profile`` with score distributions):
  at each threshold tau, the fraction of runs scoring strictly above tau, averaged over tasks.

A resample is held as counts (how often each run is drawn), which depend only on the number of
runs per task, so they are drawn once per shape and cached; a statistic of all resamples is then
a matrix product with the sorted scores (the IQM weighs each sorted score by how many of its
copies fall in the middle half). A job's aggregate costs well under a millisecond this way.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

#: Bootstrap resamples of every interval.
RESAMPLES = 10_000
#: Seed of the generator the resamples are drawn from.
SEED = 0
#: Coverage of every interval.
CONFIDENCE = 0.95
#: The point estimates an interval can be of.
STATISTICS = ("iqm", "mean")


def _tasks(tasks: Sequence) -> list[np.ndarray]:
    """The scores as float64 arrays (runs, P), each column sorted: a list with one per task.

    Raises a clear error for anything else; the trailing point shape is checked to agree.
    """
    if isinstance(tasks, np.ndarray) or not isinstance(tasks, (list, tuple)):
        raise TypeError(
            "scores must be a list with one array (runs, ...) per task, got "
            f"{type(tasks).__name__}; for one task write [scores]"
        )
    arrays = [np.asarray(t, dtype=np.float64) for t in tasks]
    if not arrays or any(a.ndim == 0 or a.shape[0] == 0 for a in arrays):
        raise ValueError("every task needs at least one run's score")
    if len({a.shape[1:] for a in arrays}) > 1:
        raise ValueError(f"the tasks' scores have different points: {[a.shape for a in arrays]}")
    return [np.sort(a.reshape(a.shape[0], -1), axis=0) for a in arrays]


def _check(statistic: str) -> None:
    if statistic not in STATISTICS:
        raise ValueError(f"statistic {statistic!r} is not one of {STATISTICS}")


def _counts(draws: np.ndarray) -> np.ndarray:
    """How often each run is drawn in each resample: ``draws`` (R, n) -> (R, n) float64."""
    resamples, n = draws.shape
    offsets = (draws + n * np.arange(resamples)[:, None]).ravel()
    return np.bincount(offsets, minlength=resamples * n).reshape(resamples, n).astype(np.float64)


@lru_cache(maxsize=64)
def _resamples(sizes: tuple[int, ...], resamples: int) -> tuple[np.ndarray, ...]:
    """Per task of ``sizes`` runs: (R, n_t) counts of each run (by rank) in each resample, drawn
    task after task from a generator seeded with SEED. Read-only: shared by every caller."""
    rng = np.random.default_rng(SEED)
    out = []
    for n in sizes:
        counts = _counts(rng.integers(0, n, size=(resamples, n)))
        counts.flags.writeable = False
        out.append(counts)
    return tuple(out)


def _middle(counts: np.ndarray) -> np.ndarray:
    """(R, N) weights of the IQM: of each resample's N values in ascending order (``counts`` of
    each sorted value), the share of each value's copies among positions ``cut`` to ``N - cut``,
    over the ``N - 2 cut`` positions kept."""
    n = counts.shape[1]
    cut = int(0.25 * n)
    upto = np.cumsum(counts, axis=1)  # (R, N) copies up to each value
    return np.diff(np.clip(upto, cut, n - cut), axis=1, prepend=cut) / (n - 2 * cut)


@lru_cache(maxsize=64)
def _middle_cached(size: int, resamples: int) -> np.ndarray:
    """:func:`_middle` of one task's cached resamples."""
    weights = _middle(_resamples((size,), resamples)[0])
    weights.flags.writeable = False
    return weights


def _statistic(
    tasks: list[np.ndarray],
    counts: Sequence[np.ndarray],
    statistic: str,
    middle: np.ndarray | None = None,
) -> np.ndarray:
    """(R, P): the statistic of each resample, from each task's sorted scores (n_t, P) and counts
    (R, n_t); ``middle``: the IQM weights of a single task's counts, if already known."""
    if statistic == "mean":
        return np.mean([c @ x / x.shape[0] for c, x in zip(counts, tasks)], axis=0)
    if len(tasks) == 1:
        return (_middle(counts[0]) if middle is None else middle) @ tasks[0]
    values = np.concatenate(tasks, axis=0)  # (N, P): the tasks pooled
    weights = np.concatenate(counts, axis=1)  # (R, N)
    out = np.empty((weights.shape[0], values.shape[1]))  # (R, P)
    for p in range(values.shape[1]):  # the pooled order differs from point to point
        order = np.argsort(values[:, p], kind="stable")
        out[:, p] = _middle(weights[:, order]) @ values[order, p]
    return out


def _shape(tasks: Sequence) -> tuple:
    return np.shape(tasks[0])[1:]


def _unshape(values: np.ndarray, shape: tuple):
    """(P,) -> a float for scalar scores, else an array of the points' shape."""
    return float(values[0]) if not shape else values.reshape(shape)


def point(tasks: Sequence, statistic: str = "iqm") -> np.ndarray | float:
    """The ``"iqm"`` or ``"mean"`` of the scores (one array per task): a float, or one per point."""
    _check(statistic)
    arrays = _tasks(tasks)
    if statistic == "mean":
        return _unshape(np.mean([a.mean(axis=0) for a in arrays], axis=0), _shape(tasks))
    pooled = np.sort(np.concatenate(arrays, axis=0), axis=0)  # (N, P)
    cut = int(0.25 * pooled.shape[0])
    return _unshape(pooled[cut : pooled.shape[0] - cut].mean(axis=0), _shape(tasks))


def _percentiles(stats: np.ndarray, confidence: float) -> tuple:
    """(low, high) percentiles of ``stats`` (R, ...) along the resamples: floats or arrays."""
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(stats, [tail, 100 - tail], axis=0)
    return (float(low), float(high)) if np.ndim(low) == 0 else (low, high)


def _intervals(
    tasks: Sequence, statistics: Sequence[str], resamples: int, confidence: float
) -> dict[str, tuple]:
    """{statistic: (low, high)}, all from the same resamples."""
    for statistic in statistics:
        _check(statistic)
    arrays = _tasks(tasks)
    sizes = tuple(a.shape[0] for a in arrays)
    counts = _resamples(sizes, resamples)
    middle = _middle_cached(sizes[0], resamples) if len(sizes) == 1 else None
    resampled = np.stack([_statistic(arrays, counts, s, middle) for s in statistics])  # (S,R,P)
    low, high = _percentiles(resampled.transpose(1, 0, 2), confidence)  # (S, P) each
    return {
        s: (_unshape(low[i], _shape(tasks)), _unshape(high[i], _shape(tasks)))
        for i, s in enumerate(statistics)
    }


def interval(
    tasks: Sequence,
    statistic: str = "iqm",
    *,
    resamples: int = RESAMPLES,
    confidence: float = CONFIDENCE,
) -> tuple:
    """(low, high): the stratified percentile-bootstrap interval of :func:`point`.

    With scores (runs, points) per task, every point gets its interval from the same resamples of
    runs (by rank at that point), so each point's interval is the one its scores alone would get.
    """
    return _intervals(tasks, [statistic], resamples, confidence)[statistic]


def estimate(tasks: Sequence, statistic: str = "iqm") -> dict:
    """``{"value", "ci_low", "ci_high"}``: :func:`point` and :func:`interval` (floats or arrays)."""
    low, high = interval(tasks, statistic)
    return {"value": point(tasks, statistic), "ci_low": low, "ci_high": high}


def iqm(values) -> float:
    """Interquartile mean of all ``values``: the mean of the middle half, ``int(n / 4)`` values cut
    at each end (``scipy.stats.trim_mean(values, 0.25, axis=None)``, rliable's IQM)."""
    return point([np.asarray(values, dtype=np.float64).reshape(-1)], "iqm")


def aggregate(values) -> dict:
    """A job's aggregate of one number per seed (one task): ``mean``, ``ci_low``, ``ci_high`` (the
    95% interval of the mean), ``iqm``, ``iqm_ci_low``, ``iqm_ci_high`` (that of the IQM).

    Deterministic (the bootstrap's seed is fixed); with one value every entry is that value. The
    same numbers as :func:`point` and :func:`interval` of ``[values]``.
    """
    return dict(_aggregate(tuple(np.asarray(values, dtype=np.float64).reshape(-1).tolist())))


@lru_cache(maxsize=1024)
def _aggregate(values: tuple) -> tuple:
    """:func:`aggregate`, cached: a job aggregates each evaluation's returns twice (TensorBoard at
    the evaluation, ``summary.json`` at the end)."""
    task = [np.array(values)]
    intervals = _intervals(task, STATISTICS, RESAMPLES, CONFIDENCE)
    return (
        ("mean", point(task, "mean")),
        ("ci_low", intervals["mean"][0]),
        ("ci_high", intervals["mean"][1]),
        ("iqm", point(task, "iqm")),
        ("iqm_ci_low", intervals["iqm"][0]),
        ("iqm_ci_high", intervals["iqm"][1]),
    )


def _beats(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(n_x, n_y): 1 where x_i > y_j, 0.5 where equal, 0 below."""
    return (x[:, None] > y[None, :]) + 0.5 * (x[:, None] == y[None, :])


def _paired(tasks_x: Sequence, tasks_y: Sequence) -> tuple[list, list]:
    """Both configurations' sorted scores, one (runs,) array per task, the same tasks."""
    if len(tasks_x) != len(tasks_y) or any(np.ndim(t) != 1 for t in [*tasks_x, *tasks_y]):
        raise ValueError(
            "probability of improvement needs one score per run on the same tasks "
            f"for both: {[np.shape(t) for t in tasks_x]} vs "
            f"{[np.shape(t) for t in tasks_y]}"
        )
    return [a[:, 0] for a in _tasks(tasks_x)], [b[:, 0] for b in _tasks(tasks_y)]


def probability_of_improvement(tasks_x: Sequence, tasks_y: Sequence) -> float:
    """P(X > Y): per task the probability that a run of X beats a run of Y (ties half), averaged
    over tasks. Scores: one 1-D array (runs,) per task, the same tasks in the same order."""
    x, y = _paired(tasks_x, tasks_y)
    return float(np.mean([_beats(a, b).mean() for a, b in zip(x, y)]))


def probability_of_improvement_interval(
    tasks_x: Sequence,
    tasks_y: Sequence,
    *,
    resamples: int = RESAMPLES,
    confidence: float = CONFIDENCE,
) -> tuple[float, float]:
    """(low, high) of :func:`probability_of_improvement`: X's and Y's runs resampled independently
    within each task (the resamples of X's tasks, then Y's, as for one list of tasks)."""
    x, y = _paired(tasks_x, tasks_y)
    counts = _resamples(tuple(a.shape[0] for a in x + y), resamples)
    per_task = [
        ((cx @ _beats(a, b)) * cy).sum(axis=1) / (a.shape[0] * b.shape[0])
        for a, b, cx, cy in zip(x, y, counts[: len(x)], counts[len(x) :])
    ]  # (R,) each
    return _percentiles(np.mean(per_task, axis=0), confidence)


def performance_profile(tasks: Sequence, thresholds) -> np.ndarray:
    """(T,): at each threshold tau, the fraction of runs scoring above tau, averaged over tasks."""
    tau = np.asarray(thresholds, dtype=np.float64)
    return np.mean([(a > tau[None, :]).mean(axis=0) for a in _tasks(tasks)], axis=0)


def performance_profile_interval(
    tasks: Sequence, thresholds, *, resamples: int = RESAMPLES, confidence: float = CONFIDENCE
) -> tuple[np.ndarray, np.ndarray]:
    """((T,), (T,)): the stratified percentile-bootstrap band of :func:`performance_profile`."""
    tau = np.asarray(thresholds, dtype=np.float64)
    arrays = _tasks(tasks)
    counts = _resamples(tuple(a.shape[0] for a in arrays), resamples)
    per_task = [c @ (a > tau[None, :]) / a.shape[0] for a, c in zip(arrays, counts)]  # (R, T)
    return _percentiles(np.mean(per_task, axis=0), confidence)
