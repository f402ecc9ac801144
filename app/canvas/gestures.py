"""The connect gesture: drag from a port to a port of another node.

It starts on a port, draws a dashed link that follows the mouse, colours the port under
the cursor green or red by asking the editor whether the engine would accept that
connection, and on release asks the editor to connect. A refusal comes back as a reason,
which the scene reports (the view shows it at the cursor and in the status bar).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF

from app.canvas.items import DragLinkItem, NodeItem, PortItem

if TYPE_CHECKING:
    from app.canvas.scene import CanvasScene


class LinkDragGesture:
    def __init__(self, scene: CanvasScene, port: PortItem) -> None:
        self.scene = scene
        self.port = port
        self.item = DragLinkItem()
        self._candidate: PortItem | None = None
        self._reason: str | None = None
        scene.addItem(self.item)
        self.move(port.scenePos())

    @property
    def from_output(self) -> bool:
        return self.port.kind == "out"

    def _ends(self, node: NodeItem) -> tuple[str, str]:
        """(source, target) ids if the link ended on ``node``."""
        here = self.port.node.node_id
        return (here, node.node_id) if self.from_output else (node.node_id, here)

    def _node_at(self, pos: QPointF) -> NodeItem | None:
        for item in self.scene.items(pos):
            if item is self.item:
                continue
            if isinstance(item, PortItem):
                return item.node
            if isinstance(item, NodeItem):
                return item
        return None

    def _target_port(self, node: NodeItem) -> PortItem | None:
        return node.input_port if self.from_output else node.output_port

    def move(self, pos: QPointF) -> None:
        node = self._node_at(pos)
        port = self._target_port(node) if node is not None and node is not self.port.node \
            else None
        end = port.scenePos() if port is not None else pos
        if self.from_output:
            self.item.set_ends(self.port.scenePos(), end)
        else:
            self.item.set_ends(end, self.port.scenePos())
        if port is not self._candidate:
            if self._candidate is not None:
                self._candidate.set_highlight(None)
            self._candidate = port
            self._reason = None
            if port is not None:
                self._reason = self.scene.editor.connection_refusal(*self._ends(node))
                port.set_highlight("refuse" if self._reason else "accept")
        self.item.state = (None if port is None
                           else ("refuse" if self._reason else "accept"))
        self.item.update()

    def release(self, pos: QPointF) -> str | None:
        """Finish: connect, or return the reason the connection was refused.

        Released over empty canvas (or the starting node) the gesture just ends.
        """
        node = self._node_at(pos)
        self.cancel()
        if node is None or node is self.port.node:
            return None
        source, target = self._ends(node)
        return self.scene.editor.connect(source, target)

    def cancel(self) -> None:
        if self._candidate is not None:
            self._candidate.set_highlight(None)
            self._candidate = None
        if self.item.scene() is not None:
            self.scene.removeItem(self.item)
