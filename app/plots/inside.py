"""Inside the network: per-layer gradient norms over time (log scale), histograms of a
layer's weights and activations, and the feature maps of an image layer."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.models.runs import RunRecord
from app.plots.axes import FloorAxis
from app.plots.common import (
    LAYER_COLORS,
    LegendRow,
    RangeKeeper,
    fmt_value,
    make_plot,
    pen,
    style_plot,
)
from app.theme import small_label

#: Norms more than this many decades below the largest are drawn on the row of zeros.
SHOWN_DECADES = 12


def layer_color(i: int) -> str:
    return LAYER_COLORS[i % len(LAYER_COLORS)]


def zero_row(g: np.ndarray) -> tuple[int | None, np.ndarray, str]:
    """Where a log plot of the norms ``g`` puts the ones it cannot draw: 0, and those more
    than ``SHOWN_DECADES`` below the largest. Returns the log10 of that row (one decade
    below the smallest norm drawn; None when every finite norm can be drawn), the mask of
    those norms, and the row's label ("0", or "<1e-12" when some are only tiny)."""
    g = np.asarray(g, np.float64)
    finite = np.isfinite(g)
    positive = g[finite & (g > 0)]
    if positive.size:
        top = math.ceil(math.log10(positive.max()))
        lowest = max(math.floor(math.log10(positive.min())), top - SHOWN_DECADES)
    else:
        lowest = 0
    pinned = finite & (g < 10.0 ** lowest)
    if not pinned.any():
        return None, pinned, ""
    tiny = bool((g[pinned] > 0).any())
    return lowest - 1, pinned, f"<1e{lowest}" if tiny else "0"


class GradNormPlot(QWidget):
    """L2 norm of each layer's weight gradients over the epochs, on a log axis: vanishing
    gradients show as curves orders of magnitude below the others. Norms of 0 (a layer no
    gradient reaches) and those too small to draw lie on a bottom row labelled "0", dotted,
    the latest one marked with a triangle, and the legend says which layers are there."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run: RunRecord | None = None
        self._seen: tuple = ()
        self.legend = LegendRow()
        self.axis = FloorAxis("left")
        self.plot = make_plot(left="gradient norm", bottom="epoch", left_axis=self.axis)
        item = self.plot.getPlotItem()
        item.setLogMode(y=True)
        self.curves: dict[str, pg.PlotDataItem] = {}
        #: Per layer: its norms on the row of zeros (dotted).
        self.zero_curves: dict[str, pg.PlotDataItem] = {}
        # A data item (not a bare scatter) so that the log axis maps it like the curves.
        self.zero_marks = item.plot([], [], pen=None, symbol="t", symbolSize=9,
                                    symbolPen=pg.mkPen("#ffffff", width=0.8))
        self.zero_marks.setZValue(5)
        self.zero_line = pg.InfiniteLine(angle=0, movable=False,
                                         pen=pen("#9aa0a8", 1.0, Qt.PenStyle.DashLine))
        self.zero_line.hide()
        item.addItem(self.zero_line, ignoreBounds=True)
        #: log10 of the row of zeros now (None: no norm is on it).
        self.floor: int | None = None
        self.readout = small_label(wrap=True)
        self.cursor_line = pg.InfiniteLine(angle=90, movable=False, pen=pen("#9aa0a8", 1.0))
        self.cursor_line.hide()
        self.plot.getPlotItem().addItem(self.cursor_line, ignoreBounds=True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(1)
        lay.addWidget(self.legend)
        lay.addWidget(self.plot, 1)
        lay.addWidget(self.readout)
        self.plot.scene().sigMouseMoved.connect(self._on_mouse)
        self.ranges = RangeKeeper(self.plot)

    def set_run(self, run: RunRecord | None) -> None:
        if run is not self.run:
            self.run = run
            self._seen = ()
            self.ranges.reset()
            self.readout.setText(" ")
            self.cursor_line.hide()

    def _sync_curves(self, layers: list[str]) -> None:
        if list(self.curves) == layers:
            return
        item = self.plot.getPlotItem()
        for c in [*self.curves.values(), *self.zero_curves.values()]:
            item.removeItem(c)
        self.curves, self.zero_curves = {}, {}
        for i, name in enumerate(layers):
            c = item.plot([], [], pen=pen(layer_color(i), 1.6), connect="finite",
                          antialias=False)
            c.setDownsampling(auto=True, method="peak")
            c.setClipToView(True)
            self.curves[name] = c
            z = item.plot([], [], pen=pen(layer_color(i), 2.0, Qt.PenStyle.DotLine),
                          connect="finite", antialias=False)
            z.setClipToView(True)
            self.zero_curves[name] = z
        self._legend(layers, set())

    def _legend(self, layers: list[str], on_floor: set[str], text: str = "") -> None:
        """The layers' names; those whose latest norm is on the row of zeros say so."""
        self.legend.set_items([(layer_color(i), f"{n} ({text})" if n in on_floor else n,
                                n in on_floor) for i, n in enumerate(layers)])

    def refresh(self) -> bool:
        run = self.run
        key = (None,) if run is None else (run.number, run.curves.version)
        if key == self._seen:
            return False
        self._seen = key
        if run is None or run.curves.grad is None:
            self._sync_curves([])
            self._draw_floor(None, "")
            self.zero_marks.setData([], [])
            return True
        c = run.curves
        self._sync_curves(c.layers)
        x = c.grad_x.data
        g = c.grad.data
        floor, pinned, text = zero_row(g)
        zero = 10.0 ** floor if floor is not None else np.nan
        marks_x, marks_brush, on_floor = [], [], set()
        for j, name in enumerate(c.layers):
            y, low = g[:, j], pinned[:, j]
            self.curves[name].setData(x, np.where((y > 0) & ~low, y, np.nan))
            self.zero_curves[name].setData(x, np.where(low, zero, np.nan))
            if len(low) and low[-1]:
                on_floor.add(name)
                marks_x.append(float(x[-1]))
                marks_brush.append(pg.mkBrush(layer_color(j)))
        self.zero_marks.setData(marks_x, [zero] * len(marks_x), symbolBrush=marks_brush)
        self._legend(c.layers, on_floor, text)
        self._draw_floor(floor, text)
        if len(x):
            end = run.start_epoch + run.epochs_planned if run.active else float(x[-1])
            shown = np.where(pinned, zero, g)
            self.ranges.update(float(run.start_epoch), float(x[-1]), end, [shown], log=True)
        return True

    def _draw_floor(self, floor: int | None, text: str) -> None:
        """The row of zeros: its label on the axis, a dashed line above it."""
        self.floor = floor
        self.axis.set_floor(floor, text)
        if floor is None:
            self.zero_line.hide()
        else:
            self.zero_line.setValue(floor + 0.5)
            self.zero_line.show()

    def _on_mouse(self, pos: QPointF) -> None:
        if self.run is None or not self.plot.sceneBoundingRect().contains(pos):
            return
        x = self.plot.getPlotItem().getViewBox().mapSceneToView(pos).x()
        self.show_readout_at(x)

    def show_readout_at(self, x: float) -> str:
        c = self.run.curves if self.run is not None else None
        if c is None or c.grad is None or not len(c.grad_x):
            return ""
        xs = c.grad_x.data
        i = int(np.clip(np.searchsorted(xs, x), 0, len(xs) - 1))
        self.cursor_line.setValue(xs[i])
        self.cursor_line.show()
        row = c.grad.data[i]
        text = f"epoch {xs[i]:.2f}: " + ", ".join(
            f"{n} {fmt_value(v)}" for n, v in zip(c.layers, row))
        self.readout.setText(text)
        return text

    def apply_theme(self) -> None:
        style_plot(self.plot)


class HistogramPlot(QWidget):
    """A histogram drawn as one stepped, filled curve (cheap to update)."""

    def __init__(self, title: str, color: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = small_label(title, 0.88, wrap=True)
        self.plot = make_plot()
        self.plot.setAccessibleName(f"Histogram: {title}")
        self.plot.setMinimumSize(120, 90)
        brush = pg.mkBrush(color)
        c = brush.color()
        c.setAlpha(150)
        brush.setColor(c)
        self.curve = pg.PlotCurveItem([0, 1], [0], stepMode="center", fillLevel=0,
                                      brush=brush, pen=pen(color, 1.0))
        self.plot.getPlotItem().addItem(self.curve)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(1)
        lay.addWidget(self.title)
        lay.addWidget(self.plot, 1)
        self.counts: np.ndarray = np.zeros(0)
        self.edges: np.ndarray = np.zeros(0)

    def set_values(self, values: np.ndarray | None, title: str, bins: int = 40) -> None:
        self.title.setText(title)
        if values is None or values.size == 0:
            self.counts, self.edges = np.zeros(1), np.array([0.0, 1.0])
        else:
            v = np.asarray(values, np.float64).ravel()
            v = v[np.isfinite(v)]
            if v.size == 0:
                self.counts, self.edges = np.zeros(1), np.array([0.0, 1.0])
            else:
                lo, hi = float(v.min()), float(v.max())
                if hi <= lo:
                    lo, hi = lo - 0.5, hi + 0.5
                self.counts, self.edges = np.histogram(v, bins=bins, range=(lo, hi))
        self.curve.setData(self.edges, self.counts.astype(np.float64))

    def apply_theme(self) -> None:
        style_plot(self.plot)


def mosaic(maps: np.ndarray, columns: int | None = None, gap: int = 1) -> np.ndarray:
    """Tile (C, H, W) maps into one 2-D array (each map scaled to [0, 1]; gaps are NaN)."""
    c, h, w = maps.shape
    cols = columns or max(1, math.ceil(math.sqrt(c * h / max(w, 1))))
    rows = math.ceil(c / cols)
    out = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), np.nan)
    for i in range(c):
        m = maps[i].astype(np.float64)
        lo, hi = np.nanmin(m), np.nanmax(m)
        m = (m - lo) / (hi - lo) if hi > lo else np.zeros_like(m)
        r, col = divmod(i, cols)
        out[r * (h + gap):r * (h + gap) + h, col * (w + gap):col * (w + gap) + w] = m
    return out


class FeatureMapView(QWidget):
    """The channels of an image layer's output for one sample, side by side (grey scale,
    each channel scaled to its own range)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = pg.GraphicsLayoutWidget()
        self.view.setMinimumSize(140, 110)
        self.box = self.view.addViewBox(lockAspect=True, invertY=True)
        self.box.setMenuEnabled(False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.box.addItem(self.image)
        self.label = QLabel(" ")
        self.label.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.label)
        self.tiles: np.ndarray | None = None
        self.apply_theme()

    def set_maps(self, maps: np.ndarray | None, text: str) -> None:
        self.label.setText(text)
        if maps is None or maps.ndim != 3:
            self.tiles = None
            self.image.clear()
            return
        self.tiles = mosaic(maps)
        # Grey tiles on a transparent background (the gaps between maps).
        gaps = np.isnan(self.tiles)
        g = np.round(np.nan_to_num(self.tiles, nan=0.0) * 255).astype(np.uint8)
        rgba = np.stack([g, g, g, np.where(gaps, 0, 255).astype(np.uint8)], axis=-1)
        self.image.setImage(rgba, levels=(0, 255), autoLevels=False)
        self.box.autoRange(padding=0.02)

    def apply_theme(self) -> None:
        from app.plots.common import plot_colors

        self.view.setBackground(plot_colors()[0])

