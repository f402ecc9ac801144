"""How the sample trace shows one array: small arrays in full as a table of numbers, large
ones as a heat strip (blue positive, orange negative) whose value under the mouse is
written beside it."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.understanding.trace_steps import num
from app.understanding.unit_colors import diverging_rgb, value_scale

#: Arrays of at most this many values, with at most SMALL_SIDE rows and columns, are shown
#: in full.
SMALL_SIZE = 64
SMALL_SIDE = 16
#: Width of one row of a heat strip (a flat array wraps after this many values).
STRIP_WIDTH = 64
CELL = 7


def is_small(values: np.ndarray) -> bool:
    a = np.asarray(values)
    rows, cols = as_matrix(a).shape
    return a.size <= SMALL_SIZE and rows <= SMALL_SIDE and cols <= SMALL_SIDE


def as_matrix(a: np.ndarray) -> np.ndarray:
    """The array as rows and columns: a scalar or vector as one row, more axes stacked."""
    a = np.asarray(a)
    if a.ndim <= 1:
        return a.reshape(1, -1)
    return a.reshape(-1, a.shape[-1])


def strip_matrix(a: np.ndarray) -> np.ndarray:
    """The rows a heat strip draws: a long vector wrapped at STRIP_WIDTH (padded with
    NaN), other arrays as :func:`as_matrix`."""
    a = np.asarray(a, np.float64)
    if a.ndim <= 1 and a.size > STRIP_WIDTH:
        rows = -(-a.size // STRIP_WIDTH)
        out = np.full(rows * STRIP_WIDTH, np.nan)
        out[:a.size] = a.ravel()
        return out.reshape(rows, STRIP_WIDTH)
    return as_matrix(a)


class NumberTable(QTableWidget):
    """A small array in full: one cell per value (4 significant digits; the exact value in
    the cell's tooltip and data)."""

    def __init__(self, values: np.ndarray, label: str, parent: QWidget | None = None) -> None:
        m = as_matrix(values)
        super().__init__(m.shape[0], m.shape[1], parent)
        self.setAccessibleName(f"Values of {label}")
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ContiguousSelection)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        font = QFont(self.font())
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setFamily("monospace")
        self.setFont(font)
        rgb = diverging_rgb(m, value_scale(m))
        for i in range(m.shape[0]):
            for j in range(m.shape[1]):
                item = QTableWidgetItem(num(m[i, j]))
                item.setData(Qt.ItemDataRole.UserRole, float(m[i, j]))
                item.setToolTip(repr(float(m[i, j])))
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                r, g, b = (int(c) for c in rgb[i, j])
                item.setBackground(QColor(r, g, b, 90))
                self.setItem(i, j, item)
        self.setHorizontalHeaderLabels([str(j) for j in range(m.shape[1])])
        self.setVerticalHeaderLabels([str(i) for i in range(m.shape[0])])
        for header in (self.horizontalHeader(), self.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
            header.setMinimumSectionSize(18)
        self.verticalHeader().setVisible(m.shape[0] > 1)
        self.resizeColumnsToContents()
        self.resizeRowsToContents()
        height = self.horizontalHeader().height() + sum(self.rowHeight(i)
                                                        for i in range(m.shape[0])) + 6
        self.setFixedHeight(height + (self.horizontalScrollBar().sizeHint().height()
                                      if m.shape[1] > 8 else 0))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def values(self) -> np.ndarray:
        """The exact values the cells hold, as rows and columns."""
        return np.array([[self.item(i, j).data(Qt.ItemDataRole.UserRole)
                          for j in range(self.columnCount())] for i in range(self.rowCount())])


class HeatStrip(QWidget):
    """A large array as coloured cells; ``hovered`` is set (and ``valueLabel`` written)
    from the cell under the mouse."""

    def __init__(self, values: np.ndarray, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.array = np.asarray(values, np.float64)
        self.matrix = strip_matrix(self.array)
        self.label = label
        self.setAccessibleName(f"Heat strip of {label}")
        self.setToolTip(f"{label}: {self.array.size} values, blue positive, orange "
                        "negative; point at a cell to read its value")
        self.setMouseTracking(True)
        rows, cols = self.matrix.shape
        self._cell = max(2, min(CELL, 640 // max(1, cols)))
        self.setFixedHeight(min(240, max(8, rows * self._cell)))
        self.setMinimumWidth(min(640, cols * self._cell))
        rgb = np.ascontiguousarray(diverging_rgb(self.matrix))
        self._rgb = rgb  # the image shares this buffer
        self._image = QImage(rgb.data, cols, rows, 3 * cols, QImage.Format.Format_RGB888)
        self.valueLabel = QLabel(" ")
        self.valueLabel.setAccessibleName(f"Value under the mouse in {label}")
        self.hovered: tuple[tuple[int, ...], float] | None = None

    def sizeHint(self) -> QSize:  # noqa: N802
        rows, cols = self.matrix.shape
        return QSize(cols * self._cell, self.height())

    def _target(self) -> QRect:
        rows, cols = self.matrix.shape
        return QRect(0, 0, min(self.width(), cols * self._cell), self.height())

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.drawImage(self._target(), self._image)

    def cell_at(self, pos: QPoint) -> tuple[int, int] | None:
        """(row, column) of the strip under ``pos`` (None outside)."""
        rect = self._target()
        if not rect.contains(pos):
            return None
        rows, cols = self.matrix.shape
        return (min(rows - 1, pos.y() * rows // max(1, rect.height())),
                min(cols - 1, pos.x() * cols // max(1, rect.width())))

    def index_at(self, pos: QPoint) -> tuple[tuple[int, ...], float] | None:
        """The index into the array and its value under ``pos`` (None outside)."""
        cell = self.cell_at(pos)
        if cell is None:
            return None
        r, c = cell
        a = self.array
        if a.ndim <= 1 and a.size > STRIP_WIDTH:
            flat = r * STRIP_WIDTH + c
            if flat >= a.size:
                return None
            return (flat,), float(a.ravel()[flat])
        flat = r * self.matrix.shape[1] + c
        index = tuple(int(i) for i in np.unravel_index(flat, a.shape)) if a.ndim else ()
        return index, float(a[index])

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.hovered = self.index_at(event.position().toPoint())
        if self.hovered is None:
            self.valueLabel.setText(" ")
        else:
            index, value = self.hovered
            self.valueLabel.setText(f"{self.label}[{', '.join(map(str, index))}] = "
                                    f"{num(value)}")

    def leaveEvent(self, event) -> None:  # noqa: N802
        self.hovered = None
        self.valueLabel.setText(" ")


def array_view(label: str, values: np.ndarray) -> QWidget:
    """A titled box showing ``values``: in full when small, else as a heat strip."""
    box = QWidget()
    box.setObjectName("traceArray")
    lay = QVBoxLayout(box)
    lay.setContentsMargins(0, 4, 0, 4)
    lay.setSpacing(2)
    a = np.asarray(values)
    shape = "×".join(map(str, a.shape)) if a.ndim else "scalar"
    title = QLabel(f"<b>{label}</b> <span style='color:gray'>({shape})</span>")
    title.setTextFormat(Qt.TextFormat.RichText)
    lay.addWidget(title)
    if is_small(a):
        view: QWidget = NumberTable(a, label)
        lay.addWidget(view)
    else:
        strip = HeatStrip(a, label)
        lay.addWidget(strip)
        lay.addWidget(strip.valueLabel)
        view = strip
    box.view = view  # type: ignore[attr-defined]
    box.label = label  # type: ignore[attr-defined]
    return box
