"""The Gradient Check dialog: progress with Cancel while :func:`nncore.gradcheck.gradcheck`
runs, then one row per layer and array (the largest relative error between
back-propagation and float64 central differences, pass or fail in colour) and the verdict
naming where back-propagation first goes wrong. It shows; the gradient-check part runs."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.understanding.job_states import JobStates
from app.understanding.lint_marks import MARK_COLORS
from nncore.gradcheck import GradCheck, GradRow, verdict

COLUMNS = ("Layer", "Array", "Checked", "Kinks", "Max rel. error", "Result")


def row_result(row: GradRow, tolerance: float) -> str:
    if row.max_rel_error is None:
        return "not compared"
    return "FAIL" if row.failed(tolerance) else "pass"


def row_tooltip(row: GradRow) -> str:
    if row.max_rel_error is None:
        return (f"{row.node_id} / {row.array}: every entry checked sits at a kink (a ReLU at "
                "exactly 0, a tie in max pooling), where no difference quotient is the "
                "gradient")
    return (f"{row.node_id} / {row.array}: worst at index {row.worst_index}: "
            f"back-propagation {row.backprop:.6e}, numerical {row.numerical:.6e}")


class GradcheckDialog(JobStates, QDialog):
    """Progress, the table and the verdict of one gradient check. ``checkAgain`` asks the
    part for a new check; closing the dialog cancels a running one (``cancelRequested``)."""

    checkAgain = Signal()
    cancelRequested = Signal()
    #: A row was double-clicked: show its layer (node id).
    nodeActivated = Signal(str)

    PROGRESS_FORMAT = "{done} of {total} arrays"

    @property
    def message(self) -> QLabel:
        return self.verdict

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gradcheckDialog")
        self.setWindowTitle("Gradient Check")
        self.resize(640, 420)
        lay = QVBoxLayout(self)
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        lay.addWidget(self.intro)
        lay.addLayout(self.make_job_row("the gradient check", self.cancelRequested.emit))
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("gradcheckTable")
        self.table.setAccessibleName("Gradient check results")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setCornerButtonEnabled(False)
        corner = self.table.findChild(QAbstractButton, "qt_tableview_cornerbutton")
        if corner is not None:  # Qt's own; hidden with the row header, named all the same
            corner.setAccessibleName("Select all rows")
        self.table.horizontalHeader().setAccessibleName("Gradient check columns")
        self.table.verticalHeader().setAccessibleName("Gradient check rows")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setToolTip("Double-click a row to show its layer on the canvas")
        self.table.cellDoubleClicked.connect(
            lambda row, _col: self.nodeActivated.emit(self.table.item(row, 0).text()))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        lay.addWidget(self.table, 1)
        self.verdict = QLabel()
        self.verdict.setObjectName("gradcheckVerdict")
        self.verdict.setWordWrap(True)
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.verdict)
        buttons = QDialogButtonBox()
        self.again_button = buttons.addButton("Check Again",
                                              QDialogButtonBox.ButtonRole.ActionRole)
        self.again_button.setAccessibleName("Check the gradients again")
        self.again_button.setToolTip("Run the check again on the project as it is now")
        self.again_button.clicked.connect(self.checkAgain.emit)
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.setAccessibleName("Close the gradient check")
        close.clicked.connect(self.close)
        lay.addWidget(buttons)

    # -- states ----------------------------------------------------------------------------
    def start(self, intro: str) -> None:
        self.intro.setText(intro)
        self.table.setRowCount(0)
        self.progress.setRange(0, 0)
        self.begin("Checking… (4 forward passes per entry checked)")

    def show_result(self, check: GradCheck) -> None:
        self.stopped()
        self.table.setRowCount(len(check.rows))
        for i, r in enumerate(check.rows):
            result = row_result(r, check.tolerance)
            err = "–" if r.max_rel_error is None else f"{r.max_rel_error:.2e}"
            cells = (r.node_id, r.array, f"{r.checked}/{r.size}", str(r.kinks), err, result)
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(row_tooltip(r) + " (double-click: show the layer)")
                if j >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(i, j, item)
            level = {"pass": "pass", "FAIL": "fail"}.get(result, "unseen")
            color = QColor(MARK_COLORS[level])
            cell = self.table.item(i, 5)
            cell.setForeground(QBrush(QColor("white")))
            cell.setBackground(QBrush(color))
            cell.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
        self.verdict.setText(verdict(check))
        self.verdict.setStyleSheet(
            f"color: {MARK_COLORS['pass' if check.passed else 'fail']}; font-weight: 600;")

    def closeEvent(self, event) -> None:  # noqa: N802
        self.cancelRequested.emit()
        super().closeEvent(event)
