"""Aggregates over seeds: the mean with a 95% confidence interval, and the interquartile mean.

Plain statistics of a handful of numbers (one per seed), in numpy; deterministic (no bootstrap), so
a job's aggregate is as reproducible as its seeds.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np


def iqm(values) -> float:
    """Interquartile mean: the mean of the middle half, ``int(n / 4)`` values cut at each end.

    The same as ``scipy.stats.trim_mean(values, 0.25)`` (the IQM of Agarwal et al., 2021, rliable).
    """
    x = np.sort(np.asarray(values, dtype=np.float64))
    cut = int(0.25 * x.shape[0])
    return float(x[cut:x.shape[0] - cut].mean())


@lru_cache(maxsize=None)
def t_quantile(p: float, df: int) -> float:
    """The ``p`` quantile (p > 0.5) of Student's t with ``df`` degrees of freedom.

    Bisection on the CDF, integrated with Simpson's rule from the density: about 1e-9 accurate.
    """
    log_c = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)

    def cdf_above_half(q: float) -> float:
        t = np.linspace(0.0, q, 20001)
        f = np.exp(log_c - (df + 1) / 2 * np.log1p(t * t / df))
        h = q / 20000
        return h / 3 * (f[0] + f[-1] + 4 * f[1:-1:2].sum() + 2 * f[2:-1:2].sum())

    low, high = 0.0, 1.0
    while cdf_above_half(high) < p - 0.5:
        high *= 2
    for _ in range(60):
        mid = (low + high) / 2
        low, high = (mid, high) if cdf_above_half(mid) < p - 0.5 else (low, mid)
    return (low + high) / 2


def aggregate(values) -> dict:
    """``mean``, ``ci_low``, ``ci_high`` (Student's t 95% interval of the mean) and ``iqm``.

    With one value the interval is that value.
    """
    x = np.asarray(values, dtype=np.float64)
    mean = float(x.mean())
    half = 0.0
    if x.shape[0] > 1:
        half = t_quantile(0.975, x.shape[0] - 1) * float(x.std(ddof=1)) / math.sqrt(x.shape[0])
    return {"mean": mean, "ci_low": mean - half, "ci_high": mean + half, "iqm": iqm(x)}
