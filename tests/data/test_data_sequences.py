"""Tests of sliding windows and sequence data sets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nncore.data import csv_column_dataset, sine_dataset, sine_series, sliding_windows
from nncore.data.sequences import series_to_dataset
from nncore.errors import DataError


def test_sliding_windows_by_hand() -> None:
    X, y = sliding_windows([10, 11, 12, 13, 14, 15], window=3, horizon=1)
    assert X.shape == (3, 3, 1) and y.shape == (3, 1)
    assert X.dtype == np.float32 and y.dtype == np.float32
    assert X[:, :, 0].tolist() == [[10, 11, 12], [11, 12, 13], [12, 13, 14]]
    assert y[:, 0].tolist() == [13, 14, 15]


def test_sliding_windows_horizon() -> None:
    X, y = sliding_windows(np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]), window=2, horizon=3)
    assert X[:, :, 0].tolist() == [[1, 2], [2, 3], [3, 4]]
    assert y[:, 0].tolist() == [5, 6, 7]


def test_sliding_windows_errors() -> None:
    with pytest.raises(DataError, match="too short"):
        sliding_windows([1, 2, 3], window=3)
    with pytest.raises(DataError, match="window"):
        sliding_windows([1, 2, 3], window=0)
    with pytest.raises(DataError, match="1-D"):
        sliding_windows(np.zeros((4, 2)), window=2)
    with pytest.raises(DataError, match="position 2"):
        sliding_windows([1.0, 2.0, np.nan, 4.0], window=1)


def test_series_and_sine_datasets() -> None:
    ds = series_to_dataset(np.arange(10.0), window=4, horizon=2)
    assert ds.task == "regression" and ds.X.shape == (5, 4, 1) and ds.input_shape == (4, 1)
    assert ds.y[:, 0].tolist() == [5, 6, 7, 8, 9]
    sine = sine_dataset(n_points=100, window=10, noise=0.0, seed=0)
    series = sine_series(100, noise=0.0, seed=0)
    assert sine.X.shape == (90, 10, 1)
    np.testing.assert_array_equal(sine.X[7, :, 0], series[7:17])
    assert sine.y[7, 0] == series[17]


def test_csv_column_dataset(tmp_path: Path) -> None:
    p = tmp_path / "prices.csv"
    p.write_text("day,price\n" + "\n".join(f"{i},{i * i}" for i in range(8)) + "\n")
    ds = csv_column_dataset(p, column="price", window=3)
    assert ds.X[:, :, 0].tolist()[0] == [0, 1, 4]
    assert ds.y[:, 0].tolist() == [9, 16, 25, 36, 49]
    p.write_text("day,price\n0,1\n1,two\n2,3\n3,4\n")
    with pytest.raises(DataError, match="prices.csv line 3, column 'price'"):
        csv_column_dataset(p, column="price", window=2)
