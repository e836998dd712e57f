"""``episodes.npy``: every training episode of a run, kept whole, written as the run goes.

A NumPy ``.npy`` file holding a structured array, one record per training episode in order:
``return`` (float64), ``length`` (int64), ``terminated`` (bool), then one float64 field per
signal of the env (``aux_names``: e.g. ``hidden_reward``, ``cost``), the episode's sum.
``np.load("episodes.npy")`` reads it, also while the run goes on (it holds what was written up to
the last checkpoint or evaluation). The cumulative sum of ``length`` gives the env steps.

Records are appended chunk by chunk; the header, written with room for any count, is rewritten
with the count at each :meth:`EpisodeLog.sync`, which the runner calls before each checkpoint. A
resumed run cuts the file back to the episodes its checkpoint covers, so the file stays exact
after any interruption (SIGKILL included).
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import numpy as np

from rlsafe.training.checkpoint import CheckpointError

FILE = "episodes.npy"
_MAGIC = b"\x93NUMPY\x01\x00"


def record_dtype(aux_names) -> np.dtype:
    """The record of one episode."""
    fields = [("return", "<f8"), ("length", "<i8"), ("terminated", "?")]
    return np.dtype(fields + [(str(name), "<f8") for name in aux_names])


def _header(dtype: np.dtype, count: int, size: int | None = None) -> bytes:
    """The .npy header for ``count`` records, padded to ``size`` bytes (None: room for any
    count, rounded up to 64 as NumPy does)."""
    text = (
        f"{{'descr': {np.lib.format.dtype_to_descr(dtype)!r}, 'fortran_order': False, "
        f"'shape': ({count},), }}"
    )
    if size is None:
        longest = len(_MAGIC) + 2 + len(text) + 20 + 1  # 20: the digits of any int64 count
        size = -(-longest // 64) * 64
    body = text.ljust(size - len(_MAGIC) - 2 - 1) + "\n"
    return _MAGIC + len(body).to_bytes(2, "little") + body.encode("latin1")


class EpisodeLog:
    """Appends chunks of episodes to ``directory/episodes.npy``.

    ``episodes``: the episodes the run has done (on resume, the checkpoint's): a new file is
    started for 0, an existing one is cut back to that many records.
    """

    def __init__(self, directory: str | Path, aux_names, episodes: int = 0):
        self.path = Path(directory) / FILE
        self.dtype = record_dtype(aux_names)
        self.count = episodes
        if episodes == 0:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "wb")
            self.header_size = len(_header(self.dtype, 0))
            self._file.write(_header(self.dtype, 0))
            return
        self._file, self.header_size = self._cut(episodes)

    def _cut(self, episodes: int):
        try:
            f = open(self.path, "r+b")
        except OSError as err:
            raise CheckpointError(f"{self.path}: cannot reopen it to resume ({err})") from None
        head = f.read(10)
        if head[:8] != _MAGIC:
            f.close()
            raise CheckpointError(f"{self.path}: not an episodes file")
        header_size = 10 + int.from_bytes(head[8:10], "little")
        text = f.read(header_size - 10).decode("latin1")
        if np.dtype(np.lib.format.descr_to_dtype(ast.literal_eval(text)["descr"])) != self.dtype:
            f.close()
            raise CheckpointError(f"{self.path}: its records are not this env's")
        f.seek(0, os.SEEK_END)
        have = (f.tell() - header_size) // self.dtype.itemsize
        if have < episodes:
            f.close()
            raise CheckpointError(f"{self.path}: holds {have} episodes, the checkpoint {episodes}")
        f.truncate(header_size + episodes * self.dtype.itemsize)
        f.seek(0, os.SEEK_END)
        return f, header_size

    def append(self, chunk) -> None:
        """The episodes of a :class:`rlsafe.training.session.Chunk`."""
        n = chunk.returns.shape[0]
        records = np.empty(n, self.dtype)  # (E,)
        records["return"] = chunk.returns
        records["length"] = chunk.lengths
        records["terminated"] = chunk.terminated
        for k, name in enumerate(self.dtype.names[3:]):
            records[name] = chunk.aux[:, k]
        self._file.write(records.tobytes())
        self.count += n

    def sync(self) -> None:
        """The records so far on disk, and the header saying how many there are."""
        end = self._file.tell()
        self._file.seek(0)
        self._file.write(_header(self.dtype, self.count, self.header_size))
        self._file.seek(end)
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        if not self._file.closed:
            self.sync()
            self._file.close()
