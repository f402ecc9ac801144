"""Input data without labels, for prediction: :func:`load_array`."""

from __future__ import annotations

import numpy as np

from nncore.errors import DataError

from .csv_fast import read_numeric
from .csv_sniff import sniff_csv
from .csv_table import numeric_columns, read_table
from .files import PathLike, existing_file
from .numpy_files import load_npy, load_npz_arrays, numeric_array

#: Files :func:`load_array` reads as CSV.
CSV_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".txt")


def load_array(path: PathLike, key: str | None = None) -> np.ndarray:
    """Load input data without labels (for prediction) as ``float32``.

    ``.npy``: the array. ``.npz``: the array ``key`` (default ``'X'``, or the only array).
    ``.csv``: every column as a numeric feature (header auto-detected).
    """
    p = existing_file(path)
    name = p.name.lower()
    if name.endswith(".npy"):
        return numeric_array(load_npy(p), p.name)
    if name.endswith(".npz"):
        arrays = load_npz_arrays(p)
        if key is None:
            if "X" in arrays:
                key = "X"
            elif len(arrays) == 1:
                key = next(iter(arrays))
            else:
                raise DataError(f"{p.name} holds several arrays "
                                f"({', '.join(repr(k) for k in arrays)}); say which one to use")
        if key not in arrays:
            raise DataError(f"{p.name} has no array named '{key}'")
        return numeric_array(arrays[key], f"{p.name}, array '{key}'")
    if name.endswith(CSV_SUFFIXES):
        layout = sniff_csv(p)
        fast = read_numeric(p, layout)
        if fast is not None:
            return fast
        cols = numeric_columns(read_table(p, layout=layout))
        return np.stack([c.values for c in cols], axis=1).astype(np.float32)
    raise DataError(f"{p.name}: unsupported file type for input data (use .npy, .npz or .csv)")
