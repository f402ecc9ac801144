"""Small marks drawn on canvas nodes by the why-tools: a lint warning (a round "!" on the
node's top-left corner) and a gradient-check result (a pill hanging from the bottom edge,
at the right). Each is a child item of the node, so it moves and disappears with it; the node's
training badge (top edge, right) and its title (header, after the glyph) stay clear.

:func:`set_mark` puts, replaces or removes one kind of mark on a node; nothing keeps
references to the items (a node rebuilt by the scene simply has none).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from app.canvas.items import NODE_HEIGHT, NODE_WIDTH
from app.theme import colors

#: Colours by level: the canvas badges' (app.canvas.items.BADGE_COLORS) where they overlap.
MARK_COLORS = {"error": "#d93a3a", "warning": "#d08a00", "pass": "#1f9d55",
               "fail": "#d93a3a", "unseen": "#5c6470"}
LINT_RADIUS = 8.0
PILL_HEIGHT = 16.0
#: The pill's right end lies this far inside the node's right edge (clear of the port).
PILL_INSET = 12.0
#: The pill hangs below the node, overlapping its edge by this much (the node's last line
#: of text stays clear).
PILL_OVERLAP = 4.0


@dataclass(frozen=True)
class Mark:
    """What a mark shows: ``level`` (a key of MARK_COLORS), ``text`` (empty for the round
    lint mark) and ``tooltip`` (rich text)."""

    level: str
    text: str = ""
    tooltip: str = ""


class NodeMarkItem(QGraphicsItem):
    """One mark on a node. ``kind`` is "lint" (round, top-left corner) or "gradcheck"
    (a pill hanging from the bottom edge, right-aligned)."""

    def __init__(self, node: QGraphicsItem, kind: str, mark: Mark) -> None:
        super().__init__(node)
        self.kind = kind
        self.mark = mark
        self.setZValue(3)  # above the ports
        self.setAcceptHoverEvents(True)
        self.set_mark(mark)

    def set_mark(self, mark: Mark) -> None:
        self.prepareGeometryChange()
        self.mark = mark
        self.setToolTip(mark.tooltip)
        self.update()

    def _font(self) -> QFont:
        font = QFont()
        font.setPointSizeF(max(6.5, font.pointSizeF() * 0.8))
        font.setBold(True)
        return font

    def _rect(self) -> QRectF:
        if self.kind == "lint":
            r = LINT_RADIUS
            return QRectF(-r, -r, 2 * r, 2 * r)
        width = QFontMetricsF(self._font()).horizontalAdvance(self.mark.text) + 14
        return QRectF(NODE_WIDTH - PILL_INSET - width, NODE_HEIGHT - PILL_OVERLAP,
                      width, PILL_HEIGHT)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._rect().adjusted(-1.5, -1.5, 1.5, 1.5)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        color = QColor(MARK_COLORS.get(self.mark.level, MARK_COLORS["warning"]))
        rect = self._rect()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        painter.setFont(self._font())
        if self.kind == "lint":
            painter.setPen(QPen(colors().node_fill, 1.5))
            painter.setBrush(QBrush(color))
            painter.drawEllipse(rect)
            painter.setPen(QColor("white"))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "!")
            return
        painter.setPen(QPen(color, 1.2))
        painter.setBrush(QBrush(colors().node_fill))
        painter.drawRoundedRect(rect, PILL_HEIGHT / 2, PILL_HEIGHT / 2)
        painter.setPen(color)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.mark.text)

    def center(self) -> QPointF:
        return self._rect().center()


def mark_of(node: QGraphicsItem, kind: str) -> NodeMarkItem | None:
    """The node's mark of ``kind``, if it has one."""
    for child in node.childItems():
        if isinstance(child, NodeMarkItem) and child.kind == kind:
            return child
    return None


def set_mark(node: QGraphicsItem, kind: str, mark: Mark | None) -> None:
    """Show ``mark`` as the node's mark of ``kind`` (None: remove it)."""
    item = mark_of(node, kind)
    if mark is None:
        if item is not None:
            scene = item.scene()
            item.setParentItem(None)
            if scene is not None:
                scene.removeItem(item)
        return
    if item is None:
        NodeMarkItem(node, kind, mark)
    elif item.mark != mark:
        item.set_mark(mark)
