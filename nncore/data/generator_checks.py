"""The checks every data generator makes of its arguments (sample count, noise, seed)."""

from __future__ import annotations

import numpy as np

from nncore.errors import DataError


def check_n(n_samples: int, minimum: int = 2, what: str = "n_samples") -> int:
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)):
        raise DataError(f"{what} must be an integer, got {n_samples!r}")
    if n_samples < minimum:
        raise DataError(f"{what} must be at least {minimum}, got {n_samples}")
    return int(n_samples)


def check_noise(noise: float, maximum: float = 1.0) -> float:
    try:
        value = float(noise)
    except (TypeError, ValueError):
        raise DataError(f"noise must be a number, got {noise!r}") from None
    if not (0.0 <= value <= maximum):
        raise DataError(f"noise must be between 0 and {maximum}, got {noise!r}")
    return value


def seeded_rng(seed: int | None) -> np.random.Generator:
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0
    ):
        raise DataError(f"seed must be a non-negative integer or None, got {seed!r}")
    return np.random.default_rng(seed)
