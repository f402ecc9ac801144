"""A data set for interpretability: rows of numbers of which only the first two decide
the class, the others being noise; the interpretability lesson
(:mod:`nncore.lessons.interpretability`) asks a trained network which inputs it used."""

from __future__ import annotations

import numpy as np

from nncore.errors import ParameterError

from .dataset import Dataset
from .generator_checks import check_n, check_noise, seeded_rng


def clues(n_samples: int = 500, noise: float = 0.1, seed: int | None = 0,
          n_inputs: int = 6) -> Dataset:
    """``n_inputs`` numbers uniform in ``[-1, 1]``, of which only the first two decide the
    class (``x1 + x2 > 0``, with ``noise`` added to that sum); the others are clues that
    mean nothing. For seeing which inputs a network relies on."""
    n = check_n(n_samples)
    noise = check_noise(noise)
    if isinstance(n_inputs, bool) or not isinstance(n_inputs, int) or not 3 <= n_inputs <= 20:
        raise ParameterError(f"n_inputs must be an integer from 3 to 20, got {n_inputs!r}")
    rng = seeded_rng(seed)
    x = rng.uniform(-1.0, 1.0, (n, n_inputs))
    labels = (x[:, 0] + x[:, 1] + rng.normal(0.0, noise, n) > 0).astype(np.int64)
    return Dataset(X=x.astype(np.float32), y=labels, task="classification",
                   class_names=["no", "yes"],
                   feature_names=[f"x{i + 1}" for i in range(n_inputs)], name="clues",
                   description=f"{n_inputs} inputs; only x1 and x2 decide the class "
                               "(x1 + x2 > 0).")
