"""Plot buffers and smoothing (no Qt): arrays that grow by doubling, the debiased moving
average of per-batch losses."""

from __future__ import annotations

import numpy as np
import pytest

from app.models.buffers import DebiasedEMA, GrowingArray, ema_alpha


def test_growing_array_doubles_and_keeps_values():
    a = GrowingArray(capacity=4)
    caps = []
    for i in range(37):
        a.append(i)
        caps.append(a.capacity)
    assert list(a.data) == list(range(37))
    assert sorted(set(caps)) == [4, 8, 16, 32, 64]
    a.extend(np.arange(100, 300))
    assert len(a) == 237 and a.capacity == 256 and a.data[-1] == 299
    a.truncate(10)
    assert list(a.data) == list(range(10))
    rows = GrowingArray(width=3, capacity=2)
    rows.extend([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    rows.append([10, 11, 12])
    assert rows.data.shape == (4, 3) and rows.data[2, 1] == 8


def test_debiased_ema_matches_its_closed_form():
    rng = np.random.default_rng(1)
    x = rng.normal(size=50)
    a = 0.2
    ema = DebiasedEMA(a)
    got = np.concatenate([ema.update(x[:17]), ema.update(x[17:])])
    for n in range(1, 51):
        w = (1 - a) ** np.arange(n - 1, -1, -1)
        want = a * np.dot(w, x[:n]) / (1 - (1 - a) ** n)
        assert got[n - 1] == pytest.approx(want, rel=1e-12)
    assert got[0] == pytest.approx(x[0])  # no start-up bias towards 0
    assert ema_alpha(13) == pytest.approx(2 / 14) and ema_alpha(1) == pytest.approx(2 / 6)


@pytest.mark.parametrize("a", [0.02, 0.2, 0.9])
def test_debiased_ema_long_input_matches_a_plain_loop(a):
    # Long inputs run through the vectorised chunks (b^-j scaled sums); each value must
    # still equal the step-by-step recursion.
    rng = np.random.default_rng(2)
    x = rng.normal(size=9000) + 3.0
    ema = DebiasedEMA(a)
    got = np.concatenate([ema.update(x[:4000]), ema.update(x[4000:])])
    s, d = 0.0, 1.0
    want = np.empty_like(x)
    for i, v in enumerate(x):
        s = (1 - a) * s + a * v
        d *= 1 - a
        want[i] = s / (1 - d)
    np.testing.assert_allclose(got, want, rtol=1e-10)
