"""Small real data sets shipped with NetCanvas, usable offline.

The files live in ``resources/data/`` at the repository root (next to ``nncore/``), as
``.npz`` archives of plain arrays (``X``, ``y``, ``class_names``, ``feature_names``), read with
``allow_pickle=False``. See ``resources/data/README.md`` for sources and licences. They were
produced once by ``resources/data/make_bundled.py``; nothing here imports scikit-learn.

The folder is found, in order, from the ``NETCANVAS_RESOURCES`` environment variable (a
``resources`` folder), a frozen application's bundle directory (``sys._MEIPASS``) and
``Path(__file__).resolve().parents[2] / 'resources'``, which holds for a source checkout and
for an editable install alike.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nncore.errors import DataError

from .dataset import Dataset

RESOURCES_ENV = "NETCANVAS_RESOURCES"


@dataclass(frozen=True)
class BundledInfo:
    """What a bundled data set is, before loading it."""

    name: str
    title: str
    description: str
    file: str
    n_samples: int
    n_features: int
    n_classes: int
    source: str
    license: str


BUNDLED: dict[str, BundledInfo] = {
    "digits": BundledInfo(
        "digits", "Handwritten digits 8x8",
        "1,797 handwritten digits, 0 to 9 (10 classes), each a small 8×8 grey picture. The "
        "network sees a digit as a row of 64 pixel values, or as a 1×8×8 image for "
        "convolution layers (choose below). After training, Results show the confusion "
        "matrix and, for images, the digits it got wrong.",
        "digits.npz", 1797, 64, 10,
        "UCI ML Repository: Optical Recognition of Handwritten Digits (test part)",
        "CC BY 4.0"),
    "iris": BundledInfo(
        "iris", "Iris flowers",
        "150 iris flowers of 3 species, each measured 4 times: the length and width of its "
        "sepals and petals, in cm. A small classic: the network learns the species from "
        "the measurements; Results show which it confuses.",
        "iris.npz", 150, 4, 3, "UCI ML Repository: Iris (R. A. Fisher, 1936)", "CC BY 4.0"),
    "wine": BundledInfo(
        "wine", "Wine recognition",
        "178 Italian wines from 3 grape cultivars, each described by 13 chemical "
        "measurements on very different scales (normalization matters here). The network "
        "learns the cultivar from the measurements.",
        "wine.npz", 178, 13, 3, "UCI ML Repository: Wine", "CC BY 4.0"),
    "breast_cancer": BundledInfo(
        "breast_cancer", "Breast cancer Wisconsin (diagnostic)",
        "569 breast tissue samples, malignant or benign (2 classes), each described by 30 "
        "measurements of its cell nuclei taken from microscope images. The network learns "
        "the diagnosis from the measurements.",
        "breast_cancer.npz", 569, 30, 2,
        "UCI ML Repository: Breast Cancer Wisconsin (Diagnostic)", "CC BY 4.0"),
}


def resources_dir() -> Path:
    """The ``resources`` folder (see the module docstring for how it is found)."""
    candidates: list[Path] = []
    env = os.environ.get(RESOURCES_ENV)
    if env:
        candidates.append(Path(env))
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates.append(Path(bundle) / "resources")
    candidates.append(Path(__file__).resolve().parents[2] / "resources")
    for c in candidates:
        if (c / "data").is_dir():
            return c
    raise DataError("cannot find the NetCanvas 'resources' folder with the bundled data; "
                    f"looked in: {', '.join(str(c) for c in candidates)}. Set "
                    f"{RESOURCES_ENV} to its location")


def data_dir() -> Path:
    """``resources/data``, where the bundled data files live."""
    return resources_dir() / "data"


def load_bundled(name: str, as_images: bool = False) -> Dataset:
    """Load the bundled data set ``name`` (a key of :data:`BUNDLED`).

    ``X`` is ``float32 (n, features)`` with the original values (digits: 0..16). With
    ``as_images=True`` (digits only) ``X`` is ``(n, 1, 8, 8)`` instead.
    """
    if name not in BUNDLED:
        raise DataError(f"no bundled data set named {name!r}; available: "
                        f"{', '.join(BUNDLED)}")
    info = BUNDLED[name]
    if as_images and name != "digits":
        raise DataError(f"'{name}' is tabular data; as_images=True only applies to 'digits'")
    path = data_dir() / info.file
    if not path.is_file():
        raise DataError(f"bundled data file missing: {path}")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (OSError, ValueError, EOFError) as exc:
        raise DataError(f"bundled data file {path.name} is damaged ({exc})") from None
    for key in ("X", "y", "class_names", "feature_names"):
        if key not in arrays:
            raise DataError(f"bundled data file {path.name} lacks the array '{key}'")
    X = arrays["X"].astype(np.float32)
    y = arrays["y"].astype(np.int64)
    if X.shape != (info.n_samples, info.n_features) or y.shape != (info.n_samples,):
        raise DataError(f"bundled data file {path.name} has shapes X {X.shape}, y {y.shape}; "
                        f"expected ({info.n_samples}, {info.n_features}) and "
                        f"({info.n_samples},)")
    feature_names: list[str] | None = [str(f) for f in arrays["feature_names"].tolist()]
    if as_images:
        X = X.reshape(-1, 1, 8, 8)
        feature_names = None
    return Dataset(X=X, y=y, task="classification",
                   class_names=[str(c) for c in arrays["class_names"].tolist()],
                   feature_names=feature_names, name=name, description=info.description,
                   meta={"source": info.source, "license": info.license})
