"""TensorBoard's Custom Scalars layout of a ``seeds=N`` job's aggregate run: each aggregate as one
chart, the line with its 95% interval as a band (a margin chart), instead of three separate charts
(``_mean``, ``_ci_low``, ``_ci_high``).

The aggregate run logs, at every evaluation, ``eval/<metric>_mean``, ``_ci_low``, ``_ci_high``,
``_iqm``, ``_iqm_ci_low``, ``_iqm_ci_high`` (:func:`rlsafe.analysis.stats.aggregate` of the seeds' values).
The layout names them; TensorBoard shows the charts in its Custom Scalars tab.
"""

from __future__ import annotations

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


def layout_summary(layout: dict):
    """``layout`` (category -> chart title -> ``["Margin", [value, lower, upper]]``) as the
    summary TensorBoard's Custom Scalars plugin reads (tag ``custom_scalars__config__``)."""
    from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata
    from tensorboard.compat.proto.tensor_pb2 import TensorProto
    from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
    from tensorboard.plugins.custom_scalar import layout_pb2

    categories = []
    for title, charts in layout.items():
        chart_protos = []
        for chart_title, (kind, (value, lower, upper)) in charts.items():
            assert kind == "Margin", kind
            series = layout_pb2.MarginChartContent.Series(value=value, lower=lower, upper=upper)
            chart_protos.append(
                layout_pb2.Chart(
                    title=chart_title, margin=layout_pb2.MarginChartContent(series=[series])
                )
            )
        categories.append(layout_pb2.Category(title=title, chart=chart_protos))
    tensor = TensorProto(
        dtype="DT_STRING",
        string_val=[layout_pb2.Layout(category=categories).SerializeToString()],
        tensor_shape=TensorShapeProto(),
    )
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="custom_scalars"))
    return Summary(
        value=[Summary.Value(tag="custom_scalars__config__", tensor=tensor, metadata=metadata)]
    )


def write_aggregate_layout(board, metrics=("return",)) -> None:
    """Write the layout into the aggregate run's events (a :class:`rlsafe.output.logger.TensorBoard`;
    once per run is enough: TensorBoard merges the layouts of all runs, so a sweep's jobs share
    the charts, one band per job). ``board`` None, or with TensorBoard off, writes nothing."""
    if board is not None and board.file is not None:
        board.file.summary(0, layout_summary(aggregate_layout(metrics)))
