"""What the network predicts: the decision boundary (or prediction map) over 2-D inputs with
the data points on top, and predicted against actual values for regression. Both draw at
most :data:`MAX_POINTS` points (a sample stratified by class, and the caption says so), so
a redraw stays fast on big data."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from app.models.sampling import sample_indices, shown_text
from app.plots.common import (
    CLASS_COLORS,
    boundary_image,
    fmt_value,
    make_plot,
    pen,
    style_plot,
    value_colormap,
)
from app.theme import small_label

MAX_POINTS = 5000


class BoundaryPlot(QWidget):
    """The network evaluated on a grid (an image) under the data points coloured by class
    (classification) or by target value (regression); ``picked(row)`` when a point is
    clicked (its row in the data given to :meth:`set_points`)."""

    picked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = make_plot()
        self.plot.setAccessibleName("Decision boundary")
        self.plot.getPlotItem().setAspectLocked(False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue(-10)
        self.plot.getPlotItem().addItem(self.image)
        self.points = pg.ScatterPlotItem(size=5, pxMode=True)
        self.points.sigClicked.connect(self._on_clicked)
        self.plot.getPlotItem().addItem(self.points)
        self.plot.setAccessibleName("Decision boundary")
        self.plot.setToolTip("Background: the network's output; dots: the data (click one "
                             "to pick it)")
        #: "showing 5,000 of 60,000 points" when the dots are a sample.
        self.sample_note = ""
        #: The dots of each class (classification); ``points`` holds regression dots.
        self._class_items: list[pg.ScatterPlotItem] = []
        self.caption = small_label(wrap=True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(1)
        lay.addWidget(self.plot, 1)
        lay.addWidget(self.caption)
        self.rgb: np.ndarray | None = None
        self._points_key: object = None
        self._ranged = False

    def set_points(self, X: np.ndarray, y: np.ndarray, task: str, key: object) -> None:
        """Data points (raw coordinates); ``key`` identifies the data (set once)."""
        if key == self._points_key:
            return
        self._points_key = key
        self._ranged = False
        n = len(X)
        classes = np.asarray(y).astype(int).ravel() if task == "classification" else None
        idx = sample_indices(n, MAX_POINTS, classes)
        self.sample_note = shown_text(len(idx), n)
        X, y = X[idx], y[idx]
        self._set_class_points(X, classes[idx] if classes is not None else None, idx)
        if task == "classification":
            self.points.setData([], [])
        else:
            v = np.asarray(y, np.float64).reshape(len(y), -1)[:, 0]
            lo, hi = float(v.min()), float(v.max())
            t = (v - lo) / (hi - lo) if hi > lo else np.full_like(v, 0.5)
            cmap = value_colormap()
            # 64 shades are enough for dots: one brush each, not one per point.
            shades = [pg.mkBrush(cmap.map(i / 63.0, mode="qcolor")) for i in range(64)]
            shade = np.clip(np.rint(t * 63), 0, 63).astype(int)
            self.points.setData(X[:, 0], X[:, 1], brush=[shades[i] for i in shade],
                                pen=pg.mkPen("#303030", width=0.6), size=6, data=idx)

    def _set_class_points(self, X: np.ndarray, cls: np.ndarray | None,
                          rows: np.ndarray) -> None:
        """One item per class with one brush: a brush per point costs pyqtgraph ~10 µs a
        point on every redraw of new data."""
        k = int(cls.max()) + 1 if cls is not None and len(cls) else 0
        while len(self._class_items) < k:
            item = pg.ScatterPlotItem(size=6, pxMode=True, pen=pg.mkPen("#ffffff", width=0.7))
            item.sigClicked.connect(self._on_clicked)
            self.plot.getPlotItem().addItem(item)
            self._class_items.append(item)
        for c, item in enumerate(self._class_items):
            if c < k:
                mask = cls == c
                item.setData(X[mask, 0], X[mask, 1], data=rows[mask],
                             brush=pg.mkBrush(CLASS_COLORS[c % len(CLASS_COLORS)]))
            else:
                item.setData([], [])

    def point_data(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The dots drawn: x, y and each one's row in the data given to set_points."""
        items = [self.points, *self._class_items]
        parts = [(i.data["x"], i.data["y"], i.data["data"]) for i in items if len(i.data)]
        if not parts:
            return np.zeros(0), np.zeros(0), np.zeros(0, np.int64)
        return tuple(np.concatenate([p[j] for p in parts]).astype(float if j < 2 else int)
                     for j in range(3))  # type: ignore[return-value]

    def set_grid(self, outputs: np.ndarray, x_range: tuple[float, float],
                 y_range: tuple[float, float], task: str, caption: str) -> None:
        """``outputs``: (H, W, k) network outputs on the grid (row = y)."""
        if task == "classification":
            rgb = boundary_image(outputs)
            self.rgb = rgb
            self.image.setLookupTable(None)
            self.image.setImage(rgb, autoLevels=False, levels=(0, 255))
        else:
            v = outputs[..., 0]
            lo, hi = float(np.nanmin(v)), float(np.nanmax(v))
            self.rgb = None
            self.image.setLookupTable(value_colormap().getLookupTable(nPts=256))
            self.image.setImage(v, autoLevels=False, levels=(lo, hi if hi > lo else lo + 1))
        h, w = outputs.shape[:2]
        dx = (x_range[1] - x_range[0]) / (w - 1)
        dy = (y_range[1] - y_range[0]) / (h - 1)
        self.image.setRect(QRectF(x_range[0] - dx / 2, y_range[0] - dy / 2,
                                  x_range[1] - x_range[0] + dx, y_range[1] - y_range[0] + dy))
        if not self._ranged:
            self._ranged = True
            self.plot.getPlotItem().getViewBox().setRange(
                xRange=x_range, yRange=y_range, padding=0)
        self.caption.setText(f"{caption} ({self.sample_note})" if self.sample_note
                             else caption)

    def _on_clicked(self, _item: Any, points: Any, *_event: Any) -> None:
        if len(points):
            self.picked.emit(int(points[0].data()))

    def clear(self) -> None:
        """No data and no network output."""
        self.clear_grid()
        self.points.setData([], [])
        for item in self._class_items:
            item.setData([], [])
        self._points_key = None
        self.sample_note = ""

    def clear_grid(self) -> None:
        """No network output (yet): the data points alone."""
        self.image.clear()
        self.rgb = None
        self.caption.setText(" ")

    def apply_theme(self) -> None:
        style_plot(self.plot)


class PredictionScatter(QWidget):
    """Predicted against actual values on the validation set, with the diagonal y = x."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = make_plot(left="predicted", bottom="actual")
        self.points = pg.ScatterPlotItem(size=5, pen=pg.mkPen("#ffffff", width=0.5),
                                         brush=pg.mkBrush("#1f77b4"))
        self.line = pg.PlotCurveItem([], [], pen=pen("#8a8f98", 1.2, Qt.PenStyle.DashLine))
        item = self.plot.getPlotItem()
        item.addItem(self.line)
        item.addItem(self.points)
        self.caption = small_label()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(1)
        lay.addWidget(self.plot, 1)
        lay.addWidget(self.caption)

    def set_values(self, actual: np.ndarray, predicted: np.ndarray) -> None:
        a = np.asarray(actual, np.float64).ravel()
        p = np.asarray(predicted, np.float64).ravel()
        n = min(len(a), len(p))
        a, p = a[:n], p[:n]
        idx = sample_indices(n, MAX_POINTS)
        self.points.setData(a[idx], p[idx])
        if n:
            lo = float(min(a.min(), p.min()))
            hi = float(max(a.max(), p.max()))
            self.line.setData([lo, hi], [lo, hi])
            # The figures are of every sample, not only of the dots drawn.
            rmse = float(np.sqrt(np.mean((a - p) ** 2)))
            ss = float(np.sum((a - a.mean()) ** 2))
            r2 = 1.0 - float(np.sum((a - p) ** 2)) / ss if ss > 0 else float("nan")
            note = shown_text(len(idx), n)
            self.caption.setText(f"validation: RMSE {fmt_value(rmse)} · R² {fmt_value(r2)} "
                                 f"({n:,} samples{'; ' + note if note else ''})")
        else:
            self.line.setData([], [])
            self.caption.setText("No predictions yet")

    def apply_theme(self) -> None:
        style_plot(self.plot)
