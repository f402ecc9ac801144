"""Normalisation and splits in float32, a block at a time: the same numbers as the float64
formulas, and no float64 copy (nor any second copy) of the whole data on the way."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from nncore.data import Dataset, Normalizer, load_csv, split
from nncore.data import preprocess as pp
from nncore.data.dataset import all_finite
from nncore.data.formats import csv_fast, files


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    monkeypatch.setattr(pp, "_BLOCK_BYTES", 512)  # many blocks even for small arrays


SHAPES = [(37, 5), (23, 4, 3), (19, 3, 4, 5)]


def _data(shape, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    scale = np.geomspace(0.01, 300.0, shape[-1] if len(shape) == 3 else shape[1])
    lead = [1] * len(shape)
    lead[2 if len(shape) == 3 else 1] = len(scale)
    return (rng.normal(size=shape) * scale.reshape(lead) + 5.0).astype(np.float32)


def _axes(ndim: int) -> tuple[int, ...]:
    return {2: (0,), 3: (0, 1), 4: (0, 2, 3)}[ndim]


@pytest.mark.parametrize("shape", SHAPES)
def test_statistics_match_float64_references(shape):
    X = _data(shape)
    x64 = X.astype(np.float64)
    s = Normalizer("standardize").fit(X).stats
    np.testing.assert_allclose(s["mean"], x64.mean(axis=_axes(X.ndim)), rtol=1e-12)
    np.testing.assert_allclose(s["std"], x64.std(axis=_axes(X.ndim)), rtol=1e-12)
    m = Normalizer("minmax").fit(X).stats
    np.testing.assert_array_equal(m["min"], x64.min(axis=_axes(X.ndim)))
    np.testing.assert_array_equal(m["max"], x64.max(axis=_axes(X.ndim)))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("mode", ["standardize", "minmax", "none"])
def test_transform_equals_the_float64_formula_bit_for_bit(shape, mode):
    X, other = _data(shape), _data(shape, seed=1)
    norm = Normalizer(mode).fit(X)
    if mode == "none":
        want = other.copy()
    else:
        off, scale = (a.reshape(norm._shape_for(other)) for a in norm._offset_scale())
        want = ((other.astype(np.float64) - off) / scale).astype(np.float32)
    got = norm.transform(other)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, want)
    if mode != "none":
        back = (want.astype(np.float64) * scale + off).astype(np.float32)
        np.testing.assert_array_equal(norm.inverse_transform(want), back)
    inplace = other.copy()
    assert norm.transform(inplace, out=inplace) is inplace
    np.testing.assert_array_equal(inplace, want)


def test_apply_copies_unless_told_not_to():
    X = _data((40, 3))
    ds = Dataset(X=X.copy(), y=np.arange(40) % 2)
    norm = Normalizer().fit(ds.X)
    copied = norm.apply(ds)
    np.testing.assert_array_equal(ds.X, X)               # the raw data is untouched
    assert not np.shares_memory(copied.X, ds.X)
    in_place = norm.apply(ds, copy=False)
    assert np.shares_memory(in_place.X, ds.X)
    np.testing.assert_array_equal(in_place.X, copied.X)
    ints = Dataset(X=np.arange(6, dtype=np.int64).reshape(3, 2), y=[0, 1, 0])
    assert Normalizer().fit(ints.X).apply(ints, copy=False).X.dtype == np.float32


def test_all_finite_in_blocks():
    a = np.ones((1000, 7), np.float32)
    assert all_finite(a, block_bytes=64)
    a[999, 6] = np.inf
    assert not all_finite(a, block_bytes=64)
    assert all_finite(np.arange(5)) and not all_finite(np.float32(np.nan))


def _peak(fn) -> tuple[object, int]:
    tracemalloc.start()
    try:
        out = fn()
        return out, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_no_second_copy_of_the_data_on_the_way(monkeypatch, tmp_path):
    """Reading an all-numeric CSV needs the float32 array and loadtxt's slack (np.loadtxt
    alone peaks at 1.2 times its result here, 1.6 times from streamed lines); fitting
    allocates blocks only; normalising in place nothing of the data's size; a split its
    two parts. (tracemalloc sees NumPy's allocations.)"""
    monkeypatch.setattr(pp, "_BLOCK_BYTES", 1 << 16)
    monkeypatch.setattr(files, "CHUNK_BYTES", 1 << 16)
    monkeypatch.setattr(csv_fast, "_BLOCK_BYTES", 1 << 16)
    rng = np.random.default_rng(0)
    n, f = 10000, 100
    p = tmp_path / "d.csv"
    values = rng.integers(0, 256, (n, f + 1))
    values[:, 0] %= 10
    p.write_text("\n".join(",".join(map(str, r)) for r in values.tolist()) + "\n")
    ds, peak = _peak(lambda: load_csv(p, target=0))
    size = ds.X.nbytes
    assert ds.X.dtype == np.float32 and size == n * f * 4
    assert peak < 2.5 * size, peak / size  # a float64 copy would add 2
    norm, peak = _peak(lambda: Normalizer().fit(ds.X))
    assert peak < 0.3 * size, peak / size
    (train, val, _), peak = _peak(lambda: split(ds, 0.2))
    assert peak < 1.2 * size, peak / size
    _, peak = _peak(lambda: norm.apply(train, copy=False))
    assert peak < 0.3 * size, peak / size
    _, peak = _peak(lambda: norm.apply(val))
    assert peak < 0.5 * size, peak / size
