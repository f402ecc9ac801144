"""The "points" data source: points a user placed or edited, stored in the project file
itself (``DataSpec.points``) as plain JSON, read back into a :class:`~nncore.data.Dataset`
with every value checked and a bad one named by its path in the file
(``data.points.x[3][1]``), and written with the shortest decimals that read back as the
same float32 values."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nncore.data import Dataset
from nncore.errors import DataError
from nncore.readers import is_number, short_value

#: The most points a project holds (more belong in a CSV file and the file source).
MAX_POINTS = 100_000


def points_dataset(points: Any) -> Dataset:
    """The :class:`~nncore.data.Dataset` of a "points" source's data (``DataSpec.points``):
    ``task`` "classification" or "regression"; ``x`` a list of points, each a list of the
    same number of numbers; ``y`` one class index (classification) or one number or list of
    numbers (regression) per point; optional ``class_names`` (classification; default
    "0", "1", ...) and ``feature_names``. Raises DataError naming the bad field by its path
    in the project file (``data.points.x[3][1]``)."""
    where = "data.points"
    if not isinstance(points, dict):
        raise DataError(f"{where}: expected an object, got {short_value(points)}")
    allowed = {"task", "x", "y", "class_names", "feature_names"}
    for key in points:
        if key not in allowed:
            raise DataError(f"{where}.{key}: unknown field (allowed: "
                            f"{', '.join(sorted(allowed))})")
    task = points.get("task")
    if task not in ("classification", "regression"):
        raise DataError(f"{where}.task: expected \"classification\" or \"regression\", got "
                        f"{short_value(task)}")
    x = _number_rows(points.get("x"), f"{where}.x", None)
    y = _targets(points.get("y"), task, len(x), f"{where}.y")
    names = {k: _names(points.get(k), f"{where}.{k}") for k in ("class_names",
                                                                "feature_names")}
    if task == "regression" and names["class_names"] is not None:
        raise DataError(f"{where}.class_names: regression targets have no classes")
    if names["feature_names"] is not None and len(names["feature_names"]) != x.shape[1]:
        raise DataError(f"{where}.feature_names: {len(names['feature_names'])} names for "
                        f"{x.shape[1]} features")
    try:
        return Dataset(x, y, task, names["class_names"], names["feature_names"],
                       name="points", description="points stored in the project")
    except DataError as e:
        raise DataError(f"{where}: {e}") from None


def points_to_json(ds: Dataset) -> dict[str, Any]:
    """A data set of flat samples as ``DataSpec.points`` (plain JSON data; the inverse of
    :func:`points_dataset`): each value the shortest decimal that reads back as the same
    float32."""
    y = ds.y[:, 0] if ds.task == "regression" and ds.y.shape[1] == 1 else ds.y
    out: dict[str, Any] = {"task": ds.task, "x": _shortest(ds.X),
                           "y": _shortest(y) if ds.task == "regression" else y.tolist()}
    if ds.task == "classification":
        out["class_names"] = list(ds.class_names or [])
    if ds.feature_names is not None:
        out["feature_names"] = list(ds.feature_names)
    return out


def _shortest(a: np.ndarray) -> list:
    """Nested lists of the float32 values' shortest decimal forms (``0.1``, not
    ``0.10000000149011612``), as Python floats for JSON."""
    flat = [float(str(v)) for v in a.astype(np.float32).ravel()]
    return np.array(flat, dtype=np.float64).reshape(a.shape).tolist()


def _number_rows(raw: Any, where: str, width: int | None) -> np.ndarray:
    """A list of rows of finite numbers, all of one width (``width`` if given)."""
    if not isinstance(raw, list) or not raw:
        raise DataError(f"{where}: expected a non-empty list, got {short_value(raw)}")
    if len(raw) > MAX_POINTS:
        raise DataError(f"{where}: {len(raw):,} points is more than the {MAX_POINTS:,} a "
                        "project holds; save them as a CSV file and use the file source")
    for i, row in enumerate(raw):
        if not isinstance(row, list) or not row:
            raise DataError(f"{where}[{i}]: expected a list of numbers, got {short_value(row)}")
        width = len(row) if width is None else width
        if len(row) != width:
            raise DataError(f"{where}[{i}]: expected {_count(width, 'number')}, got {len(row)}")
        for j, v in enumerate(row):
            if not (is_number(v) and math.isfinite(v)):
                raise DataError(f"{where}[{i}][{j}]: expected a number, got {short_value(v)}")
    return np.array(raw, dtype=np.float64)


def _targets(raw: Any, task: str, n: int, where: str) -> np.ndarray:
    """One target per point: class indices, or numbers (lists of numbers) for regression."""
    if not isinstance(raw, list) or len(raw) != n:
        count = len(raw) if isinstance(raw, list) else short_value(raw)
        raise DataError(f"{where}: expected a list of {_count(n, 'target')} (one per point), got "
                        f"{count}")
    if task == "regression" and isinstance(raw[0], list):
        return _number_rows(raw, where, None)
    for i, v in enumerate(raw):
        ok = (isinstance(v, int) and not isinstance(v, bool) and v >= 0
              if task == "classification" else is_number(v) and math.isfinite(v))
        if not ok:
            want = "a class index (0, 1, ...)" if task == "classification" else "a number"
            raise DataError(f"{where}[{i}]: expected {want}, got {short_value(v)}")
    return np.array(raw, dtype=np.int64 if task == "classification" else np.float64)


def _names(raw: Any, where: str) -> list[str] | None:
    if raw is None:
        return None
    if (not isinstance(raw, list) or not all(isinstance(v, str) for v in raw)
            or len(set(raw)) != len(raw)):
        raise DataError(f"{where}: expected a list of different texts, got {short_value(raw)}")
    return list(raw)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
