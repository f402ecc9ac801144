"""Atomic file writes: a temporary file in the target's folder, then ``os.replace``.

The target is either untouched or complete, never half-written, whatever happens during
the write (an exception, a full disk, the process being killed).
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

from nncore.errors import ParameterError

_UMASK_LOCK = threading.Lock()


def atomic_write_bytes(path: str | os.PathLike, data: bytes, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` atomically. ``mode``: the file's permissions; by default
    an existing file keeps its own and a new one gets 0666 less the umask (``mkstemp``
    alone would leave 0600)."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise ParameterError(f"cannot write {str(path)!r}: folder {str(parent)!r} does not "
                             "exist")
    final_mode = _new_file_mode(path) if mode is None else mode
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, final_mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def atomic_write_text(path: str | os.PathLike, text: str, mode: int | None = None) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), mode)


def _new_file_mode(path: Path) -> int:
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    """The process umask. Read from /proc on Linux: ``os.umask`` can only query it by
    setting it, which for an instant would let files created by other threads (the window
    trains and autosaves in the background) get the wrong permissions."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:
        umask = os.umask(0o077)  # never more permissive than the real mask while probing
        os.umask(umask)
    return umask
