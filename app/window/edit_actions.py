"""The window part for editing the network: the Edit menu's actions (undo and redo, which
a run may refuse; cut, copy, paste, duplicate, delete, select all, arrange) with their
enabled states, and adding layers from the palette (after the selection) or by a drop on
the canvas.

Built from a :class:`~app.window.context.WindowContext`; the window places the actions
and calls :meth:`EditActions.update_undo_actions` when the undo stack changes and
:meth:`EditActions.update_actions` when the canvas selection does.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QMimeData, QObject, QPointF, QRectF, Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence

from app.document.naming import CLIPBOARD_MIME, subgraph_from_text, subgraph_to_text
from app.window.adding import add_layer_after_selection
from app.window.context import WindowContext
from nncore.errors import FormatError


class EditActions(QObject):
    """Undo, Redo, Cut, Copy, Paste, Duplicate, Delete, Select All and Arrange Layers."""

    def __init__(self, context: WindowContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._context = context
        a = context.parts.action
        editor = context.editor
        # Refusal-aware undo and redo (not QUndoStack's actions): a run refuses to undo
        # edits of the network it trains.
        self.act_undo = a("actionUndo", "&Undo", editor.undo, ["Ctrl+Z"], "undo")
        self.act_redo = a("actionRedo", "&Redo", editor.redo, ["Ctrl+Shift+Z", "Ctrl+Y"],
                          "redo")
        self.act_cut = a("actionCut", "Cu&t", self.cut, ["Ctrl+X"])
        self.act_copy = a("actionCopy", "&Copy", self.copy, ["Ctrl+C"])
        self.act_paste = a("actionPaste", "&Paste", self.paste, ["Ctrl+V"])
        self.act_duplicate = a("actionDuplicate", "D&uplicate", self.duplicate, ["Ctrl+D"])
        self.act_delete = a("actionDelete", "&Delete", self.delete_selection,
                            [QKeySequence(Qt.Key.Key_Delete),
                             QKeySequence(Qt.Key.Key_Backspace)], "delete",
                            "Delete the selected layers and connections")
        self.act_select_all = a("actionSelectAll", "Select &All", self.select_all, ["Ctrl+A"])
        self.act_layout = a("actionArrange", "A&rrange Layers", self.arrange, ["Ctrl+L"],
                            "layout", "Lay the network out from left to right")
        context.view.layerDropped.connect(self._on_layer_dropped)
        context.document.projectReset.connect(self._on_project_reset)
        QGuiApplication.clipboard().dataChanged.connect(self.update_actions)

    @property
    def menu_actions(self) -> list[QAction | None]:
        """The Edit menu (None: a separator)."""
        return [self.act_undo, self.act_redo, None, self.act_cut, self.act_copy,
                self.act_paste, self.act_duplicate, self.act_delete, None,
                self.act_select_all, self.act_layout]

    # -- enabled states --------------------------------------------------------------------
    def update_undo_actions(self) -> None:
        stack = self._context.undo_stack
        self.act_undo.setEnabled(stack.canUndo())
        self.act_redo.setEnabled(stack.canRedo())
        self.act_undo.setText(f"&Undo {stack.undoText()}".rstrip())
        self.act_redo.setText(f"&Redo {stack.redoText()}".rstrip())

    def update_actions(self) -> None:
        scene = self._context.scene
        nodes = scene.selected_node_ids()
        edges = scene.selected_edges()
        self.act_copy.setEnabled(bool(nodes))
        self.act_cut.setEnabled(bool(nodes))
        self.act_duplicate.setEnabled(bool(nodes))
        self.act_delete.setEnabled(bool(nodes or edges))
        mime = QGuiApplication.clipboard().mimeData()
        self.act_paste.setEnabled(mime is not None and mime.hasFormat(CLIPBOARD_MIME))

    def _on_project_reset(self) -> None:
        self.update_actions()

    # -- adding layers ---------------------------------------------------------------------
    def _on_layer_dropped(self, type_name: str, pos: QPointF) -> None:
        ctx = self._context
        if ctx.editor.refuse_if_locked():
            return
        node_id = ctx.editor.add_node(type_name, (pos.x(), pos.y()))
        ctx.scene.select_nodes([node_id])
        ctx.view.setFocus()

    def add_layer_after_selection(self, type_name: str) -> str:
        """Add a layer after the selected one (connected when possible), or in free space."""
        return add_layer_after_selection(self._context, type_name)

    # -- commands --------------------------------------------------------------------------
    def delete_selection(self) -> None:
        scene = self._context.scene
        self._context.editor.remove(scene.selected_node_ids(), scene.selected_edges())

    def select_all(self) -> None:
        for item in self._context.scene.nodes.values():
            item.setSelected(True)

    def copy(self) -> None:
        ids = self._context.scene.selected_node_ids()
        if not ids:
            return
        text = subgraph_to_text(self._context.document.graph, ids)
        mime = QMimeData()
        mime.setData(CLIPBOARD_MIME, QByteArray(text.encode("utf-8")))
        mime.setText(text)
        QGuiApplication.clipboard().setMimeData(mime)
        self.update_actions()

    def cut(self) -> None:
        ids = self._context.scene.selected_node_ids()
        if ids:
            self.copy()
            self._context.editor.remove(ids, [])

    def paste(self) -> list[str]:
        mime = QGuiApplication.clipboard().mimeData()
        if mime is None or not mime.hasFormat(CLIPBOARD_MIME):
            return []
        try:
            sub = subgraph_from_text(bytes(mime.data(CLIPBOARD_MIME)).decode("utf-8"))
        except (FormatError, UnicodeDecodeError) as e:
            self._context.status(f"Cannot paste: {e}", 8000)
            return []
        # Where the copied layers were if that place is free (after a cut, in another
        # project), otherwise below them, clear of every layer: never on the originals.
        offset = self._context.scene.clear_offset([n.position for n in sub.nodes])
        return self._place(self._context.editor.paste(sub, offset))

    def duplicate(self) -> list[str]:
        ctx = self._context
        ids = ctx.scene.selected_node_ids()
        offset = ctx.scene.clear_offset([ctx.document.node(i).position for i in ids])
        return self._place(ctx.editor.duplicate(ids, offset))

    def _place(self, ids: list[str]) -> list[str]:
        """Select the new layers and scroll them into view."""
        scene, view = self._context.scene, self._context.view
        scene.select_nodes(ids)
        rect = QRectF()
        for node_id in ids:
            rect = rect.united(scene.nodes[node_id].sceneBoundingRect())
        if ids:
            view.ensureVisible(rect, 40, 40)
        return ids

    def arrange(self) -> None:
        self._context.editor.auto_layout(self._context.scene.node_sizes())
        self._context.view.fit_all()
