"""TensorBoard event files, written synchronously by the thread that logs.

An event file is a sequence of records: the length of an ``Event`` protocol buffer (uint64), its
masked CRC-32C, the serialized ``Event``, and its masked CRC-32C. tensorboardX writes the same
records through a queue, locks and a writer thread, about 26 us per scalar; here an ``Event`` of
any number of values is serialized and appended to a buffered file in the caller's thread (a few
microseconds), and :meth:`EventFile.sync` puts everything on disk (before a checkpoint that covers
it). The summaries that are not plain scalars are built below with TensorBoard's own protocol
buffers, as its plugins read them (:func:`histogram`, :func:`text`, :func:`image`,
:func:`hparams`): importing tensorboardX costs 0.3 to 0.9 s (it imports boto3 where that is
installed), more than a short run takes.

A resumed run opens a new file whose first record after the file version is a ``SessionLog``
START at ``purge_step``: TensorBoard then drops the events at that step and later from the files
before it (what the interrupted process logged after its last checkpoint).
"""

from __future__ import annotations

import os
import socket
import struct
import time
from pathlib import Path

import numpy as np
from crc32c import crc32c
from tensorboard.compat.proto.event_pb2 import Event, SessionLog
from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary, SummaryMetadata
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto

_LENGTH = struct.Struct("<Q")
_CRC = struct.Struct("<I")


def _masked_crc(data: bytes) -> int:
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


class EventFile:
    """One TensorBoard event file in ``directory``, appended to by :meth:`scalars` and
    :meth:`summary`; ``suffix`` ends its name (files of one run sort by it)."""

    def __init__(self, directory: str | Path, suffix: str = "", purge_step: int | None = None):
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        name = f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}{suffix}"
        self.path = directory / name
        self._file = open(self.path, "ab", buffering=1 << 20)
        self._write(Event(wall_time=time.time(), file_version="brain.Event:2"))
        if purge_step is not None:
            self._write(
                Event(
                    wall_time=time.time(),
                    step=purge_step,
                    session_log=SessionLog(status=SessionLog.START),
                )
            )

    def _write(self, event: Event) -> None:
        data = event.SerializeToString()
        header = _LENGTH.pack(len(data))
        self._file.write(
            header + _CRC.pack(_masked_crc(header)) + data + _CRC.pack(_masked_crc(data))
        )

    def scalars(self, step: int, values: dict[str, float]) -> None:
        """Scalars ``{tag: value}`` at ``step``, in one event."""
        if values:
            self._write(
                Event(
                    wall_time=time.time(),
                    step=int(step),
                    summary=Summary(
                        value=[
                            Summary.Value(tag=tag, simple_value=value)
                            for tag, value in values.items()
                        ]
                    ),
                )
            )

    def summary(self, step: int, summary: Summary) -> None:
        """Any ``Summary`` (a histogram, an image, text, hparams) at ``step``."""
        self._write(Event(wall_time=time.time(), step=int(step), summary=summary))

    def sync(self) -> None:
        """Everything written so far, on disk."""
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        if not self._file.closed:
            self._file.flush()
            self._file.close()


def histogram(tag: str, values: np.ndarray, bins: int) -> Summary:
    """A histogram of the finite ``values`` in ``bins`` equal-width bins (one bin where their
    spread is too narrow for more), as TensorBoard's Histograms and Distributions tabs read it."""
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    try:
        counts, edges = np.histogram(values, bins=bins)
    except ValueError:  # "too many bins for data range": huge values, nearly equal
        counts, edges = np.histogram(values, bins=1)
    proto = HistogramProto(
        min=float(values.min()),
        max=float(values.max()),
        num=float(values.size),
        sum=float(values.sum()),
        sum_squares=float(np.dot(values, values)),
        bucket_limit=edges[1:].tolist(),
        bucket=counts.tolist(),
    )
    return Summary(value=[Summary.Value(tag=tag, histo=proto)])


def text(tag: str, markdown: str) -> Summary:
    """Markdown text, as TensorBoard's Text tab reads it."""
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="text"))
    tensor = TensorProto(
        dtype="DT_STRING",
        string_val=[markdown.encode()],
        tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=1)]),
    )
    return Summary(value=[Summary.Value(tag=tag, metadata=metadata, tensor=tensor)])


def image(tag: str, png: bytes, width: int, height: int) -> Summary:
    """A PNG image (RGB), as TensorBoard's Images tab reads it."""
    proto = Summary.Image(height=height, width=width, colorspace=3, encoded_image_string=png)
    return Summary(value=[Summary.Value(tag=tag, image=proto)])


def hparams(values: dict, metric_tags) -> list[Summary]:
    """The three summaries of TensorBoard's HParams view for one run: the experiment (which
    hyperparameters and metrics there are), the session start (this run's values) and its end.
    ``values``: name -> bool, int, float or str; ``metric_tags``: the scalar tags of the metrics."""
    from tensorboard.plugins.hparams import api_pb2, plugin_data_pb2

    infos = []
    start = plugin_data_pb2.SessionStartInfo()
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, str):
            start.hparams[name].string_value = value
            kind = api_pb2.DATA_TYPE_STRING
        elif isinstance(value, bool):
            start.hparams[name].bool_value = value
            kind = api_pb2.DATA_TYPE_BOOL
        else:
            start.hparams[name].number_value = float(value)
            kind = api_pb2.DATA_TYPE_FLOAT64
        infos.append(api_pb2.HParamInfo(name=name, type=kind))
    experiment = api_pb2.Experiment(
        hparam_infos=infos,
        metric_infos=[api_pb2.MetricInfo(name=api_pb2.MetricName(tag=tag)) for tag in metric_tags],
    )
    end = plugin_data_pb2.SessionEndInfo(status=api_pb2.STATUS_SUCCESS)
    summaries = []
    for tag, content in (
        ("_hparams_/experiment", {"experiment": experiment}),
        ("_hparams_/session_start_info", {"session_start_info": start}),
        ("_hparams_/session_end_info", {"session_end_info": end}),
    ):
        data = plugin_data_pb2.HParamsPluginData(version=0, **content).SerializeToString()
        metadata = SummaryMetadata(
            plugin_data=SummaryMetadata.PluginData(plugin_name="hparams", content=data)
        )
        summaries.append(Summary(value=[Summary.Value(tag=tag, metadata=metadata)]))
    return summaries
