"""The model summary: one row per layer (execution order) with output shape and parameter
count, and the totals, like Keras' ``model.summary()``."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QLabel,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.canvas.items import format_count, format_shape
from app.document.document import ProjectDocument
from app.icons import layer_icon
from app.theme import colors, make_table, theme_notifier
from nncore.errors import SpecError
from nncore.memory import (
    MemoryLimitError,
    check_fits_memory,
    estimate_training_memory,
    format_bytes,
)
from nncore.registry import layer_class

COLUMNS = ("Layer", "Type", "Output shape", "Params")


class SummaryWidget(QWidget):
    #: A row was clicked: select that node on the canvas.
    nodeClicked = Signal(str)

    def __init__(self, doc: ProjectDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.table = make_table(COLUMNS)
        self.table.headerItem().setTextAlignment(3, Qt.AlignmentFlag.AlignRight
                                                 | Qt.AlignmentFlag.AlignVCenter)
        self.table.setObjectName("summaryTable")
        self.table.setAccessibleName("Model summary")
        self.table.setAccessibleDescription("One row per layer in execution order: name, "
                                            "type, output shape and parameter count")
        self.table.itemActivated.connect(
            lambda item, _c: self.nodeClicked.emit(item.data(0, Qt.ItemDataRole.UserRole)))
        self.table.itemClicked.connect(
            lambda item, _c: self.nodeClicked.emit(item.data(0, Qt.ItemDataRole.UserRole)))
        self.totals = QLabel()
        self.totals.setWordWrap(True)
        self.totals.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.totals)
        doc.analysisChanged.connect(self.refresh)
        doc.projectReset.connect(self.refresh)
        doc.trainingChanged.connect(self.refresh)  # the batch size sets the estimate
        theme_notifier().changed.connect(self.refresh)
        self.refresh()

    def rows(self) -> list[tuple[str, str, str, str]]:
        """The table's text, row by row (for tests and copying)."""
        out = []
        for i in range(self.table.topLevelItemCount()):
            item = self.table.topLevelItem(i)
            out.append(tuple(item.text(c) for c in range(len(COLUMNS))))
        return out

    def refresh(self) -> None:
        a = self.doc.analysis
        self.table.clear()
        order = list(a.order) + [n.id for n in self.doc.graph.nodes if n.id not in a.order]
        error_brush = QBrush(colors().error)
        for node_id in order:
            spec = self.doc.node(node_id)
            shape = a.shapes.get(node_id)
            params = a.params.get(node_id)
            count = "?" if params is None else format_count(params[1])
            if params is not None and params[1] and params[0] != params[1]:
                count += f" ({format_count(params[0])} trainable)"
            item = QTreeWidgetItem([node_id, spec.type,
                                    format_shape(shape) if shape is not None else "?", count])
            item.setData(0, Qt.ItemDataRole.UserRole, node_id)
            item.setTextAlignment(3, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            try:
                layer_class(spec.type)
            except SpecError:
                pass  # an unknown type (already an error in the table) gets no icon
            else:
                item.setIcon(0, layer_icon(spec.type))
            errors = a.errors_for(node_id)
            if errors:
                for c in range(len(COLUMNS)):
                    item.setForeground(c, error_brush)
                item.setToolTip(0, "\n".join(errors))
            self.table.addTopLevelItem(item)
        total, trainable = a.total_params, a.trainable_params
        text = (f"<b>Total parameters: {format_count(total)}</b><br>Trainable "
                f"{format_count(trainable)} · non-trainable {format_count(total - trainable)}")
        if a.errors:
            n = len(a.errors)
            text += (f"<br><span style='color:{colors().error.name()}'>{n} problem"
                     f"{'s' if n > 1 else ''}: totals cover the layers that could be "
                     "resolved</span>")
        else:
            text += "<br>" + self._memory_text()
        self.totals.setText(text)

    def _memory_text(self) -> str:
        """The training-memory estimate, in the warning colour when it exceeds what the
        machine has available now."""
        estimate = estimate_training_memory(self.doc.analysis, self.doc.training)
        text = f"Training memory: about {format_bytes(estimate.total)}"
        self.totals.setToolTip(f"Training memory: {estimate.describe()}.\nAn estimate from "
                               "the shapes and the batch size, without the data: weights, "
                               "gradients and optimizer state, and what each layer keeps "
                               "for the backward pass of one batch.")
        try:
            check_fits_memory(estimate)
        except MemoryLimitError:
            return (f"<span style='color:{colors().error.name()}'>{text}: more than this "
                    "machine has available</span>")
        return text
