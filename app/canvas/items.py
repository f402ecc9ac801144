"""Graphics items of the canvas: nodes, their ports and the links between them.

Items only draw and report where they are; they hold a copy of what they show (set by the
scene from the document) and never change the document.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsObject,
    QGraphicsPathItem,
    QStyleOptionGraphicsItem,
    QWidget,
)

from app.canvas.text_fit import fit_title, fit_warning
from app.icons import paint_layer_glyph
from app.theme import colors

#: Narrow enough that nodes placed 190 apart (the examples' spacing) leave room for links.
NODE_WIDTH = 156.0
NODE_HEIGHT = 86.0
HEADER_HEIGHT = 26.0
PORT_RADIUS = 6.0
CORNER = 7.0
#: The header's title runs from after the glyph to near the right edge.
TITLE_LEFT = 29.0
TITLE_WIDTH = NODE_WIDTH - TITLE_LEFT - 7.0


#: Badge colours by level: gradient health (app.training.health) and activity statistics.
BADGE_COLORS = {"ok": "#1f9d55", "weak": "#d08a00", "vanishing": "#d93a3a",
                "exploding": "#b0279b", "warn": "#d08a00", "bad": "#d93a3a"}
BADGE_HEIGHT = 17.0
#: A port's tooltip while a run trains.
LINK_TIP = "Connection: select and press Delete to remove"
PORT_LOCKED_TIP = ("Training is running: connections cannot change until it stops "
                   "(layers can still be moved)")


@dataclass(frozen=True)
class NodeBadge:
    """What a node shows about its layer while training: gradient health (a coloured dot and
    the gradient norm) and the dead-ReLU or saturated fraction of its outputs."""

    grad_level: str | None = None
    grad_text: str = ""
    activity_text: str = ""
    activity_level: str | None = None
    tooltip: str = ""

    def levels(self) -> list[str]:
        return [x for x in (self.grad_level, self.activity_level) if x]

    def worst(self) -> str:
        order = ["ok", "weak", "warn", "vanishing", "exploding", "bad"]
        lv = self.levels()
        return max(lv, key=order.index) if lv else "ok"


def format_shape(shape: tuple[int, ...] | None) -> str:
    if shape is None:
        return "?"
    return "×".join(str(d) for d in shape) if shape else "scalar"


def format_count(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")  # narrow no-break space groups digits


class PortItem(QGraphicsItem):
    """A connection point: ``kind`` is 'in' (left side) or 'out' (right side)."""

    def __init__(self, node: NodeItem, kind: str) -> None:
        super().__init__(node)
        self.node = node
        self.kind = kind
        self._hover = False
        #: 'accept' / 'refuse' while a link is dragged over this port.
        self.highlight: str | None = None
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setZValue(2)
        self.set_locked(False)

    def set_locked(self, locked: bool) -> None:
        """While a run trains, the port says that connections cannot change."""
        if locked:
            self.setCursor(Qt.CursorShape.ForbiddenCursor)
            self.setToolTip(PORT_LOCKED_TIP)
        else:
            self.setCursor(Qt.CursorShape.CrossCursor)
            self.setToolTip("Drag to an input port to connect" if self.kind == "out"
                            else "Drag to an output port to connect")

    def boundingRect(self) -> QRectF:  # noqa: N802
        r = PORT_RADIUS + 5
        return QRectF(-r, -r, 2 * r, 2 * r)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addEllipse(QPointF(0, 0), PORT_RADIUS + 4, PORT_RADIUS + 4)
        return path

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        c = colors()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = PORT_RADIUS + (2 if self._hover or self.highlight else 0)
        accent = c.category(self.node.category)
        if self.highlight == "accept":
            accent = c.accept
        elif self.highlight == "refuse":
            accent = c.refuse
        painter.setPen(QPen(accent, 2.0))
        painter.setBrush(QBrush(accent if (self._hover or self.highlight) else c.node_fill))
        painter.drawEllipse(QPointF(0, 0), r, r)

    def hoverEnterEvent(self, event) -> None:  # noqa: N802
        self._hover = True
        self.update()

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802
        self._hover = False
        self.update()

    def set_highlight(self, value: str | None) -> None:
        if value != self.highlight:
            self.highlight = value
            self.update()

    def scene_center(self) -> QPointF:
        return self.scenePos()


class NodeItem(QGraphicsObject):
    """One layer on the canvas: type, id, key parameters, output shape, parameter count."""

    def __init__(self, node_id: str, type_name: str, category: str, has_input: bool) -> None:
        super().__init__()
        self.node_id = node_id
        self.type_name = type_name
        self.category = category
        self.key_text = ""
        self.shape_text = "?"
        self.params_text = ""
        self.errors: list[str] = []
        self.frozen = False
        self.description = ""
        self.badge: NodeBadge | None = None
        self._base_tip = ""
        self.links: list[LinkItem] = []
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                      | QGraphicsItem.GraphicsItemFlag.ItemIsMovable
                      | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
        self.setAcceptHoverEvents(True)
        self.setZValue(1)
        self.input_port = PortItem(self, "in") if has_input else None
        if self.input_port is not None:
            self.input_port.setPos(0, NODE_HEIGHT / 2)
        self.output_port = PortItem(self, "out")
        self.output_port.setPos(NODE_WIDTH, NODE_HEIGHT / 2)

    # -- content --------------------------------------------------------------------------
    def set_content(self, key_text: str, shape_text: str, params_text: str,
                    errors: list[str], frozen: bool, description: str) -> None:
        changed = (key_text, shape_text, params_text, errors, frozen) != (
            self.key_text, self.shape_text, self.params_text, self.errors, self.frozen)
        self.key_text, self.shape_text, self.params_text = key_text, shape_text, params_text
        self.errors, self.frozen, self.description = list(errors), frozen, description
        tip = [f"<b>{self.type_name}</b> “{self.node_id}”"]
        if description:
            tip.append(description)
        if errors:
            tip.append("<span style='color:%s'><b>Problem:</b> %s</span>" % (
                colors().error.name(), "<br>".join(_escape(e) for e in errors)))
        self._base_tip = "<br>".join(tip)
        self._apply_tooltip()
        if changed:
            self.update()

    def set_badge(self, badge: NodeBadge | None) -> None:
        """Show (or, with None, remove) the training badge."""
        if badge == self.badge:
            return
        if (badge is None) != (self.badge is None):
            self.prepareGeometryChange()
        self.badge = badge
        self._apply_tooltip()
        self.update()

    def _apply_tooltip(self) -> None:
        tip = self._base_tip
        if self.badge is not None and self.badge.tooltip:
            tip += "<hr>" + self.badge.tooltip
        self.setToolTip(tip)

    def set_ports_locked(self, locked: bool) -> None:
        for port in (self.input_port, self.output_port):
            if port is not None:
                port.set_locked(locked)

    def set_node_id(self, node_id: str) -> None:
        self.node_id = node_id
        self.update()

    def size(self) -> tuple[float, float]:
        return NODE_WIDTH, NODE_HEIGHT

    # -- geometry -------------------------------------------------------------------------
    def boundingRect(self) -> QRectF:  # noqa: N802
        top = BADGE_HEIGHT / 2 + 3 if self.badge is not None else 3
        return QRectF(-3, -top, NODE_WIDTH + 6, NODE_HEIGHT + 3 + top)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(QRectF(0, 0, NODE_WIDTH, NODE_HEIGHT), CORNER, CORNER)
        return path

    def itemChange(self, change, value):  # noqa: N802
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            for link in self.links:
                link.update_path()
        return super().itemChange(change, value)

    # -- drawing --------------------------------------------------------------------------
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        c = colors()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        rect = QRectF(0, 0, NODE_WIDTH, NODE_HEIGHT)
        accent = c.category(self.category)

        # Body and header band.
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(c.error_fill if self.errors else c.node_fill))
        painter.drawRoundedRect(rect, CORNER, CORNER)
        header = QPainterPath()
        header.addRoundedRect(QRectF(0, 0, NODE_WIDTH, HEADER_HEIGHT + CORNER), CORNER, CORNER)
        clip = QPainterPath()
        clip.addRect(QRectF(0, 0, NODE_WIDTH, HEADER_HEIGHT))
        band = QColor(accent)
        band.setAlphaF(0.30 if c.dark else 0.16)
        painter.setBrush(QBrush(band))
        painter.drawPath(header.intersected(clip))

        # Border: selection > error > normal.
        if self.isSelected():
            pen = QPen(c.selection, 2.4)
        elif self.errors:
            pen = QPen(c.error, 2.2)
        else:
            pen = QPen(c.node_border, 1.0)
        if self.frozen:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), CORNER, CORNER)

        # Header: glyph and type; then the id, key parameters, shape and parameter count.
        paint_layer_glyph(painter, QRectF(8, 5, 16, 16), self.type_name, accent)
        base = QFont(painter.font())
        small = QFont(base)
        if small.pointSizeF() > 0:
            small.setPointSizeF(base.pointSizeF() * 0.88)
        else:
            small.setPixelSize(max(9, round(base.pixelSize() * 0.88)))
        fm_base, fm_small = QFontMetricsF(base), QFontMetricsF(small)
        left, width = 9.0, NODE_WIDTH - 18.0
        elide = Qt.TextElideMode.ElideRight
        v_left = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft
        title_font, title = fit_title(self.type_name, base, TITLE_WIDTH)
        painter.setFont(title_font)
        painter.setPen(c.text)
        painter.drawText(QRectF(TITLE_LEFT, 0, TITLE_WIDTH, HEADER_HEIGHT), v_left, title)
        y = HEADER_HEIGHT + 3
        row = 18.0
        painter.setFont(small)
        painter.setPen(c.subtext)
        painter.drawText(QRectF(left, y, width, row), v_left,
                         fm_small.elidedText(self.node_id + (" · frozen" if self.frozen else ""),
                                             Qt.TextElideMode.ElideMiddle, width))
        painter.setFont(base)
        painter.setPen(c.text)
        painter.drawText(QRectF(left, y + row, width, row), v_left,
                         fm_base.elidedText(self.key_text, elide, width))
        painter.setFont(small)
        if self.errors:
            painter.setPen(c.error)
            warning_font, text = fit_warning(
                "⚠ " + short_error(self.errors[0], self.type_name, self.node_id), small, width)
            painter.setFont(warning_font)
        else:
            painter.setPen(c.subtext)
            text = "→ " + self.shape_text
            if self.params_text:
                text += " · " + self.params_text
            text = fm_small.elidedText(text, elide, width)
        painter.drawText(QRectF(left, y + 2 * row, width, row), v_left, text)
        if self.badge is not None:
            self._paint_badge(painter, small)

    def _paint_badge(self, painter: QPainter, font: QFont) -> None:
        """A pill straddling the top edge at the right: a dot coloured by gradient health,
        the gradient norm, and the dead/saturated share coloured by its level."""
        b = self.badge
        c = colors()
        f = QFont(font)
        if f.pointSizeF() > 0:
            f.setPointSizeF(f.pointSizeF() * 0.92)
        fm = QFontMetricsF(f)
        parts: list[tuple[str, QColor]] = []
        if b.grad_text:
            parts.append((b.grad_text, c.subtext))
        if b.activity_text:
            parts.append((b.activity_text, QColor(BADGE_COLORS.get(b.activity_level or "ok",
                                                                   "#5c6470"))
                          if b.activity_level in ("warn", "bad") else c.subtext))
        dot = 8.0 if b.grad_level else 0.0
        text_w = sum(fm.horizontalAdvance(t) for t, _ in parts) + 6.0 * max(0, len(parts) - 1)
        width = min(NODE_WIDTH - 16, 8 + dot + (4 if dot and parts else 0) + text_w + 8)
        rect = QRectF(NODE_WIDTH - 8 - width, -BADGE_HEIGHT / 2, width, BADGE_HEIGHT)
        painter.setPen(QPen(QColor(BADGE_COLORS.get(b.worst(), "#1f9d55")), 1.2))
        painter.setBrush(QBrush(c.node_fill))
        painter.drawRoundedRect(rect, BADGE_HEIGHT / 2, BADGE_HEIGHT / 2)
        x = rect.left() + 7
        if dot:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QBrush(QColor(BADGE_COLORS.get(b.grad_level, "#1f9d55"))))
            painter.drawEllipse(QPointF(x + dot / 2, rect.center().y()), dot / 2, dot / 2)
            x += dot + 4
        painter.setFont(f)
        for text, color in parts:
            w = fm.horizontalAdvance(text)
            painter.setPen(color)
            painter.drawText(QRectF(x, rect.top(), max(0.0, rect.right() - x - 4), BADGE_HEIGHT),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                             fm.elidedText(text, Qt.TextElideMode.ElideRight,
                                           max(0.0, rect.right() - x - 4)))
            x += w + 6


class LinkItem(QGraphicsPathItem):
    """A smooth cubic connection from a node's output port to another node's input port."""

    def __init__(self, source: NodeItem, target: NodeItem) -> None:
        super().__init__()
        self.source = source
        self.target = target
        self._hover = False
        #: (width, colour or None) by weight (see :meth:`set_weight_style`); None: default.
        self.weight_style: tuple[float, QColor | None] | None = None
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setZValue(0)
        self.setToolTip(LINK_TIP)
        source.links.append(self)
        target.links.append(self)
        self.update_path()

    @property
    def edge_key(self) -> tuple[str, str]:
        return self.source.node_id, self.target.node_id

    def detach(self) -> None:
        for node in (self.source, self.target):
            if self in node.links:
                node.links.remove(self)

    def set_weight_style(self, width: float | None, color: QColor | None = None,
                         tip: str = "") -> None:
        """Draw the link ``width`` pixels wide in ``color`` (None: the usual colour), with
        ``tip`` added to its tooltip; ``width`` None: the usual look."""
        style = None if width is None else (float(width), color)
        if style != self.weight_style:
            self.prepareGeometryChange()
            self.weight_style = style
            self.update()
        self.setToolTip(LINK_TIP + (f"<br>{tip}" if tip and style else ""))

    def update_path(self) -> None:
        start = self.source.output_port.scenePos()
        port = self.target.input_port
        end = port.scenePos() if port is not None else self.target.scenePos()
        self.setPath(link_path(start, end))

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(12)
        return stroker.createStroke(self.path())

    def boundingRect(self) -> QRectF:  # noqa: N802
        pad = 8 + (self.weight_style[0] / 2 if self.weight_style else 0)
        return super().boundingRect().adjusted(-pad, -pad, pad, pad)

    def hoverEnterEvent(self, event) -> None:  # noqa: N802
        self._hover = True
        self.update()

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802
        self._hover = False
        self.update()

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        c = colors()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        selected = self.isSelected()
        color = c.selection if selected else (c.text if self._hover else c.link)
        width = 3.0 if selected or self._hover else 2.0
        if self.weight_style is not None and not selected:
            width = self.weight_style[0] + (1.0 if self._hover else 0.0)
            color = self.weight_style[1] or color
        pen = QPen(color, width)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path())


class DragLinkItem(QGraphicsPathItem):
    """The dashed link that follows the mouse while a connection is being dragged."""

    def __init__(self) -> None:
        super().__init__()
        self.setZValue(3)
        self.state: str | None = None

    def set_ends(self, start: QPointF, end: QPointF) -> None:
        self.setPath(link_path(start, end))

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        c = colors()
        color = {"accept": c.accept, "refuse": c.refuse}.get(self.state or "", c.selection)
        pen = QPen(color, 2.2, Qt.PenStyle.DashLine)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(pen)
        painter.drawPath(self.path())


def link_path(start: QPointF, end: QPointF) -> QPainterPath:
    """A horizontal-tangent cubic from ``start`` (an output) to ``end`` (an input)."""
    dx = max(40.0, abs(end.x() - start.x()) * 0.5)
    path = QPainterPath(start)
    path.cubicTo(QPointF(start.x() + dx, start.y()), QPointF(end.x() - dx, end.y()), end)
    return path


def short_error(message: str, type_name: str, node_id: str) -> str:
    """An engine message without its "Dense 'dense1': " prefix (the node shows both)."""
    prefix = f"{type_name} '{node_id}': "
    return message[len(prefix):] if message.startswith(prefix) else message


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
