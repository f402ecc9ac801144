"""Tests of the NumPy (.npz / .npy) and MNIST IDX loaders."""

from __future__ import annotations

import gzip
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest

from nncore.data import load_array, load_data, load_idx, load_numpy, read_idx
from nncore.errors import DataError


# ---------------------------------------------------------------------------------------------
# .npz / .npy
# ---------------------------------------------------------------------------------------------
def test_npz_roundtrip_classification(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3))
    y = rng.integers(0, 3, 20)
    p = tmp_path / "d.npz"
    np.savez(p, X=X, y=y, class_names=np.array(["a", "b", "c"]),
             feature_names=np.array(["f1", "f2", "f3"]))
    ds = load_numpy(p)
    np.testing.assert_allclose(ds.X, X.astype(np.float32))
    np.testing.assert_array_equal(ds.y, y)
    assert ds.task == "classification" and ds.class_names == ["a", "b", "c"]
    assert ds.feature_names == ["f1", "f2", "f3"]


def test_npz_roundtrip_images_regression_and_text_labels(tmp_path: Path) -> None:
    imgs = np.arange(2 * 1 * 4 * 4, dtype=np.uint8).reshape(2, 1, 4, 4)
    p = tmp_path / "img.npz"
    np.savez_compressed(p, images=imgs, labels=np.array(["cat", "dog"]))
    ds = load_numpy(p, x_key="images", y_key="labels")
    assert ds.X.shape == (2, 1, 4, 4) and ds.class_names == ["cat", "dog"]
    np.testing.assert_array_equal(ds.X, imgs.astype(np.float32))
    r = tmp_path / "r.npz"
    target = np.linspace(0, 1, 10).reshape(10, 1)
    np.savez(r, X=np.zeros((10, 2)), y=target)
    reg = load_data(r)
    assert reg.task == "regression" and reg.y.shape == (10, 1)
    np.testing.assert_allclose(reg.y, target.astype(np.float32))


def test_npz_missing_key_and_length_mismatch(tmp_path: Path) -> None:
    p = tmp_path / "d.npz"
    np.savez(p, inputs=np.zeros((3, 2)), y=np.zeros(3))
    with pytest.raises(DataError, match="no array named 'X'; it holds: 'inputs', 'y'"):
        load_numpy(p)
    q = tmp_path / "e.npz"
    np.savez(q, X=np.zeros((3, 2)), y=np.zeros(4, dtype=int))
    with pytest.raises(DataError, match="'X' has 3 rows but 'y' has 4"):
        load_numpy(q)


def test_npz_nan_rejected(tmp_path: Path) -> None:
    X = np.zeros((4, 2))
    X[2, 1] = np.nan
    p = tmp_path / "n.npz"
    np.savez(p, X=X, y=np.arange(4))
    with pytest.raises(DataError, match=r"array 'X'.*row 2"):
        load_numpy(p)


def test_object_array_rejected(tmp_path: Path) -> None:
    p = tmp_path / "obj.npz"
    np.savez(p, X=np.array([{"a": 1}, None], dtype=object), y=np.array([0, 1]))
    with pytest.raises(DataError, match="dtype=object"):
        load_numpy(p)
    q = tmp_path / "obj.npy"
    np.save(q, np.array([1, "x", None], dtype=object))
    with pytest.raises(DataError, match="dtype=object"):
        load_array(q)


class _Evil:
    def __reduce__(self):
        return (print, ("unpickled!",))


def test_pickle_renamed_to_npz(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "weights.npz"
    p.write_bytes(pickle.dumps({"X": _Evil(), "y": [0, 1]}))
    with pytest.raises(DataError, match="weights.npz looks like a Python pickle"):
        load_numpy(p)
    with pytest.raises(DataError, match="pickle"):
        load_array(p)
    with pytest.raises(DataError, match="pickle"):
        load_data(p)
    assert "unpickled!" not in capsys.readouterr().out


def test_garbage_and_truncated_npz(tmp_path: Path) -> None:
    p = tmp_path / "junk.npz"
    p.write_bytes(b"hello world, definitely not numpy")
    with pytest.raises(DataError, match="not a NumPy .npz archive"):
        load_numpy(p)
    good = tmp_path / "good.npz"
    np.savez_compressed(good, X=np.random.default_rng(0).normal(size=(200, 20)), y=np.zeros(200))
    cut = tmp_path / "cut.npz"
    cut.write_bytes(good.read_bytes()[:300])
    with pytest.raises(DataError, match="cut.npz"):
        load_numpy(cut)
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    with pytest.raises(DataError, match="empty"):
        load_numpy(empty)


def test_npy_needs_labels_but_load_array_works(tmp_path: Path) -> None:
    p = tmp_path / "x.npy"
    arr = np.arange(12, dtype=np.int32).reshape(4, 3)
    np.save(p, arr)
    with pytest.raises(DataError, match="load_array"):
        load_numpy(p)
    with pytest.raises(DataError, match="load_array"):
        load_data(p)
    out = load_array(p)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, arr)
    z = tmp_path / "x.npz"
    np.savez(z, only=arr)
    np.testing.assert_array_equal(load_array(z), arr)
    c = tmp_path / "x.csv"
    c.write_text("a,b,c\n0,1,2\n3,4,5\n")
    np.testing.assert_array_equal(load_array(c), [[0, 1, 2], [3, 4, 5]])


# ---------------------------------------------------------------------------------------------
# IDX
# ---------------------------------------------------------------------------------------------
def idx_bytes(arr: np.ndarray, code: int) -> bytes:
    """Hand-built IDX encoding (independent of the loader)."""
    fmt = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}[code]
    head = bytes([0, 0, code, arr.ndim]) + b"".join(struct.pack(">I", d) for d in arr.shape)
    return head + arr.astype(fmt).tobytes()


@pytest.fixture
def mnist_like() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (7, 5, 4)).astype(np.uint8), np.array([3, 1, 4, 1, 5, 9, 2])


@pytest.mark.parametrize("compress", [False, True])
def test_idx_roundtrip(tmp_path: Path, mnist_like, compress: bool) -> None:
    images, labels = mnist_like
    ip = tmp_path / ("images-idx3-ubyte" + (".gz" if compress else ""))
    lp = tmp_path / ("labels-idx1-ubyte" + (".gz" if compress else ""))
    opener = gzip.open if compress else open
    with opener(ip, "wb") as f:
        f.write(idx_bytes(images, 0x08))
    with opener(lp, "wb") as f:
        f.write(idx_bytes(labels, 0x08))
    ds = load_idx(ip, lp)
    assert ds.X.shape == (7, 1, 5, 4) and ds.X.dtype == np.float32
    np.testing.assert_allclose(ds.X[:, 0], images / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(ds.y, labels)
    assert ds.class_names == [str(k) for k in range(10)]
    same = load_data(ip, labels_path=lp)
    np.testing.assert_array_equal(same.X, ds.X)


@pytest.mark.parametrize("code, dtype", [(0x09, np.int8), (0x0B, np.int16), (0x0C, np.int32),
                                         (0x0D, np.float32), (0x0E, np.float64)])
def test_read_idx_types(tmp_path: Path, code: int, dtype) -> None:
    arr = (np.arange(24).reshape(2, 3, 4) - 10).astype(dtype)
    p = tmp_path / "a.idx"
    p.write_bytes(idx_bytes(arr, code))
    out = read_idx(p)
    assert out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out, arr)


def test_idx_validation(tmp_path: Path, mnist_like) -> None:
    images, labels = mnist_like
    good_i = idx_bytes(images, 0x08)
    ip, lp = tmp_path / "i-idx3-ubyte", tmp_path / "l-idx1-ubyte"
    ip.write_bytes(good_i)
    lp.write_bytes(idx_bytes(labels[:6], 0x08))
    with pytest.raises(DataError, match="holds 7 images but l-idx1-ubyte holds 6 labels"):
        load_idx(ip, lp)
    lp.write_bytes(idx_bytes(labels, 0x08))
    ip.write_bytes(good_i[:-5])
    with pytest.raises(DataError, match="truncated"):
        load_idx(ip, lp)
    ip.write_bytes(good_i + b"\x00")
    with pytest.raises(DataError, match="unexpected bytes"):
        load_idx(ip, lp)
    ip.write_bytes(b"\x01\x02" + good_i[2:])
    with pytest.raises(DataError, match="magic"):
        load_idx(ip, lp)
    ip.write_bytes(b"\x00\x00\x07\x03" + good_i[4:])
    with pytest.raises(DataError, match="type code 0x07"):
        load_idx(ip, lp)
    huge = bytes([0, 0, 8, 3]) + struct.pack(">III", 60000, 28, 28) + b"\x00" * 10
    ip.write_bytes(huge)
    with pytest.raises(DataError, match="truncated"):
        load_idx(ip, lp)
    ip.write_bytes(good_i)
    with pytest.raises(DataError, match="labels file"):
        load_idx(ip, ip)
    with pytest.raises(DataError, match="labels_path"):
        load_data(ip)
