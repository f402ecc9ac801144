"""NumPy files: ``.npz`` archives as data sets (:func:`load_numpy`, the NumPy
:class:`~.data_format.DataFormat`) and the array readers :func:`load_array` builds on.

Nothing here ever unpickles: files are read with ``allow_pickle=False``, and a pickle
renamed to ``.npz`` or ``.npy`` is recognised by its first bytes and refused.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nncore.errors import DataError
from nncore.params import Param
from nncore.readers import data_limit, read_npy, read_npz

from ..dataset import TASKS, Dataset
from .data_format import DataFormat
from .files import LoadControl, PathLike, existing_file, read_head
from .labels import check_task, encode_labels, looks_like_classes

NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")


def load_npz_arrays(path: Path) -> dict[str, np.ndarray]:
    """All arrays of an ``.npz`` archive, loaded without pickle."""
    head = read_head(path)
    if not head:
        raise DataError(f"{path.name} is empty")
    if head.startswith(NPY_MAGIC):
        raise DataError(f"{path.name} is a single .npy array, not an .npz archive; "
                        f"rename it to .npy (and use load_array) or save X and y together "
                        f"with numpy.savez")
    if not head.startswith(ZIP_MAGICS):
        raise DataError(_not_numpy_message(path, head, ".npz archive"))
    return read_npz(path, "data file", DataError, data_limit())


def _not_numpy_message(path: Path, head: bytes, expected: str) -> str:
    if head[:1] == b"\x80" or head[:1] in (b"(", b"]", b"}"):
        return (f"{path.name} looks like a Python pickle, not a NumPy {expected}; NetCanvas "
                f"never loads pickles (they can run arbitrary code). Re-save the arrays with "
                f"numpy.savez / numpy.save")
    return f"{path.name} is not a NumPy {expected} (unrecognised file content)"


def load_npy(path: Path) -> np.ndarray:
    """The array of a ``.npy`` file, loaded without pickle."""
    head = read_head(path)
    if not head:
        raise DataError(f"{path.name} is empty")
    if head.startswith(ZIP_MAGICS):
        raise DataError(f"{path.name} is an .npz archive, not a single .npy array; rename it "
                        f"to .npz")
    if not head.startswith(NPY_MAGIC):
        raise DataError(_not_numpy_message(path, head, ".npy array"))
    return read_npy(path, "data file", DataError, data_limit())


def numeric_array(a: np.ndarray, where: str) -> np.ndarray:
    """``a`` as ``float32``; it must be numeric, not a scalar, and finite."""
    if a.dtype.kind not in "biuf":
        raise DataError(f"{where}: expected numbers, got an array of dtype {a.dtype}")
    if a.ndim == 0:
        raise DataError(f"{where}: expected an array with one row per sample, got a scalar")
    out = a.astype(np.float32)
    if not np.all(np.isfinite(out)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(out))[0])
        raise DataError(f"{where}: non-finite value {float(a[bad])} at index {bad} "
                        f"(row {bad[0]})")
    return out


def _text_list(arrays: dict[str, np.ndarray], key: str, file: str) -> list[str] | None:
    if key not in arrays:
        return None
    a = arrays[key]
    if a.ndim != 1:
        raise DataError(f"{file}: '{key}' must be a 1-D array of names, got shape {a.shape}")
    return [str(v) for v in a.tolist()]


def load_numpy(path: PathLike, x_key: str = "X", y_key: str = "y",
               task: str | None = None, control: LoadControl | None = None) -> Dataset:
    """Load inputs and targets from an ``.npz`` archive (never unpickles).

    The archive holds ``x_key`` (numeric, one row per sample) and ``y_key`` (class indices,
    class labels as text, or regression targets). Optional 1-D text arrays ``class_names``
    and ``feature_names`` are used when present. ``task=None`` auto-detects as for CSV.
    A ``.npy`` file holds a single array without labels: use :func:`load_array` for it.
    """
    check_task(task)
    p = existing_file(path)
    if p.suffix.lower() == ".npy":
        raise DataError(f"{p.name} is a single array without labels; to train, save inputs and "
                        f"targets together with numpy.savez(file, {x_key}=..., {y_key}=...); "
                        f"to predict, load it with load_array")
    if control is not None:
        control.check(p.name)
    arrays = load_npz_arrays(p)
    if control is not None:
        size = p.stat().st_size
        control.report(size, size)
    for key in (x_key, y_key):
        if key not in arrays:
            raise DataError(f"{p.name} has no array named '{key}'; it holds: "
                            f"{', '.join(repr(k) for k in arrays) or 'nothing'}")
    X = numeric_array(arrays[x_key], f"{p.name}, array '{x_key}'")
    if len(X) == 0:
        raise DataError(f"{p.name}: array '{x_key}' has no rows (no samples to train on)")
    if X.ndim == 1:
        X = X[:, None]
    y_raw = arrays[y_key]
    if y_raw.ndim == 0 or len(y_raw) != len(X):
        raise DataError(f"{p.name}: '{x_key}' has {len(X)} rows but '{y_key}' has "
                        f"{0 if y_raw.ndim == 0 else len(y_raw)}")
    class_names = _text_list(arrays, "class_names", p.name)
    feature_names = _text_list(arrays, "feature_names", p.name)
    if feature_names is not None and X.ndim == 2 and len(feature_names) != X.shape[1]:
        raise DataError(f"{p.name}: {len(feature_names)} feature names for {X.shape[1]} "
                        f"features")
    y, task, class_names = _targets(y_raw, task, class_names, p.name, y_key)
    return Dataset(X=X, y=y, task=task, class_names=class_names, feature_names=feature_names,
                   name=p.stem, description=f"{p.name}: {len(X)} samples, input shape "
                                            f"{tuple(X.shape[1:])}, {task}",
                   meta={"source": str(p)})


def _targets(y_raw: np.ndarray, task: str | None, class_names: list[str] | None, file: str,
             y_key: str) -> tuple[np.ndarray, str, list[str] | None]:
    """The targets, the task and the class names, from the archive's ``y_key`` array."""
    if y_raw.dtype.kind in "US":
        if task == "regression":
            raise DataError(f"{file}: '{y_key}' holds text labels; regression needs numbers")
        if y_raw.ndim != 1:
            raise DataError(f"{file}: text labels '{y_key}' must be 1-D, got {y_raw.shape}")
        y, class_names = encode_labels([str(v) for v in y_raw.tolist()])
        return y, "classification", class_names
    y_num = numeric_array(y_raw, f"{file}, array '{y_key}'")
    flat = y_num.ravel() if (y_num.ndim == 1 or (y_num.ndim == 2 and y_num.shape[1] == 1)) \
        else None
    if task is None:
        task = ("classification" if flat is not None and (
            class_names is not None or looks_like_classes(flat)) else "regression")
    if task != "classification":
        return y_num.reshape(len(y_num), -1), task, None
    if flat is None:
        raise DataError(f"{file}: classification needs one label per sample, "
                        f"'{y_key}' has shape {y_raw.shape}")
    if class_names is None:
        y, class_names = encode_labels([float(v) for v in flat])
        return y, task, class_names
    if not np.all(flat == np.round(flat)) or flat.min() < 0:
        raise DataError(f"{file}: with 'class_names' given, '{y_key}' must hold "
                        f"class indices 0..{len(class_names) - 1}")
    return flat.astype(np.int64), task, class_names


OPTIONS: tuple[Param, ...] = (
    Param("x_key", "str", "X", "Name of the array in the archive that holds the inputs."),
    Param("y_key", "str", "y", "Name of the array in the archive that holds the targets."),
    Param("task", "choice", None, "Classification or regression (automatic when not set).",
          choices=TASKS, optional=True),
)

NUMPY = DataFormat(name="numpy", title="NumPy files", load=load_numpy, options=OPTIONS,
                   suffixes=(".npz", ".npy"), magic=(NPY_MAGIC, *ZIP_MAGICS))
