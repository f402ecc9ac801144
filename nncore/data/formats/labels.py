"""Targets shared by the loaders: the task check, auto-detection of classes, label encoding."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from nncore.errors import DataError

from ..dataset import TASKS

#: Auto-detection calls whole-number targets classes up to this many distinct values.
MAX_CLASSES_AUTO = 20


def check_task(task: str | None) -> None:
    """``task`` must be one of :data:`~nncore.data.dataset.TASKS` or ``None`` (auto)."""
    if task is not None and task not in TASKS:
        raise DataError(f"task must be one of {TASKS} or None, got {task!r}")


def format_label(value: float) -> str:
    """A numeric class label as a class name: ``3.0`` -> ``'3'``, ``0.5`` -> ``'0.5'``."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def encode_labels(values: Sequence[Any]) -> tuple[np.ndarray, list[str]]:
    """Map labels (numbers or strings) to indices ``0..K-1`` in sorted order."""
    uniq = sorted(set(values))
    index = {v: i for i, v in enumerate(uniq)}
    y = np.fromiter((index[v] for v in values), dtype=np.int64, count=len(values))
    names = [format_label(v) if isinstance(v, (float, int, np.number)) else str(v)
             for v in uniq]
    return y, names


def looks_like_classes(values: np.ndarray) -> bool:
    """Whole numbers with few distinct values (auto task detection)."""
    values = np.asarray(values, dtype=np.float64).ravel()
    if values.size == 0 or not np.all(np.isfinite(values)):
        return False
    if not np.all(values == np.round(values)):
        return False
    n_unique = len(np.unique(values))
    return n_unique <= MAX_CLASSES_AUTO and n_unique <= max(2, values.size // 2)
