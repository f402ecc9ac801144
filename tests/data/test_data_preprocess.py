"""Tests of Normalizer and split."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nncore.data import Dataset, Normalizer, split
from nncore.errors import DataError


@pytest.fixture
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    train = rng.normal([1.0, -5.0, 100.0], [2.0, 0.5, 30.0], (200, 3)).astype(np.float32)
    other = rng.normal(0.0, 1.0, (50, 3)).astype(np.float32)
    return train, other


def test_standardize_uses_training_statistics(data) -> None:
    train, other = data
    norm = Normalizer("standardize").fit(train)
    mean, std = np.mean(train.astype(np.float64), axis=0), np.std(train.astype(np.float64), axis=0)
    np.testing.assert_allclose(norm.stats["mean"], mean, rtol=1e-10)
    np.testing.assert_allclose(norm.stats["std"], std, rtol=1e-10)
    out = norm.transform(other)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, (other - mean) / std, rtol=1e-5, atol=1e-6)
    z = norm.transform(train)
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(z.std(axis=0), 1.0, atol=1e-5)
    np.testing.assert_allclose(norm.inverse_transform(out), other, rtol=1e-4, atol=1e-4)


def test_minmax(data) -> None:
    train, other = data
    norm = Normalizer("minmax").fit(train)
    lo, hi = train.min(axis=0), train.max(axis=0)
    out = norm.transform(train)
    assert out.min() == pytest.approx(0.0, abs=1e-6) and out.max() == pytest.approx(1.0)
    np.testing.assert_allclose(norm.transform(other), (other - lo) / (hi - lo), rtol=1e-5,
                               atol=1e-6)


def test_constant_column_no_division_by_zero() -> None:
    X = np.array([[1.0, 7.0], [2.0, 7.0], [3.0, 7.0]])
    for mode in ("standardize", "minmax"):
        out = Normalizer(mode).fit_transform(X)
        assert np.all(np.isfinite(out))
        np.testing.assert_array_equal(out[:, 1], 0.0)
    assert np.array_equal(Normalizer("none").fit_transform(X), X.astype(np.float32))


def test_per_channel_for_images() -> None:
    rng = np.random.default_rng(1)
    imgs = rng.normal(size=(10, 3, 4, 5)) * np.array([1.0, 2.0, 3.0])[None, :, None, None]
    norm = Normalizer().fit(imgs)
    ref_mean = [imgs[:, c].mean() for c in range(3)]
    ref_std = [imgs[:, c].std() for c in range(3)]
    np.testing.assert_allclose(norm.stats["mean"], ref_mean, rtol=1e-10)
    np.testing.assert_allclose(norm.stats["std"], ref_std, rtol=1e-10)
    out = norm.transform(imgs)
    for c in range(3):
        assert out[:, c].mean() == pytest.approx(0.0, abs=1e-5)
        assert out[:, c].std() == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(DataError, match="3 channels, got 1"):
        norm.transform(imgs[:, :1])


def test_sequences_per_feature() -> None:
    seq = np.random.default_rng(2).normal(size=(8, 6, 2)) + np.array([0.0, 10.0])
    norm = Normalizer().fit(seq)
    np.testing.assert_allclose(norm.stats["mean"], seq.reshape(-1, 2).mean(axis=0))


def test_state_roundtrips(data, tmp_path) -> None:
    train, other = data
    for mode in ("standardize", "minmax", "none"):
        norm = Normalizer(mode).fit(train)
        expected = norm.transform(other)
        via_json = Normalizer.from_dict(json.loads(json.dumps(norm.to_dict())))
        np.testing.assert_array_equal(via_json.transform(other), expected)
        path = tmp_path / f"{mode}.npz"
        np.savez(path, **{f"norm/{k}": v for k, v in norm.state_arrays().items()})
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k.split("/", 1)[1]: npz[k] for k in npz.files}
        via_npz = Normalizer.from_state_arrays(mode, arrays)
        np.testing.assert_array_equal(via_npz.transform(other), expected)


def test_normalizer_errors() -> None:
    with pytest.raises(DataError, match="mode"):
        Normalizer("zscore")
    with pytest.raises(DataError, match="not been fitted"):
        Normalizer().transform(np.zeros((2, 2)))
    with pytest.raises(DataError, match="lacks"):
        Normalizer.from_state_arrays("standardize", {"mean": np.zeros(2)})
    with pytest.raises(DataError, match="2 features, got 3"):
        Normalizer().fit(np.zeros((3, 2))).transform(np.zeros((3, 3)))


def make_imbalanced(n0: int = 60, n1: int = 30, n2: int = 10) -> Dataset:
    y = np.repeat([0, 1, 2], [n0, n1, n2])
    X = np.arange(len(y), dtype=np.float32)[:, None]      # X encodes the original row index
    return Dataset(X=X, y=y, class_names=["a", "b", "c"], name="imb")


def test_stratified_split_proportions() -> None:
    ds = make_imbalanced()
    train, val, test = split(ds, val_fraction=0.2, test_fraction=0.1, seed=3)
    assert test is not None
    assert (train.n_samples, val.n_samples, test.n_samples) == (70, 20, 10)
    assert val.class_counts().tolist() == [12, 6, 2]
    assert test.class_counts().tolist() == [6, 3, 1]
    assert train.class_counts().tolist() == [42, 21, 7]
    rows = np.concatenate([train.X[:, 0], val.X[:, 0], test.X[:, 0]]).astype(int)
    assert sorted(rows.tolist()) == list(range(100))          # a partition of the rows
    for part in (train, val, test):
        np.testing.assert_array_equal(part.y, ds.y[part.X[:, 0].astype(int)])


def test_split_deterministic_and_seed_dependent() -> None:
    ds = make_imbalanced()
    a = split(ds, 0.25, seed=1)
    b = split(ds, 0.25, seed=1)
    c = split(ds, 0.25, seed=2)
    np.testing.assert_array_equal(a[1].X, b[1].X)
    assert not np.array_equal(a[1].X, c[1].X)
    assert a[2] is None


def test_unstratified_and_regression_split() -> None:
    ds = Dataset(X=np.arange(50.0)[:, None], y=np.arange(50.0), task="regression")
    train, val, test = split(ds, 0.3, 0.1, seed=0)
    assert test is not None
    assert (train.n_samples, val.n_samples, test.n_samples) == (30, 15, 5)
    np.testing.assert_array_equal(val.X[:, 0], val.y[:, 0])
    cls = make_imbalanced()
    tr, va, _ = split(cls, 0.2, stratify=False, seed=0)
    assert tr.n_samples == 80 and va.n_samples == 20


@pytest.mark.parametrize("val, test, match", [
    (0.0, 0.0, "between 0 and 1"), (1.0, 0.0, "between 0 and 1"), (-0.1, 0.0, "between"),
    (0.2, -0.1, "test_fraction"), (0.6, 0.4, "below 1"), (float("nan"), 0.0, "number"),
])
def test_split_fraction_errors(val: float, test: float, match: str) -> None:
    with pytest.raises(DataError, match=match):
        split(make_imbalanced(), val, test)


def test_split_too_few_samples() -> None:
    tiny = Dataset(X=np.zeros((2, 1)), y=np.array([0, 1]))
    with pytest.raises(DataError, match="too few samples"):
        split(tiny, 0.5)
    tiny3 = Dataset(X=np.zeros((3, 1)), y=np.array([0, 1, 1]))
    with pytest.raises(DataError, match="too few samples"):
        split(tiny3, 0.3, 0.3)


def test_singleton_class_stays_in_training() -> None:
    ds = Dataset(X=np.zeros((11, 1)), y=np.array([0] * 10 + [1]))
    train, val, _ = split(ds, 0.3, seed=0)
    assert train.class_counts()[1] == 1 and val.class_counts()[1] == 0
    assert val.n_samples == 3
