"""Weight initializers. Every random draw comes from the generator passed in.

Fan-in/fan-out follow the usual convention: a Dense kernel (in, out) has fan_in=in and
fan_out=out; a convolution kernel (out_c, in_c, *k) has fan_in=in_c*prod(k) and
fan_out=out_c*prod(k); recurrent kernels (in, gates*h) use their two axes.
"""

from __future__ import annotations

import math

import numpy as np

from nncore.errors import ParameterError

INITIALIZER_NAMES = (
    "glorot_uniform", "glorot_normal", "he_uniform", "he_normal",
    "lecun_uniform", "lecun_normal", "zeros", "ones",
)


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = int(np.prod(shape[2:]))
    return shape[1] * receptive, shape[0] * receptive


def initialize(name: str, shape: tuple[int, ...], rng: np.random.Generator,
               dtype=np.float32) -> np.ndarray:
    """Return a new array of ``shape`` drawn with initializer ``name``."""
    if name == "zeros":
        return np.zeros(shape, dtype)
    if name == "ones":
        return np.ones(shape, dtype)
    fan_in, fan_out = fans(shape)
    family, _, dist = name.rpartition("_")
    if family == "glorot":
        var = 2.0 / (fan_in + fan_out)
    elif family == "he":
        var = 2.0 / fan_in
    elif family == "lecun":
        var = 1.0 / fan_in
    else:
        raise ParameterError(
            f"unknown initializer {name!r} (known: {', '.join(INITIALIZER_NAMES)})")
    if dist == "uniform":
        limit = math.sqrt(3.0 * var)
        return rng.uniform(-limit, limit, shape).astype(dtype)
    if dist == "normal":
        return (rng.standard_normal(shape) * math.sqrt(var)).astype(dtype)
    raise ParameterError(f"unknown initializer {name!r} (known: {', '.join(INITIALIZER_NAMES)})")
