"""Preprocessing: input normalisation and train/validation/test splits.

:class:`Normalizer` learns per-feature statistics on the *training* split only and applies
them to every split. Statistics are taken per feature for tabular data ``(n, F)``, per
channel for images ``(n, C, H, W)`` and per feature for sequences ``(n, T, F)``. Constant
features never divide by zero: their scale is taken as 1.

Its state saves next to the weights, either as plain lists (:meth:`Normalizer.to_dict`, for
JSON) or as arrays (:meth:`Normalizer.state_arrays`, for ``.npz``).

:func:`split` draws a seeded, optionally stratified split of a :class:`Dataset`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from nncore.errors import DataError

from .chunked import pause, scratch
from .dataset import Dataset, all_finite
from .subsets import stratum_labels

MODES = ("standardize", "minmax", "none")


def _feature_axis(ndim: int) -> int:
    """Axis that holds features/channels: 1 for (n, F) and (n, C, H, W), 2 for (n, T, F)."""
    if ndim == 2 or ndim == 4:
        return 1
    if ndim == 3:
        return 2
    if ndim == 1:
        return 0
    raise DataError(f"cannot normalise arrays with {ndim} dimensions (expected (n, F), "
                    f"(n, T, F) or (n, C, H, W))")


class Normalizer:
    """Per-feature (per-channel for images) normalisation.

    Modes: ``'standardize'`` (``(x - mean) / std``, population std), ``'minmax'``
    (``(x - min) / (max - min)``, to ``[0, 1]`` on the training data) and ``'none'``.
    """

    def __init__(self, mode: str = "standardize"):
        if mode not in MODES:
            raise DataError(f"normalisation mode must be one of {MODES}, got {mode!r}")
        self.mode = mode
        self.ndim: int | None = None
        self.stats: dict[str, np.ndarray] = {}

    # ------------------------------------------------------------------------------------
    @property
    def fitted(self) -> bool:
        return self.ndim is not None

    def fit(self, X: np.ndarray) -> Normalizer:
        """Learn the statistics of ``X`` (the training inputs), in float64 but a block of
        rows at a time: no float64 copy of ``X`` is made."""
        X = np.asarray(X)
        if X.dtype.kind not in "biuf":
            raise DataError(f"cannot normalise an array of dtype {X.dtype}")
        if X.ndim < 1 or len(X) == 0:
            raise DataError("cannot fit a normaliser on an empty array")
        axis = _feature_axis(X.ndim)
        reduce = tuple(a for a in range(X.ndim) if a != axis) if X.ndim > 1 else (0,)
        if not all_finite(X):
            raise DataError("cannot fit a normaliser: the data contains NaN or Inf")
        if self.mode == "standardize":
            mean = _block_sum(X, reduce, lambda b: b) / _count(X, reduce)
            centre = mean.reshape(_stat_shape(X, axis))
            var = _block_sum(X, reduce, lambda b: np.square(
                np.subtract(b, centre, out=b), out=b)) / _count(X, reduce)
            self.stats = {"mean": mean, "std": np.sqrt(var)}
        elif self.mode == "minmax":
            self.stats = {"min": _block_reduce(X, reduce, np.minimum, np.min),
                          "max": _block_reduce(X, reduce, np.maximum, np.max)}
        else:
            self.stats = {}
        self.stats = {k: np.atleast_1d(v) for k, v in self.stats.items()}
        self.ndim = X.ndim
        return self

    def _offset_scale(self) -> tuple[np.ndarray, np.ndarray]:
        if self.mode == "standardize":
            offset, scale = self.stats["mean"], self.stats["std"].copy()
        else:
            offset = self.stats["min"]
            scale = self.stats["max"] - self.stats["min"]
        scale = np.where(scale > 1e-12 * np.maximum(1.0, np.abs(offset)), scale, 1.0)
        return offset, scale

    def _shape_for(self, X: np.ndarray) -> tuple[int, ...]:
        if not self.fitted:
            raise DataError("the normaliser has not been fitted yet (call fit on the training "
                            "data first)")
        if X.ndim != self.ndim:
            raise DataError(f"the normaliser was fitted on {self.ndim}-D data, got "
                            f"{X.ndim}-D data of shape {X.shape}")
        if self.mode == "none":
            return ()
        axis = _feature_axis(X.ndim)
        n_feat = len(next(iter(self.stats.values())))
        have = 1 if X.ndim == 1 else X.shape[axis]  # (a vector is one feature, as in fit)
        if have != n_feat:
            what = "channels" if X.ndim == 4 else "features"
            raise DataError(f"the normaliser was fitted on {n_feat} {what}, got {have}")
        shape = [1] * X.ndim
        shape[axis] = n_feat
        return tuple(shape)

    def transform(self, X: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Normalise ``X`` with the fitted statistics; returns ``float32``. Computed in
        float64 a block of rows at a time, into ``out`` when given (``out=X`` normalises a
        float32 ``X`` in place)."""
        return self._map(X, out, inverse=False)

    def inverse_transform(self, X: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Undo :meth:`transform` (e.g. for regression targets); returns ``float32``."""
        return self._map(X, out, inverse=True)

    def _map(self, X: np.ndarray, out: np.ndarray | None, inverse: bool) -> np.ndarray:
        X = np.asarray(X)
        shape = self._shape_for(X)
        if out is None:
            out = np.empty(X.shape, dtype=np.float32)
        elif out.shape != X.shape or out.dtype != np.float32:
            raise DataError(f"the output array must be float32 of shape {X.shape}")
        if self.mode == "none":
            np.copyto(out, X, casting="unsafe")
            return out
        offset, scale = (a.reshape(shape) for a in self._offset_scale())
        work = None
        for block, target in zip(_blocks(X), _blocks(out)):
            work = _float64_rows(block, work)
            b = work[:len(block)]
            if inverse:
                np.add(np.multiply(b, scale, out=b), offset, out=b)
            else:
                np.divide(np.subtract(b, offset, out=b), scale, out=b)
            target[...] = b
        return out

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        return self.fit(X).transform(X)

    def apply(self, dataset: Dataset, copy: bool = True) -> Dataset:
        """A copy of ``dataset`` with ``X`` transformed (single-input data sets only). With
        ``copy=False`` the rows of ``dataset.X`` are transformed in place, and the result
        shares them: for a split the caller made and no longer needs raw."""
        if dataset.inputs is not None:
            raise DataError("normalising multi-input data sets is not supported")
        out = dataset.subset(slice(None))
        X = dataset.X
        in_place = not copy and X.dtype == np.float32 and X.flags.writeable
        out.X = self.transform(X, out=X if in_place else None)
        return out

    # ------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain-Python state (lists of floats), for JSON."""
        return {"mode": self.mode, "ndim": self.ndim,
                **{k: [float(x) for x in v] for k, v in self.stats.items()}}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Normalizer:
        """Inverse of :meth:`to_dict`."""
        if not isinstance(d, dict) or "mode" not in d:
            raise DataError("normaliser state must be a dict with a 'mode' field")
        norm = cls(d["mode"])
        norm._set_state(d, d.get("ndim"))  # (it reads only the statistics of the mode)
        return norm

    def state_arrays(self) -> dict[str, np.ndarray]:
        """State as ``float64`` arrays, to be stored in an ``.npz`` next to the weights;
        ``'ndim'`` is a 1-element int64 array (absent if not fitted)."""
        out = {k: np.asarray(v, dtype=np.float64) for k, v in self.stats.items()}
        if self.ndim is not None:
            out["ndim"] = np.array([self.ndim], dtype=np.int64)
        return out

    @classmethod
    def from_state_arrays(cls, mode: str, arrays: dict[str, np.ndarray]) -> Normalizer:
        """Inverse of :meth:`state_arrays`."""
        norm = cls(mode)
        arrays = dict(arrays)
        ndim = arrays.pop("ndim", None)
        norm._set_state(arrays, None if ndim is None else _saved_ndim(ndim))
        return norm

    def _set_state(self, arrays: dict[str, Any], ndim: Any) -> None:
        needed = {"standardize": ("mean", "std"), "minmax": ("min", "max"), "none": ()}[self.mode]
        missing = [k for k in needed if k not in arrays]
        if missing:
            raise DataError(f"normaliser state for mode '{self.mode}' lacks {missing}")
        stats: dict[str, np.ndarray] = {}
        for k in needed:
            a = np.asarray(arrays[k], dtype=np.float64).ravel()
            if not np.all(np.isfinite(a)):
                raise DataError(f"normaliser state '{k}' contains non-finite values")
            stats[k] = a
        if needed and len(stats[needed[0]]) != len(stats[needed[1]]):
            raise DataError(f"normaliser state: '{needed[0]}' and '{needed[1]}' differ in length")
        if ndim is not None and (not isinstance(ndim, (int, np.integer)) or ndim < 1):
            raise DataError(f"normaliser state: bad 'ndim' {ndim!r}")
        self.stats = stats
        self.ndim = None if ndim is None else int(ndim)

    def __repr__(self) -> str:
        return f"Normalizer(mode={self.mode!r}, fitted={self.fitted})"


#: Bytes of float64 work per block of rows (fit, transform).
_BLOCK_BYTES = 1 << 23


def _blocks(X: np.ndarray) -> Iterator[np.ndarray]:
    """Views of ``X`` (at least 1-D), a block of rows of about :data:`_BLOCK_BYTES` each,
    with a :func:`~.chunked.pause` after each block (a cancelled load stops there)."""
    row = max(1, int(np.prod(X.shape[1:], dtype=np.int64)) * 8)
    step = max(1, _BLOCK_BYTES // row)
    for a in range(0, len(X), step):
        yield X[a:a + step]
        pause()


def _count(X: np.ndarray, reduce: tuple[int, ...]) -> int:
    return int(np.prod([X.shape[a] for a in reduce], dtype=np.int64))


def _stat_shape(X: np.ndarray, axis: int) -> tuple[int, ...]:
    shape = [1] * X.ndim
    if X.ndim > 1:
        shape[axis] = X.shape[axis]
    return tuple(shape)


def _float64_rows(block: np.ndarray, work: np.ndarray | None) -> np.ndarray:
    """``block`` as float64 in the first rows of ``work`` (a scratch array, made for the
    first block: see :func:`~.chunked.scratch`); returns ``work``."""
    if work is None:
        work = scratch(block.shape, np.float64)
    np.copyto(work[:len(block)], block, casting="unsafe")
    return work


def _block_sum(X: np.ndarray, reduce: tuple[int, ...], f: Any) -> np.ndarray:
    """Sum over the ``reduce`` axes of ``f(block as float64)`` (``f`` may overwrite its
    argument), block by block."""
    total = None
    work = None
    for block in _blocks(X):
        work = _float64_rows(block, work)
        part = f(work[:len(block)]).sum(axis=reduce)
        total = part if total is None else total + part
    return total


def _block_reduce(X: np.ndarray, reduce: tuple[int, ...], combine: Any, f: Any) -> np.ndarray:
    """``f`` (min or max) over the ``reduce`` axes, block by block, as float64."""
    out = None
    for block in _blocks(X):
        part = f(block, axis=reduce).astype(np.float64)
        out = part if out is None else combine(out, part)
    return out


def _saved_ndim(value: Any) -> int:
    """The saved ``ndim`` (a one-element integer array from 1 to 4); DataError otherwise
    (an empty array, NaN, Inf or a float of absurd size in a damaged or crafted file)."""
    a = np.asarray(value)
    if a.size != 1 or a.dtype.kind not in "iuf":
        raise DataError(f"normaliser state: 'ndim' must be one integer, got an array of "
                        f"shape {a.shape} and dtype {a.dtype}")
    v = a.ravel()[0]
    if not np.isfinite(v) or v != np.floor(v) or not 1 <= v <= 4:
        raise DataError(f"normaliser state: 'ndim' must be an integer from 1 to 4, "
                        f"got {v.item()}")
    return int(v)


# ---------------------------------------------------------------------------------------------
# splitting
# ---------------------------------------------------------------------------------------------
def _largest_remainder(ideal: np.ndarray, total: int, cap: np.ndarray) -> np.ndarray:
    """Integers close to ``ideal`` summing to ``total`` with ``0 <= out <= cap``."""
    out = np.minimum(np.floor(ideal).astype(np.int64), cap)
    rest = ideal - out
    while out.sum() < total:
        room = out < cap
        if not room.any():
            break
        k = int(np.argmax(np.where(room, rest, -np.inf)))
        out[k] += 1
        rest[k] -= 1.0
    while out.sum() > total:
        k = int(np.argmax(np.where(out > 0, -rest, -np.inf)))
        out[k] -= 1
        rest[k] += 1.0
    return out


def split(dataset: Dataset, val_fraction: float = 0.2, test_fraction: float = 0.0,
          stratify: bool = True, seed: int | None = 0
          ) -> tuple[Dataset, Dataset, Dataset | None]:
    """Split ``dataset`` into train, validation and (if ``test_fraction > 0``) test sets.

    The sizes are ``round(n * val_fraction)`` and ``round(n * test_fraction)`` (at least one
    sample each). For classification with ``stratify=True`` each class is split in the same
    proportions (largest-remainder rounding keeps the totals exact); a class with a single
    sample stays in the training set. Deterministic for a given ``seed``.
    """
    for label, f in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if not isinstance(f, (int, float)) or isinstance(f, bool) or not np.isfinite(f):
            raise DataError(f"{label} must be a number, got {f!r}")
    if not 0.0 < val_fraction < 1.0:
        raise DataError(f"val_fraction must be between 0 and 1 (exclusive), got {val_fraction}")
    if not 0.0 <= test_fraction < 1.0:
        raise DataError(f"test_fraction must be in [0, 1), got {test_fraction}")
    if val_fraction + test_fraction >= 1.0:
        raise DataError(f"val_fraction + test_fraction must be below 1 (nothing left to train "
                        f"on), got {val_fraction} + {test_fraction}")
    n = dataset.n_samples
    n_val = max(1, round(n * val_fraction))
    n_test = max(1, round(n * test_fraction)) if test_fraction > 0 else 0
    if n_val + n_test >= n:
        need = 2 + (1 if test_fraction > 0 else 0)
        raise DataError(f"too few samples to split: {n} sample(s) cannot give a non-empty "
                        f"training, validation{' and test' if n_test else ''} set "
                        f"(need at least {need}, and more for these fractions)")
    rng = np.random.default_rng(seed)

    if stratify and dataset.task == "classification":
        labels = stratum_labels(dataset)  # merged classes split as the classes they were
        counts = np.bincount(labels, minlength=int(dataset.n_classes or 0))
        cap = np.maximum(counts - 1, 0)     # keep one sample of each class for training
        if cap.sum() < n_val + n_test:
            raise DataError(f"too few samples to split with stratification: {n} samples in "
                            f"{len(counts)} classes; lower the fractions or use "
                            f"stratify=False")
        val_c = _largest_remainder(counts * val_fraction, n_val, cap)
        test_c = _largest_remainder(counts * test_fraction, n_test, cap - val_c)
        tr, va, te = [], [], []
        for c, count in enumerate(counts):
            if count == 0:
                continue
            idx = rng.permutation(np.flatnonzero(labels == c))
            va.append(idx[:val_c[c]])
            te.append(idx[val_c[c]:val_c[c] + test_c[c]])
            tr.append(idx[val_c[c] + test_c[c]:])
        train_idx = rng.permutation(np.concatenate(tr))
        val_idx = rng.permutation(np.concatenate(va))
        test_idx = rng.permutation(np.concatenate(te))
    else:
        perm = rng.permutation(n)
        val_idx, test_idx = perm[:n_val], perm[n_val:n_val + n_test]
        train_idx = perm[n_val + n_test:]

    test = dataset.subset(test_idx) if test_fraction > 0 else None
    return dataset.subset(train_idx), dataset.subset(val_idx), test
