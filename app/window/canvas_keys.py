"""The window part for the canvas's arrow keys: the arrows move the selection from layer
to layer (along connections, then by position: :mod:`app.canvas.navigation`), Shift with
an arrow adds the next layer to the selection, Alt with an arrow moves the selected layers
(one undo step per press).

The actions act only while the canvas has the keyboard (elsewhere the arrows move in text
and lists as usual), and they sit in the Layer menu's Select and Move submenus with their
keys.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction

from app.canvas.navigation import DIRECTIONS, first_layer, neighbour
from app.canvas.scene import GRID
from app.window.context import WindowContext

_KEYS = {"right": "Right", "left": "Left", "up": "Up", "down": "Down"}
_WORDS = {"right": "Next Layer", "left": "Previous Layer", "up": "Layer Above",
          "down": "Layer Below"}


class CanvasKeys(QObject):
    """Select and move layers with the arrow keys."""

    def __init__(self, context: WindowContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._context = context
        #: The layer the arrows start from (the last one they reached).
        self._current: str | None = None
        a = context.parts.action
        self.select_actions: dict[str, QAction] = {}
        self.extend_actions: dict[str, QAction] = {}
        self.move_actions: dict[str, QAction] = {}
        for d, key in _KEYS.items():
            title = d.capitalize()
            self.select_actions[d] = self._canvas_only(a(
                f"actionSelect{title}", f"Select {_WORDS[d]}",
                lambda d=d: self.step(d), [key], None,
                f"Select the layer {'connected ' if d in ('right', 'left') else ''}"
                f"{_where(d)} ({key})"))
            self.extend_actions[d] = self._canvas_only(a(
                f"actionExtend{title}", f"Add {_WORDS[d]} to Selection",
                lambda d=d: self.step(d, extend=True), [f"Shift+{key}"]))
            self.move_actions[d] = self._canvas_only(a(
                f"actionMove{title}", f"Move {title}", lambda d=d: self.move(d),
                [f"Alt+{key}"], None, f"Move the selected layers {d} (Alt+{key})"))

    def _canvas_only(self, act: QAction) -> QAction:
        """The arrows act on the canvas only: out of the window, onto the view."""
        act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._context.dialog_parent.removeAction(act)
        self._context.view.addAction(act)
        return act

    @property
    def select_menu_actions(self) -> list[QAction | None]:
        return [*self.select_actions.values(), None, *self.extend_actions.values()]

    @property
    def move_menu_actions(self) -> list[QAction]:
        return list(self.move_actions.values())

    def _positions(self) -> dict[str, tuple[float, float]]:
        return {n.id: tuple(n.position) for n in self._context.document.graph.nodes}

    def step(self, direction: str, extend: bool = False) -> str | None:
        """Select the layer that lies in ``direction`` (added to the selection with
        ``extend``); return its id (None: nothing lies that way, the selection stays)."""
        ctx = self._context
        scene, doc = ctx.scene, ctx.document
        positions = self._positions()
        selected = scene.selected_node_ids()
        if self._current not in selected:
            self._current = selected[-1] if selected else None
        if self._current is None:
            target = first_layer(doc.analysis.order, positions)
        else:
            target = neighbour(self._current, direction, positions,
                               [(e.source, e.target) for e in doc.graph.edges])
        if target is None:
            if self._current is not None:
                ctx.status(f"No layer {_where(direction)} {self._current}", 3000)
            return None
        self._current = target
        if extend:
            scene.nodes[target].setSelected(True)
        else:
            scene.select_nodes([target])
        ctx.view.ensureVisible(scene.nodes[target], 40, 40)
        return target

    def move(self, direction: str) -> None:
        """Move the selected layers one grid step in ``direction`` (one undo step)."""
        ctx = self._context
        ids = ctx.scene.selected_node_ids()
        if not ids:
            return
        dx, dy = DIRECTIONS[direction]
        moves = {}
        for node_id in ids:
            x, y = ctx.document.node(node_id).position
            moves[node_id] = ((x, y), (x + dx * GRID, y + dy * GRID))
        name = ids[0] if len(ids) == 1 else f"{len(ids)} layers"
        ctx.editor.move_nodes(moves, f"Move {name} {direction}")
        ctx.view.ensureVisible(ctx.scene.nodes[ids[-1]], 40, 40)


def _where(direction: str) -> str:
    return {"right": "after", "left": "before", "up": "above", "down": "below"}[direction]
