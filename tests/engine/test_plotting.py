"""The Pillow line plot (nncore.plotting): tick positions and labels, the y range cut at
``ylim``, and a PNG of the asked size."""

from __future__ import annotations

import io
import math

import numpy as np

from nncore.plotting import LinePlot, _ticks


def test_log_ticks_label_every_decade_and_mark_the_rest():
    ticks = _ticks(-7.2, 1.0, log=True)
    labelled = [(v, s) for v, s in ticks if s]
    assert [s for _, s in labelled] == ["1e-07", "1e-06", "1e-05", "0.0001", "0.001", "0.01",
                                        "0.1", "1", "10"]
    assert [v for v, _ in labelled] == list(range(-7, 2))
    minor = [v for v, s in ticks if not s]
    # 2..9 times each decade from 1e-7 to 1, and 7e-8, 8e-8, 9e-8 (above 10^-7.2)
    assert len(minor) == 8 * 8 + 3
    assert math.log10(2e-7) in minor and math.log10(9) in minor
    assert min(minor) >= -7.2


def test_linear_ticks_are_round_steps_inside_the_range():
    ticks = _ticks(0.13, 2.9, log=False)
    values = [v for v, _ in ticks]
    assert [s for _, s in ticks] == ["0.5", "1", "1.5", "2", "2.5"]
    np.testing.assert_allclose(np.diff(values), 0.5)
    assert [s for _, s in _ticks(-0.003, 0.012, log=False)] == ["0", "0.005", "0.01"]


def test_png_has_the_size_and_draws_inside_the_frame_only():
    from PIL import Image

    plot = LinePlot("t", "x", "y", log_x=True, size=(400, 300), ylim=(0.0, 1.0))
    plot.line([1e-3, 1e-2, 1e-1], [0.5, 50.0, 0.5], (255, 0, 0), "spike")
    plot.marker(1e-2, (0, 0, 255), "mark")
    with Image.open(io.BytesIO(plot.png())) as image:
        assert image.size == (400, 300)
        rgb = np.asarray(image.convert("RGB")).astype(int)
    red = (np.abs(rgb - (255, 0, 0)).sum(axis=2) < 60)
    rows = np.flatnonzero(red.any(axis=1))
    # The spike to 50 is cut at the top of the frame (40 px margin), not drawn above it;
    # the legend's sample line is red too, inside the frame.
    assert rows.min() >= 38 and rows.max() < 300 - 58
    assert (np.abs(rgb - (0, 0, 255)).sum(axis=2) < 60).sum() > 100
