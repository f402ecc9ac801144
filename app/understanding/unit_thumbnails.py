"""The pictures of unit responses drawn under a canvas node: each unit's value over the
input plane as a small square image (TensorFlow Playground's neurons), blue where the unit
is positive and orange where it is negative, x to the right and y up, one colour scale per
layer so its units compare. A node shows up to :data:`MAX_PICTURES` pictures in rows of
:data:`PER_ROW`; more units are summed up as "+N"."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from app.canvas.items import NODE_HEIGHT, NODE_WIDTH
from app.theme import colors
from app.understanding.unit_colors import diverging_rgb, value_scale

#: Side of one picture and the gap between two (scene units).
THUMB = 26.0
GAP = 3.5
#: Pictures per row under a node, and at most (with more units: one less and "+N").
PER_ROW = 5
MAX_PICTURES = 2 * PER_ROW
#: Space between the node's bottom edge and the strip.
OFFSET = 5.0


def response_image(values: np.ndarray, scale: float) -> QImage:
    """One unit's (size, size) responses (``[i, j]`` at ``(xs[j], ys[i])``, rows going up
    the y axis) as an RGB image with y up."""
    rgb = np.ascontiguousarray(diverging_rgb(np.asarray(values)[::-1], scale))
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def layer_pictures(responses: np.ndarray) -> tuple[list[QImage], int]:
    """The pictures a node shows for its (units, size, size) responses, and how many
    units are left out."""
    units = responses.shape[0]
    shown = units if units <= MAX_PICTURES else MAX_PICTURES - 1
    scale = value_scale(responses)
    return [response_image(responses[k], scale) for k in range(shown)], units - shown


class UnitStrip(QGraphicsItem):
    """A row of unit pictures, a child of a node item (it moves with the node)."""

    def __init__(self, node: QGraphicsItem) -> None:
        super().__init__(node)
        self.images: list[QImage] = []
        self.more = 0
        self.setPos(0, NODE_HEIGHT + OFFSET)
        self.setZValue(1)

    def set_pictures(self, images: list[QImage], more: int, tip: str) -> None:
        self.images, self.more = images, more
        self.setToolTip(tip)
        self.update()

    def image_rect(self, k: int) -> QRectF:
        """Where picture ``k`` (or, at index len(images), the "+N" box) is drawn."""
        total = len(self.images) + (1 if self.more else 0)
        row, col = divmod(k, PER_ROW)
        n = min(PER_ROW, total - row * PER_ROW)
        width = n * THUMB + (n - 1) * GAP
        left = (NODE_WIDTH - width) / 2
        return QRectF(left + col * (THUMB + GAP), row * (THUMB + GAP), THUMB, THUMB)

    def boundingRect(self) -> QRectF:  # noqa: N802
        rows = -(-MAX_PICTURES // PER_ROW)
        return QRectF(-1, -1, NODE_WIDTH + 2, rows * (THUMB + GAP) + 2)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        c = colors()
        border = QPen(c.node_border, 1.0)
        for k, image in enumerate(self.images):
            rect = self.image_rect(k)
            painter.drawImage(rect, image)
            painter.setPen(border)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(rect)
        if self.more:
            rect = self.image_rect(len(self.images))
            painter.setPen(border)
            painter.setBrush(QColor(c.node_fill))
            painter.drawRoundedRect(rect, 4, 4)
            font = QFont(painter.font())
            font.setPointSizeF(max(6.0, font.pointSizeF() * 0.8))
            painter.setFont(font)
            painter.setPen(c.subtext)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, f"+{self.more}")
