"""Numbers made safe for TensorBoard: nothing non-finite or out of range reaches it, and a run that
produces such numbers says so once per tag, not once per event.

TensorBoard stores a scalar as float32: a float64 beyond about 3.4e38 is shown as inf, and
tensorboardX logs "NaN or Inf found in input tensor" for every such event (a flood: once per
chunk and per tag). Its histograms cut the data into equal bins with ``numpy.histogram``, which
raises ``ValueError: Too many bins for data range`` when the values are huge but close together
(Q-values of 1e300 that differ in the last bits) and refuses a range that is not finite.

* :class:`FiniteScalars`: a filter for ``{tag: value}``; NaN is skipped, +-inf and values beyond
  float32 are clipped to the largest float32 of their sign (a flat line at 3.4e38 is visibly
  "huge", where a gap would hide it); each tag is reported once through :mod:`logging`.
* :func:`histogram_values`: the finite values of an array, or none when ``bins`` equal bins
  cannot cut their range (the histogram is then left out, and reported once).

The caller keeps one :class:`FiniteScalars` per run (its memory of what was reported), e.g. the
logger: ``self.finite = FiniteScalars()``, then ``for tag, v in self.finite(values).items():
writer.add_scalar(tag, v, step)``.
"""

from __future__ import annotations

import logging
import math

import numpy as np

log = logging.getLogger(__name__)

#: The largest float32: TensorBoard's scalars are float32, so larger magnitudes show as inf.
FLOAT32_MAX = float(np.finfo(np.float32).max)


class FiniteScalars:
    """Filter for one run's scalars: ``finite({tag: value})`` -> the values TensorBoard can show.

    NaN is left out; +-inf and magnitudes beyond float32 are clipped to +-:data:`FLOAT32_MAX`.
    The first time a tag needs either, one warning names the tag, the value and what was done;
    later events of that tag are handled silently. ``reported`` (the tags warned about) can be
    kept in a checkpoint and passed back on resume.
    """

    def __init__(self, reported=()):
        self.reported: set[str] = set(reported)

    def __call__(self, values: dict, step: int | None = None) -> dict:
        out = {}
        for tag, value in values.items():
            value = float(value)
            if math.isnan(value):
                self._report(tag, value, step, "left out")
                continue
            if abs(value) > FLOAT32_MAX:  # inf too
                clipped = math.copysign(FLOAT32_MAX, value)
                self._report(
                    tag, value, step, f"shown as {clipped:.4g} (TensorBoard stores float32)"
                )
                value = clipped
            out[tag] = value
        return out

    def _report(self, tag: str, value: float, step: int | None, done: str) -> None:
        if tag in self.reported:
            return
        self.reported.add(tag)
        at = "" if step is None else f" at episode {step}"
        log.warning(
            "%s is %s%s: %s, here and in its later events of this run", tag, value, at, done
        )


def histogram_values(values: np.ndarray, bins: int) -> np.ndarray:
    """The finite entries of ``values`` (1-D) if ``numpy.histogram(..., bins=bins)`` can cut their
    range into ``bins`` equal bins (as tensorboardX's histograms do), else an empty array.

    It repeats numpy's own edges: ``linspace(min, max, bins + 1)``, widened by 0.5 on each side
    when all values are equal; every bin must have a finite, positive width.
    """
    finite = values[np.isfinite(values)]  # (V,)
    if finite.size == 0:
        return finite
    low, high = float(finite.min()), float(finite.max())
    if low == high:
        low, high = low - 0.5, high + 0.5
    with np.errstate(over="ignore", invalid="ignore"):
        edges = np.linspace(low, high, bins + 1)  # (bins + 1,)
        ok = bool(np.isfinite(edges).all() and (np.diff(edges) > 0).all())
    return finite if ok else finite[:0]


class FiniteHistogram:
    """One run's histogram filter: :func:`histogram_values`, reporting once what it leaves out."""

    def __init__(self, tag: str, bins: int):
        self.tag, self.bins = tag, bins
        self.reported_nonfinite = self.reported_range = False

    def __call__(self, values: np.ndarray, step: int | None = None) -> np.ndarray:
        kept = histogram_values(values, self.bins)
        at = "" if step is None else f" at episode {step}"
        finite = int(np.isfinite(values).sum())
        if finite < values.size and not self.reported_nonfinite:
            self.reported_nonfinite = True
            log.warning(
                "%s: %d of %d values are not finite%s; the histogram leaves them out "
                "(here and later in this run)",
                self.tag,
                values.size - finite,
                values.size,
                at,
            )
        if finite and kept.size == 0 and not self.reported_range:
            self.reported_range = True
            shown = values[np.isfinite(values)]
            log.warning(
                "%s: the values span [%.17g, %.17g]%s, which %d equal bins cannot cut "
                "in float64 (huge values, close together); the histogram is left out "
                "while that lasts",
                self.tag,
                shown.min(),
                shown.max(),
                at,
                self.bins,
            )
        return kept
