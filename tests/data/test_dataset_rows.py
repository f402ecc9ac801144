"""Splits remember which rows of the loaded data set they hold, so a click on a sample of
the whole data set finds the split and row it became."""

from __future__ import annotations

import numpy as np

from nncore.data.dataset import Dataset
from nncore.data.preprocess import split
from nncore.project import DataSpec
from nncore.run import locate_row, prepare_data


def test_subsets_of_subsets_point_at_the_rows_as_loaded():
    ds = Dataset(X=np.arange(20, dtype=np.float32).reshape(10, 2), y=np.arange(10) % 2)
    assert ds.rows is None
    a = ds.subset([9, 3, 5, 1])
    b = a.subset(np.array([False, True, False, True]))
    np.testing.assert_array_equal(a.rows, [9, 3, 5, 1])
    np.testing.assert_array_equal(b.rows, [3, 1])
    np.testing.assert_array_equal(b.X, ds.X[[3, 1]])


def test_the_splits_partition_the_rows():
    ds = Dataset(X=np.random.default_rng(0).normal(size=(50, 3)).astype(np.float32),
                 y=np.arange(50) % 3)
    train, val, test = split(ds, 0.2, 0.2, seed=4)
    rows = np.concatenate([train.rows, val.rows, test.rows])
    assert sorted(rows.tolist()) == list(range(50))
    for part in (train, val, test):
        np.testing.assert_array_equal(part.X, ds.X[part.rows])


def test_locate_row_finds_each_sample_in_its_split():
    data = prepare_data(DataSpec(source="synthetic", name="xor", val_fraction=0.25,
                                 test_fraction=0.1, params={"n_samples": 80}))
    seen = set()
    for row in range(80):
        name, index = locate_row(data, row)
        part = {"train": data.train, "val": data.val, "test": data.test}[name]
        assert part.y[index] == data.dataset.y[row]
        seen.add((name, index))
    assert len(seen) == 80
    assert locate_row(data, 80) is None
