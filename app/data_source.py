"""The data a project names, for the window: ``nncore.run.load_dataset`` plus a cache and
helpers for storing file paths relative to the project file."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from nncore.data import Dataset
from nncore.project import DataSpec
from nncore.run import load_dataset as _load_dataset
from nncore.run import resolve_path

__all__ = ["DatasetCache", "load_dataset", "relative_path", "resolve_path"]


def relative_path(path: Path, base_dir: Path | None) -> str:
    """``path`` relative to ``base_dir`` when it lies inside it, else absolute (posix)."""
    path = Path(path).resolve()
    if base_dir is not None:
        try:
            return path.relative_to(Path(base_dir).resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def load_dataset(spec: DataSpec, base_dir: Path | None = None) -> Dataset:
    """The raw data set of ``spec``; raises DataError (or another NetCanvasError)."""
    params: dict[str, Any] = dict(spec.params)
    # IDX labels files are stored relative to the project folder, like the images file.
    if spec.source == "file" and isinstance(params.get("labels_path"), str):
        params["labels_path"] = str(resolve_path(params["labels_path"], base_dir))
    if isinstance(params.get("size"), list):
        params["size"] = tuple(params["size"])
    return _load_dataset(replace(spec, params=params), base_dir)


class DatasetCache:
    """Remembers the last data set loaded, keyed by the settings that produce it."""

    def __init__(self) -> None:
        self._key: Any = None
        self._value: Dataset | None = None

    def get(self, spec: DataSpec, base_dir: Path | None) -> Dataset:
        key = (spec.source, spec.name, spec.path, repr(sorted(spec.params.items())),
               str(base_dir))
        if key != self._key or self._value is None:
            self._value = None
            self._key = key
            self._value = load_dataset(spec, base_dir)
        return self._value
