"""What a data format declares: :class:`DataFormat` (name, recognition, options, loader) and
:class:`OpenParam`, the option schema for values that depend on the file's contents.

Each format module (``csv``, ``numpy_files``, ``idx``, ``image_folder``) builds one
``DataFormat``; :mod:`.registry` lists them and dispatches to them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nncore.params import Param

from ..dataset import Dataset


@dataclass(frozen=True)
class OpenParam(Param):
    """A loader option whose values no :data:`~nncore.params.KINDS` expresses: a column name
    *or* number, a list of columns, a mapping, a path. ``accepts`` lists the Python types
    taken (``bool`` never counts as a number); whether the value makes sense for the file
    (does the column exist?) only the loader can tell, once it has read the file."""

    accepts: tuple[type, ...] = (str,)
    #: What a valid value is, for the error message ("a column name or number").
    expects: str = "a text"

    def describe_range(self, value: Any = None) -> str:
        return self.expects

    def coerce(self, value: Any, owner: str = "") -> Any:
        if value is None and self.optional:
            return None
        if isinstance(value, bool) or not isinstance(value, self.accepts):
            self._fail(value, owner)
        return value


@dataclass(frozen=True)
class DataFormat:
    """One kind of data file: how it is recognised, its options and how it is loaded.

    A path is this format's when it is a folder and ``folder`` is set; else when its
    lower-cased name ends with one of ``suffixes`` or contains one of ``name_parts``; else
    (for a name no format claims) when the file starts with one of ``magic``.
    ``load(path, **options)`` receives every option of ``options``, validated and with
    defaults filled in.
    """

    #: Short identifier: ``'csv'``, ``'numpy'``, ``'idx'``, ``'image_folder'``.
    name: str
    #: How messages name these files: ``'CSV files'``.
    title: str
    load: Callable[..., Dataset]
    options: tuple[Param, ...]
    suffixes: tuple[str, ...] = ()
    name_parts: tuple[str, ...] = ()
    magic: tuple[bytes, ...] = ()
    folder: bool = False

    def matches_name(self, name: str) -> bool:
        """Whether a file called ``name`` is of this format, judged by its name."""
        name = name.lower()
        return name.endswith(self.suffixes) or any(part in name for part in self.name_parts)

    def matches_head(self, head: bytes) -> bool:
        """Whether a file starting with the bytes ``head`` is of this format."""
        return any(head.startswith(m) for m in self.magic)

    def option(self, name: str) -> Param:
        """The schema of the option ``name``."""
        for p in self.options:
            if p.name == name:
                return p
        raise KeyError(name)
