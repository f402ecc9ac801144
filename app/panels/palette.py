"""The palette: every registered layer type, grouped by category, searchable, draggable.

From the search field, Enter adds the best match (after the selected layer) and Down moves
into the list, where Enter adds the layer under the cursor."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QMimeData, QObject, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.canvas.view import LAYER_MIME
from app.icons import layer_icon
from app.theme import theme_notifier
from nncore.registry import CATEGORIES, layer_types

TYPE_ROLE = Qt.ItemDataRole.UserRole + 1


class _LayerTree(QTreeWidget):
    def supportedDropActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.CopyAction

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [LAYER_MIME]

    def mimeData(self, items: list[QTreeWidgetItem]) -> QMimeData:  # noqa: N802
        mime = QMimeData()
        names = [i.data(0, TYPE_ROLE) for i in items if i.data(0, TYPE_ROLE)]
        if names:
            mime.setData(LAYER_MIME, names[0].encode("utf-8"))
            mime.setText(names[0])
        return mime


class PaletteWidget(QWidget):
    #: A layer type was double-clicked (or Enter pressed): add it after the selection.
    layerActivated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search layers…")
        self.search.setClearButtonEnabled(True)
        self.search.setObjectName("paletteSearch")
        self.search.setAccessibleName("Search layers")
        self.search.setAccessibleDescription(
            "Type part of a layer's name or purpose. Enter adds the best match after the "
            "selected layer; Down moves into the list of layer types.")
        self.search.setToolTip("Type to filter; Enter adds the best match after the selected "
                               "layer, Down moves into the list")
        self.search.textChanged.connect(self.filter)
        self.search.installEventFilter(self)
        self.tree = _LayerTree()
        self.tree.setObjectName("paletteTree")
        self.tree.setAccessibleName("Layer types")
        self.tree.setAccessibleDescription(
            "Layer types by category. Enter or a double-click adds the layer after the "
            "selected one; drag a layer onto the canvas to place it.")
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(False)
        self.tree.setIndentation(8)
        self.tree.setIconSize(QSize(22, 22))
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.tree.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setUniformRowHeights(False)
        self.tree.itemActivated.connect(self._on_activated)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.setSpacing(6)
        lay.addWidget(self.search)
        lay.addWidget(self.tree, 1)
        self.groups: dict[str, QTreeWidgetItem] = {}
        self.items: dict[str, QTreeWidgetItem] = {}
        self._populate()
        theme_notifier().changed.connect(self._refresh_icons)

    def _populate(self) -> None:
        by_cat: dict[str, list] = {c: [] for c in CATEGORIES}
        for cls in layer_types():
            by_cat.setdefault(cls.category, []).append(cls)
        for cat, classes in by_cat.items():
            if not classes:
                continue
            group = QTreeWidgetItem([cat.capitalize()])
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            f = group.font(0)
            f.setBold(True)
            group.setFont(0, f)
            self.tree.addTopLevelItem(group)
            self.groups[cat] = group
            for cls in classes:
                item = QTreeWidgetItem([cls.type_name])
                item.setData(0, TYPE_ROLE, cls.type_name)
                item.setIcon(0, layer_icon(cls.type_name))
                item.setToolTip(0, f"<b>{cls.type_name}</b><br>{cls.description}<br><i>Drag "
                                   "onto the canvas, or double-click to add after the "
                                   "selected layer.</i>")
                item.setStatusTip(0, cls.description)
                item.setData(0, Qt.ItemDataRole.AccessibleDescriptionRole, cls.description)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                              | Qt.ItemFlag.ItemIsDragEnabled)
                item.setSizeHint(0, QSize(0, 28))
                group.addChild(item)
                self.items[cls.type_name] = item
            group.setExpanded(True)

    def _refresh_icons(self) -> None:
        for type_name, item in self.items.items():
            item.setIcon(0, layer_icon(type_name))

    def filter(self, text: str) -> None:
        q = text.strip().lower()
        for group in self.groups.values():
            visible = 0
            for i in range(group.childCount()):
                item = group.child(i)
                name = item.data(0, TYPE_ROLE)
                hay = f"{name} {item.statusTip(0)}".lower()
                hidden = bool(q) and q not in hay
                item.setHidden(hidden)
                visible += not hidden
            group.setHidden(visible == 0)

    def visible_types(self) -> list[str]:
        return [name for name, item in self.items.items()
                if not item.isHidden() and not item.parent().isHidden()]

    def best_match(self) -> str | None:
        """What Enter in the search field adds: the layer type named exactly as typed,
        else the first whose name starts with it, else the first shown."""
        shown = self.visible_types()
        q = self.search.text().strip().lower()
        for test in (lambda n: n.lower() == q, lambda n: n.lower().startswith(q)):
            found = [n for n in shown if test(n)]
            if found:
                return found[0]
        return shown[0] if shown else None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.search and event.type() == QEvent.Type.KeyPress:
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                name = self.best_match()
                if name:
                    self.layerActivated.emit(name)
                    self.search.selectAll()  # typing again looks for the next layer
                return True
            if event.key() == Qt.Key.Key_Down:
                shown = self.visible_types()
                if shown:
                    self.tree.setCurrentItem(self.items[shown[0]])
                    self.tree.setFocus(Qt.FocusReason.TabFocusReason)
                return True
        return super().eventFilter(watched, event)

    def _on_activated(self, item: QTreeWidgetItem, _column: int) -> None:
        name = item.data(0, TYPE_ROLE)
        if name:
            self.layerActivated.emit(name)
