"""Reading user files for the format loaders: existence checks, the first bytes, text read
as a stream of lines, and :class:`LoadControl` (cancel a load, follow its progress).

Every failure is a :class:`~nncore.errors.DataError` naming the file, never an ``OSError``
traceback. Only regular files are read (a FIFO, a device or a link to one is refused by
:func:`nncore.readers.regular_file`), and text is read up to :func:`nncore.readers.
data_limit` bytes, compressed or not (a gzip "bomb" stops at the limit).

Text is decoded as UTF-8 (a byte-order mark dropped), UTF-16 when a UTF-16 byte-order mark
starts the file, else Latin-1; line ends (``\\n``, ``\\r\\n``, ``\\r``) all count as one
line end. :func:`text_lines` yields the lines chunk by chunk (a list per 64 kB read), so a
reader never holds the whole file as text unless it wants to.
"""

from __future__ import annotations

import codecs
import gzip
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from nncore.errors import DataError
from nncore.readers import data_limit, regular_file, too_large

PathLike = str | os.PathLike[str]

GZIP_MAGIC = b"\x1f\x8b"
#: Bytes read per step of a streamed read (cancel is checked and progress reported per step).
#: Small enough that a window loading on another thread gets the interpreter lock back
#: often: NumPy's ``loadtxt`` holds it while it parses a step's lines (a 1 MB step stalled
#: the window's event loop for up to 1.7 s on a busy machine; 64 kB: under 0.2 s).
CHUNK_BYTES = 1 << 16
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be"))


class LoadCancelled(DataError):
    """A load stopped because its :class:`LoadControl` was cancelled."""


@dataclass
class LoadControl:
    """Lets another thread cancel a load and follow it: ``cancel`` (set it to stop the load,
    which then raises :class:`LoadCancelled`) and ``progress(done, total)``, called from the
    loading thread as the bytes of the file are read (``total`` is the file's size on disk;
    for a gzip file both count compressed bytes)."""

    cancel: threading.Event = field(default_factory=threading.Event)
    progress: Callable[[int, int], None] | None = None

    def check(self, name: str) -> None:
        """Raise :class:`LoadCancelled` when the load was cancelled."""
        if self.cancel.is_set():
            raise LoadCancelled(f"{name}: loading was cancelled")

    def report(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(done, total)
        # Between chunks, hand the interpreter lock to a thread waiting for it (a window's
        # event loop): otherwise it waits up to a switch interval for every Python call it
        # makes while painting, and a repaint took over a second during a big load.
        time.sleep(0)


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


def _chunks(path: Path, control: LoadControl | None, limit: int) -> Iterator[bytes]:
    """The file's bytes (gunzipped if compressed) in chunks of about CHUNK_BYTES, at most
    ``limit`` of them; checks ``control`` before each chunk and reports after it."""
    gz = is_gzip(path)
    total = path.stat().st_size
    if not gz and total > limit:
        raise DataError(too_large(path, total, limit, "the text"))
    raw = open(path, "rb")  # closed below, also when a consumer stops early
    f: BinaryIO = gzip.GzipFile(fileobj=raw, mode="rb") if gz else raw
    count = 0
    try:
        while True:
            if control is not None:
                control.check(path.name)
            chunk = f.read(CHUNK_BYTES)
            if not chunk:
                return
            count += len(chunk)
            if count > limit:
                raise DataError(too_large(path, count, limit,
                                          "the decompressed text" if gz else "the text"))
            if control is not None:
                control.report(raw.tell(), total)
            yield chunk
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DataError(f"cannot read {path.name}: {exc}") from None
    finally:
        f.close()
        raw.close()


def text_encoding(head: bytes) -> str:
    """The encoding of a text file starting with ``head``: from its byte-order mark, else
    UTF-8 when the head decodes as UTF-8 (a character cut at the end allowed), else
    Latin-1."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "latin-1"
    return "utf-8"


class NotUtf8(Exception):
    """Raised by :func:`text_lines` when text thought UTF-8 is not: read again as Latin-1."""


def text_lines(path: Path, control: LoadControl | None, encoding: str,
               keepends: bool = False, replace: tuple[str, str] | None = None
               ) -> Iterator[list[str]]:
    """The lines of a text file, a list per chunk read (line ends removed, or ``"\\n"``
    with ``keepends``), decoded with ``encoding`` (see :func:`file_encoding`). A byte-order mark
    is dropped; binary data is a DataError; :class:`NotUtf8` when UTF-8 text turns out not
    to be UTF-8 after the first chunk (the caller reads again with ``'latin-1'``).
    ``replace=(old, new)`` replaces a character throughout (a decimal comma by a point)."""
    limit = data_limit()
    decoder = None
    carry = ""
    end = "\n" if keepends else ""
    for raw in _chunks(path, control, limit):
        if decoder is None:
            if not encoding.startswith("utf-16") and b"\x00" in raw[:4096]:
                raise DataError(f"{path.name} is not a text file (it contains binary data)")
            decoder = codecs.getincrementaldecoder(encoding)()
            raw = _drop_bom(raw, encoding)
        try:
            text = carry + decoder.decode(raw)
        except UnicodeDecodeError:
            raise NotUtf8() from None
        held = text.endswith("\r")  # may be the first half of "\r\n"
        if held:
            text = text[:-1]
        if replace is not None:
            text = text.replace(*replace)
        parts = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        carry = parts.pop() + ("\r" if held else "")
        yield [p + end for p in parts] if keepends else parts
    if decoder is not None:
        try:
            carry += decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise NotUtf8() from None
    carry = carry.replace("\r\n", "\n").replace("\r", "\n")
    if replace is not None:
        carry = carry.replace(*replace)
    if carry:
        last = carry.split("\n")
        yield [p + end for p in last if p] if keepends else [p for p in last if p]


def _drop_bom(raw: bytes, encoding: str) -> bytes:
    for bom, name in _BOMS:
        if name == encoding and raw.startswith(bom):
            return raw[len(bom):]
    return raw


def head_bytes(path: Path) -> bytes:
    """The first chunk of the file's bytes (gunzipped if compressed)."""
    chunks = _chunks(path, None, data_limit())
    try:
        return next(chunks, b"")
    finally:
        chunks.close()


def file_encoding(path: Path) -> str:
    """The encoding of a text file, judged from its first chunk (see :func:`text_encoding`)."""
    return text_encoding(head_bytes(path))


def read_lines(path: Path, control: LoadControl | None = None, keepends: bool = False,
               max_lines: int | None = None) -> tuple[list[str], str]:
    """The lines of a text file (at most ``max_lines``: the head of the file) and the
    encoding they were decoded with (see :func:`text_lines`)."""
    encoding = file_encoding(path)
    while True:
        lines: list[str] = []
        try:
            for chunk in text_lines(path, control, encoding, keepends):
                lines.extend(chunk)
                if max_lines is not None and len(lines) >= max_lines:
                    del lines[max_lines:]
                    break
            return lines, encoding
        except NotUtf8:
            encoding = "latin-1"


def read_text(path: Path, control: LoadControl | None = None) -> str:
    """The whole file as text: gunzipped if compressed, decoded (see :func:`text_lines`),
    line ends as ``"\\n"``."""
    lines, _ = read_lines(path, control, keepends=True)
    return "".join(lines)
