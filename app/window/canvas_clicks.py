"""Whether a change of the canvas selection comes from the person's mouse on the canvas.

The window shows the Inspector when the person selects layers on the canvas (a click, or a
drag of the selection rectangle), even while Data, Training or Summary is the tab shown in
the Inspector's place; a selection changed any other way (Undo, Paste, Select All, a row of
the summary, a layer chosen in a plot) leaves the tabs as they are.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QGraphicsView

_PRESS = (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick)


class CanvasClicks(QObject):
    """Watches the canvas view's mouse buttons: :attr:`active` from a press until its
    release has been handled (the selection rectangle ends on the release)."""

    def __init__(self, view: QGraphicsView, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.active = False
        view.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() in _PRESS:
            self.active = True
        elif event.type() == QEvent.Type.MouseButtonRelease:
            QTimer.singleShot(0, self._released)
        return False

    def _released(self) -> None:
        self.active = False
