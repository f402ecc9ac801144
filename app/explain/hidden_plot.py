"""The plot of the Hidden Space dock: one point per sample (or Embedding id) on two
principal components, coloured by class, by error or by value, with the sample in a
tooltip when the pointer rests on a point. The plot range is set when the axes are fitted
and kept between updates (pyqtgraph's auto-range is off)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QVBoxLayout, QWidget

from app.explain.hidden_compute import HiddenSpace
from app.plots.common import CLASS_COLORS, make_plot, style_plot, value_colormap
from app.theme import theme_notifier

RIGHT, WRONG, PLAIN = "#2e9e5b", "#d62728", "#3372c4"


class HiddenSpacePlot(QWidget):
    """A scatter plot of a :class:`HiddenSpace` on a pair of its components."""

    #: The point under the pointer (its index in the space), or -1 when none.
    hovered = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.widget = make_plot("PC2", "PC1")
        self.widget.setObjectName("hiddenPlot")
        self.widget.setAccessibleName("Hidden space plot")
        self.widget.setToolTip("")
        self.vb = self.widget.getPlotItem().getViewBox()
        self.vb.disableAutoRange()
        self.scatter = pg.ScatterPlotItem(size=6, pen=None, hoverable=True, tip=self._tip,
                                          hoverSize=10, hoverPen=pg.mkPen("#202020"))
        self.widget.addItem(self.scatter)
        self.scatter.sigHovered.connect(self._on_hover)
        # A method of this widget: the connection ends with it.
        theme_notifier().changed.connect(self.apply_theme)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.widget)
        self.space: HiddenSpace | None = None
        #: Per component (3), the (low, high) range fixed when the axes were fitted.
        self.ranges: np.ndarray | None = None
        self.pair = (0, 1)

    def apply_theme(self) -> None:
        style_plot(self.widget)

    def clear_points(self) -> None:
        self.space, self.ranges = None, None
        self.scatter.clear()

    def show_space(self, space: HiddenSpace, pair: tuple[int, int], color_by: str) -> None:
        """Draw ``space``'s points on components ``pair``; the range follows a refit."""
        self.space, self.pair = space, pair
        c = space.coords
        if space.refit or self.ranges is None:
            lo, hi = c.min(axis=0), c.max(axis=0)
            pad = np.maximum(0.08 * (hi - lo), 1e-6)
            self.ranges = np.stack([lo - pad, hi + pad], axis=1)
        a, b = pair
        brushes = [pg.mkBrush(col) for col in self._colors(space, color_by)]
        self.scatter.setData(x=c[:, a], y=c[:, b], brush=brushes,
                             data=np.arange(len(c)))
        self.vb.setRange(xRange=tuple(self.ranges[a]), yRange=tuple(self.ranges[b]),
                         padding=0)
        ratio = space.projection.variance_ratio
        item = self.widget.getPlotItem()
        for axis, k in (("bottom", a), ("left", b)):
            share = f" ({ratio[k]:.0%})" if k < len(ratio) else " (none)"
            item.setLabel(axis, f"PC{k + 1}{share}", **{"font-size": "8pt"})

    def coordinates(self) -> tuple[np.ndarray, np.ndarray]:
        """The drawn x and y of every point."""
        x, y = self.scatter.getData()
        return np.asarray(x), np.asarray(y)

    def view_range(self) -> list[list[float]]:
        return self.vb.viewRange()

    @staticmethod
    def _colors(space: HiddenSpace, color_by: str) -> list[QColor | str]:
        n = len(space.coords)
        if space.embedding or space.labels is None:
            return [PLAIN] * n
        if space.task == "classification":
            if color_by == "error":
                return [RIGHT if r else WRONG for r in space.labels == space.predictions]
            return [CLASS_COLORS[int(k) % len(CLASS_COLORS)] for k in space.labels]
        values = space.labels if color_by != "error" else \
            np.abs(space.predictions - space.labels)
        lo, hi = float(np.min(values)), float(np.max(values))
        t = (values - lo) / (hi - lo) if hi > lo else np.zeros(n)
        rgba = value_colormap().map(np.asarray(t, np.float64), mode="byte")
        return [QColor(*map(int, c)) for c in rgba]

    def tip_text(self, i: int) -> str:
        """What the tooltip says about point ``i``: the sample, its label, the prediction."""
        s = self.space
        if s is None or not 0 <= i < len(s.rows):
            return ""
        if s.embedding:
            return f"{s.layer}: id {int(s.rows[i])}"
        text = f"{s.split.capitalize()} sample {int(s.rows[i]) + 1}"
        if s.labels is None or s.predictions is None:
            return text
        if s.task == "classification":
            names = s.class_names or []

            def name(k: int) -> str:
                return names[k] if k < len(names) else str(k)
            true, pred = int(s.labels[i]), int(s.predictions[i])
            mark = "right" if true == pred else "wrong"
            return f"{text}\nlabel: {name(true)}\npredicted: {name(pred)} ({mark})"
        return (f"{text}\ntarget: {s.labels[i]:.4g}\npredicted: {s.predictions[i]:.4g}")

    def _on_hover(self, _item, points, _event) -> None:
        self.hovered.emit(int(points[0].data()) if len(points) else -1)

    def _tip(self, x: float, y: float, data: object) -> str:
        return self.tip_text(int(data))  # type: ignore[call-overload]
