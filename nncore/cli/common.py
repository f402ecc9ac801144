"""What the commands share: exit codes, the usage error, reading the project file, naming
it in errors, refusing bad output paths, and stderr notices safe in a signal handler."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nncore.errors import NetCanvasError, TrainingError

if TYPE_CHECKING:
    from nncore.network import Network
    from nncore.project import Project
    from nncore.weights import WeightsFile

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_ABORTED = 0, 1, 2, 130


class UsageError(NetCanvasError):
    """Bad command-line usage detected after parsing."""


def load_project_file(path: str) -> tuple[Project, Path]:
    """The project in ``path`` and the folder its relative data paths start from."""
    from nncore.project import load_project

    return load_project(path), Path(path).resolve().parent


class InProject:
    """Name the project file in errors raised while its data and network are prepared
    (``p.json: Dense 'h1': has no input connected``), unless the message names it already,
    or names one of ``other_files`` (errors about initial weights are about that file)."""

    def __init__(self, path: str, *other_files: str | None) -> None:
        self.named = (path, *(f for f in other_files if f))
        self.path = path

    def __enter__(self) -> None:
        return None

    def __exit__(self, typ: Any, exc: Any, tb: Any) -> bool:
        if (isinstance(exc, NetCanvasError) and not isinstance(exc, TrainingError)
                and not str(exc).startswith(self.named)):
            new = type(exc).__new__(type(exc))
            new.__dict__.update(exc.__dict__)
            new.args = (f"{self.path}: {exc}",)
            raise new from None
        return False


def check_output_path(path: str | None, what: str, *avoid: tuple[str, str | None]) -> None:
    """Refuse, before any work, an output path that cannot be written or that would
    overwrite one of the run's inputs (``avoid``: (option, path) pairs)."""
    if path is None:
        return
    if not path.strip():
        raise UsageError(f"{what}: the file name is empty; give one")
    try:
        target = Path(path).expanduser().resolve()
    except (OSError, RuntimeError):
        raise UsageError(f"{what}: {path} is a loop of symbolic links") from None
    parent = target.parent
    if not parent.is_dir():
        raise UsageError(f"{what}: folder {parent} does not exist")
    if target.is_dir():
        raise UsageError(f"{what}: {path} is a folder; give a file name")
    try:  # the real test: the atomic write will create a temporary file there
        fd, probe = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise UsageError(f"{what}: cannot write to the folder {parent} "
                         f"({e.strerror or e})") from None
    for option, other in avoid:
        if other is not None and same_file(Path(other).expanduser(), target):
            raise UsageError(f"{what}: {path} is also the {option}; it would be overwritten")


def same_file(a: Path, b: Path) -> bool:
    """True when ``a`` and ``b`` are one file: the same path, or (both existing) the same
    file under two names (a hard link, a symbolic link, a bind mount)."""
    try:
        if a.resolve() == b.resolve():
            return True
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except (OSError, RuntimeError):  # a loop of symbolic links: not the same as anything
        return False


def trained_network(args: argparse.Namespace) -> tuple[Project, Network, WeightsFile]:
    """(project, network, weights file) of ``args.project`` with ``args.weights`` loaded."""
    from nncore.run import build_network
    from nncore.weights import load_into, read_weights

    project, _ = load_project_file(args.project)
    with InProject(args.project):
        net = build_network(project)
    weights = read_weights(args.weights, net.weight_shapes())
    load_into(net, weights, source=args.weights)
    weights.check_outputs(net)
    return project, net, weights


def notice(text: str) -> None:
    """Write to stderr from a signal handler: one unbuffered system call, so it cannot
    re-enter a ``print`` the handler interrupted."""
    try:
        os.write(sys.stderr.fileno(), text.encode("utf-8", "replace"))
    except (AttributeError, OSError, ValueError):  # stderr replaced by an in-memory stream
        pass
