"""The points being edited in the data-points editor (plain data, no Qt), and the engine
edit that stores them in the project.

:class:`PointSet` holds 2-D points with a class (classification) or a target value
(regression); the editor adds, paints, erases and regenerates them here. :class:`SetPoints`
makes the project's data the "points" source holding them (``nncore.project``'s format
version 2): one undoable step through ``editor.apply_edits``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from nncore.data import Dataset
from nncore.data.synthetic import GENERATORS
from nncore.edits import Edit
from nncore.points import MAX_POINTS, points_dataset, points_to_json
from nncore.project import Project

#: The generators that draw points in a plane (the editor can regenerate from these).
PLANE_GENERATORS = tuple(name for name, g in GENERATORS.items()
                         if name not in ("sine", "recommender"))


@dataclass
class PointSet:
    """Editable 2-D points: ``x`` (n, 2), ``y`` (n,) class indices or target values."""

    task: str = "classification"
    x: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    y: np.ndarray = field(default_factory=lambda: np.zeros(0))
    class_names: list[str] = field(default_factory=lambda: ["0", "1"])
    feature_names: list[str] | None = None

    @classmethod
    def from_dataset(cls, ds: Dataset) -> PointSet:
        """The points of a data set of 2 features (a DataError-free check is the caller's)."""
        y = ds.y.reshape(len(ds.y), -1)[:, 0] if ds.task == "regression" else ds.y
        names: list[str] = []
        if ds.task == "classification":
            names = list(ds.class_names or []) or [str(k) for k in range(int(y.max()) + 1)]
        return cls(ds.task, np.array(ds.X, np.float64).reshape(-1, 2),
                   np.array(y, np.float64 if ds.task == "regression" else np.int64),
                   names, list(ds.feature_names) if ds.feature_names else None)

    def __len__(self) -> int:
        return len(self.x)

    def add(self, px: float, py: float, value: float) -> bool:
        """Add a point with class ``value`` (an index) or target ``value``; False when the
        project's limit of points is reached."""
        if len(self.x) >= MAX_POINTS:
            return False
        self.x = np.vstack([self.x, [[float(px), float(py)]]])
        v = int(value) if self.task == "classification" else float(value)
        self.y = np.append(self.y, v).astype(self.y.dtype)
        return True

    def erase_near(self, px: float, py: float, rx: float, ry: float) -> int:
        """Remove the points within the ellipse of radii ``rx``, ``ry`` around (px, py)
        (a circle on screen); returns how many."""
        if not len(self.x):
            return 0
        d = ((self.x[:, 0] - px) / rx) ** 2 + ((self.x[:, 1] - py) / ry) ** 2
        keep = d > 1.0
        removed = int((~keep).sum())
        self.x, self.y = self.x[keep], self.y[keep]
        return removed

    def clear(self) -> None:
        self.x, self.y = self.x[:0], self.y[:0]

    def add_class(self) -> int:
        """A new class (named by its index); returns its index."""
        self.class_names.append(str(len(self.class_names)))
        return len(self.class_names) - 1

    def counts(self) -> list[int]:
        """Points per class (classification)."""
        return np.bincount(self.y.astype(np.int64), minlength=len(self.class_names)).tolist()

    def problem(self) -> str | None:
        """Why these points cannot be stored as a project's data (None: they can)."""
        if len(self.x) < 2:
            return "Place at least 2 points."
        if self.task == "classification" and sum(1 for c in self.counts() if c) < 2:
            return "Place points of at least 2 classes."
        return None

    def to_json(self) -> dict[str, Any]:
        """The points as ``DataSpec.points`` (validated by the engine)."""
        y = self.y.astype(np.int64) if self.task == "classification" else \
            self.y.astype(np.float32).reshape(-1, 1)
        ds = Dataset(self.x.astype(np.float32), y, self.task,
                     list(self.class_names) if self.task == "classification" else None,
                     self.feature_names)
        out = points_to_json(ds)
        points_dataset(out)  # the engine's checks, naming a bad field
        return out


def generated(name: str, n: int, noise: float, seed: int,
              extra: Mapping[str, Any] | None = None) -> PointSet:
    """Points drawn by generator ``name`` (with its other parameters from ``extra``)."""
    gen = GENERATORS[name]
    allowed = {p.name for p in gen.params}
    params = {k: v for k, v in dict(extra or {}).items() if k in allowed}
    params.update({"n_samples": n, "noise": noise, "seed": seed})
    return PointSet.from_dataset(gen.generate(params))


@dataclass(frozen=True)
class SetPoints(Edit):
    """Make the project's data the "points" source holding ``points`` (JSON data)."""

    points: Mapping[str, Any]
    kind: ClassVar[str] = "set_points"

    def describe(self) -> str:
        n = len(self.points.get("x", []))
        return f"Edit data points ({n} point{'s' if n != 1 else ''})"

    def apply(self, project: Project) -> None:
        data = project.data
        data.source, data.name, data.path = "points", "", None
        data.params = {}
        data.points = dict(self.points)
