"""Regenerate the bundled data files in this folder from scikit-learn's copies.

Run once by a developer (``.venv/bin/python resources/data/make_bundled.py``); NetCanvas
itself never imports scikit-learn. Each ``<name>.npz`` holds plain arrays only (loadable with
``numpy.load(..., allow_pickle=False)``):

* ``X``: the features (``uint8`` for digits, ``float64`` otherwise), one row per sample;
* ``y``: ``int64`` class indices;
* ``class_names``, ``feature_names``: unicode arrays.
"""

from pathlib import Path

import numpy as np
from sklearn import datasets

HERE = Path(__file__).resolve().parent


def main() -> None:
    loaders = {
        "digits": datasets.load_digits,
        "iris": datasets.load_iris,
        "wine": datasets.load_wine,
        "breast_cancer": datasets.load_breast_cancer,
    }
    class_names = {
        "digits": [str(d) for d in range(10)],
        "wine": ["cultivar 1", "cultivar 2", "cultivar 3"],
    }
    for name, load in loaders.items():
        b = load()
        X = b.data.astype(np.uint8) if name == "digits" else b.data.astype(np.float64)
        if name == "digits":
            assert np.array_equal(X, b.data)
        names = class_names.get(name, [str(c) for c in b.target_names])
        np.savez_compressed(HERE / f"{name}.npz", X=X, y=b.target.astype(np.int64),
                            class_names=np.array(names, dtype=str),
                            feature_names=np.array([str(f) for f in b.feature_names],
                                                   dtype=str))
        print(f"{name}: X {X.shape} {X.dtype}, classes {names}")


if __name__ == "__main__":
    main()
