"""The data formats and :func:`load_data`, which picks one for a path and validates the
options against its schema.

Formats are tried in the order of :data:`FORMATS`: a folder is an image folder; a file is
the first format whose name rules (suffixes, name parts) match; a file whose name no format
claims is the first format whose magic bytes its first bytes match.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nncore.errors import DataError, ParameterError
from nncore.params import coerce_all

from ..dataset import Dataset
from .csv_files import CSV
from .data_format import DataFormat
from .excel import EXCEL
from .files import LoadControl, PathLike, read_head
from .idx import IDX
from .image_folder import IMAGE_FOLDER
from .numpy_files import NUMPY

#: Every data format, in the order they are tried.
FORMATS: tuple[DataFormat, ...] = (IMAGE_FOLDER, CSV, EXCEL, NUMPY, IDX)
_HEAD_BYTES = 8


def data_format(name: str) -> DataFormat:
    """The format called ``name`` (``'csv'``, ``'numpy'``, ``'idx'``, ``'image_folder'``)."""
    for fmt in FORMATS:
        if fmt.name == name:
            return fmt
    raise KeyError(name)


def format_for(path: PathLike) -> DataFormat:
    """The format that reads ``path`` (an existing file or folder), or a DataError."""
    p = Path(path)
    if p.is_dir():
        return next(fmt for fmt in FORMATS if fmt.folder)
    for fmt in FORMATS:
        if fmt.matches_name(p.name):
            return fmt
    head = read_head(p, _HEAD_BYTES)
    for fmt in FORMATS:
        if fmt.matches_head(head):
            return fmt
    raise DataError(f"{p.name}: unsupported data file type; supported: a folder of images, "
                    f".csv/.tsv/.txt/.dat/.data (optionally .gz), .xlsx, .npz, MNIST IDX files")


def check_options(fmt: DataFormat, options: dict[str, Any], owner: str) -> dict[str, Any]:
    """``options`` validated against ``fmt.options``, with defaults for those not given.

    An option the format does not have, or a bad value, is a DataError (``owner``, usually
    the file name, starts a bad value's message).
    """
    allowed = [p.name for p in fmt.options]
    unknown = [k for k in options if k not in allowed]
    if unknown:
        raise DataError(f"option(s) {', '.join(repr(k) for k in unknown)} do not apply to "
                        f"{fmt.title}; valid options: {', '.join(allowed)}")
    try:
        return coerce_all(fmt.options, options, owner)
    except ParameterError as e:
        raise DataError(str(e)) from None


def load_data(path: PathLike, control: LoadControl | None = None, **options: Any) -> Dataset:
    """Load a data set, choosing the format from the path (see :data:`FORMATS`).

    * a folder: :func:`~.image_folder.load_image_folder`;
    * ``.csv``, ``.tsv``, ``.txt``, ``.dat``, ``.data`` (optionally ``.gz``):
      :func:`~.csv_files.load_csv`;
    * ``.xlsx``: :func:`~.excel.load_excel`;
    * ``.npz`` (and ``.npy``, which explains it needs labels):
      :func:`~.numpy_files.load_numpy`;
    * IDX files (``*-ubyte``, ``*.idx*``, optionally ``.gz``): :func:`~.idx.load_idx`, with
      the labels file given as ``labels_path=...``.

    ``options`` are the chosen format's (``DataFormat.options``); an option of another
    format is a DataError naming it and listing the valid ones. ``control``
    (:class:`~.files.LoadControl`) lets another thread cancel the load (it then raises
    :class:`~.files.LoadCancelled`) and follow its progress in bytes read.
    """
    p = Path(path)
    if not p.exists():
        raise DataError(f"file or folder not found: {p}")
    fmt = format_for(p)
    return fmt.load(p, control=control, **check_options(fmt, options, p.name))
