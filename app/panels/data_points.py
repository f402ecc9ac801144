"""The data panel's page for data stored in the project (the "points" source): how many
points of each class (or the target's range), and "Edit points…" when the window has the
points editor (the action named ``actionEditPoints``)."""

from __future__ import annotations

from collections import Counter

from PySide6.QtGui import QAction, QShowEvent
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from nncore.project import DataSpec

POINTS_SOURCE = "points"
EDIT_POINTS_ACTION = "actionEditPoints"


def points_text(points: dict | None) -> str:
    """"12 points stored in the project: a 6, b 6" (or the target's range)."""
    if not isinstance(points, dict):
        return "No points stored in the project"
    xs, ys = points.get("x") or [], points.get("y") or []
    head = f"{len(xs):,} point{'s' if len(xs) != 1 else ''} stored in the project"
    if points.get("task") == "classification":
        names = points.get("class_names") or []
        counts = Counter(int(v) for v in ys)
        parts = [f"{names[k] if k < len(names) else k}: {counts[k]}" for k in sorted(counts)]
        return f"{head} · " + ", ".join(parts) if parts else head
    values = [float(v[0] if isinstance(v, list) else v) for v in ys]
    return f"{head} · target {min(values):.3g} to {max(values):.3g}" if values else head


class PointsSection(QWidget):
    """What the project's stored points are, and the button to edit them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.edit = QPushButton("Edit points…")
        self.edit.setAccessibleName("Edit the points stored in the project")
        self.edit.setToolTip("Place, move and delete the points on a plane")
        self.edit.clicked.connect(self._edit)
        lay.addWidget(self.summary)
        lay.addWidget(self.edit)
        lay.addStretch(1)
        self.edit.hide()

    def show_spec(self, spec: DataSpec) -> None:
        if spec.source == POINTS_SOURCE:
            self.summary.setText(points_text(spec.points))
            self._update_button()

    def _action(self) -> QAction | None:
        window = self.window()
        return window.findChild(QAction, EDIT_POINTS_ACTION) if window is not self else None

    def _update_button(self) -> None:
        # Offered only when the window has the editor: never a button that does nothing.
        action = self._action()
        self.edit.setVisible(action is not None)
        self.edit.setEnabled(action is not None and action.isEnabled())

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        self._update_button()

    def _edit(self) -> None:
        action = self._action()
        if action is not None:
            action.trigger()
