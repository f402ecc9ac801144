"""The :class:`Dataset` container shared by every loader, generator and the trainer.

A dataset is a pair of arrays plus the metadata the GUI needs to describe it:

* ``X``: the inputs, ``float32``. Shape ``(n, features)`` for tabular data, ``(n, C, H, W)``
  for images and ``(n, T, F)`` for sequences.
* ``y``: the targets. ``int64`` class indices of shape ``(n,)`` for classification,
  ``float32`` of shape ``(n, k)`` for regression.
* ``inputs``: for models with several named inputs (for example a recommender taking a
  ``'user'`` and an ``'item'`` id), a dict of arrays that all have ``n`` rows. Id arrays are
  ``int64`` of shape ``(n,)``. ``X`` is then the first of them and keeps its dtype.

The constructor normalises dtypes (``X`` to ``float32``, classification ``y`` to ``int64``,
regression ``y`` to ``float32 (n, k)``) and raises :class:`~nncore.errors.DataError` when the
arrays are inconsistent (row counts, non-finite values, negative class indices...).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from nncore.errors import DataError

from .chunked import pause, scratch, take_rows

TASKS = ("classification", "regression")


def all_finite(a: np.ndarray, block_bytes: int = 1 << 22) -> bool:
    """Whether every value of ``a`` is finite, checked a block of rows at a time (no mask
    of the whole array)."""
    if a.ndim == 0 or a.dtype.kind not in "fc":
        return bool(np.isfinite(a).all())
    step = max(1, block_bytes // max(1, a[:1].nbytes))
    mask = scratch((min(step, len(a)),) + a.shape[1:], bool)
    for i in range(0, len(a), step):
        part = a[i:i + step]
        if not np.isfinite(part, out=mask[:len(part)]).all():
            return False
        pause()
    return True


def _first_nonfinite(a: np.ndarray) -> tuple[int, ...]:
    """Index of the first non-finite element of ``a`` (which must contain one)."""
    bad = np.argwhere(~np.isfinite(a))
    return tuple(int(i) for i in bad[0])


@dataclass
class Dataset:
    """Inputs, targets and metadata of one data set.

    ``meta`` holds optional extra facts that loaders report, e.g. ``'dropped_rows'`` (rows
    removed by ``load_csv(drop_incomplete=True)``) or ``'vocab_sizes'`` (number of distinct
    ids for each named input of a multi-input data set).
    """

    X: np.ndarray
    y: np.ndarray
    task: str = "classification"
    class_names: list[str] | None = None
    feature_names: list[str] | None = None
    name: str = ""
    description: str = ""
    inputs: dict[str, np.ndarray] | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    #: For a subset (a split): the rows of the data set as loaded that it holds, in its
    #: order (None: it is the data set as loaded). A click on a sample of the whole data
    #: set finds the split and the row it became.
    rows: np.ndarray | None = None

    def __post_init__(self) -> None:
        label = f"data set '{self.name}'" if self.name else "data set"
        if self.task not in TASKS:
            raise DataError(f"{label}: task must be one of {TASKS}, got {self.task!r}")
        if self.inputs is not None:
            self._take_named_inputs(self.inputs, label)
        else:
            self._take_inputs(label)
        if self.X.ndim == 0:
            raise DataError(f"{label}: X must have one row per sample, got a scalar")
        if self.task == "classification":
            self.y = self._class_targets(label)
        else:
            self.y = self._regression_targets(label)
            self.class_names = None
        self._check_row_counts(label)
        if self.feature_names is not None:
            self.feature_names = [str(f) for f in self.feature_names]

    # -- checks of __post_init__, which also normalise dtypes --------------------------------
    def _take_inputs(self, label: str) -> None:
        """X alone: numeric and finite, as float32."""
        X = np.asarray(self.X)
        if X.dtype.kind not in "biuf":
            raise DataError(f"{label}: X must be numeric, got dtype {X.dtype}")
        self.X = X.astype(np.float32, copy=False)
        if not all_finite(self.X):
            raise DataError(f"{label}: X contains a non-finite value (NaN or Inf) at "
                            f"index {_first_nonfinite(self.X)}")

    def _take_named_inputs(self, inputs: dict[str, np.ndarray], label: str) -> None:
        """Named inputs: numbers become float32 (finite), integers int64 ids."""
        if not inputs:
            raise DataError(f"{label}: 'inputs' is an empty dict")
        fixed: dict[str, np.ndarray] = {}
        for key, arr in inputs.items():
            a = np.asarray(arr)
            if a.dtype.kind in "fc":
                a = a.astype(np.float32, copy=False)
                if not all_finite(a):
                    raise DataError(f"{label}: input '{key}' contains a non-finite value "
                                    f"at index {_first_nonfinite(a)}")
            elif a.dtype.kind in "iub":
                a = a.astype(np.int64, copy=False)
            else:
                raise DataError(f"{label}: input '{key}' must be numeric, got dtype {a.dtype}")
            if a.ndim == 0:
                raise DataError(f"{label}: input '{key}' must have one row per sample")
            fixed[key] = a
        self.inputs = fixed
        X = np.asarray(self.X)
        # X is conventionally the first named input; keep it identical when it is.
        first = next(iter(fixed.values()))
        self.X = first if X is first or (X.shape == first.shape
                                          and np.array_equal(X, first)) else X
        if self.X.dtype.kind in "fc":
            self.X = self.X.astype(np.float32, copy=False)

    def _class_targets(self, label: str) -> np.ndarray:
        """Class indices ``int64 (n,)``, non-negative, each with a class name."""
        y = np.asarray(self.y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1:
            raise DataError(f"{label}: classification targets must be class indices of "
                            f"shape (n,), got shape {y.shape}")
        if y.dtype.kind == "f":
            if not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
                raise DataError(f"{label}: classification targets must be whole numbers")
        elif y.dtype.kind not in "iub":
            raise DataError(f"{label}: classification targets must be integers, "
                            f"got dtype {y.dtype}")
        y = y.astype(np.int64)
        if y.size and y.min() < 0:
            raise DataError(f"{label}: class index {int(y.min())} is negative")
        if self.class_names is None:
            # Name the classes so that subsets keep the class count.
            self.class_names = [str(k) for k in range(int(y.max()) + 1 if y.size else 0)]
        else:
            self.class_names = [str(c) for c in self.class_names]
            if y.size and y.max() >= len(self.class_names):
                raise DataError(f"{label}: class index {int(y.max())} but only "
                                f"{len(self.class_names)} class names")
        return y

    def _regression_targets(self, label: str) -> np.ndarray:
        """Targets ``float32 (n, k)``, finite."""
        y = np.asarray(self.y)
        if y.dtype.kind not in "biuf":
            raise DataError(f"{label}: regression targets must be numeric, "
                            f"got dtype {y.dtype}")
        y = y.astype(np.float32)
        if y.ndim == 1:
            y = y[:, None]
        if y.ndim != 2:
            raise DataError(f"{label}: regression targets must have shape (n, k), "
                            f"got {y.shape}")
        if not np.all(np.isfinite(y)):
            raise DataError(f"{label}: y contains a non-finite value (NaN or Inf) at "
                            f"index {_first_nonfinite(y)}")
        return y

    def _check_row_counts(self, label: str) -> None:
        """X, y and every named input have the same number of rows."""
        n = len(self.X)
        if len(self.y) != n:
            raise DataError(f"{label}: X has {n} rows but y has {len(self.y)}")
        if self.inputs is not None:
            for key, arr in self.inputs.items():
                if len(arr) != n:
                    raise DataError(f"{label}: input '{key}' has {len(arr)} rows, "
                                    f"expected {n}")

    # ------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return self.n_samples

    @property
    def n_samples(self) -> int:
        """Number of samples (rows)."""
        return len(self.X)

    @property
    def n_classes(self) -> int | None:
        """Number of classes (``len(class_names)``) for classification, ``None`` for
        regression. When no class names are given they default to ``'0' .. str(max(y))``."""
        if self.task != "classification":
            return None
        return len(self.class_names or [])

    @property
    def n_outputs(self) -> int:
        """Width of the model output: ``n_classes`` for classification, ``k`` for regression."""
        if self.task == "classification":
            return int(self.n_classes or 0)
        return int(self.y.shape[1])

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Per-sample shape of ``X``: ``(features,)``, ``(C, H, W)`` or ``(T, F)``."""
        return tuple(int(d) for d in self.X.shape[1:])

    @property
    def input_shapes(self) -> dict[str, tuple[int, ...]]:
        """Per-sample shape of each named input (``{'X': input_shape}`` if single-input)."""
        if self.inputs is None:
            return {"X": self.input_shape}
        return {k: tuple(int(d) for d in v.shape[1:]) for k, v in self.inputs.items()}

    def class_counts(self) -> np.ndarray:
        """Number of samples of each class, an ``int64`` array of length ``n_classes``."""
        if self.task != "classification":
            raise DataError(f"data set '{self.name}' is a regression data set: it has no classes")
        return np.bincount(self.y, minlength=int(self.n_classes or 0)).astype(np.int64)

    def subset(self, indices: np.ndarray | list[int] | slice) -> Dataset:
        """A new data set holding the rows ``indices`` (integer indices, a boolean mask or a
        slice); metadata is kept."""
        if isinstance(indices, slice):
            idx: Any = indices
        else:
            idx = np.asarray(indices)
            if idx.dtype == bool:
                if idx.shape != (self.n_samples,):
                    raise DataError(f"boolean mask of shape {idx.shape} does not match "
                                    f"{self.n_samples} samples")
            elif idx.size == 0:
                idx = idx.astype(np.int64)
            elif idx.dtype.kind not in "iu":
                raise DataError(f"subset indices must be integers, got dtype {idx.dtype}")
            elif idx.size and (idx.max() >= self.n_samples or idx.min() < -self.n_samples):
                raise DataError(f"subset index out of range for {self.n_samples} samples")
            if idx.dtype == bool:
                idx = np.flatnonzero(idx)

        def rows_of(a: np.ndarray) -> np.ndarray:
            # A slice is a view; indices are copied a piece at a time (see chunked).
            return a[idx] if isinstance(idx, slice) else take_rows(a, idx)

        inputs = None
        X_sub = rows_of(self.X)
        if self.inputs is not None:
            # (The input that is X stays the same array as the subset's X.)
            inputs = {k: X_sub if v is self.X else rows_of(v) for k, v in self.inputs.items()}
        rows = rows_of(np.arange(self.n_samples) if self.rows is None else self.rows)
        return replace(self, X=X_sub, y=rows_of(self.y), inputs=inputs, rows=rows,
                       class_names=None if self.class_names is None else list(self.class_names),
                       feature_names=None if self.feature_names is None
                       else list(self.feature_names),
                       meta=dict(self.meta))

    def summary(self) -> str:
        """One-line human-readable description (size, shape, task)."""
        if self.task == "classification":
            what = f"{self.n_classes} classes"
        else:
            what = f"{self.y.shape[1]} target column(s)"
        return (f"{self.name or 'data set'}: {self.n_samples} samples, input shape "
                f"{self.input_shape}, {self.task} ({what})")
