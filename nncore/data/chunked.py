"""Long array work in pieces of a few milliseconds, for a load that another thread follows.

Splitting a big data set copies its rows (``Dataset.subset``) and normalising it walks
over them (``Normalizer``): each is one NumPy call of 100 ms or more on an MNIST-sized
data set. On a window's loading thread that call cannot be cancelled, and while it runs
the thread does not hand the interpreter lock over. Inside :func:`paced` (which the
window's loader opens around its preparation of the data), such work goes a piece of
about :data:`PIECE_BYTES` at a time and calls :func:`pause` between two pieces: it stops
there with :class:`~nncore.data.formats.files.LoadCancelled` once the load's control is
cancelled, and otherwise hands the interpreter lock to a thread waiting for it.

Outside :func:`paced` (the command line, scripts) :func:`pause` does nothing, and the
results are the same, bit for bit, in either case: the pieces are copies of rows.
"""

from __future__ import annotations

import mmap
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .formats.files import LoadControl

#: Bytes of one piece of a long copy (about a millisecond of memory traffic).
PIECE_BYTES = 1 << 21

_local = threading.local()


@contextmanager
def paced(control: LoadControl | None, name: str) -> Iterator[None]:
    """Within it, this thread's long array work pauses between pieces (:func:`pause`) and
    stops with LoadCancelled (naming ``name``) once ``control`` is cancelled."""
    previous = getattr(_local, "pace", None)
    _local.pace = (control, name)
    try:
        yield
    finally:
        _local.pace = previous


def pause() -> None:
    """Between two pieces of long array work: inside :func:`paced`, raise LoadCancelled
    when the load was cancelled, else let a thread waiting for the interpreter lock run."""
    pace = getattr(_local, "pace", None)
    if pace is None:
        return
    control, name = pace
    if control is not None:
        control.check(name)
    time.sleep(0)


def row_pieces(a: np.ndarray, piece_bytes: int | None = None) -> int:
    """How many rows of ``a`` make a piece of about ``piece_bytes`` (default
    :data:`PIECE_BYTES`; at least one row)."""
    row = int(np.prod(a.shape[1:], dtype=np.int64)) * a.itemsize if a.ndim > 1 else a.itemsize
    return max(1, (piece_bytes or PIECE_BYTES) // max(1, row))


def take_rows(a: np.ndarray, index: np.ndarray, piece_bytes: int | None = None) -> np.ndarray:
    """``a[index]`` for an integer index array (negative indices count from the end),
    copied a piece of rows (:func:`row_pieces`) at a time with a :func:`pause` after each.
    Raises IndexError for an index out of range."""
    index = np.asarray(index)
    if index.size and (index.max() >= len(a) or index.min() < -len(a)):
        raise IndexError(f"row index out of range for {len(a)} rows")
    out = np.empty((len(index),) + a.shape[1:], dtype=a.dtype)
    step = row_pieces(a, piece_bytes)
    for start in range(0, len(index), step):
        # "wrap" (the indices are in range: it only turns -1 into the last row) copies
        # straight into ``out``; the default "raise" goes through a buffer of its size.
        np.take(a, index[start:start + step], axis=0, out=out[start:start + step],
                mode="wrap")
        pause()
    return out


def scratch(shape: tuple[int, ...], dtype: type | np.dtype) -> np.ndarray:
    """An uninitialised work array of ``shape`` and ``dtype`` held in an anonymous memory
    map, given back to the system when the array goes.

    Not from the C allocator on purpose: a block temporary of a few MB, once freed, raises
    glibc's threshold for memory maps to its size for the rest of the process, and every
    later allocation up to that size then stays in the heap when freed. The window training
    on the MNIST-sized CSV held 10 to 15 MB more after the normalization's 8 MB blocks
    (``benchmarks/bench_gui_data.py``, memory).
    """
    count = int(np.prod(shape, dtype=np.int64))
    buffer = mmap.mmap(-1, max(1, count * np.dtype(dtype).itemsize))
    return np.frombuffer(buffer, dtype=dtype, count=count).reshape(shape)
