"""Icons drawn with QPainter: crisp at every size and device pixel ratio, and tinted with
the current theme, so they need no image files.

``paint_layer_glyph`` draws a layer type's glyph into a rectangle (used by the palette via
``layer_icon`` and by nodes on the canvas); ``action_icon`` gives the toolbar icons. A layer
type names its glyph (``Layer.glyph``, one of :data:`GLYPHS`); one that names none shows its
initial, so a new layer type needs no change here.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QGuiApplication,
    QIcon,
    QIconEngine,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QPixmap,
)

from app.theme import colors
from nncore.errors import SpecError
from nncore.registry import layer_class

Glyph = Callable[[QPainter, QColor], None]


class PainterIconEngine(QIconEngine):
    """Paints a glyph (24 x 24 design grid) at whatever size and pixel ratio is asked for,
    so icons are drawn only when shown and stay crisp on high-DPI screens."""

    def __init__(self, draw: Callable[[QPainter, QIcon.Mode], None]) -> None:
        super().__init__()
        self._draw = draw

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode,
              state: QIcon.State) -> None:
        side = min(rect.width(), rect.height())
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.translate(rect.x() + (rect.width() - side) / 2,
                          rect.y() + (rect.height() - side) / 2)
        painter.scale(side / 24.0, side / 24.0)
        self._draw(painter, mode)
        painter.restore()

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def scaledPixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State,  # noqa: N802
                     scale: float) -> QPixmap:
        w, h = max(1, round(size.width() * scale)), max(1, round(size.height() * scale))
        pm = QPixmap(w, h)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        self.paint(p, QRect(0, 0, w, h), mode, state)
        p.end()
        pm.setDevicePixelRatio(scale)
        return pm

    def clone(self) -> QIconEngine:
        return PainterIconEngine(self._draw)


def render_icon(draw: Callable[[QPainter, QIcon.Mode], None]) -> QIcon:
    """A QIcon that paints ``draw`` on demand."""
    return QIcon(PainterIconEngine(draw))


# -- layer glyphs (24 x 24 design grid) -------------------------------------------------------

def _pen(color: QColor, width: float = 1.6) -> QPen:
    pen = QPen(color, width)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    return pen


def _dot(p: QPainter, x: float, y: float, r: float, color: QColor, filled: bool = True) -> None:
    p.setPen(_pen(color, 1.3))
    p.setBrush(QBrush(color) if filled else Qt.BrushStyle.NoBrush)
    p.drawEllipse(QPointF(x, y), r, r)


def _input(p: QPainter, c: QColor) -> None:
    p.setPen(_pen(c))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRoundedRect(QRectF(11, 4, 10, 16), 2.5, 2.5)
    p.drawLine(QPointF(3, 12), QPointF(14, 12))
    p.drawLine(QPointF(10.5, 8.5), QPointF(14, 12))
    p.drawLine(QPointF(10.5, 15.5), QPointF(14, 12))


def _dense(p: QPainter, c: QColor) -> None:
    left = [(5, 6), (5, 12), (5, 18)]
    right = [(19, 8), (19, 16)]
    faint = QColor(c)
    faint.setAlphaF(0.55)
    p.setPen(_pen(faint, 1.0))
    for a in left:
        for b in right:
            p.drawLine(QPointF(*a), QPointF(*b))
    for x, y in left + right:
        _dot(p, x, y, 2.3, c)


def _activation(p: QPainter, c: QColor) -> None:
    axis = QColor(c)
    axis.setAlphaF(0.45)
    p.setPen(_pen(axis, 1.0))
    p.drawLine(QPointF(3, 12), QPointF(21, 12))
    p.drawLine(QPointF(12, 3), QPointF(12, 21))
    path = QPainterPath(QPointF(3, 19))
    for i in range(1, 37):
        x = 3 + 18 * i / 36
        y = 12 - 7 * math.tanh((x - 12) / 3.2)
        path.lineTo(x, y)
    p.setPen(_pen(c, 1.9))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawPath(path)


def _dropout(p: QPainter, c: QColor) -> None:
    dropped = {(0, 1), (1, 2), (2, 0)}
    for i in range(3):
        for j in range(3):
            x, y = 6 + 6 * i, 6 + 6 * j
            if (i, j) in dropped:
                _dot(p, x, y, 2.2, c, filled=False)
            else:
                _dot(p, x, y, 2.2, c)


def _normalization(p: QPainter, c: QColor) -> None:
    path = QPainterPath(QPointF(2.5, 19))
    for i in range(1, 41):
        x = 2.5 + 19 * i / 40
        y = 19 - 13 * math.exp(-((x - 12) ** 2) / 14)
        path.lineTo(x, y)
    p.setPen(_pen(c, 1.8))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawPath(path)
    p.setPen(_pen(c, 1.2))
    p.drawLine(QPointF(2.5, 20.5), QPointF(21.5, 20.5))
    p.drawLine(QPointF(12, 5.5), QPointF(12, 20.5))


def _grid(p: QPainter, c: QColor, x: float, y: float, n: int, cell: float,
          fill: frozenset[tuple[int, int]] = frozenset()) -> None:
    p.setPen(_pen(c, 1.1))
    for i in range(n):
        for j in range(n):
            r = QRectF(x + i * cell, y + j * cell, cell, cell)
            if (i, j) in fill:
                p.fillRect(r, c)
            p.drawRect(r)


def _flatten(p: QPainter, c: QColor) -> None:
    p.setBrush(Qt.BrushStyle.NoBrush)
    _grid(p, c, 2.5, 4, 2, 4.5)
    p.setPen(_pen(c, 1.5))
    p.drawLine(QPointF(13, 8.5), QPointF(17, 8.5))
    p.drawLine(QPointF(15, 6.5), QPointF(17, 8.5))
    p.drawLine(QPointF(15, 10.5), QPointF(17, 8.5))
    p.setPen(_pen(c, 1.1))
    for k in range(4):
        p.drawRect(QRectF(3 + k * 4.5, 16, 4.5, 4.5))


def _reshape(p: QPainter, c: QColor) -> None:
    p.setPen(_pen(c, 1.5))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRect(QRectF(3, 3, 16, 5))
    p.drawRect(QRectF(9, 11, 10, 10))
    path = QPainterPath(QPointF(5, 10))
    path.quadTo(QPointF(5, 17), QPointF(7.5, 17))
    p.drawPath(path)
    p.drawLine(QPointF(5.5, 15.2), QPointF(7.5, 17))
    p.drawLine(QPointF(5.5, 18.8), QPointF(7.5, 17))


def _add(p: QPainter, c: QColor) -> None:
    p.setPen(_pen(c, 1.7))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawEllipse(QPointF(12, 12), 8.5, 8.5)
    p.drawLine(QPointF(12, 7.5), QPointF(12, 16.5))
    p.drawLine(QPointF(7.5, 12), QPointF(16.5, 12))


def _concatenate(p: QPainter, c: QColor) -> None:
    p.setPen(_pen(c, 1.4))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRect(QRectF(3, 4, 7, 4))
    p.drawRect(QRectF(14, 4, 7, 4))
    p.drawRect(QRectF(3, 16, 18, 4))
    p.drawLine(QPointF(10, 16), QPointF(10, 20))
    p.drawLine(QPointF(6.5, 9), QPointF(6.5, 14))
    p.drawLine(QPointF(17.5, 9), QPointF(17.5, 14))


def _convolution(p: QPainter, c: QColor) -> None:
    p.setBrush(Qt.BrushStyle.NoBrush)
    _grid(p, c, 3, 3, 4, 4.5, {(0, 0), (1, 0), (0, 1), (1, 1)})
    p.setPen(_pen(c, 2.0))
    p.drawRect(QRectF(3, 3, 9, 9))


def _pooling(p: QPainter, c: QColor) -> None:
    p.setBrush(Qt.BrushStyle.NoBrush)
    _grid(p, c, 2.5, 5, 2, 4.5, {(1, 0)})
    p.setPen(_pen(c, 1.5))
    p.drawLine(QPointF(13, 9.5), QPointF(16, 9.5))
    p.drawLine(QPointF(14.5, 8), QPointF(16, 9.5))
    p.drawLine(QPointF(14.5, 11), QPointF(16, 9.5))
    p.fillRect(QRectF(17.5, 7.5, 4, 4), c)


def _recurrent(p: QPainter, c: QColor) -> None:
    """A cell whose output loops back into it: the recurrence."""
    p.setPen(_pen(c, 1.6))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRoundedRect(QRectF(7, 9, 10, 9), 2, 2)
    p.drawLine(QPointF(2.5, 13.5), QPointF(7, 13.5))
    p.drawLine(QPointF(17, 13.5), QPointF(21.5, 13.5))
    loop = QPainterPath(QPointF(19, 13.5))
    loop.cubicTo(QPointF(19, 3), QPointF(5, 3), QPointF(5, 10.5))
    p.drawPath(loop)
    p.drawPolyline([QPointF(3.2, 8.6), QPointF(5, 10.8), QPointF(6.9, 8.7)])


def _dot_product(p: QPainter, c: QColor) -> None:
    p.setPen(_pen(c, 1.7))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawEllipse(QPointF(12, 12), 8.5, 8.5)
    _dot(p, 12, 12, 2.4, c)


def _embedding(p: QPainter, c: QColor) -> None:
    p.setPen(_pen(c, 1.2))
    p.setBrush(Qt.BrushStyle.NoBrush)
    for k in range(4):
        p.drawRect(QRectF(9, 3.5 + k * 4.5, 12, 4.5))
    p.fillRect(QRectF(9, 8, 12, 4.5), c)
    p.setPen(_pen(c, 1.5))
    p.drawLine(QPointF(2.5, 10.2), QPointF(7, 10.2))
    p.drawLine(QPointF(5, 8.2), QPointF(7, 10.2))
    p.drawLine(QPointF(5, 12.2), QPointF(7, 10.2))


def _initial(letter: str) -> Glyph:
    def draw(p: QPainter, c: QColor) -> None:
        p.setPen(_pen(c, 1.6))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(QRectF(3, 3, 18, 18), 4, 4)
        f = p.font()
        f.setPixelSize(11)
        f.setBold(True)
        p.setFont(f)
        p.drawText(QRectF(3, 3, 18, 18), Qt.AlignmentFlag.AlignCenter, letter)
    return draw


#: Glyph name (what a layer type declares as ``Layer.glyph``) -> painter.
GLYPHS: dict[str, Glyph] = {
    "input": _input, "dense": _dense, "activation": _activation, "dropout": _dropout,
    "normalization": _normalization, "flatten": _flatten, "reshape": _reshape, "add": _add,
    "concatenate": _concatenate, "embedding": _embedding, "dot_product": _dot_product,
    "convolution": _convolution, "pooling": _pooling, "recurrent": _recurrent,
}


def _category(type_name: str) -> str:
    """The palette category of a layer type ("core" for a type that is not registered)."""
    try:
        return layer_class(type_name).category
    except SpecError:
        return "core"


def layer_glyph(type_name: str) -> Glyph:
    """The painter of the glyph a layer type declares; a type that declares none, or is not
    registered, shows its initial."""
    try:
        glyph = GLYPHS.get(layer_class(type_name).glyph)
    except SpecError:
        glyph = None
    return glyph or _initial(type_name[:1].upper() or "?")


def paint_layer_glyph(painter: QPainter, rect: QRectF, type_name: str, color: QColor) -> None:
    """Draw the glyph of ``type_name`` scaled into ``rect`` (square, centred)."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    side = min(rect.width(), rect.height())
    painter.translate(rect.x() + (rect.width() - side) / 2,
                      rect.y() + (rect.height() - side) / 2)
    painter.scale(side / 24.0, side / 24.0)
    layer_glyph(type_name)(painter, color)
    painter.restore()


_icon_cache: dict[tuple, QIcon] = {}


def layer_icon(type_name: str) -> QIcon:
    """The palette icon of a layer type, in its category colour (of the current theme)."""
    key = ("layer", type_name, colors().dark)
    if key not in _icon_cache:
        glyph = layer_glyph(type_name)
        color = QColor(colors().category(_category(type_name)))
        _icon_cache[key] = render_icon(lambda p, _mode: glyph(p, color))
    return _icon_cache[key]


# -- action icons ----------------------------------------------------------------------------

def _a_new(p: QPainter, c: QColor) -> None:
    path = QPainterPath(QPointF(6, 3))
    path.lineTo(14, 3)
    path.lineTo(19, 8)
    path.lineTo(19, 21)
    path.lineTo(6, 21)
    path.closeSubpath()
    p.setPen(_pen(c))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawPath(path)
    p.drawPolyline([QPointF(14, 3), QPointF(14, 8), QPointF(19, 8)])


def _a_open(p: QPainter, c: QColor) -> None:
    p.setPen(_pen(c))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawPolyline([QPointF(3, 19), QPointF(3, 5), QPointF(9, 5), QPointF(11, 7),
                    QPointF(19, 7), QPointF(19, 10)])
    p.drawPolygon([QPointF(3, 19), QPointF(6.5, 10), QPointF(22, 10), QPointF(18.5, 19)])


def _a_save(p: QPainter, c: QColor) -> None:
    p.setPen(_pen(c))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawPolygon([QPointF(4, 4), QPointF(17, 4), QPointF(20, 7), QPointF(20, 20),
                   QPointF(4, 20)])
    p.drawRect(QRectF(8, 4, 7, 5))
    p.drawRect(QRectF(7, 13, 10, 7))


def _arrow_arc(p: QPainter, c: QColor, mirror: bool) -> None:
    p.save()
    if mirror:
        p.translate(24, 0)
        p.scale(-1, 1)
    p.setPen(_pen(c, 1.8))
    p.setBrush(Qt.BrushStyle.NoBrush)
    path = QPainterPath(QPointF(5, 10))
    path.lineTo(15, 10)
    path.cubicTo(QPointF(22, 10), QPointF(22, 19), QPointF(15, 19))
    path.lineTo(9, 19)
    p.drawPath(path)
    p.drawPolyline([QPointF(9, 6), QPointF(5, 10), QPointF(9, 14)])
    p.restore()


def _a_fit(p: QPainter, c: QColor) -> None:
    p.setPen(_pen(c, 1.8))
    p.setBrush(Qt.BrushStyle.NoBrush)
    for (x, y, dx, dy) in ((4, 4, 1, 1), (20, 4, -1, 1), (4, 20, 1, -1), (20, 20, -1, -1)):
        p.drawPolyline([QPointF(x, y + 5 * dy), QPointF(x, y), QPointF(x + 5 * dx, y)])
    p.drawRoundedRect(QRectF(8.5, 8.5, 7, 7), 1.5, 1.5)


def _a_layout(p: QPainter, c: QColor) -> None:
    p.setPen(_pen(c, 1.5))
    p.setBrush(Qt.BrushStyle.NoBrush)
    boxes = [QRectF(2, 9, 5, 6), QRectF(10, 3, 5, 6), QRectF(10, 15, 5, 6),
             QRectF(18, 9, 4, 6)]
    for b in boxes:
        p.drawRect(b)
    p.drawLine(QPointF(7, 11), QPointF(10, 6))
    p.drawLine(QPointF(7, 13), QPointF(10, 18))
    p.drawLine(QPointF(15, 6), QPointF(18, 11))
    p.drawLine(QPointF(15, 18), QPointF(18, 13))


def _a_zoom(plus: bool) -> Callable[[QPainter, QColor], None]:
    def draw(p: QPainter, c: QColor) -> None:
        p.setPen(_pen(c, 1.8))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawEllipse(QPointF(10, 10), 6.5, 6.5)
        p.drawLine(QPointF(15, 15), QPointF(21, 21))
        p.drawLine(QPointF(7, 10), QPointF(13, 10))
        if plus:
            p.drawLine(QPointF(10, 7), QPointF(10, 13))
    return draw


def _a_delete(p: QPainter, c: QColor) -> None:
    p.setPen(_pen(c, 1.6))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawLine(QPointF(4, 6), QPointF(20, 6))
    p.drawPolyline([QPointF(9, 6), QPointF(9, 3.5), QPointF(15, 3.5), QPointF(15, 6)])
    p.drawPolygon([QPointF(6, 6), QPointF(7.5, 21), QPointF(16.5, 21), QPointF(18, 6)])
    p.drawLine(QPointF(10.5, 10), QPointF(10.5, 17))
    p.drawLine(QPointF(13.5, 10), QPointF(13.5, 17))


_ACTIONS: dict[str, Callable[[QPainter, QColor], None]] = {
    "new": _a_new, "open": _a_open, "save": _a_save,
    "undo": lambda p, c: _arrow_arc(p, c, False), "redo": lambda p, c: _arrow_arc(p, c, True),
    "fit": _a_fit, "layout": _a_layout, "zoom_in": _a_zoom(True), "zoom_out": _a_zoom(False),
    "delete": _a_delete,
}


def action_icon(name: str) -> QIcon:
    """A toolbar icon in the palette's text colour (ask again after a theme change)."""
    pal = QGuiApplication.palette()
    normal = pal.color(QPalette.ColorGroup.Active, QPalette.ColorRole.WindowText)
    disabled = pal.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText)
    key = ("action", name, normal.name(), disabled.name())
    if key not in _icon_cache:
        glyph = _ACTIONS[name]

        def draw(p: QPainter, mode: QIcon.Mode) -> None:
            glyph(p, disabled if mode == QIcon.Mode.Disabled else normal)
        _icon_cache[key] = render_icon(draw)
    return _icon_cache[key]


def app_icon() -> QIcon:
    """The window icon: a small network in the core colour on a rounded tile."""
    def draw(p: QPainter, _mode: QIcon.Mode) -> None:
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#3372c4"))
        p.drawRoundedRect(QRectF(1, 1, 22, 22), 5, 5)
        _dense(p, QColor("#ffffff"))
    return render_icon(draw)
