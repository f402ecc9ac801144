"""Reading the files a user hands the program, safely: what any input file goes through
before its format's own parser sees it.

- Only regular files are read: a folder, a FIFO (opening one blocks until a writer comes),
  a device (``/dev/zero`` never ends, ``/dev/urandom`` neither), a socket or a symbolic
  link loop is refused up front with a message naming the file (:func:`regular_file`).
- Reads are bounded: a file larger than its kind can be is refused from its size before it
  is read (:func:`read_bounded`).
- JSON is parsed without surprises: no NaN/Infinity constants, no nesting so deep that the
  parser recurses out of stack, no text that cannot be written back (a lone surrogate such
  as ``"\\ud800"`` decodes to a ``str`` that no UTF-8 file or terminal accepts)
  (:func:`parse_json`).
- NumPy archives (``.npz``) and arrays (``.npy``) are checked from their headers before any
  data is read: every archive member must be an array, no array may declare more bytes than
  its file holds (a damaged or crafted header would otherwise make NumPy allocate it), the
  declared total is bounded, and nothing is ever unpickled (:func:`read_npz`,
  :func:`read_npy`).

Every function takes the error class to raise (``FormatError`` for project and weights
files, ``DataError`` for data) and names the file in its message.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np

from nncore.errors import NetCanvasError

ErrorClass = type[NetCanvasError]

#: Deepest nesting of JSON values accepted (a project file nests about 6 deep).
MAX_JSON_DEPTH = 64
#: Share of the memory available now that one data file may take once read: the data is
#: copied at least once more on its way to training (parsing, float32, splits).
DATA_MEMORY_SHARE = 0.5
#: Data limit when the available memory cannot be read (not Linux).
DEFAULT_DATA_LIMIT = 8 * 1024**3

_NPY_MAGIC = b"\x93NUMPY"


# -- files ------------------------------------------------------------------------------

def regular_file(path: str | os.PathLike, what: str, error: ErrorClass) -> Path:
    """``path`` if it names an existing regular file (symbolic links followed); otherwise
    ``error`` saying what it is instead (missing, a folder, a FIFO, a device, a loop)."""
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise error(f"{p}: {what} not found") from None
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise error(f"{p}: a loop of symbolic links; cannot read the {what}") from None
        raise error(f"{p}: cannot read the {what} ({e.strerror or e})") from None
    mode = st.st_mode
    if stat.S_ISREG(mode):
        return p
    if stat.S_ISDIR(mode):
        raise error(f"{p}: is a folder, not a {what}")
    kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(mode) else
            "a character device" if stat.S_ISCHR(mode) else
            "a block device" if stat.S_ISBLK(mode) else
            "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
    raise error(f"{p}: is {kind}, not a regular file; cannot read it as a {what}")


def file_size(path: Path, what: str, error: ErrorClass, max_bytes: int | None = None) -> int:
    """The size of ``path``; with ``max_bytes``, refused (``error``) when larger."""
    try:
        size = os.stat(path).st_size
    except OSError as e:
        raise error(f"{path}: cannot read the {what} ({e.strerror or e})") from None
    if max_bytes is not None and size > max_bytes:
        raise error(f"{path}: {size:,} bytes is too large for a {what} (at most "
                    f"{max_bytes:,})")
    return size


def read_bounded(path: str | os.PathLike, what: str, error: ErrorClass,
                 max_bytes: int) -> bytes:
    """The bytes of a regular file of at most ``max_bytes`` (refused from its size first;
    read with a bound too, in case it grows meanwhile)."""
    p = regular_file(path, what, error)
    file_size(p, what, error, max_bytes)
    try:
        with open(p, "rb") as f:
            data = f.read(max_bytes + 1)
    except OSError as e:
        raise error(f"{p}: cannot read the {what} ({e.strerror or e})") from None
    if len(data) > max_bytes:
        raise error(f"{p}: grew beyond {max_bytes:,} bytes while being read")
    return data


def memory_available() -> int | None:
    """Bytes of memory available to new allocations now (Linux ``MemAvailable``), or
    None when the system does not say."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def data_limit() -> int:
    """Most bytes one data file may hold once read: a share of the memory available now,
    so a file too large for this machine is refused before it is read, by name, instead
    of ending in the kernel's out-of-memory killer."""
    available = memory_available()
    return DEFAULT_DATA_LIMIT if available is None else int(available * DATA_MEMORY_SHARE)


def too_large(path: Path, nbytes: int, limit: int, what: str) -> str:
    """The message for data of ``nbytes`` over ``limit``."""
    return (f"{path}: {what} needs {nbytes / 1e9:,.2f} GB in memory, more than the "
            f"{limit / 1e9:,.2f} GB this machine can spare now; use a smaller file")


# -- JSON -------------------------------------------------------------------------------

def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed")


def parse_json(text: str, where: str, error: ErrorClass) -> Any:
    """Parse JSON text strictly; ``where`` prefixes messages (a file, or ``W.npz: __meta__``).
    Refuses NaN/Infinity, numbers of absurd length, nesting deeper than MAX_JSON_DEPTH and
    lone surrogates in any string (naming the JSON path of the first one)."""
    if _max_depth(text) > MAX_JSON_DEPTH:
        raise error(f"{where}: the JSON is nested too deeply (more than {MAX_JSON_DEPTH} "
                    "levels)")
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        raise error(f"{where}: not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}"
                    ) from None
    except RecursionError:  # unreachable after the depth check; kept as the last guard
        raise error(f"{where}: the JSON is nested too deeply") from None
    except ValueError as e:
        if "digits" in str(e):  # int() refuses numbers of more than 4300 digits
            raise error(f"{where}: not valid JSON: a number has too many digits") from None
        raise error(f"{where}: not valid JSON: {e}") from None
    bad = first_unencodable(value)
    if bad is not None:
        raise error(f"{where}: {bad or 'the value'}: holds a lone surrogate ('\\ud800' to "
                    "'\\udfff' on its own), which is not a character; fix the text")
    return value


def _max_depth(text: str) -> int:
    """Deepest bracket nesting of JSON text, ignoring brackets inside strings."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_JSON_DEPTH:
                    return deepest
        elif ch in "]}":
            depth -= 1
    return deepest


def first_unencodable(value: Any, path: str = "") -> str | None:
    """JSON path (``network.nodes[1].id``; ``""`` for the value itself) of the first string,
    key or value, that UTF-8 cannot encode (a lone surrogate), or None."""
    for where, text in _strings(value, path):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return where
    return None


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            sub = f"{path}.{k}" if path else str(k)
            if isinstance(k, str):
                yield (path or "the keys"), k
            yield from _strings(v, sub)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{path}[{i}]")


# -- NumPy arrays and archives ----------------------------------------------------------

def _npy_header(f: IO[bytes], name: str, error: ErrorClass) -> tuple[tuple, np.dtype]:
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, _order, dtype = np.lib.format.read_array_header_1_0(f)
        elif version in ((2, 0), (3, 0)):
            shape, _order, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise ValueError(f"unknown .npy version {version}")
    except ValueError as e:
        raise error(f"{name} has a bad header ({e})") from None
    if dtype.hasobject:
        raise error(f"{name} holds Python objects (dtype={dtype}); only numbers and text can "
                    "be read (nothing is unpickled)")
    return shape, dtype


def _declared_bytes(shape: tuple, dtype: np.dtype) -> int:
    return int(np.prod(shape, dtype=object)) * dtype.itemsize


def read_npz(path: str | os.PathLike, what: str, error: ErrorClass, max_bytes: int,
             keep: Callable[[str, tuple, np.dtype], bool] | None = None,
             format_name: str = "") -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` archive, checked from the headers before any is read:
    every member an ``.npy`` array, none declaring more bytes than the archive stores for
    it (uncompressed), at most ``max_bytes`` declared in total. ``keep(name, shape,
    dtype)`` may skip arrays (or raise) from their headers alone, so an unwanted array is
    never decompressed. ``format_name`` names the expected format when the file is not
    an archive at all (default: ``what``)."""
    p = regular_file(path, what, error)
    if file_size(p, what, error) == 0:
        raise error(f"{p}: the file is empty (not a {what})")
    if not zipfile.is_zipfile(p):
        raise error(f"{p}: not a {format_name or what} (expected an .npz archive)")
    try:
        with zipfile.ZipFile(p) as zf:
            members = _checked_members(zf, p, error, max_bytes)
            out: dict[str, np.ndarray] = {}
            for info, name, shape, dtype in members:
                if keep is not None and not keep(name, shape, dtype):
                    continue
                with zf.open(info) as f:
                    out[name] = np.lib.format.read_array(f, allow_pickle=False)
            return out
    except NetCanvasError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zipfile.LargeZipFile,
            NotImplementedError) as e:
        raise error(f"{p}: damaged archive ({e})") from None


def _checked_members(zf: zipfile.ZipFile, p: Path, error: ErrorClass,
                     max_bytes: int) -> list[tuple[zipfile.ZipInfo, str, tuple, np.dtype]]:
    members = []
    total = 0
    for info in zf.infolist():
        if info.is_dir():
            continue
        if not info.filename.endswith(".npy"):
            raise error(f"{p}: member {info.filename!r} is not a NumPy array (.npy); an "
                        ".npz archive of NetCanvas holds arrays only")
        name = info.filename[:-4]
        total += info.file_size
        if total > max_bytes:
            raise error(f"{p}: the arrays total more than {max_bytes:,} bytes; too large")
        with zf.open(info) as f:
            shape, dtype = _npy_header(f, f"{p}: array {name!r}", error)
        nbytes = _declared_bytes(shape, dtype)
        if nbytes > info.file_size:
            raise error(f"{p}: array {name!r} declares shape {shape} ({nbytes:,} bytes) but "
                        f"the archive holds {info.file_size:,}; the file is damaged")
        members.append((info, name, shape, dtype))
    return members


def read_npy(path: str | os.PathLike, what: str, error: ErrorClass,
             max_bytes: int) -> np.ndarray:
    """One ``.npy`` array, its header checked against the file's size first."""
    p = regular_file(path, what, error)
    size = file_size(p, what, error, max_bytes)
    try:
        with open(p, "rb") as f:
            if f.read(len(_NPY_MAGIC)) != _NPY_MAGIC:
                raise error(f"{p}: not a NumPy .npy file")
            f.seek(0)
            shape, dtype = _npy_header(f, f"{p}", error)
            header_end = f.tell()
            nbytes = _declared_bytes(shape, dtype)
            if nbytes > size - header_end:
                raise error(f"{p}: declares shape {shape} ({nbytes:,} bytes) but the file "
                            f"holds {size - header_end:,}; the file is damaged")
            f.seek(0)
            return np.lib.format.read_array(f, allow_pickle=False)
    except NetCanvasError:
        raise
    except (ValueError, OSError, EOFError) as e:
        raise error(f"{p}: unreadable array ({e})") from None


def is_number(v: Any) -> bool:
    """An int or float from parsed JSON (``true``/``false`` are not numbers)."""
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def short_value(v: Any) -> str:
    """How an error message quotes a value from a file: JSON (a text in quotes), cut to 60
    characters."""
    r = json.dumps(v) if not isinstance(v, str) else repr(v)
    return r if len(r) <= 60 else r[:57] + "..."
