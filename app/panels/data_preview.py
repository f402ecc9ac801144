"""The data panel's preview: what the loaded data looks like.

A scatter plot for 2-D points (coloured by class or target), an image grid for images
(every class shown: :mod:`app.panels.data_gallery`), a line plot for sequences and a table
otherwise, above the sample count, the class balance, whether the data fits the network, or
the loader's error message. pyqtgraph, slow to import, is imported only when a plot is
first drawn.

Big data is sampled: the scatter draws at most :data:`MAX_SCATTER` points, stratified by
class, and says so ("showing 5,000 of 60,000 points"), so a redraw stays fast.

``samplePicked(split, row)``: the person clicked a point of the scatter or an image; the
preview shows the whole data set, so ``split`` is ``"all"`` and ``row`` the sample's row in
the loaded data set (before the split).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QGroupBox,
    QLabel,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.models.sampling import sample_indices, shown_text
from app.panels.data_gallery import ImageGallery
from app.panels.data_table import DataTable, num_text
from app.theme import colors
from nncore.data import Dataset

#: Class colours: Playground's orange and blue first, then a qualitative palette.
CLASS_COLORS = ("#f59322", "#0877bd", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
MAX_TABLE_ROWS = 200
MAX_SCATTER = 5000


class DataPreview(QGroupBox):
    """The "Preview" box: texts about the data set and one picture of it."""

    #: The person clicked a sample: ("all", its row in the loaded data set).
    samplePicked = Signal(str, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Preview", parent)
        pl = QVBoxLayout(self)
        pl.setContentsMargins(8, 6, 8, 8)
        self.summary = _wrapping_label()
        self.balance = _wrapping_label()
        self.fit = _wrapping_label()
        self.fit.setObjectName("dataFit")
        self.error = _wrapping_label()
        self.error.setObjectName("dataError")
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        self.stack = QStackedWidget()
        self.stack.setMinimumHeight(220)
        self.stack.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.empty = QLabel("No preview")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack.addWidget(self.empty)
        self.image_grid = ImageGallery()
        self.image_grid.picked.connect(lambda row: self.samplePicked.emit("all", row))
        self.stack.addWidget(self.image_grid)
        self.table = DataTable()
        self.stack.addWidget(self.table)
        #: What the preview shows: 'none', 'scatter', 'sequence', 'images' or 'table'.
        self.kind = "none"
        self._plot = None  # pyqtgraph PlotWidget, created on first use
        #: "showing 5,000 of 60,000 points" when the picture is a sample.
        self.sampled = _wrapping_label()
        self.sampled.setObjectName("hint")
        for widget in (self.summary, self.balance, self.fit, self.error):
            pl.addWidget(widget)
        pl.addWidget(self.stack, 1)
        pl.addWidget(self.sampled)

    # -- what to show --------------------------------------------------------------------
    def show_error(self, message: str) -> None:
        """The data could not be loaded: say why, and show nothing else."""
        self.error.setText(f"⚠ {message}")
        self.error.setStyleSheet(f"color: {colors().error.name()};")
        self.error.show()
        self.summary.clear()
        self.balance.clear()
        self.fit.hide()
        self.sampled.clear()
        self._show("none")

    def show_message(self, text: str) -> None:
        """No data to show yet (it is loading, or its load was cancelled): say so."""
        self.error.hide()
        self.summary.clear()
        self.balance.clear()
        self.fit.hide()
        self.sampled.clear()
        self.empty.setText(text)
        self._show("none")

    def show_dataset(self, ds: Dataset, width: int) -> None:
        """Describe ``ds`` and draw it (``width``: the room the panel has, for image grids)."""
        self.error.hide()
        self.summary.setText(summary_text(ds))
        self.balance.setText(balance_html(ds))
        self.balance.setVisible(ds.task == "classification")
        self.sampled.clear()
        self.empty.setText("No preview")
        if ds.inputs is not None and len(ds.inputs) > 1:
            self._show_table(ds)
        elif ds.X.ndim == 4:
            self._show_images(ds, width)
        elif ds.X.ndim == 2 and ds.X.shape[1] == 2:
            self._show_scatter(ds)
        elif ds.X.ndim == 3:
            self._show_sequences(ds)
        else:
            self._show_table(ds)

    def _show(self, kind: str, widget: QWidget | None = None) -> None:
        self.kind = kind
        self.stack.setCurrentWidget(widget if widget is not None else self.empty)

    # -- plots ---------------------------------------------------------------------------
    def _ensure_plot(self):
        if self._plot is None:
            import pyqtgraph as pg

            pg.setConfigOptions(antialias=True)
            self._plot = pg.PlotWidget()
            self._plot.setAccessibleName("Data preview plot")
            self._plot.setMinimumHeight(220)
            self._plot.setMenuEnabled(False)
            self._plot.hideButtons()
            self._plot.setAccessibleName("Data plot")
            self._plot.setToolTip("The data; click a point to pick that sample")
            self._plot.getPlotItem().setMouseEnabled(x=True, y=True)
            self.stack.addWidget(self._plot)
        c = colors()
        self._plot.setBackground(c.node_fill)
        for axis in ("left", "bottom"):
            ax = self._plot.getPlotItem().getAxis(axis)
            ax.setPen(c.subtext)
            ax.setTextPen(c.subtext)
        self._plot.getPlotItem().clear()
        return self._plot

    def _show_scatter(self, ds: Dataset) -> None:
        import pyqtgraph as pg

        plot = self._ensure_plot()
        classes = ds.y if ds.task == "classification" else None
        idx = sample_indices(ds.n_samples, MAX_SCATTER, classes)
        X = ds.X[idx]
        if ds.task == "classification":
            y = ds.y[idx]
            for k in range(int(ds.n_classes or 0)):
                mask = y == k
                if not mask.any():
                    continue
                color = QColor(CLASS_COLORS[k % len(CLASS_COLORS)])
                item = pg.ScatterPlotItem(
                    X[mask, 0], X[mask, 1], size=6, pen=pg.mkPen(color.darker(130), width=0.6),
                    brush=pg.mkBrush(color), data=idx[mask])
                item.sigClicked.connect(self._on_points_clicked)
                plot.getPlotItem().addItem(item)
        else:
            t = ds.y[idx, 0]
            lo, hi = float(t.min()), float(t.max())
            cmap = pg.ColorMap([0.0, 0.5, 1.0], [QColor(CLASS_COLORS[1]), QColor("#e8e8e8"),
                                                 QColor(CLASS_COLORS[0])])
            u = (t - lo) / (hi - lo) if hi > lo else np.full_like(t, 0.5)
            # 64 shades are enough for dots: one brush each, not one per point.
            shades = [pg.mkBrush(cmap.map(i / 63.0, mode="qcolor")) for i in range(64)]
            brushes = [shades[i] for i in np.clip(np.rint(u * 63), 0, 63).astype(int)]
            item = pg.ScatterPlotItem(X[:, 0], X[:, 1], size=6, pen=None, brush=brushes,
                                      data=idx)
            item.sigClicked.connect(self._on_points_clicked)
            plot.getPlotItem().addItem(item)
        self.sampled.setText(shown_text(len(idx), ds.n_samples) + (
            " (a sample, every class kept)" if len(idx) < ds.n_samples else ""))
        names = ds.feature_names or ["x1", "x2"]
        plot.getPlotItem().setLabel("bottom", names[0])
        plot.getPlotItem().setLabel("left", names[1])
        # Points in a plane: one unit is as long across as up, or the shapes are squashed.
        plot.getPlotItem().getViewBox().setAspectLocked(True, ratio=1.0)
        plot.getPlotItem().autoRange()
        self._show("scatter", plot)

    def _on_points_clicked(self, _item: Any, points: Any, *_event: Any) -> None:
        if len(points):
            self.samplePicked.emit("all", int(points[0].data()))

    def _show_sequences(self, ds: Dataset) -> None:
        import pyqtgraph as pg

        plot = self._ensure_plot()
        n = min(4, ds.n_samples)
        for i in range(n):
            color = QColor(CLASS_COLORS[i % len(CLASS_COLORS)])
            plot.getPlotItem().plot(np.arange(ds.X.shape[1]), ds.X[i, :, 0],
                                    pen=pg.mkPen(color, width=1.6))
        plot.getPlotItem().setLabel("bottom", "time step")
        plot.getPlotItem().setLabel("left", (ds.feature_names or ["value"])[0])
        plot.getPlotItem().getViewBox().setAspectLocked(False)
        plot.getPlotItem().autoRange()
        self._show("sequence", plot)

    # -- images and tables -----------------------------------------------------------------
    def _show_images(self, ds: Dataset, width: int) -> None:
        self.image_grid.show_dataset(ds, width)
        shown = len(self.image_grid.cells)
        self.sampled.setText(shown_text(shown, ds.n_samples, "images") + (
            ", from every class" if ds.task == "classification" and shown < ds.n_samples
            else ""))
        self._show("images", self.image_grid)

    def _show_table(self, ds: Dataset) -> None:
        n = min(MAX_TABLE_ROWS, ds.n_samples)
        self.sampled.setText(shown_text(n, ds.n_samples, "rows (the first)"))
        headers, columns = _table_columns(ds, n)
        if ds.task == "classification":
            target = [_class_name(ds, v) for v in ds.y[:n]]
            headers.append("class")
        else:
            target = [num_text(v) for v in ds.y[:n, 0]]
            headers.append("target")
        self.table.show_rows(headers, columns, target)
        self._show("table", self.table)


# -- texts ---------------------------------------------------------------------------------
def summary_text(ds: Dataset) -> str:
    """How many samples, what one sample is and what the network learns from it, as rich
    text: "500 samples · one sample: 2 numbers · 2 classes to tell apart"."""
    return (f"<b>{ds.n_samples:,}</b> samples · one sample: {_sample_text(ds)} · "
            f"{_target_text(ds)}")


def _sample_text(ds: Dataset) -> str:
    if ds.inputs is not None and len(ds.inputs) > 1:
        return " and ".join(f"{name} id" if not s else f"{_numbers(s)} ({name})"
                            for name, s in ds.input_shapes.items())
    shape = tuple(ds.input_shape)
    if len(shape) == 3:
        channels, height, width = shape
        return f"a {channels}×{height}×{width} image" + (" (grey)" if channels == 1 else "")
    if len(shape) == 2:
        steps, values = shape
        return f"{steps} time steps of {_plural(values, 'value')}"
    return _numbers(shape)


def _numbers(shape: tuple[int, ...]) -> str:
    count = 1
    for d in shape:
        count *= int(d)
    return _plural(count, "number")


def _target_text(ds: Dataset) -> str:
    if ds.task == "classification":
        return f"{ds.n_classes} classes to tell apart"
    return f"{_plural(ds.y.shape[1], 'number')} to predict"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def balance_html(ds: Dataset) -> str:
    """Each class's sample count and share, with its colour ('' for regression)."""
    if ds.task != "classification":
        return ""
    counts = ds.class_counts()
    total = max(int(counts.sum()), 1)
    names = ds.class_names or [str(i) for i in range(len(counts))]
    parts = []
    for i, n in enumerate(counts):
        color = CLASS_COLORS[i % len(CLASS_COLORS)]
        parts.append(f"<span style='color:{color}'>■</span>&nbsp;{_esc(names[i])}:"
                     f"&nbsp;{int(n)}&nbsp;({100 * int(n) / total:.0f}%)")
    return "Class balance: " + ", ".join(parts)


def _wrapping_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    return label


def _table_columns(ds: Dataset, n: int) -> tuple[list[str], list[np.ndarray]]:
    """Headers and values of the table's input columns (named inputs, else up to 50
    features) for the first ``n`` samples."""
    if ds.inputs is not None and len(ds.inputs) > 1:
        cols = [(k, v) for k, v in ds.inputs.items()]
        return [k for k, _ in cols], [np.asarray(v[:n]).reshape(n, -1)[:, 0] for _, v in cols]
    flat = ds.X[:n].reshape(n, -1)
    k = min(flat.shape[1], 50)
    names = ds.feature_names or [f"x{i + 1}" for i in range(flat.shape[1])]
    return list(names[:k]), [flat[:, j] for j in range(k)]


def _class_name(ds: Dataset, index: Any) -> str:
    names = ds.class_names
    return names[int(index)] if names else str(int(index))


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
