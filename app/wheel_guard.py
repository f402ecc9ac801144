"""The mouse wheel belongs to the panel, not to the field that passes under the pointer.

Qt lets spin boxes, combo boxes and sliders take the wheel (and the keyboard focus with
it) whenever the pointer is over them, so scrolling a form changed whatever value passed
under the pointer, an undoable edit the person never meant. :class:`WheelGuard`, one
application-wide event filter, gives those fields the wheel only while they have the
keyboard focus (a click or Tab gives it); otherwise the event goes on to the field's
parents as if the field were not there, and the scroll area around the form scrolls. It
also turns their focus policy from ``WheelFocus`` to ``StrongFocus`` when they are first
polished, so the wheel never focuses them either.

Installed once by :func:`app.launcher.create_application` and by the GUI tests' fixtures;
it covers every such widget of the program (forms, panels, dialogs, pyqtgraph's spin
boxes) without any of them knowing.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QSlider, QWidget

#: The fields whose value the wheel changes.
GUARDED = (QAbstractSpinBox, QComboBox, QSlider)

_WHEEL = QEvent.Type.Wheel
_POLISH = QEvent.Type.Polish


def calm_focus_policy(widget: QWidget) -> None:
    """A guarded field that would take the focus from the wheel takes it only from a click
    or the Tab key."""
    if isinstance(widget, GUARDED) and widget.focusPolicy() == Qt.FocusPolicy.WheelFocus:
        widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)


class WheelGuard(QObject):
    """Application-wide: the wheel over an unfocused field scrolls what holds the field."""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind == _WHEEL:
            if isinstance(obj, GUARDED) and not obj.hasFocus():
                # Filtered but not accepted: Qt hands a spontaneous wheel event on to the
                # parent widgets, up to the scroll area, without the field seeing it.
                event.ignore()
                return True
        elif kind == _POLISH and isinstance(obj, QWidget):
            calm_focus_policy(obj)
        return False


_guard: WheelGuard | None = None


def install(app: QApplication) -> WheelGuard:
    """Once per process: guard every field of ``app``, present and future."""
    global _guard
    if _guard is None:
        _guard = WheelGuard(app)
        app.installEventFilter(_guard)
        for widget in app.allWidgets():
            calm_focus_policy(widget)
    return _guard
