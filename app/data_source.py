"""The data a project names, for the window: loading it (with a
:class:`~nncore.data.formats.files.LoadControl`, so a load on another thread can be
followed and cancelled), a cache of the last data set loaded, and helpers for storing file
paths relative to the project file."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from nncore.data import Dataset
from nncore.data.formats.files import LoadControl
from nncore.project import DataSpec
from nncore.run import PreparedData, load_dataset, resolve_path

__all__ = ["DatasetCache", "data_key", "load_bytes", "load_spec", "relative_path",
           "resolve_path"]

#: Bytes a folder walk counts before it stops (an estimate only needs to know "big").
_WALK_LIMIT = 1 << 30


def relative_path(path: Path, base_dir: Path | None) -> str:
    """``path`` relative to ``base_dir`` when it lies inside it, else absolute (posix)."""
    path = Path(path).resolve()
    if base_dir is not None:
        try:
            return path.relative_to(Path(base_dir).resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def data_key(spec: DataSpec, base_dir: Path | None) -> tuple[Any, ...]:
    """What decides the raw data set of ``spec`` (the cache's key)."""
    return (spec.source, spec.name, spec.path, repr(sorted(spec.params.items())),
            repr(spec.points), str(base_dir))


def load_spec(spec: DataSpec, base_dir: Path | None,
              control: LoadControl | None = None) -> Dataset:
    """The raw data set of ``spec``, as :func:`nncore.run.load_dataset` gives it (the same
    function, so the window and ``netcanvas train`` read the same data); a data file is
    read with ``control`` (cancel it from another thread, follow its bytes)."""
    return load_dataset(spec, base_dir, control)


def load_bytes(spec: DataSpec, base_dir: Path | None) -> int:
    """About how many bytes loading ``spec`` reads (0 for generated, bundled and stored
    data): the file's size, or the sizes of a folder's files (counted up to 1 GB)."""
    if spec.source != "file" or not spec.path:
        return 0
    path = resolve_path(spec.path, base_dir)
    try:
        if not path.is_dir():
            return path.stat().st_size
        total = 0
        for root, _dirs, files in os.walk(path):
            for name in files:
                total += os.stat(os.path.join(root, name)).st_size
                if total > _WALK_LIMIT:
                    return total
        return total
    except OSError:
        return 0  # the load itself reports the problem


class DatasetCache:
    """Remembers the last data set loaded, keyed by the settings that produce it."""

    def __init__(self) -> None:
        self._key: Any = None
        self._value: Dataset | None = None
        #: The value prepared for training, with the full settings it was prepared for.
        self._prepared: tuple[str, PreparedData] | None = None

    def get(self, spec: DataSpec, base_dir: Path | None) -> Dataset:
        """The raw data set of ``spec``; raises DataError (or another NetCanvasError)."""
        key = data_key(spec, base_dir)
        if key != self._key or self._value is None:
            self.clear()
            self._key = key
            self._value = load_spec(spec, base_dir)
        return self._value

    def peek(self, spec: DataSpec, base_dir: Path | None) -> Dataset | None:
        """The data set of ``spec`` if it is the one held (never loads)."""
        return self._value if data_key(spec, base_dir) == self._key else None

    def put(self, spec: DataSpec, base_dir: Path | None, dataset: Dataset,
            prepared: PreparedData | None = None) -> None:
        """Hold ``dataset``, loaded elsewhere (a loading thread), as the data of ``spec``,
        and ``prepared``, the same data split and normalized as ``spec`` says."""
        key = data_key(spec, base_dir)
        if key != self._key or dataset is not self._value:
            self.clear()
        self._key, self._value = key, dataset
        if prepared is not None and prepared.dataset is dataset:
            self._prepared = (_settings_key(spec, base_dir), prepared)

    def prepared(self, spec: DataSpec, base_dir: Path | None) -> PreparedData | None:
        """The data of ``spec`` prepared for training, if held for exactly these settings
        (training takes it instead of reading the file again)."""
        if self._prepared is None or self.peek(spec, base_dir) is None:
            return None
        key, data = self._prepared
        return data if key == _settings_key(spec, base_dir) else None

    def clear(self) -> None:
        self._key, self._value, self._prepared = None, None, None


def _settings_key(spec: DataSpec, base_dir: Path | None) -> str:
    return json.dumps([spec.to_dict(), str(base_dir)], sort_keys=True, default=str)
