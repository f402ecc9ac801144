"""Reading user files for the format loaders: existence checks, the first bytes, whole text.

Every failure is a :class:`~nncore.errors.DataError` naming the file, never an ``OSError``
traceback. Only regular files are read (a FIFO, a device or a link to one is refused by
:func:`nncore.readers.regular_file`), and text is read up to :func:`nncore.readers.
data_limit` bytes, compressed or not (a gzip "bomb" stops at the limit).
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

from nncore.errors import DataError
from nncore.readers import data_limit, regular_file, too_large

PathLike = str | os.PathLike[str]

GZIP_MAGIC = b"\x1f\x8b"


def existing_file(path: PathLike) -> Path:
    """``path`` as a :class:`Path`, which must exist and not be a folder."""
    p = Path(path)
    if not os.path.lexists(p):
        raise DataError(f"file not found: {p}")
    if p.is_dir():
        raise DataError(f"{p} is a folder, expected a file")
    return regular_file(p, "data file", DataError)


def read_head(path: Path, n: int = 8) -> bytes:
    """The first ``n`` bytes of the file as stored (fewer if it is shorter)."""
    try:
        with open(path, "rb") as f:
            return f.read(n)
    except OSError as exc:
        raise DataError(f"cannot read {path.name}: {exc.strerror or exc}") from None


def is_gzip(path: Path) -> bool:
    """Whether the file is gzip-compressed (judged by its magic bytes, not its name)."""
    return read_head(path, 2) == GZIP_MAGIC


def read_text(path: Path) -> str:
    """The whole file as text: gunzipped if compressed, UTF-8 (BOM dropped) or Latin-1."""
    raw: bytes
    limit = data_limit()
    try:
        if is_gzip(path):
            with gzip.open(path, "rb") as f:
                raw = f.read(limit + 1)
            if len(raw) > limit:
                raise DataError(too_large(path, len(raw), limit, "the decompressed text"))
        else:
            size = path.stat().st_size
            if size > limit:
                raise DataError(too_large(path, size, limit, "the text"))
            raw = path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DataError(f"cannot read {path.name}: {exc}") from None
    if b"\x00" in raw[:4096]:
        raise DataError(f"{path.name} is not a text file (it contains binary data)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")
