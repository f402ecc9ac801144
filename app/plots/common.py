"""Shared pieces of the live plots: a themed ``PlotWidget`` factory, a legend row, the
class colours and colour maps.

pyqtgraph is slow to import (about half a second); the ``app.plots`` modules that need it
are imported only when the first plot is built (at the first Train), never at start-up.
"""

from __future__ import annotations

import html
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QGraphicsItem, QLabel, QSizePolicy, QWidget

from app.plots.axes import CompactAxis, compact_axes, fit_axes
from app.theme import colors

#: Class colours, as in the data panel: TensorFlow Playground's orange and blue first.
CLASS_COLORS = ("#f59322", "#0877bd", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
#: Per-layer colours (gradient norms): a sequential-looking qualitative palette.
LAYER_COLORS = ("#e6550d", "#fd8d3c", "#31a354", "#3182bd", "#756bb1", "#636363",
                "#d6616b", "#8ca252", "#bd9e39", "#7b4173", "#17becf", "#843c39")
TRAIN_COLOR = "#1f77b4"
VAL_COLOR = "#ff7f0e"

pg.setConfigOptions(antialias=True)


def plot_colors() -> tuple[str, str, str]:
    """(background, foreground, grid) of plots in the current theme."""
    c = colors()
    if c.dark:
        return "#1f2125", "#c8ccd2", "#3a3d44"
    return "#ffffff", "#3c4350", "#d8dbe0"


def style_plot(widget: pg.PlotWidget) -> None:
    bg, fg, _grid = plot_colors()
    widget.setBackground(bg)
    item = widget.getPlotItem()
    font = QFont(widget.font())
    font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
    for name in ("left", "bottom"):
        ax = item.getAxis(name)
        ax.setPen(pg.mkPen(fg))
        ax.setTextPen(pg.mkPen(fg))
        ax.setTickFont(font)
        ax.enableAutoSIPrefix(False)
        # The axes draw the grid across the plot: cache them as pixmaps, or every change of
        # a curve would redraw every tick, label and grid line.
        ax.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    item.showGrid(x=True, y=True, alpha=0.18 if not colors().dark else 0.25)


def make_plot(left: str = "", bottom: str = "",
              left_axis: CompactAxis | None = None) -> pg.PlotWidget:
    """A compact plot: themed, no auto-range button, small fonts, labelled axes whose tick
    labels never overlap and whose titles hide when the plot is too small for them
    (``left_axis``: another left axis than a plain :class:`CompactAxis`)."""
    w = pg.PlotWidget(axisItems=compact_axes(**({"left": left_axis} if left_axis else {})))
    item = w.getPlotItem()
    item.hideButtons()
    item.setMenuEnabled(True)
    item.layout.setContentsMargins(2, 2, 6, 2)
    _bg, fg, _ = plot_colors()
    if left:
        item.setLabel("left", left, color=fg, **{"font-size": "8pt"})
    if bottom:
        item.setLabel("bottom", bottom, color=fg, **{"font-size": "8pt"})
    style_plot(w)
    # A name for screen readers; plots with a more precise one set their own.
    w.setAccessibleName(f"Plot of {left} against {bottom}" if left and bottom else "Plot")
    w.setMinimumSize(140, 110)
    w.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
    fit_axes(w)
    return w


def pen(color: str, width: float = 1.6, style: Qt.PenStyle = Qt.PenStyle.SolidLine,
        alpha: float = 1.0):
    c = QColor(color)
    c.setAlphaF(alpha)
    p = pg.mkPen(c, width=width)
    p.setStyle(style)
    p.setCosmetic(True)
    return p


class LegendRow(QLabel):
    """A one-line legend above a plot: coloured swatches and names (rich text), cheaper and
    tidier than a legend inside a small plot."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setWordWrap(True)
        font = self.font()
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.88))
        self.setFont(font)
        self._items: list[tuple[str, str, bool]] = []

    def set_items(self, items: list[tuple[str, str, bool]]) -> None:
        """(colour, name, dashed) per entry."""
        if items == self._items:
            return
        self._items = list(items)
        parts = []
        for color, name, dashed in items:
            mark = "┅" if dashed else "━"
            parts.append(f"<span style='color:{color}; font-weight:bold'>{mark}</span>&nbsp;"
                         f"{html.escape(name)}")
        self.setText("&nbsp;&nbsp; ".join(parts))


def fmt_value(v: float) -> str:
    if v is None or not math.isfinite(v):
        return "–"
    a = abs(v)
    if a != 0 and (a < 1e-3 or a >= 1e5):
        return f"{v:.3g}"
    return f"{v:.4g}"


def class_rgb(k: int) -> np.ndarray:
    """(k, 3) float RGB of the first ``k`` class colours (cycled)."""
    out = np.empty((k, 3))
    for i in range(k):
        c = QColor(CLASS_COLORS[i % len(CLASS_COLORS)])
        out[i] = (c.red(), c.green(), c.blue())
    return out


def probabilities(outputs: np.ndarray) -> np.ndarray:
    """Class probabilities from activated outputs: softmax rows as they are; one sigmoid
    column p as (1 - p, p)."""
    y = np.asarray(outputs, np.float64)
    if y.ndim == 1:
        y = y[:, None]
    if y.shape[-1] == 1:
        p = np.clip(y[..., 0], 0.0, 1.0)
        return np.stack([1.0 - p, p], axis=-1)
    return y


def boundary_image(outputs: np.ndarray) -> np.ndarray:
    """An (H, W, 3) uint8 image from class outputs of shape (H, W, k): each pixel mixes the
    class colours by probability and fades towards white where the network is unsure."""
    p = probabilities(outputs)
    k = p.shape[-1]
    rgb = p @ class_rgb(k)
    conf = (p.max(axis=-1) - 1.0 / k) / (1.0 - 1.0 / k)
    a = (0.18 + 0.55 * np.clip(conf, 0.0, 1.0))[..., None]
    img = 255.0 * (1.0 - a) + rgb * a
    return np.clip(img, 0, 255).astype(np.uint8)


def value_colormap() -> pg.ColorMap:
    """Blue -> white -> orange, for regression values."""
    return pg.ColorMap([0.0, 0.5, 1.0], [QColor(CLASS_COLORS[1]), QColor("#f4f4f4"),
                                         QColor(CLASS_COLORS[0])])


def nice_step(span: float) -> float:
    """1, 2 or 5 times a power of ten, at least ``span``."""
    if not math.isfinite(span) or span <= 0:
        return 1.0
    exp = math.floor(math.log10(span))
    for m in (1.0, 2.0, 5.0, 10.0):
        if m * 10.0 ** exp >= span * (1 - 1e-12):
            return m * 10.0 ** exp
    return 10.0 ** (exp + 1)


class RangeKeeper:
    """Keeps a plot's view range steady while data grows, so the axes (slow to redraw)
    change a few times per run instead of on every frame. x spans the run's planned epochs
    when there are at most ``FIXED_X`` of them (the curves grow towards the end, like a
    progress bar), else grows in 1-2-5 steps; a finished run's x range fits its data. y
    starts at 0 for non-negative data (losses, accuracy, RMSE) and widens to rounded bounds
    (whole decades on a log axis), shrinking only when the data fills less than a third of
    it. A zoom or pan by the person stops it until :meth:`reset` (a new run)."""

    FIXED_X = 5000

    def __init__(self, widget) -> None:
        self.vb = widget.getPlotItem().getViewBox()
        self.vb.disableAutoRange()
        self.vb.sigRangeChangedManually.connect(self._on_manual)
        self.manual = False
        self.current: tuple[float, float, float, float] | None = None
        #: How many times the range changed (for tests and the benchmark).
        self.changes = 0

    def _on_manual(self, *_args) -> None:
        self.manual = True

    def reset(self) -> None:
        self.manual = False
        self.current = None

    def _y(self, lo: float, hi: float, log: bool) -> tuple[float, float]:
        cur = self.current
        if log:
            y0, y1 = math.floor(lo - 0.05), math.ceil(hi + 0.05)
            if cur is not None and cur[2] <= lo and cur[3] >= hi and \
                    cur[3] - cur[2] <= 3 * max(y1 - y0, 1):
                return cur[2], cur[3]
            return y0, y1
        span = hi - lo if hi > lo else max(abs(hi), 1e-12)
        if cur is not None and cur[2] <= lo and cur[3] >= hi and cur[3] - cur[2] <= 3 * (
                hi - min(lo, 0.0) if lo >= 0 else span):
            return cur[2], cur[3]
        if lo >= 0:
            step = nice_step(hi / 5) if hi > 0 else 1.0
            return 0.0, math.ceil(hi * 1.04 / step) * step if hi > 0 else 1.0
        pad = 0.06 * span
        step = nice_step((span + 2 * pad) / 5)
        return math.floor((lo - pad) / step) * step, math.ceil((hi + pad) / step) * step

    def update(self, x_lo: float, x_hi: float, x_end: float | None, ys: list[np.ndarray],
               log: bool = False) -> bool:
        """Data spans ``x_lo..x_hi`` (planned to end at ``x_end``; for a finished run pass
        ``x_hi``) with values ``ys``; True when the range was changed."""
        if self.manual:
            return False
        vals = [np.asarray(y, np.float64).ravel() for y in ys if len(y)]
        v = np.concatenate(vals) if vals else np.zeros(0)
        v = v[np.isfinite(v)]
        if log:
            v = np.log10(v[v > 0])
        if v.size:
            lo, hi = float(v.min()), float(v.max())
        else:
            lo, hi = (-1.0, 0.0) if log else (0.0, 1.0)
        y0, y1 = self._y(lo, hi, log)
        if x_end is not None and x_end >= x_hi and x_end - x_lo <= self.FIXED_X:
            top = x_end
        else:
            top = x_lo + nice_step(max(x_hi - x_lo, 1.0) * 1.02)
            if x_end is not None and x_end >= x_hi:
                top = min(top, x_end)
        target = (x_lo, max(top, x_lo + 1), y0, y1)
        if target == self.current:
            return False
        self.current = target
        self.changes += 1
        self.vb.setRange(xRange=target[:2], yRange=target[2:], padding=0.02)
        return True
