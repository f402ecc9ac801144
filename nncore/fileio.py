"""Writing files so that nothing is ever half-written or half-replaced.

- :func:`atomic_write_bytes`: a temporary file in the target's folder, then ``os.replace``.
  The target is either untouched or complete, whatever happens during the write (an
  exception, a full disk, the process being killed).
- :class:`OutputSet`: several files that belong together (a run's weights and metrics, a
  script and its weights) are written as one: every file is staged first; only when all
  are staged are they moved into place. A failure while staging leaves every target as it
  was. The moves themselves take microseconds; a kill between two of them is rolled back
  from a journal (the old files are kept as hard links until the set is complete) by the
  next write into that folder, so the set is all new or all old.
- Temporaries are named ``.<target>.<pid>-<random>.tmp``: a kill during a write leaves one
  behind, and the next write into that folder removes those whose process is gone
  (:func:`clean_stale_temporaries`).
- A write that fails names the file it was writing (``No space left on device``, ``File
  too large`` with ``ulimit -f``).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import threading
import time
from pathlib import Path

from nncore.errors import ParameterError

_UMASK_LOCK = threading.Lock()
_TMP = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)-[0-9a-f]{8}\.(?:tmp|old)$")
#: Temporaries of versions that did not put the process id in the name (mkstemp's random
#: 8 characters): removed once they are this old (seconds).
_LEGACY_TMP = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")
LEGACY_TMP_AGE = 3600.0
_JOURNAL = re.compile(r"^\.netcanvas-commit\.(?P<pid>\d+)-[0-9a-f]{8}\.json$")


def atomic_write_bytes(path: str | os.PathLike, data: bytes, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` atomically. ``mode``: the file's permissions; by default
    an existing file keeps its own and a new one gets 0666 less the umask."""
    out = OutputSet()
    out.add_bytes(path, data, mode)
    out.commit()


def atomic_write_text(path: str | os.PathLike, text: str, mode: int | None = None) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), mode)


class OutputSet:
    """Files written together: ``add_*`` stages each (a complete temporary file beside its
    target), ``commit`` moves them all into place; ``discard`` (or an exception in
    ``add_*``) removes what was staged and leaves every target as it was."""

    def __init__(self) -> None:
        self._staged: list[tuple[Path, Path]] = []  # (target, temporary)

    def __enter__(self) -> OutputSet:
        return self

    def __exit__(self, typ: object, exc: object, tb: object) -> None:
        if exc is not None or self._staged:
            self.discard()

    def add_text(self, path: str | os.PathLike, text: str, mode: int | None = None) -> None:
        self.add_bytes(path, text.encode("utf-8"), mode)

    def add_bytes(self, path: str | os.PathLike, data: bytes, mode: int | None = None) -> None:
        target = Path(path)
        parent = target.parent if str(target.parent) else Path(".")
        if not parent.is_dir():
            raise ParameterError(f"cannot write {str(target)!r}: folder {str(parent)!r} does "
                                 "not exist")
        clean_stale_temporaries(parent)
        final_mode = _new_file_mode(target) if mode is None else mode
        tmp = _temporary_name(target, "tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, final_mode)
        except OSError as e:
            _unlink(tmp)
            raise _naming(e, target) from None
        except BaseException:
            _unlink(tmp)
            raise
        self._staged.append((target, tmp))

    def discard(self) -> None:
        for _target, tmp in self._staged:
            _unlink(tmp)
        self._staged = []

    def commit(self) -> None:
        """Move every staged file into place: all of them, or (on an error) none."""
        staged, self._staged = self._staged, []
        if not staged:
            return
        if len(staged) == 1:  # one file: os.replace alone is atomic
            target, tmp = staged[0]
            try:
                os.replace(tmp, target)
            except OSError as e:
                _unlink(tmp)
                raise _naming(e, target) from None
            return
        _commit_journaled(staged)


def _commit_journaled(staged: list[tuple[Path, Path]]) -> None:
    entries = []
    for target, tmp in staged:
        backup = None
        if target.exists():
            backup = _temporary_name(target, "old")
            try:
                os.link(target, backup)
            except OSError:  # no hard links here: a copy serves as the backup
                backup.write_bytes(target.read_bytes())
        entries.append({"target": str(target), "tmp": str(tmp),
                        "backup": None if backup is None else str(backup)})
    journal = staged[0][0].parent / (f".netcanvas-commit.{os.getpid()}-"
                                     f"{secrets.token_hex(4)}.json")
    journal.write_text(json.dumps(entries), encoding="utf-8")
    done = 0
    try:
        for target, tmp in staged:
            os.replace(tmp, target)
            done += 1
    except BaseException as e:
        _roll_back(entries[:done])
        for _target, tmp in staged[done:]:
            _unlink(tmp)
        _unlink(journal)
        if isinstance(e, OSError):
            raise _naming(e, staged[done][0]) from None
        raise
    _unlink(journal)  # the commit point: from here on the set is the new one
    for entry in entries:
        if entry["backup"]:
            _unlink(Path(entry["backup"]))


def _roll_back(entries: list[dict]) -> None:
    """Put back what a commit had replaced (and remove what it had added)."""
    for entry in entries:
        target = Path(entry["target"])
        if entry["backup"] and Path(entry["backup"]).exists():
            os.replace(entry["backup"], target)
        elif not entry["backup"]:
            _unlink(target)
        _unlink(Path(entry["tmp"]))


def clean_stale_temporaries(folder: Path) -> list[Path]:
    """Remove this program's temporaries in ``folder`` left by processes that no longer
    run (killed during a write), after rolling back any commit they left half done.
    Returns what was removed."""
    removed: list[Path] = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:  # journals first: their backups are the old files
        m = _JOURNAL.match(name)
        if m and not process_alive(int(m.group("pid"))):
            path = folder / name
            try:
                _roll_back(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, KeyError, TypeError):
                pass
            _unlink(path)
            removed.append(path)
    now = time.time()
    for name in os.listdir(folder) if removed else names:
        path = folder / name
        m = _TMP.match(name)
        stale = (m is not None and not process_alive(int(m.group("pid")))) or (
            m is None and _LEGACY_TMP.match(name) is not None and _older(path, now))
        if stale and _unlink(path):
            removed.append(path)
    return removed


def _temporary_name(target: Path, kind: str) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}.{kind}")


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` runs (this one does; another user's, or one the system will
    not tell about, counts as running, so its files are left alone)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # another user's process (or unknown): leave its files alone
    return True


def _older(path: Path, now: float) -> bool:
    try:
        return now - path.stat().st_mtime > LEGACY_TMP_AGE
    except OSError:
        return False


def _unlink(path: Path) -> bool:
    try:
        os.unlink(path)
        return True
    except OSError:
        return False


def _naming(e: OSError, target: Path) -> OSError:
    """The same error, naming the file being written (a full disk does not say which)."""
    return OSError(e.errno, e.strerror or str(e), str(target))


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
