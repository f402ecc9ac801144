"""The diverging colours the understanding views share: TensorFlow Playground's blue for
positive values, its orange for negative ones, fading to a light grey at zero. Unit
thumbnails, weighted edges and the trace's heat strips use them, so one colour means one
sign everywhere."""

from __future__ import annotations

import numpy as np

#: Positive values (Playground's blue) and negative ones (its orange).
POSITIVE = "#0877bd"
NEGATIVE = "#f59322"
ZERO = "#f4f4f4"

_POS = np.array([0x08, 0x77, 0xBD], np.float64)
_NEG = np.array([0xF5, 0x93, 0x22], np.float64)
_MID = np.array([0xF4, 0xF4, 0xF4], np.float64)


def value_scale(values: np.ndarray) -> float:
    """The magnitude that maps to full colour: the largest finite |value| (1 when all are
    zero or none is finite)."""
    a = np.abs(np.asarray(values, np.float64))
    a = a[np.isfinite(a)]
    m = float(a.max()) if a.size else 0.0
    return m if m > 0 else 1.0


def diverging_rgb(values: np.ndarray, scale: float | None = None) -> np.ndarray:
    """(..., 3) uint8 colours of ``values``: blue for positive, orange for negative, the
    strength |value| / ``scale`` (default :func:`value_scale`); non-finite values grey."""
    v = np.asarray(values, np.float64)
    s = value_scale(v) if scale is None else float(scale)
    with np.errstate(invalid="ignore"):
        t = np.clip(np.nan_to_num(v / s, nan=0.0, posinf=1.0, neginf=-1.0), -1.0, 1.0)
    t = t[..., None]
    rgb = np.where(t >= 0, _MID + (_POS - _MID) * t, _MID + (_NEG - _MID) * (-t))
    rgb = np.where(np.isfinite(v)[..., None], rgb, 128.0)
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)
