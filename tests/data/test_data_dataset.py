"""Tests of the Dataset container."""

from __future__ import annotations

import numpy as np
import pytest

from nncore.data import Dataset
from nncore.errors import DataError


def make(n: int = 6) -> Dataset:
    X = np.arange(n * 2, dtype=np.float64).reshape(n, 2)
    y = np.array([0, 1, 2, 0, 1, 0][:n])
    return Dataset(X=X, y=y, class_names=["a", "b", "c"], feature_names=["f1", "f2"],
                   name="toy")


def test_dtypes_and_properties() -> None:
    ds = make()
    assert ds.X.dtype == np.float32 and ds.y.dtype == np.int64
    assert ds.n_samples == len(ds) == 6
    assert ds.n_classes == 3 and ds.n_outputs == 3
    assert ds.input_shape == (2,)
    assert ds.class_counts().tolist() == [3, 2, 1]


def test_regression_targets_become_2d_float32() -> None:
    ds = Dataset(X=np.zeros((4, 3)), y=np.arange(4), task="regression")
    assert ds.y.shape == (4, 1) and ds.y.dtype == np.float32
    assert ds.n_classes is None and ds.n_outputs == 1
    with pytest.raises(DataError):
        ds.class_counts()


def test_image_input_shape() -> None:
    ds = Dataset(X=np.zeros((5, 3, 4, 6)), y=np.zeros(5, dtype=int))
    assert ds.input_shape == (3, 4, 6)


def test_subset_keeps_metadata_and_rows() -> None:
    ds = make()
    sub = ds.subset([4, 1])
    assert sub.X.tolist() == [[8, 9], [2, 3]]
    assert sub.y.tolist() == [1, 1]
    assert sub.class_names == ["a", "b", "c"] and sub.feature_names == ["f1", "f2"]
    assert sub.n_classes == 3            # class names keep the count even if a class is absent
    mask = ds.y == 0
    assert ds.subset(mask).n_samples == 3
    with pytest.raises(DataError):
        ds.subset([6])


def test_multi_input() -> None:
    users = np.array([0, 1, 2, 1])
    items = np.array([3, 3, 0, 1])
    ds = Dataset(X=users, y=np.array([1.0, 2.0, 3.0, 4.0]), task="regression",
                 inputs={"user": users, "item": items})
    assert ds.input_shapes == {"user": (), "item": ()}
    sub = ds.subset([3, 0])
    assert sub.inputs is not None
    assert sub.inputs["item"].tolist() == [1, 3]
    assert sub.X.tolist() == [1, 0]


@pytest.mark.parametrize("kwargs, match", [
    ({"X": np.zeros((3, 2)), "y": np.zeros(4, dtype=int)}, "3 rows but y has 4"),
    ({"X": np.array([[0.0], [np.nan]]), "y": np.zeros(2, dtype=int)}, "non-finite"),
    ({"X": np.zeros((2, 1)), "y": np.array([0, -1])}, "negative"),
    ({"X": np.zeros((2, 1)), "y": np.array([0, 3]), "class_names": ["a", "b"]}, "class names"),
    ({"X": np.zeros((2, 1)), "y": np.zeros(2, dtype=int), "task": "clustering"}, "task"),
])
def test_invalid(kwargs: dict, match: str) -> None:
    with pytest.raises(DataError, match=match):
        Dataset(**kwargs)
