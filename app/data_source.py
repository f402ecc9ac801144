"""The data a project names, for the window: ``nncore.run.load_dataset`` behind a cache, and
helpers for storing file paths relative to the project file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nncore.data import Dataset
from nncore.project import DataSpec
from nncore.run import load_dataset, resolve_path

__all__ = ["DatasetCache", "relative_path", "resolve_path"]


def relative_path(path: Path, base_dir: Path | None) -> str:
    """``path`` relative to ``base_dir`` when it lies inside it, else absolute (posix)."""
    path = Path(path).resolve()
    if base_dir is not None:
        try:
            return path.relative_to(Path(base_dir).resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


class DatasetCache:
    """Remembers the last data set loaded, keyed by the settings that produce it."""

    def __init__(self) -> None:
        self._key: Any = None
        self._value: Dataset | None = None

    def get(self, spec: DataSpec, base_dir: Path | None) -> Dataset:
        """The raw data set of ``spec``; raises DataError (or another NetCanvasError)."""
        key = (spec.source, spec.name, spec.path, repr(sorted(spec.params.items())),
               str(base_dir))
        if key != self._key or self._value is None:
            self._value = None
            self._key = key
            self._value = load_dataset(spec, base_dir)
        return self._value
