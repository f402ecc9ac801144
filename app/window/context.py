"""What a part of the window may use, and the one factory that makes actions and docks.

A *part* (the training controls, a dock, a menu's worth of actions) receives a
:class:`WindowContext` and never the window itself: it reads and edits the project through
the document and the editor, shows messages through ``status``, and creates its actions and
docks through ``parts``. It exposes what it made (lists of actions, docks) and the window
places them in its menus, toolbar and dock areas. So no part reaches into another part or
into the window, and each can be built and tested with a context of its own.

A part is built as ``Part(context, <what it works on>, parent=window)``: a ``QObject``
owned by the window, so its connections to objects that live longer (the theme, the
clipboard) end with it. Signals of the canvas scene, which it emits while it is deleted,
reach the parts through the window.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

from app.icons import action_icon
from app.theme import theme_notifier

if TYPE_CHECKING:
    from PySide6.QtGui import QUndoStack

    from app.canvas.scene import CanvasScene
    from app.canvas.view import CanvasView
    from app.document.document import ProjectDocument
    from app.training.lock import LockingEditor

Shortcut = str | QKeySequence | QKeySequence.StandardKey


class PartFactory(QObject):
    """Makes the window's actions and docks (object names, shortcuts, themed icons), so
    every part creates them the same way and the window owns them."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self._window = window
        self._icons: dict[QAction, str] = {}
        theme_notifier().changed.connect(self._on_theme)

    def action(self, name: str, text: str, slot: Callable[[], object],
               shortcuts: Iterable[Shortcut] = (), icon: str | None = None,
               tip: str = "") -> QAction:
        """A window-wide action: ``name`` is its object name (tests and settings find it by
        that), ``icon`` a name for :func:`app.icons.action_icon` (redrawn with the theme)."""
        act = QAction(text, self._window)
        act.setObjectName(name)
        keys = [s if isinstance(s, QKeySequence) else QKeySequence(s) for s in shortcuts]
        if keys:
            act.setShortcuts(keys)
        if icon:
            act.setIcon(action_icon(icon))
            self._icons[act] = icon
        if tip:
            act.setStatusTip(tip)
            act.setToolTip(tip)
        act.triggered.connect(lambda _checked=False: slot())
        self._window.addAction(act)
        return act

    def dock(self, title: str, name: str, widget: QWidget,
             area: Qt.DockWidgetArea) -> QDockWidget:
        """A movable, closable, floatable dock holding ``widget`` in ``area``."""
        dock = QDockWidget(title, self._window)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self._window.addDockWidget(area, dock)
        return dock

    def split(self, first: QDockWidget, second: QDockWidget,
              orientation: Qt.Orientation) -> None:
        """Put ``second`` beside (Horizontal) or below (Vertical) ``first``."""
        self._window.splitDockWidget(first, second, orientation)

    def _on_theme(self) -> None:
        for act, name in self._icons.items():
            act.setIcon(action_icon(name))


@dataclass(frozen=True)
class WindowContext:
    """The narrow view of the window that its parts get."""

    document: ProjectDocument
    editor: LockingEditor
    scene: CanvasScene
    view: CanvasView
    undo_stack: QUndoStack
    #: Makes actions and docks (the window places them).
    parts: PartFactory
    #: Parent for dialogs and message boxes.
    dialog_parent: QWidget
    #: Show a message in the status bar: ``status(text, msec)``.
    status: Callable[[str, int], None]
    #: Select a node on the canvas, scroll to it and show its inspector.
    reveal_node: Callable[[str], None]
