"""MNIST IDX files: :func:`read_idx` (one file), :func:`load_idx` (an images file and its
labels file) and the IDX :class:`~.data_format.DataFormat`.

Layout: two zero bytes, a type code (0x08 ubyte, 0x09 byte, 0x0B int16, 0x0C int32,
0x0D float32, 0x0E float64), the number of dimensions, one big-endian uint32 per
dimension, then the data, big-endian, row-major. Gzip is recognised by its magic bytes.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
from pathlib import Path
from typing import BinaryIO

import numpy as np

from nncore.errors import DataError
from nncore.params import Param

from ..dataset import Dataset, all_finite
from .data_format import DataFormat, OpenParam
from .files import LoadControl, PathLike, existing_file, is_gzip

IDX_TYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
             0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def _read_upto(f: BinaryIO, n: int, name: str, control: LoadControl | None = None,
               raw: BinaryIO | None = None, total: int = 0) -> bytearray:
    """Read at most ``n`` bytes in chunks (never allocates ``n`` bytes up front), checking
    ``control`` and reporting the position in ``raw`` (the file on disk) per chunk."""
    buf = bytearray()
    while len(buf) < n:
        if control is not None:
            control.check(name)
        chunk = f.read(min(1 << 20, n - len(buf)))
        if not chunk:
            break
        buf += chunk
        if control is not None and raw is not None:
            control.report(raw.tell(), total)
    return buf


def _read_header(f: BinaryIO, file: str) -> tuple[np.dtype, tuple[int, ...]]:
    """The data type and dimensions from an IDX header (``f`` is left after it)."""
    head = f.read(4)
    if len(head) < 4:
        raise DataError(f"{file} is too short to be an IDX file ({len(head)} bytes)")
    if head[0] != 0 or head[1] != 0:
        raise DataError(f"{file}: bad IDX magic number 0x{head.hex().upper()} "
                        f"(an IDX file starts with two zero bytes)")
    code, ndim = head[2], head[3]
    if code not in IDX_TYPES:
        raise DataError(f"{file}: unknown IDX data type code 0x{code:02X} (expected "
                        f"one of 08, 09, 0B, 0C, 0D, 0E)")
    if ndim == 0:
        raise DataError(f"{file}: IDX header declares 0 dimensions")
    raw_dims = f.read(4 * ndim)
    if len(raw_dims) < 4 * ndim:
        raise DataError(f"{file}: truncated IDX header (expected {ndim} dimension "
                        f"sizes)")
    return IDX_TYPES[code], struct.unpack(f">{ndim}I", raw_dims)


def read_idx(path: PathLike, control: LoadControl | None = None) -> np.ndarray:
    """Read one IDX file (plain or gzip-compressed) into an array of its native dtype."""
    p = existing_file(path)
    gz = is_gzip(p)
    try:
        with open(p, "rb") as raw:
            f: BinaryIO = gzip.GzipFile(fileobj=raw, mode="rb") if gz else raw
            dtype, dims = _read_header(f, p.name)
            nbytes = math.prod(dims) * dtype.itemsize
            data = _read_upto(f, nbytes + 1, p.name, control, raw,
                              os.fstat(raw.fileno()).st_size)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DataError(f"cannot read {p.name}: {exc}") from None
    if len(data) < nbytes:
        raise DataError(f"{p.name}: truncated IDX data: the header declares dimensions "
                        f"{dims} ({nbytes} bytes) but only {len(data)} bytes follow")
    if len(data) > nbytes:
        raise DataError(f"{p.name}: unexpected bytes after the IDX data (the header declares "
                        f"dimensions {dims}, {nbytes} bytes)")
    return np.frombuffer(data, dtype=dtype).reshape(dims).astype(dtype.newbyteorder("="),
                                                                copy=False)


def load_idx(images_path: PathLike, labels_path: PathLike, scale: bool = True,
             control: LoadControl | None = None) -> Dataset:
    """Load an MNIST-style pair of IDX files (plain or ``.gz``).

    The images file must have 3 dimensions ``(n, H, W)``; images become ``float32``
    ``(n, 1, H, W)``, divided by 255 when stored as unsigned bytes and ``scale`` is true.
    The labels file must be 1-D integers with ``n`` entries; class ``k`` is named ``'k'``.
    """
    images = read_idx(images_path, control)
    labels = read_idx(labels_path, control)
    iname, lname = Path(images_path).name, Path(labels_path).name
    _check_pair(images, labels, iname, lname)
    X = images.astype(np.float32)[:, None, :, :]
    if scale and images.dtype == np.uint8:
        X /= 255.0
    if not all_finite(X):
        raise DataError(f"{iname}: contains non-finite values")
    n_classes = int(labels.max()) + 1
    name = iname.split(".")[0].split("-")[0]
    return Dataset(X=X, y=labels.astype(np.int64), task="classification",
                   class_names=[str(k) for k in range(n_classes)], name=name,
                   description=f"{iname} / {lname}: {len(X)} images of "
                               f"{images.shape[1]}x{images.shape[2]}",
                   meta={"source": str(images_path), "labels_source": str(labels_path)})


def _check_pair(images: np.ndarray, labels: np.ndarray, iname: str, lname: str) -> None:
    """Images ``(n, H, W)`` and ``n`` non-negative integer labels."""
    if images.ndim != 3:
        raise DataError(f"{iname}: expected 3 dimensions (images, rows, columns), got "
                        f"{images.ndim} with sizes {images.shape}")
    if labels.ndim != 1:
        raise DataError(f"{lname}: expected a 1-D labels file, got {labels.ndim} dimensions "
                        f"with sizes {labels.shape}")
    if labels.dtype.kind not in "iu":
        raise DataError(f"{lname}: labels must be integers, got {labels.dtype}")
    if len(images) != len(labels):
        raise DataError(f"{iname} holds {len(images)} images but {lname} holds "
                        f"{len(labels)} labels")
    if len(labels) == 0:
        raise DataError(f"{iname} holds no images")
    if labels.min() < 0:
        i = int(np.argmin(labels))
        raise DataError(f"{lname}: label {int(labels[i])} at index {i} is negative")


def load_idx_images(path: PathLike, labels_path: PathLike | None = None,
                    scale: bool = True, control: LoadControl | None = None) -> Dataset:
    """:func:`load_idx` for :func:`~.registry.load_data`, where the labels file is an option
    that must be given."""
    if labels_path is None:
        raise DataError(f"{Path(path).name} is an IDX images file: also give its labels file "
                        f"(labels_path=...)")
    return load_idx(path, labels_path, scale, control)


OPTIONS: tuple[Param, ...] = (
    OpenParam("labels_path", "str", None, "The IDX file holding the labels of the images.",
              optional=True, accepts=(str, os.PathLike),
              expects="a path"),
    Param("scale", "bool", True, "Divide byte pixel values by 255, to lie between 0 and 1."),
)

IDX = DataFormat(name="idx", title="IDX files", load=load_idx_images, options=OPTIONS,
                 suffixes=("-ubyte", "-ubyte.gz"), name_parts=(".idx", "-idx"),
                 magic=tuple(bytes([0, 0, code]) for code in IDX_TYPES))
