"""The window's status bar: a temporary message (``showMessage``, an action's status tip)
on the left, the permanent readouts ("✓ network is valid", the parameter count) on the
right, and the two never overlap.

``QStatusBar`` draws its message in the room left of the permanent widgets but does not
clip it, so a long message ran on under "network is valid". Here the message is elided to
that room, with a gap before the readouts, and the whole text is the status bar's tooltip.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QStatusBar, QStyle, QStyleOption, QWidget

#: Space between the end of a message and the first permanent readout, in pixels.
GAP = 16
#: Qt's own margins of the message: from the left edge, and (with no permanent widget
#: shown) from the right edge, where the size grip is.
LEFT, RIGHT = 6, 12


class StatusBar(QStatusBar):
    """A status bar whose temporary message stops before the permanent widgets."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._permanent: list[QWidget] = []
        self.messageChanged.connect(self._on_message)

    def addPermanentWidget(self, widget: QWidget, stretch: int = 0) -> None:  # noqa: N802
        super().addPermanentWidget(widget, stretch)
        self._permanent.append(widget)

    def message_rect(self) -> QRect:
        """Where the temporary message is drawn: left of the shown permanent widgets."""
        right = self.width() - RIGHT
        shown = [w.x() for w in self._permanent if w.isVisible()]
        if shown:
            right = min(right, min(shown) - GAP)
        return QRect(LEFT, 0, max(0, right - LEFT), self.height())

    def shown_message(self) -> str:
        """The message as drawn: elided to :meth:`message_rect`."""
        return self.fontMetrics().elidedText(self.currentMessage(), Qt.TextElideMode.ElideRight,
                                             self.message_rect().width())

    def _on_message(self, text: str) -> None:
        self.setToolTip(text if text and self.shown_message() != text else "")

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._on_message(self.currentMessage())

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        if not self.currentMessage():
            super().paintEvent(event)
            return
        # As QStatusBar paints, with the message elided to its room.
        painter = QPainter(self)
        style = self.style()
        option = QStyleOption()
        option.initFrom(self)
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelStatusBar, option, painter, self)
        for widget in self._permanent:
            if widget.isVisible():
                frame = QStyleOption()
                frame.rect = widget.geometry().adjusted(-2, -1, 2, 1)
                frame.palette = self.palette()
                frame.state = QStyle.StateFlag.State_None
                style.drawPrimitive(QStyle.PrimitiveElement.PE_FrameStatusBarItem, frame,
                                    painter, widget)
        painter.setPen(self.palette().windowText().color())
        painter.drawText(self.message_rect(), Qt.AlignmentFlag.AlignLeading
                         | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextSingleLine,
                         self.shown_message())
        painter.end()
