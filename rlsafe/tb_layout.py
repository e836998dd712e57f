"""TensorBoard's Custom Scalars layout of a ``seeds=N`` job's aggregate run: each aggregate as one
chart, the line with its 95% interval as a band (a margin chart), instead of three separate charts
(``_mean``, ``_ci_low``, ``_ci_high``).

The aggregate run logs, at every evaluation, ``eval/<metric>_mean``, ``_ci_low``, ``_ci_high``,
``_iqm``, ``_iqm_ci_low``, ``_iqm_ci_high`` (:func:`rlsafe.stats.aggregate` of the seeds' values).
The layout names them; TensorBoard shows the charts in its Custom Scalars tab.
"""

from __future__ import annotations

from tensorboardX import SummaryWriter

#: The Custom Scalars category holding the charts.
CATEGORY = "aggregate over seeds (95% stratified bootstrap interval)"


def aggregate_layout(metrics=("return",)) -> dict:
    """The layout: per metric, a margin chart of the mean and one of the IQM, with their bands."""
    charts = {}
    for metric in metrics:
        tag = f"eval/{metric}"
        charts[f"{tag} mean"] = ["Margin", [f"{tag}_mean", f"{tag}_ci_low", f"{tag}_ci_high"]]
        charts[f"{tag} IQM"] = ["Margin", [f"{tag}_iqm", f"{tag}_iqm_ci_low", f"{tag}_iqm_ci_high"]]
    return {CATEGORY: charts}


def write_aggregate_layout(writer: SummaryWriter | None, metrics=("return",)) -> None:
    """Write the layout into the aggregate run's events (once per run is enough; TensorBoard
    merges the layouts of all runs, so a sweep's jobs share the charts, one band per job).
    ``writer`` None (TensorBoard off) writes nothing."""
    if writer is not None:
        writer.add_custom_scalars(aggregate_layout(metrics))
