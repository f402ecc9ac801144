"""Sequence data: cut a 1-D series into (window -> future value) training pairs.

``sliding_windows(series, window, horizon)`` returns ``X`` of shape ``(n, window, 1)`` (the
``(n, T, F)`` layout recurrent layers take) and ``y`` of shape ``(n, 1)``, where sample ``i``
is ``series[i : i + window]`` and its target is ``series[i + window + horizon - 1]``, so
``n = len(series) - window - horizon + 1``.
"""

from __future__ import annotations

import os

import numpy as np

from nncore.errors import DataError

from .dataset import Dataset
from .formats.csv_files import read_csv_column
from .synthetic import sine_series


def sliding_windows(series: np.ndarray | list[float], window: int,
                    horizon: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Windows of ``window`` consecutive values and the value ``horizon`` steps after each.

    Returns ``X`` ``float32 (n, window, 1)`` and ``y`` ``float32 (n, 1)``.
    """
    s = np.asarray(series)
    if s.ndim == 2 and s.shape[1] == 1:
        s = s[:, 0]
    if s.ndim != 1:
        raise DataError(f"a series must be 1-D (or one column), got shape {s.shape}")
    if s.dtype.kind not in "biuf":
        raise DataError(f"a series must be numeric, got dtype {s.dtype}")
    for label, value in (("window", window), ("horizon", horizon)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise DataError(f"{label} must be a positive integer, got {value!r}")
    s = s.astype(np.float32)
    if not np.all(np.isfinite(s)):
        i = int(np.flatnonzero(~np.isfinite(s))[0])
        raise DataError(f"the series has a non-finite value at position {i}")
    n = len(s) - window - horizon + 1
    if n < 1:
        raise DataError(f"a series of {len(s)} values is too short for window={window} and "
                        f"horizon={horizon} (it needs at least {window + horizon} values)")
    X = np.lib.stride_tricks.sliding_window_view(s, window)[:n]
    y = s[window + horizon - 1:window + horizon - 1 + n]
    return np.ascontiguousarray(X)[:, :, None], y[:, None].copy()


def series_to_dataset(series: np.ndarray | list[float], window: int, horizon: int = 1,
                      name: str = "series", description: str = "") -> Dataset:
    """A regression :class:`Dataset` of :func:`sliding_windows` of ``series``.

    ``meta['series']`` keeps the original series (``float32``) for plotting.
    """
    X, y = sliding_windows(series, window, horizon)
    return Dataset(X=X, y=y, task="regression", feature_names=["value"], name=name,
                   description=description or f"{len(X)} windows of {window} step(s), "
                                              f"horizon {horizon}",
                   meta={"window": window, "horizon": horizon,
                         "series": np.asarray(series, dtype=np.float32).ravel()})


def sine_dataset(n_points: int = 1000, window: int = 20, horizon: int = 1,
                 noise: float = 0.05, seed: int | None = 0, period: float = 50.0) -> Dataset:
    """Windows of a noisy sine wave (:func:`nncore.data.synthetic.sine_series`)."""
    series = sine_series(n_points, noise, seed, period)
    return series_to_dataset(series, window, horizon, name="sine",
                             description=f"Noisy sine wave (period {period:g}, noise "
                                         f"{noise:g}): predict {horizon} step(s) after a "
                                         f"window of {window}")


def csv_column_dataset(path: str | os.PathLike[str], column: str | int | None = None,
                       window: int = 20, horizon: int = 1, has_header: bool | None = None
                       ) -> Dataset:
    """Windows of one numeric CSV column (default: the last), read top to bottom."""
    values, col_name = read_csv_column(path, column, has_header)
    name = os.path.basename(os.fspath(path))
    return series_to_dataset(values, window, horizon, name=f"{name}:{col_name}",
                             description=f"{name}, column '{col_name}': {len(values)} values, "
                                         f"window {window}, horizon {horizon}")
