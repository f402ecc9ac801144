"""The data preview's table: a ``QTableView`` over the first rows of a data set through a
model that formats a cell only when it is drawn (a ``QTableWidget`` item per cell cost
0.7 s on the GUI thread for 200 rows of a 784-column data set)."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QHeaderView, QTableView, QWidget


def num_text(v: Any) -> str:
    """A number as the table shows it: whole numbers plainly, others to 4 digits."""
    f = float(v)
    if f.is_integer() and abs(f) < 1e15:
        return str(int(f))
    return f"{f:.4g}"


class ArrayTableModel(QAbstractTableModel):
    """Columns of numbers (right-aligned) and a last column of texts (the class or the
    target), under their headers."""

    def __init__(self) -> None:
        super().__init__()
        self.headers: list[str] = []
        self.columns: list[np.ndarray] = []
        self.last: list[str] = []

    def set_data(self, headers: list[str], columns: list[np.ndarray], last: list[str]) -> None:
        self.beginResetModel()
        self.headers, self.columns, self.last = headers, columns, last
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.last)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.headers)

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        r, c = index.row(), index.column()
        numeric = c < len(self.columns)
        if role == Qt.ItemDataRole.DisplayRole:
            return num_text(self.columns[c][r]) if numeric else self.last[r]
        if role == Qt.ItemDataRole.TextAlignmentRole and numeric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self.headers[section] if section < len(self.headers) else None
        return str(section + 1)

    def text(self, row: int, column: int) -> str:
        """The text of a cell (as drawn)."""
        return str(self.data(self.index(row, column)))


class DataTable(QTableView):
    """The table of the first rows; columns sized from the rows on screen only."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model_ = ArrayTableModel()
        self.setModel(self.model_)
        self.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.verticalHeader().setDefaultSectionSize(22)
        self.horizontalHeader().setResizeContentsPrecision(20)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.setAccessibleName("Data table")

    def show_rows(self, headers: list[str], columns: list[np.ndarray], last: list[str]) -> None:
        self.model_.set_data(headers, columns, last)
        if len(headers) <= 12:  # sized to the contents; a wide table keeps equal columns
            self.resizeColumnsToContents()
        else:
            for c in range(len(headers)):
                self.setColumnWidth(c, 64)

    def rowCount(self) -> int:  # noqa: N802
        return self.model_.rowCount()

    def columnCount(self) -> int:  # noqa: N802
        return self.model_.columnCount()

    def header(self, column: int) -> str:
        return str(self.model_.headerData(column, Qt.Orientation.Horizontal))
