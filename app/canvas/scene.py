"""The canvas scene: mirrors the document, one item per node and per edge.

It listens to the document's signals and keeps ``nodes`` (node id -> NodeItem) and
``links`` ((source, target) -> LinkItem) in step. Mouse gestures are turned into editor
calls: a finished drag of nodes becomes one move command, a port drag a connect request.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsScene, QGraphicsSceneMouseEvent

from app.canvas.gestures import LinkDragGesture
from app.canvas.items import (
    NODE_HEIGHT,
    NODE_WIDTH,
    LinkItem,
    NodeItem,
    PortItem,
    format_count,
    format_shape,
)
from app.document.editor import GraphEditor
from app.theme import colors, theme_notifier
from nncore.params import Param
from nncore.registry import layer_class
from nncore.spec import EdgeSpec

GRID = 24.0


def key_params_text(type_name: str, params: dict) -> str:
    """What a node shows of its parameters: the schema's key parameters, compactly."""
    try:
        schema = layer_class(type_name).schema
    except Exception:  # unknown type: the analysis reports it
        return ""
    parts = []
    for p in schema:
        if not p.key:
            continue
        parts.append(format_param_value(p, params.get(p.name, p.default)))
    return " · ".join(x for x in parts if x)


def format_param_value(p: Param, value) -> str:
    if value is None:
        return f"{p.name.replace('_', ' ')} off"
    if p.kind == "choice" or p.kind == "str":
        return str(value)
    if p.kind == "shape":
        return "(" + ", ".join(str(v) for v in value) + (",)" if len(value) == 1 else ")")
    if p.kind == "bool":
        return p.name.replace("_", " ") if value else ""
    if isinstance(value, float):
        return f"{p.name.replace('_', ' ')} {value:g}"
    return f"{p.name.replace('_', ' ')} {value}"


class CanvasScene(QGraphicsScene):
    #: (reason, scene position) when a connection the engine would reject was refused.
    connectionRefused = Signal(str, QPointF)
    #: Nodes were added or removed (the view shows its hint on an empty canvas).
    nodeCountChanged = Signal()

    def __init__(self, editor: GraphEditor, parent=None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.doc = editor.document
        self.nodes: dict[str, NodeItem] = {}
        self.links: dict[tuple[str, str], LinkItem] = {}
        self._gesture: LinkDragGesture | None = None
        self._press_positions: dict[str, tuple[float, float]] = {}
        self._locked = False
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)

        d = self.doc
        d.projectReset.connect(self.rebuild)
        d.nodeAdded.connect(self._on_node_added)
        d.nodeRemoved.connect(self._on_node_removed)
        d.nodeMoved.connect(self._on_node_moved)
        d.nodeRenamed.connect(self._on_node_renamed)
        d.nodeChanged.connect(self._refresh_node)
        d.edgeAdded.connect(self._on_edge_added)
        d.edgeRemoved.connect(self._on_edge_removed)
        d.analysisChanged.connect(self._on_analysis_changed)
        theme_notifier().changed.connect(self._on_theme_changed)
        self.rebuild()

    # -- mirroring the document ------------------------------------------------------------
    def rebuild(self) -> None:
        if self._gesture is not None:
            self._gesture.cancel()
            self._gesture = None
        self.clear()
        self.nodes.clear()
        self.links.clear()
        for n in self.doc.graph.nodes:
            self._on_node_added(n.id, annotate=False)
        for e in self.doc.graph.edges:
            self._on_edge_added(e.source, e.target)
        self._on_analysis_changed()
        self.nodeCountChanged.emit()

    def _on_node_added(self, node_id: str, annotate: bool = True) -> None:
        spec = self.doc.node(node_id)
        try:
            cls = layer_class(spec.type)
            category, has_input = cls.category, cls.max_inputs != 0
        except Exception:
            category, has_input = "core", True
        item = NodeItem(node_id, spec.type, category, has_input)
        item.setPos(*spec.position)
        if self._locked:
            item.set_ports_locked(True)
        self.addItem(item)
        self.nodes[node_id] = item
        if annotate:
            self._refresh_node(node_id)
            self.nodeCountChanged.emit()
        self._update_scene_rect()

    def _on_node_removed(self, node_id: str) -> None:
        item = self.nodes.pop(node_id, None)
        if item is not None:
            for link in list(item.links):
                self._remove_link(link.edge_key)
            self.removeItem(item)
            self.nodeCountChanged.emit()
        self._update_scene_rect()

    def _on_node_moved(self, node_id: str) -> None:
        item = self.nodes.get(node_id)
        if item is not None:
            pos = QPointF(*self.doc.node(node_id).position)
            if item.pos() != pos:
                item.setPos(pos)
        self._update_scene_rect()

    def _on_node_renamed(self, old: str, new: str) -> None:
        item = self.nodes.pop(old)
        self.nodes[new] = item
        item.set_node_id(new)
        self.links = {link.edge_key: link for link in self.links.values()}
        self._refresh_node(new)

    def _on_edge_added(self, source: str, target: str) -> None:
        if source in self.nodes and target in self.nodes:
            link = LinkItem(self.nodes[source], self.nodes[target])
            self.addItem(link)
            self.links[(source, target)] = link

    def _on_edge_removed(self, source: str, target: str) -> None:
        # Two identical edges are an error the analysis reports; keep one item while any
        # copy remains in the document.
        if EdgeSpec(source, target) not in self.doc.graph.edges:
            self._remove_link((source, target))

    def _remove_link(self, key: tuple[str, str]) -> None:
        link = self.links.pop(key, None)
        if link is not None:
            link.detach()
            self.removeItem(link)

    def _refresh_node(self, node_id: str) -> None:
        item = self.nodes.get(node_id)
        if item is None or not self.doc.has_node(node_id):
            return
        spec = self.doc.node(node_id)
        a = self.doc.analysis
        shape = a.shapes.get(node_id)
        params = a.params.get(node_id)
        if params is None:
            params_text = ""
        elif params[1] == 0:
            params_text = ""
        else:
            params_text = f"{format_count(params[1])} params"
        try:
            description = layer_class(spec.type).description
        except Exception:
            description = ""
        item.set_content(key_params_text(spec.type, spec.params), format_shape(shape),
                         params_text, a.errors_for(node_id), spec.frozen, description)

    def _on_analysis_changed(self) -> None:
        for node_id in self.nodes:
            self._refresh_node(node_id)

    def _on_theme_changed(self) -> None:
        self.update()

    def _update_scene_rect(self) -> None:
        rect = QRectF()
        for item in self.nodes.values():
            rect = rect.united(item.sceneBoundingRect())
        if rect.isNull():
            rect = QRectF(0, 0, 800, 600)
        self.setSceneRect(rect.adjusted(-2000, -1500, 2000, 1500))

    # -- queries ---------------------------------------------------------------------------
    def selected_node_ids(self) -> list[str]:
        order = {n.id: i for i, n in enumerate(self.doc.graph.nodes)}
        ids = [i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)]
        return sorted(ids, key=lambda n: order.get(n, 0))

    def selected_edges(self) -> list[EdgeSpec]:
        return [EdgeSpec(*i.edge_key) for i in self.selectedItems() if isinstance(i, LinkItem)]

    def set_locked(self, locked: bool) -> None:
        """While a run trains (the editor's lock) connections cannot change, and the ports
        say so. Nodes still move: where they sit is not part of the network."""
        self._locked = bool(locked)
        for item in self.nodes.values():
            item.set_ports_locked(self._locked)

    def select_nodes(self, ids: list[str]) -> None:
        self.clearSelection()
        for node_id in ids:
            if node_id in self.nodes:
                self.nodes[node_id].setSelected(True)

    def node_sizes(self) -> dict[str, tuple[float, float]]:
        return {k: v.size() for k, v in self.nodes.items()}

    def nodes_rect(self) -> QRectF:
        rect = QRectF()
        for item in self.nodes.values():
            rect = rect.united(item.sceneBoundingRect())
        return rect

    def free_position_near(self, pos: tuple[float, float]) -> tuple[float, float]:
        """``pos`` moved down until it overlaps no node."""
        dx, dy = self.clear_offset([pos])
        return pos[0] + dx, pos[1] + dy

    def clear_offset(self, positions: list[tuple[float, float]]) -> tuple[float, float]:
        """How far to move nodes with their top-left corners at ``positions`` so that none
        overlaps a node on the canvas: nothing if none does, otherwise straight down by
        whole steps of the group's height and a gap (a pasted copy lands below its
        original, the next one below that)."""
        if not positions:
            return 0.0, 0.0
        ys = [y for _, y in positions]
        step = max(ys) - min(ys) + NODE_HEIGHT + 30
        dy = 0.0
        for _ in range(200):
            if not any(self._occupied(x, y + dy) for x, y in positions):
                break
            dy += step
        return 0.0, dy

    def _occupied(self, x: float, y: float) -> bool:
        r = QRectF(x, y, NODE_WIDTH, NODE_HEIGHT).adjusted(-8, -8, 8, 8)
        return any(i.sceneBoundingRect().intersects(r) for i in self.nodes.values())

    # -- gestures --------------------------------------------------------------------------
    def start_link_drag(self, port: PortItem) -> LinkDragGesture:
        if self._gesture is not None:
            self._gesture.cancel()
        self._gesture = LinkDragGesture(self, port)
        return self._gesture

    def finish_link_drag(self, pos: QPointF) -> str | None:
        gesture, self._gesture = self._gesture, None
        if gesture is None:
            return None
        reason = gesture.release(pos)
        if reason:
            self.connectionRefused.emit(reason, pos)
        return reason

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            for item in self.items(event.scenePos()):
                if isinstance(item, PortItem):
                    self.start_link_drag(item)
                    event.accept()
                    return
                if isinstance(item, NodeItem):
                    break
        super().mousePressEvent(event)
        self._press_positions = {
            i.node_id: (i.pos().x(), i.pos().y())
            for i in self.selectedItems() if isinstance(i, NodeItem)}

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self._gesture is not None:
            self._gesture.move(event.scenePos())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self._gesture is not None:
            self.finish_link_drag(event.scenePos())
            event.accept()
            return
        super().mouseReleaseEvent(event)
        self.commit_moves()

    def commit_moves(self) -> None:
        """Turn the nodes' dragged positions into one undoable move."""
        moves = {}
        for node_id, old in self._press_positions.items():
            item = self.nodes.get(node_id)
            if item is None:
                continue
            new = (item.pos().x(), item.pos().y())
            if new != old:
                moves[node_id] = (old, new)
        self._press_positions = {}
        if moves:
            self.editor.move_nodes(moves)

    # -- background --------------------------------------------------------------------------
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        c = colors()
        painter.fillRect(rect, c.canvas)
        scale = painter.transform().m11()
        if scale < 0.45:
            return
        pen = QPen(QColor(c.grid), 1.6 / max(scale, 1e-3))
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        left = int(rect.left() // GRID) * GRID
        top = int(rect.top() // GRID) * GRID
        points = []
        y = top
        while y < rect.bottom():
            x = left
            while x < rect.right():
                points.append(QPointF(x, y))
                x += GRID
            y += GRID
        painter.drawPoints(points)
