"""The fast reader for all-numeric CSV files: NumPy's C ``loadtxt`` parses the lines that
:func:`~.files.text_lines` streams (bounded, cancellable, reporting progress) straight into
one array of the final dtype, with no Python object per cell.

It is tried when every cell of the file's head is a plain number. Anything it cannot read
exactly like the general reader (:mod:`.csv_table`) would — a text or missing cell, rows of
different lengths, a non-finite number — makes :func:`read_numeric` return None, and the
caller reads the file with the general reader, which accepts or reports it by line and
column. So both readers give the same data set for any file the fast one accepts.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..chunked import pause, scratch
from ..dataset import all_finite
from .csv_sniff import WHITESPACE, CsvLayout, is_missing, to_float
from .files import LoadControl, NotUtf8, text_lines

#: Rows moved per block when the feature columns are packed in place (about 4 MB).
_BLOCK_BYTES = 1 << 22


def head_is_numeric(layout: CsvLayout) -> bool:
    """Whether every cell of the head's data rows is a plain number (no thousands
    separator) and the rows are equally long (and as long as the header), and no
    missing-value marker is itself a number."""
    rows = layout.head_rows
    if not rows or any(to_float(m) is not None for m in layout.missing if m != "nan"):
        return False
    width = layout.width
    dc = layout.decimal_comma
    return all(len(r) == width and not any(
        is_missing(c, layout.missing) or to_float(c, dc) is None or (dc and "." in c)
        for c in r) for r in rows)


def read_numeric(path: Path, layout: CsvLayout, dtype: type = np.float32,
                 control: LoadControl | None = None) -> np.ndarray | None:
    """The data rows of ``path`` as an array ``(rows, columns)`` of ``dtype``, or None when
    the general reader must read the file (see the module doc)."""
    if not head_is_numeric(layout):
        return None
    width = layout.width
    encoding = layout.encoding
    while True:
        try:
            arr = _loadtxt(path, layout, encoding, dtype, control)
            break
        except NotUtf8:
            encoding = "latin-1"
        except ValueError:  # a cell that is not a number, or rows of different lengths
            return None
    if arr.shape[0] == 0 or arr.shape[1] != width or not all_finite(arr):
        return None
    return arr


def _loadtxt(path: Path, layout: CsvLayout, encoding: str, dtype: type,
             control: LoadControl | None) -> np.ndarray:
    replace = (",", ".") if layout.decimal_comma and layout.delimiter != "," else None
    chunks: Any = text_lines(path, control, encoding, replace=replace)
    try:
        lines = itertools.islice(itertools.chain.from_iterable(
            chunks if not layout.comment else _blank_comments(chunks, layout.comment)),
            layout.data_start, None)
        whitespace = layout.delimiter == WHITESPACE
        return np.loadtxt(lines, delimiter=None if whitespace else layout.delimiter,
                          comments=None, quotechar=None if whitespace else '"', dtype=dtype,
                          ndmin=2)
    finally:
        chunks.close()


def _blank_comments(chunks: Iterator[list[str]], comment: str) -> Iterator[list[str]]:
    """Comment lines made empty (loadtxt skips empty lines; line numbers hold)."""
    for chunk in chunks:
        yield ["" if ln.lstrip().startswith(comment) else ln for ln in chunk]


def pack_columns(arr: np.ndarray, cols: list[int]) -> np.ndarray:
    """``arr[:, cols]`` (C-contiguous) in ``arr``'s own memory: rows are moved down in
    blocks, so no second array of the data's size is made. ``arr`` is overwritten; take
    everything else needed from it first."""
    n, w = arr.shape
    k = len(cols)
    if cols == list(range(w)):
        return arr
    flat = arr.reshape(-1)
    step = max(1, _BLOCK_BYTES // max(1, w * arr.itemsize))
    index = np.asarray(cols)
    work = scratch((min(step, n), k), arr.dtype)
    for a in range(0, n, step):
        b = min(n, a + step)
        # The block is copied out before it is written back: the destination starts at or
        # before the source (k <= w), so later blocks are never overwritten. ("wrap": the
        # columns are in range; the default "raise" copies through one more buffer.)
        block = np.take(arr[a:b], index, axis=1, out=work[:b - a], mode="wrap")
        flat[a * k:b * k] = block.reshape(-1)
        pause()
    return flat[:n * k].reshape(n, k)
