"""Tests of load_image_folder (PNG files written with Pillow into a temporary folder)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nncore.data import load_data, load_image_folder
from nncore.errors import DataError


def save(path: Path, arr: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "shapes"
    rng = np.random.default_rng(0)
    for cls, n in (("circle", 3), ("square", 2)):
        for i in range(n):
            save(root / cls / f"{i}.png", rng.integers(0, 256, (6, 4), dtype=np.uint8))
    return root


def test_grayscale_folder(folder: Path) -> None:
    ds = load_image_folder(folder)
    assert ds.X.shape == (5, 1, 6, 4) and ds.X.dtype == np.float32
    assert ds.class_names == ["circle", "square"]
    assert ds.y.tolist() == [0, 0, 0, 1, 1]
    ref = np.asarray(Image.open(folder / "square" / "1.png"), dtype=np.float64) / 255.0
    np.testing.assert_allclose(ds.X[4, 0], ref, rtol=1e-6)
    assert 0.0 <= ds.X.min() and ds.X.max() <= 1.0
    assert ds.meta["files"][0] == "circle/0.png"


def test_rgb_channels_first(tmp_path: Path) -> None:
    root = tmp_path / "rgb"
    img = np.zeros((3, 5, 3), dtype=np.uint8)
    img[..., 0], img[..., 1], img[..., 2] = 255, 128, 0
    save(root / "a" / "x.png", img)
    save(root / "b" / "y.png", img[::-1].copy())
    ds = load_image_folder(root, color="rgb")
    assert ds.X.shape == (2, 3, 3, 5)
    np.testing.assert_allclose(ds.X[0, :, 1, 2], [1.0, 128 / 255, 0.0], rtol=1e-6)


def test_mixed_sizes_resized(tmp_path: Path) -> None:
    root = tmp_path / "mixed"
    save(root / "a" / "big.png", np.full((20, 10), 200, dtype=np.uint8))
    save(root / "b" / "small.png", np.full((4, 4), 50, dtype=np.uint8))
    ds = load_image_folder(root, size=(8, 6))
    assert ds.X.shape == (2, 1, 8, 6)
    np.testing.assert_allclose(ds.X[0], 200 / 255, rtol=1e-5)      # uniform images stay uniform
    np.testing.assert_allclose(ds.X[1], 50 / 255, rtol=1e-5)
    ref = np.asarray(Image.open(root / "a" / "big.png").resize((6, 8), Image.Resampling.BILINEAR))
    np.testing.assert_allclose(ds.X[0, 0], ref / 255.0, rtol=1e-6)


def test_mixed_sizes_without_size_names_two_files(tmp_path: Path) -> None:
    root = tmp_path / "mixed"
    save(root / "a" / "big.png", np.zeros((20, 10), dtype=np.uint8))
    save(root / "b" / "small.png", np.zeros((4, 4), dtype=np.uint8))
    with pytest.raises(DataError, match=r"a/big.png is 20x10 but b/small.png is 4x4"):
        load_image_folder(root)


def test_non_image_file_named(folder: Path) -> None:
    (folder / "square" / "notes.txt").write_text("hello")
    with pytest.raises(DataError, match=r"square/notes.txt: not an image file"):
        load_image_folder(folder)
    ds = load_image_folder(folder, skip_invalid=True)
    assert ds.n_samples == 5 and ds.meta["skipped"] == ["square/notes.txt"]


def test_unreadable_image_named(folder: Path) -> None:
    (folder / "circle" / "broken.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(DataError, match=r"circle/broken.png: cannot read the image"):
        load_image_folder(folder)


def test_hidden_and_junk_files_ignored(folder: Path) -> None:
    (folder / "circle" / ".DS_Store").write_bytes(b"\x00\x01")
    (folder / "circle" / "Thumbs.db").write_bytes(b"\x00\x01")
    (folder / "README.txt").write_text("loose files at the root are not in a class")
    assert load_image_folder(folder).n_samples == 5


def test_folder_errors(tmp_path: Path) -> None:
    flat = tmp_path / "flat"
    save(flat / "x.png", np.zeros((2, 2), dtype=np.uint8))
    with pytest.raises(DataError, match="no sub-folders"):
        load_image_folder(flat)
    (flat / "empty_class").mkdir()
    with pytest.raises(DataError, match="'empty_class' contains no usable images"):
        load_image_folder(flat)
    with pytest.raises(DataError, match="not found"):
        load_image_folder(tmp_path / "missing")
    with pytest.raises(DataError, match="color"):
        load_image_folder(flat, color="cmyk")
    with pytest.raises(DataError, match="size"):
        load_image_folder(flat, size=(0, 3))


def test_load_data_dispatches_folders(folder: Path) -> None:
    ds = load_data(folder, size=(3, 3))
    assert ds.X.shape == (5, 1, 3, 3)
    with pytest.raises(DataError, match="'target' do not apply to image folders"):
        load_data(folder, target="x")


def test_absurd_resize_target_is_refused_before_any_work(tmp_path):
    from nncore.data.formats.image_folder import MAX_IMAGE_SIDE

    (tmp_path / "a").mkdir()
    with pytest.raises(DataError, match=f"at most {MAX_IMAGE_SIDE}"):
        load_image_folder(tmp_path, size=(100_000, 100_000))
