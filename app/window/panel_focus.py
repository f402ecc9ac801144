"""The window part that moves the keyboard between the canvas and the panels.

View > Go To: Ctrl+1 … Ctrl+9 put the keyboard in a panel (showing and raising its dock),
Escape brings it back to the canvas from anywhere in the window (a field that still has
something to undo with Escape, such as the layer name being typed, takes the first
Escape), and on the canvas clears the selection. When the keyboard enters a panel, its tab
order is set to the order the panel shows its fields
(:func:`app.panels.tab_order.apply_tab_order`), also for panels rebuilt since.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QDockWidget, QWidget
from shiboken6 import isValid

from app.panels.tab_order import apply_tab_order
from app.window.context import WindowContext


def first_field(root: QWidget) -> QWidget | None:
    """The first widget in ``root`` that Tab would stop at now (visible and enabled)."""
    for w in apply_tab_order(root):
        if w.isVisible() and w.isEnabled():
            return w
    return None


class PanelFocus(QObject):
    """Go To actions for the canvas and each dock, and the panels' tab order."""

    def __init__(self, context: WindowContext, docks: list[QDockWidget],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._docks = list(docks)
        a = context.parts.action
        self.act_canvas = a("actionGoToCanvas", "&Canvas", self.focus_canvas,
                            [QKeySequence(Qt.Key.Key_Escape)], None,
                            "Put the keyboard on the canvas (Escape)")
        self.dock_actions: list[QAction] = []
        for i, dock in enumerate(self._docks):
            keys = [f"Ctrl+{i + 1}"] if i < 9 else []
            title = dock.windowTitle()
            act = a(f"actionGoTo{dock.objectName()[:1].upper()}{dock.objectName()[1:]}",
                    title, lambda d=dock: self.focus_dock(d), keys, None,
                    f"Put the keyboard in the {title} panel")
            self.dock_actions.append(act)
        app = QApplication.instance()
        app.focusChanged.connect(self._on_focus_changed)

    @property
    def menu_actions(self) -> list[QAction | None]:
        """View > Go To."""
        return [self.act_canvas, None, *self.dock_actions]

    def focus_canvas(self) -> None:
        """Put the keyboard on the canvas; on the canvas already, clear the selection."""
        view = self._context.view
        if view.hasFocus():
            self._context.scene.clearSelection()
        view.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def focus_dock(self, dock: QDockWidget) -> QWidget | None:
        """Show ``dock`` (raised among its tabs) and put the keyboard on its first field;
        return that field."""
        dock.show()
        dock.raise_()
        content = dock.widget()
        target = first_field(content) if content is not None else None
        (target or content or dock).setFocus(Qt.FocusReason.ShortcutFocusReason)
        return target

    def _dock_of(self, w: QWidget | None) -> QDockWidget | None:
        # While the window is deleted, focus moves as its docks go (and this part after).
        for dock in self._docks:
            if w is not None and isValid(dock) and dock.isAncestorOf(w):
                return dock
        return None

    def _on_focus_changed(self, old: QWidget | None, new: QWidget | None) -> None:
        dock = self._dock_of(new)
        if dock is not None and dock is not self._dock_of(old) and dock.widget() is not None:
            apply_tab_order(dock.widget())
