"""The window part for the canvas's context menus and the Layer menu.

Right-clicking (or the Menu key, or Shift+F10, at the selection) shows the commands that
fit the place: on empty canvas Add Layer Here…, Paste, Select All, Arrange, Fit; on a layer
(which becomes the selection) Rename, Duplicate, Delete, Freeze, Show in Inspector, the
connect and insert commands; on a connection Delete and Insert Layer Here…. Each of them is
also in a main menu with its shortcut: the window hands the actions over in
:class:`MenuContents`.

Other parts add their own commands on a layer through :attr:`ContextMenus.node_hooks`
(a :class:`NodeMenuHooks`): ``hooks.register("Trace Values…", run, enabled)`` with
``run(node_id)`` and ``enabled(node_id) -> bool``. A registered command appears in every
layer's context menu and at the end of the Layer menu (for the selected layer), in the
order registered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, QPointF
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QGraphicsItem, QMenu

from app.canvas.items import LinkItem, NodeItem
from app.window.context import WindowContext

if TYPE_CHECKING:
    from app.window.canvas_keys import CanvasKeys
    from app.window.edit_actions import EditActions
    from app.window.layer_actions import LayerActions
    from app.window.view_actions import ViewActions

MenuEntry = QAction | None


@dataclass(frozen=True)
class NodeAction:
    """A command on one layer that another part registered."""

    text: str
    run: Callable[[str], object]
    enabled: Callable[[str], bool] = field(default=lambda _node_id: True)


class NodeMenuHooks:
    """The commands other parts add to a layer's menus (see the module's documentation)."""

    def __init__(self) -> None:
        self._entries: list[NodeAction] = []

    def register(self, text: str, run: Callable[[str], object],
                 enabled: Callable[[str], bool] | None = None) -> NodeAction:
        """Add a command: ``run(node_id)`` when chosen, offered when ``enabled(node_id)``
        is true (always, when None). Returns the entry (for :meth:`unregister`)."""
        entry = NodeAction(text, run, enabled or (lambda _node_id: True))
        self._entries.append(entry)
        return entry

    def unregister(self, entry: NodeAction) -> None:
        if entry in self._entries:
            self._entries.remove(entry)

    @property
    def entries(self) -> list[NodeAction]:
        return list(self._entries)

    def fill(self, menu: QMenu, node_id: str) -> list[QAction]:
        """Append the registered commands for ``node_id`` to ``menu`` (after a separator
        when there are any); return the actions added."""
        added = []
        if self._entries:
            menu.addSeparator()
        for entry in self._entries:
            act = menu.addAction(entry.text)
            act.setEnabled(bool(entry.enabled(node_id)))
            act.triggered.connect(lambda _checked=False, e=entry: e.run(node_id))
            added.append(act)
        return added


@dataclass(frozen=True)
class MenuContents:
    """What the menus hold; the actions belong to other parts and are in main menus."""

    canvas: list[MenuEntry]
    node: list[MenuEntry]
    edge: list[MenuEntry]
    #: The Layer menu's own commands, and its Select and Move submenus.
    layer: list[MenuEntry]
    select: list[MenuEntry]
    move: list[MenuEntry]
    #: Ask for a layer type and add it centred on a scene position.
    add_here: Callable[[QPointF], None]


def standard_contents(edit: EditActions, view: ViewActions, layer: LayerActions,
                      keys: CanvasKeys) -> MenuContents:
    """The menus as the window has them, from the parts that own the actions."""
    return MenuContents(
        canvas=[edit.act_paste, edit.act_select_all, None, edit.act_layout, view.act_fit],
        node=[layer.act_rename, edit.act_duplicate, edit.act_delete, None, layer.act_freeze,
              layer.act_inspect, None, layer.act_connect_to, layer.act_insert],
        edge=[edit.act_delete, layer.act_insert],
        layer=layer.menu_actions, select=keys.select_menu_actions,
        move=keys.move_menu_actions, add_here=layer.choose_layer_to_add)


def _fill(menu: QMenu, entries: list[MenuEntry]) -> None:
    for act in entries:
        menu.addSeparator() if act is None else menu.addAction(act)


def _owner(item: QGraphicsItem | None) -> QGraphicsItem | None:
    """The layer or connection an item under the cursor belongs to (a port, a badge)."""
    while item is not None and not isinstance(item, (NodeItem, LinkItem)):
        item = item.parentItem()
    return item


class ContextMenus(QObject):
    """Shows the context menus of the canvas and keeps the Layer menu."""

    def __init__(self, context: WindowContext, contents: MenuContents,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._contents = contents
        self.node_hooks = NodeMenuHooks()
        #: The context menu shown last (tests read it; it is replaced by the next one).
        self.menu: QMenu | None = None
        self.layer_menu = QMenu("&Layer", context.dialog_parent)
        self.layer_menu.setObjectName("menuLayer")
        self.layer_menu.aboutToShow.connect(self._fill_layer_menu)
        self._fill_layer_menu()
        context.view.contextMenuRequested.connect(self.show_menu)

    def _fill_layer_menu(self) -> None:
        menu, c = self.layer_menu, self._contents
        menu.clear()
        _fill(menu, c.layer)
        menu.addSeparator()
        select = menu.addMenu("&Select")
        select.setObjectName("menuLayerSelect")
        _fill(select, c.select)
        move = menu.addMenu("&Move")
        move.setObjectName("menuLayerMove")
        _fill(move, c.move)
        selected = self._context.scene.selected_node_ids()
        if len(selected) == 1:
            self.node_hooks.fill(menu, selected[0])

    def item_at(self, scene_pos: QPointF) -> QGraphicsItem | None:
        """The layer or connection at ``scene_pos`` (the topmost), or None."""
        for item in self._context.scene.items(scene_pos):
            owner = _owner(item)
            if owner is not None:
                return owner
        return None

    def show_menu(self, scene_pos: QPointF, global_pos: QPoint, keyboard: bool) -> QMenu:
        """Build the menu for what is at ``scene_pos`` (for the selection, from the
        keyboard) and show it at ``global_pos``."""
        scene = self._context.scene
        if keyboard:
            selected = scene.selectedItems()
            item = selected[-1] if selected else None
        else:
            item = self.item_at(scene_pos)
            if item is not None and not item.isSelected():
                scene.clearSelection()  # a right-click picks what it is on
                item.setSelected(True)
        menu = QMenu(self._context.dialog_parent)
        menu.setObjectName("canvasContextMenu")
        if isinstance(item, NodeItem):
            menu.setTitle(f"Layer {item.node_id}")
            _fill(menu, self._contents.node)
            if len(scene.selected_node_ids()) == 1:
                self.node_hooks.fill(menu, item.node_id)
        elif isinstance(item, LinkItem):
            source, target = item.edge_key
            menu.setTitle(f"Connection {source} → {target}")
            _fill(menu, self._contents.edge)
        else:
            menu.setTitle("Canvas")
            here = menu.addAction("&Add Layer Here…")
            here.setObjectName("actionAddLayerHere")
            here.triggered.connect(lambda _c=False: self._contents.add_here(scene_pos))
            _fill(menu, self._contents.canvas)
        menu.setAccessibleName(f"{menu.title()} menu")
        if self.menu is not None:
            self.menu.deleteLater()
        self.menu = menu
        menu.popup(global_pos)
        return menu
