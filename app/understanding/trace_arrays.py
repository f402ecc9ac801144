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
#: Most cells in a row of image tiles.
TILE_ROW_WIDTH = 128
#: Largest height of a heat strip (pixels; taller arrays are drawn squeezed).
MAX_STRIP_HEIGHT = 400
CELL = 7
#: The colour between image tiles and after the end of a wrapped vector.
GAP_RGB = (236, 236, 236)


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


def tiles(shape: tuple[int, ...]) -> tuple[int, int] | None:
    """For an array of images (..., height, width) with 3 axes or more: how many rows of
    tiles a heat strip draws and how many tiles per row (None for 1 or 2 axes)."""
    if len(shape) < 3:
        return None
    h, w = shape[-2:]
    if len(shape) == 3:  # channels: as many per row as fit
        per_row = max(1, min(shape[0], TILE_ROW_WIDTH // (w + 1)))
        return -(-shape[0] // per_row), per_row
    return int(np.prod(shape[:-3])), shape[-3]  # one row per filter, its channels along it


def strip_matrix(a: np.ndarray) -> np.ndarray:
    """The cells a heat strip draws: a long vector wrapped at STRIP_WIDTH, images as tiles
    with a gap between them (gaps and padding NaN), other arrays as :func:`as_matrix`."""
    a = np.asarray(a, np.float64)
    if a.ndim <= 1 and a.size > STRIP_WIDTH:
        rows = -(-a.size // STRIP_WIDTH)
        out = np.full(rows * STRIP_WIDTH, np.nan)
        out[:a.size] = a.ravel()
        return out.reshape(rows, STRIP_WIDTH)
    grid = tiles(a.shape)
    if grid is None:
        return as_matrix(a)
    rows, per_row = grid
    h, w = a.shape[-2:]
    maps = a.reshape(-1, h, w)
    out = np.full((rows * (h + 1) - 1, per_row * (w + 1) - 1), np.nan)
    for k in range(len(maps)):
        r, c = divmod(k, per_row)
        out[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = maps[k]
    return out


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
        self._cell = max(2, min(CELL, 640 // max(1, cols), MAX_STRIP_HEIGHT // max(1, rows)))
        self.setFixedHeight(min(MAX_STRIP_HEIGHT, max(8, rows * self._cell)))
        self.setMinimumWidth(min(640, cols * self._cell))
        rgb = diverging_rgb(self.matrix)
        gaps = np.isnan(strip_matrix(np.zeros(self.array.shape)))  # between tiles, padding
        rgb[gaps] = GAP_RGB
        rgb = np.ascontiguousarray(rgb)
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
        grid = tiles(a.shape)
        if grid is None:
            flat = r * self.matrix.shape[1] + c
        else:
            h, w = a.shape[-2:]
            (tr, i), (tc, j) = divmod(r, h + 1), divmod(c, w + 1)
            k = tr * grid[1] + tc
            if i == h or j == w or k * h * w >= a.size:
                return None  # a gap between tiles
            flat = (k * h + i) * w + j
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


class ArrayBox(QWidget):
    """A titled box showing one array: in full when small (``view`` a
    :class:`NumberTable`), else as a heat strip (``view`` a :class:`HeatStrip`)."""

    def __init__(self, label: str, values: np.ndarray, parent: QWidget | None = None
                 ) -> None:
        super().__init__(parent)
        self.setObjectName("traceArray")
        self.label = label
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 4, 0, 4)
        lay.setSpacing(2)
        a = np.asarray(values)
        shape = "×".join(map(str, a.shape)) if a.ndim else "scalar"
        title = QLabel(f"<b>{label}</b> <span style='color:gray'>({shape})</span>")
        title.setTextFormat(Qt.TextFormat.RichText)
        lay.addWidget(title)
        self.view: NumberTable | HeatStrip
        if is_small(a):
            self.view = NumberTable(a, label)
            lay.addWidget(self.view)
        else:
            self.view = HeatStrip(a, label)
            lay.addWidget(self.view)
            lay.addWidget(self.view.valueLabel)
