"""Tests of the bundled real data sets and the resources folder lookup."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nncore.data import BUNDLED, load_bundled
from nncore.data.bundled import RESOURCES_ENV, data_dir, resources_dir
from nncore.errors import DataError

ROOT = Path(__file__).resolve().parents[2]

EXPECTED = {
    "digits": (1797, 64, [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]),
    "iris": (150, 4, [50, 50, 50]),
    "wine": (178, 13, [59, 71, 48]),
    "breast_cancer": (569, 30, [212, 357]),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sizes_and_class_counts(name: str) -> None:
    n, f, counts = EXPECTED[name]
    ds = load_bundled(name)
    assert ds.X.shape == (n, f) and ds.X.dtype == np.float32
    assert ds.y.shape == (n,) and ds.y.dtype == np.int64
    assert ds.class_counts().tolist() == counts
    assert ds.class_names is not None and len(ds.class_names) == len(counts)
    assert ds.feature_names is not None and len(ds.feature_names) == f
    assert np.all(np.isfinite(ds.X))
    info = BUNDLED[name]
    assert (info.n_samples, info.n_features, info.n_classes) == (n, f, len(counts))
    assert info.description and info.license


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_files_load_without_pickle(name: str) -> None:
    with np.load(data_dir() / BUNDLED[name].file, allow_pickle=False) as npz:
        assert {"X", "y", "class_names", "feature_names"} <= set(npz.files)
        for key in npz.files:
            assert npz[key].dtype != object


def test_digits_values_and_images() -> None:
    flat = load_bundled("digits")
    assert flat.X.min() == 0 and flat.X.max() == 16
    np.testing.assert_array_equal(flat.X, np.round(flat.X))
    assert flat.class_names == [str(d) for d in range(10)]
    img = load_bundled("digits", as_images=True)
    assert img.X.shape == (1797, 1, 8, 8) and img.input_shape == (1, 8, 8)
    # pixel (row r, col c) of image i is feature 8 * r + c
    assert img.X[5, 0, 2, 3] == flat.X[5, 8 * 2 + 3]
    np.testing.assert_array_equal(img.y, flat.y)


def test_matches_published_statistics() -> None:
    """Known facts about the UCI data sets (independent of how the files were made)."""
    iris = load_bundled("iris")
    # Fisher's iris: column means 5.843, 3.057, 3.758, 1.199 cm; 50 flowers per species.
    np.testing.assert_allclose(iris.X.mean(axis=0), [5.8433, 3.0573, 3.7580, 1.1993], atol=1e-3)
    np.testing.assert_array_equal(iris.class_counts(), [50, 50, 50])
    digits = load_bundled("digits")
    np.testing.assert_array_equal(digits.class_counts(),
                                  [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    assert digits.X.min() == 0 and digits.X.max() == 16
    np.testing.assert_array_equal(load_bundled("wine").class_counts(), [59, 71, 48])
    # Wisconsin diagnostic: 212 malignant, 357 benign, 30 features.
    cancer = load_bundled("breast_cancer")
    assert sorted(cancer.class_counts().tolist()) == [212, 357]
    assert cancer.X.shape == (569, 30)


def test_iris_names() -> None:
    ds = load_bundled("iris")
    assert ds.class_names == ["setosa", "versicolor", "virginica"]
    assert ds.feature_names[0] == "sepal length (cm)"


def test_errors() -> None:
    with pytest.raises(DataError, match="available"):
        load_bundled("mnist")
    with pytest.raises(DataError, match="only applies to 'digits'"):
        load_bundled("iris", as_images=True)


def test_resources_dir_is_next_to_nncore() -> None:
    assert resources_dir() == ROOT / "resources"
    assert (data_dir() / "README.md").is_file()


def test_resources_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "res"
    shutil.copytree(ROOT / "resources" / "data", copy / "data")
    iris = copy / "data" / "iris.npz"
    with np.load(iris, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["X"] = arrays["X"] + 100.0            # recognisably different copy
    np.savez(iris, **arrays)
    monkeypatch.setenv(RESOURCES_ENV, str(copy))
    assert resources_dir() == copy
    assert load_bundled("iris").X.min() >= 100.0


def test_runtime_does_not_import_sklearn_or_qt() -> None:
    code = ("import sys; import nncore.data as d; d.load_bundled('digits'); d.spiral(); "
            "bad = [m for m in sys.modules if m.split('.')[0] in "
            "('sklearn', 'PySide6', 'pyqtgraph', 'app', 'pandas', 'PIL')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr


def test_resources_found_through_a_symlinked_package(tmp_path: Path) -> None:
    """Like a strict editable install: the package is reached through a link elsewhere."""
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "nncore").symlink_to(ROOT / "nncore", target_is_directory=True)
    code = ("import nncore.data.bundled as b, sys; "
            "print(b.resources_dir()); sys.exit(0 if b.load_bundled('iris').n_samples == 150 "
            "else 1)")
    env = {"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, timeout=60, env=env)
    assert out.returncode == 0, out.stderr
    assert Path(out.stdout.strip()) == ROOT / "resources"
