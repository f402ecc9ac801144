"""The plot of the data-points editor: the points coloured by class (the data panel's
colours) or by target value, over a fixed view of the plane, and the mouse turned into
editing gestures: ``pointer(kind, x, y)`` with kind "add" (left press), "paint" (left drag),
"erase" (right press or drag) and "end" (release), x and y in the data's units.
Panning and zooming are off: the mouse belongs to the editing."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

from app.plots.common import CLASS_COLORS, make_plot, value_colormap
from app.understanding.points_model import PointSet

#: Size of a point (pixels).
POINT_SIZE = 9


class PointsPlot(QWidget):
    """A scatter plot of a :class:`PointSet` that reports mouse gestures."""

    pointer = Signal(str, float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = make_plot("x2", "x1")
        self.plot.setObjectName("pointsPlot")
        self.plot.setAccessibleName("Data points: click to add, drag to paint, right-click "
                                    "to erase")
        self.plot.setToolTip("Click to add a point of the chosen class (or target), drag to "
                             "paint several, right-click or drag with the right button to "
                             "erase")
        item = self.plot.getPlotItem()
        item.setMenuEnabled(False)
        self.box = item.getViewBox()
        self.box.setMouseEnabled(False, False)
        self.box.setAspectLocked(False)
        self.scatter = pg.ScatterPlotItem(size=POINT_SIZE, pen=pg.mkPen("#ffffff", width=0.8))
        self.plot.addItem(self.scatter)
        self.plot.setMinimumSize(380, 380)
        self.plot.viewport().installEventFilter(self)
        self._drag: str | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.plot)

    # -- coordinates ------------------------------------------------------------------------
    def set_view(self, x_range: tuple[float, float], y_range: tuple[float, float]) -> None:
        self.box.setRange(xRange=x_range, yRange=y_range, padding=0)

    def view_ranges(self) -> tuple[list[float], list[float]]:
        return self.box.viewRange()

    def to_data(self, pos: QPoint | QPointF) -> QPointF | None:
        """The data point under viewport position ``pos`` (None outside the plot area)."""
        scene = self.plot.mapToScene(QPoint(int(pos.x()), int(pos.y())))
        if not self.box.sceneBoundingRect().contains(scene):
            return None
        return self.box.mapSceneToView(scene)

    def to_viewport(self, x: float, y: float) -> QPoint:
        """The viewport position of data point (x, y)."""
        return self.plot.mapFromScene(self.box.mapViewToScene(QPointF(x, y)))

    def pixel_size(self) -> tuple[float, float]:
        """Data units per pixel along x and y."""
        (x0, x1), (y0, y1) = self.box.viewRange()
        rect = self.box.sceneBoundingRect()
        return (x1 - x0) / max(1.0, rect.width()), (y1 - y0) / max(1.0, rect.height())

    # -- drawing ----------------------------------------------------------------------------
    def show_points(self, points: PointSet) -> None:
        if not len(points):
            self.scatter.setData([], [])
            return
        if points.task == "classification":
            colors = [QColor(CLASS_COLORS[int(k) % len(CLASS_COLORS)]) for k in points.y]
        else:
            y = points.y
            lo, hi = float(y.min()), float(y.max())
            t = (y - lo) / (hi - lo) if hi > lo else np.full(len(y), 0.5)
            colors = list(value_colormap().mapToQColor(t))
        self.scatter.setData(points.x[:, 0], points.x[:, 1],
                             brush=[pg.mkBrush(c) for c in colors])

    # -- the mouse --------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind not in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove,
                        QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick):
            return False
        assert isinstance(event, QMouseEvent)
        if kind == QEvent.Type.MouseButtonRelease:
            if self._drag is not None:
                self._drag = None
                self.pointer.emit("end", 0.0, 0.0)
            return True
        at = self.to_data(event.position())
        if kind in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick):
            button = event.button()
            if button == Qt.MouseButton.LeftButton:
                self._drag = "paint"
                gesture = "add"
            elif button == Qt.MouseButton.RightButton:
                self._drag = gesture = "erase"
            else:
                return False
        elif self._drag is None:
            return False
        else:
            gesture = self._drag
        if at is not None:
            self.pointer.emit(gesture, float(at.x()), float(at.y()))
        return True
