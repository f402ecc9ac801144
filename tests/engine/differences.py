"""Central differences in float64, the independent reference for the gradient tests: a
function of arrays that the tests change in place (and put back) element by element."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def central_difference(f: Callable[[], float], array: np.ndarray, index: tuple,
                       eps: float = 1e-6) -> float:
    """d f / d array[index], with the element put back afterwards."""
    keep = array[index]
    array[index] = keep + eps
    up = f()
    array[index] = keep - eps
    down = f()
    array[index] = keep
    return (up - down) / (2 * eps)


def numeric_gradient(f: Callable[[], float], array: np.ndarray,
                     eps: float = 1e-6) -> np.ndarray:
    """d f / d array for every element of ``array``."""
    g = np.zeros_like(array)
    for j in np.ndindex(array.shape):
        g[j] = central_difference(f, array, j, eps)
    return g
