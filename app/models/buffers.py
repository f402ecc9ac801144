"""Plot buffers: append-only arrays that grow by doubling, and a debiased moving average.

Live plots keep their data here and hand ``data`` views to pyqtgraph's ``setData``; a
buffer never shrinks or re-allocates on every append (amortised O(1) per value).
Nothing here imports Qt.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np


class GrowingArray:
    """A float64 array of values (``width=None``) or of rows of ``width`` values that grows
    by doubling its capacity. ``data`` is a view of the filled part."""

    def __init__(self, width: int | None = None, capacity: int = 256) -> None:
        self.width = width
        shape = (capacity,) if width is None else (capacity, width)
        self._buf = np.empty(shape, np.float64)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    @property
    def capacity(self) -> int:
        return len(self._buf)

    @property
    def data(self) -> np.ndarray:
        return self._buf[:self._n]

    def _reserve(self, n: int) -> None:
        if n <= len(self._buf):
            return
        cap = max(len(self._buf), 1)
        while cap < n:
            cap *= 2
        new = np.empty((cap,) + self._buf.shape[1:], np.float64)
        new[:self._n] = self._buf[:self._n]
        self._buf = new

    def append(self, value: float | Iterable[float]) -> None:
        if self._n == len(self._buf):
            self._reserve(self._n + 1)
        self._buf[self._n] = value
        self._n += 1

    def extend(self, values: Iterable | np.ndarray) -> None:
        a = np.asarray(values, np.float64)
        if self.width is None:
            a = a.reshape(-1)
        else:
            a = a.reshape(-1, self.width)
        m = len(a)
        if not m:
            return
        self._reserve(self._n + m)
        self._buf[self._n:self._n + m] = a
        self._n += m

    def truncate(self, n: int) -> None:
        """Keep the first ``n`` values."""
        self._n = max(0, min(self._n, int(n)))

    def clear(self) -> None:
        self._n = 0

    def last(self, default: float = float("nan")) -> float | np.ndarray:
        return self._buf[self._n - 1] if self._n else default


class DebiasedEMA:
    """Exponential moving average with the start-up bias removed (as TensorBoard's
    smoothing): after values x1..xn, ``(1 - a) * s + a * x`` divided by ``1 - (1 - a)^n``,
    so the first value is reproduced exactly instead of being pulled towards zero."""

    def __init__(self, alpha: float) -> None:
        if not 0.0 < alpha <= 1.0:
            raise ValueError(f"alpha must be in (0, 1], got {alpha}")
        self.alpha = float(alpha)
        self._s = 0.0
        self._decay = 1.0  # (1 - a)^n

    def reset(self) -> None:
        self._s, self._decay = 0.0, 1.0

    def state(self) -> tuple[float, float]:
        return self._s, self._decay

    def set_state(self, state: tuple[float, float]) -> None:
        self._s, self._decay = state

    def update(self, values: Iterable[float]) -> np.ndarray:
        """Feed values; return the smoothed value after each (non-finite values are
        skipped: the average carries over)."""
        x = np.asarray(values, np.float64).reshape(-1)
        if x.size == 0:
            return x.copy()
        if not np.isfinite(x).all():
            return self._update_each(x)
        # Vectorised in chunks: s_k = b^k (s_0 + a * sum_{j<=k} x_j b^-j), with b^-j kept
        # below about 1e12 so the scaled sum loses no precision.
        a, b = self.alpha, 1.0 - self.alpha
        chunk = max(1, min(4096, int(12 / max(-np.log10(b), 1e-12)))) if b > 0 else 1
        out = np.empty_like(x)
        for start in range(0, len(x), chunk):
            c = x[start:start + chunk]
            bk = b ** np.arange(1, len(c) + 1)
            if b > 0:
                s = bk * (self._s + a * np.cumsum(c / bk))
            else:
                s = c.copy()
            d = self._decay * bk
            out[start:start + len(c)] = s / (1.0 - d)
            self._s, self._decay = float(s[-1]), float(d[-1])
        return out

    def _update_each(self, x: np.ndarray) -> np.ndarray:
        a, b = self.alpha, 1.0 - self.alpha
        s, d = self._s, self._decay
        out = np.empty_like(x)
        for i, v in enumerate(x.tolist()):
            if math.isfinite(v):
                s = b * s + a * v
                d *= b
            out[i] = s / (1.0 - d) if d < 1.0 else math.nan
        self._s, self._decay = s, d
        return out


def ema_alpha(steps_per_epoch: int) -> float:
    """Smoothing of per-batch losses: a window of about one epoch, between 5 and 100
    batches (alpha = 2 / (window + 1))."""
    window = min(100, max(5, int(steps_per_epoch)))
    return 2.0 / (window + 1)
