"""How attributions are drawn: an image beside the same image under a signed heat overlay
(red where a pixel raises the explained score, blue where it lowers it, stronger where it
matters more), or signed horizontal bars per feature, largest first, with the features'
names and values. Painted with QPainter (no pyqtgraph needed)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.plots.matrix import to_qimage
from app.theme import colors

POSITIVE = QColor("#d62728")
NEGATIVE = QColor("#1f77b4")
#: Most bars drawn (the rest are summed up in a last line).
MAX_BARS = 40


def heat_rgba(values: np.ndarray) -> np.ndarray:
    """(H, W, 4) uint8 overlay of a signed (H, W) map: red for positive, blue for negative
    values, opacity proportional to |value| / max |value| (at most 0.85)."""
    v = np.asarray(values, np.float64)
    top = float(np.max(np.abs(v))) if v.size else 0.0
    t = np.abs(v) / top if top > 0 else np.zeros_like(v)
    out = np.zeros(v.shape + (4,), np.uint8)
    for sign, color in ((v > 0, POSITIVE), (v < 0, NEGATIVE)):
        out[sign, 0], out[sign, 1], out[sign, 2] = color.red(), color.green(), color.blue()
    out[..., 3] = np.round(255 * 0.85 * t).astype(np.uint8)
    return out


def image_map(values: np.ndarray) -> np.ndarray:
    """An attribution of an image as one (H, W) map: summed over the channels."""
    v = np.asarray(values, np.float64)
    return v.sum(axis=0) if v.ndim == 3 else v


class AttributionImage(QWidget):
    """The input image and the same image (faded) under the attribution's overlay, with a
    scale from -max to +max below."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attributionImage")
        self.setAccessibleName("Attribution over the image")
        self.setMinimumSize(240, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.image: QImage | None = None
        self.overlay: QImage | None = None
        self.top = 0.0
        self.signed = True
        self.titles = ("Input", "Attribution")
        self._rgba: np.ndarray | None = None

    def set_attribution(self, image: np.ndarray, values: np.ndarray,
                        titles: tuple[str, str] = ("Input", "Attribution")) -> None:
        """``image`` (C, H, W) in the data's units; ``values`` an (H, W) map or (C, H, W)."""
        m = image_map(values)
        self.image = to_qimage(image)
        self._rgba = np.ascontiguousarray(heat_rgba(m))
        h, w = m.shape
        self.overlay = QImage(self._rgba.data, w, h, 4 * w,
                              QImage.Format.Format_RGBA8888).copy()
        self.top = float(np.max(np.abs(m))) if m.size else 0.0
        #: A map with no negative value (Grad-CAM, importances) has a 0 to +max scale.
        self.signed = bool(m.size and m.min() < 0)
        self.titles = titles
        self.update()

    def clear(self) -> None:
        self.image = self.overlay = None
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(460, 260)

    def panel_rects(self) -> tuple[QRectF, QRectF]:
        """Where the input and the overlay are drawn (square, side by side)."""
        fm = self.fontMetrics()
        top, bottom = fm.height() + 6, 2 * fm.height() + 10
        side = max(8.0, min((self.width() - 24) / 2, self.height() - top - bottom))
        left = (self.width() - 2 * side - 12) / 2
        return (QRectF(left, top, side, side), QRectF(left + side + 12, top, side, side))

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        c = colors()
        p.fillRect(self.rect(), QColor("#1f2125") if c.dark else QColor("#ffffff"))
        p.setPen(c.subtext)
        if self.image is None or self.overlay is None:
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No attribution yet")
            return
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        first, second = self.panel_rects()
        fm = p.fontMetrics()
        for rect, title in zip((first, second), self.titles):
            p.drawText(QRectF(rect.left(), 2, rect.width(), fm.height() + 2),
                       Qt.AlignmentFlag.AlignCenter, title)
        p.drawImage(first, self.image)
        p.setOpacity(0.45)
        p.drawImage(second, self.image)
        p.setOpacity(1.0)
        p.drawImage(second, self.overlay)
        self._draw_scale(p, QRectF(second.left(), second.bottom() + 6, second.width(),
                                   fm.height()))
        p.end()

    def _draw_scale(self, p: QPainter, r: QRectF) -> None:
        steps = 48
        w = r.width() / steps
        for i in range(steps):
            t = (i + 0.5) / steps
            t = 2 * t - 1 if self.signed else t
            col = QColor(POSITIVE if t > 0 else NEGATIVE)
            col.setAlphaF(min(1.0, 0.85 * abs(t)))
            p.fillRect(QRectF(r.left() + i * w, r.top(), w + 0.5, r.height() * 0.6), col)
        p.setPen(colors().subtext)
        below = QRectF(r.left(), r.top() + r.height() * 0.6, r.width(), r.height() + 2)
        if self.top == 0:
            p.drawText(below, Qt.AlignmentFlag.AlignHCenter, "zero everywhere")
            return
        p.drawText(below, Qt.AlignmentFlag.AlignLeft,
                   f"−{self.top:.3g}" if self.signed else "0")
        if self.signed:
            p.drawText(below, Qt.AlignmentFlag.AlignHCenter, "0")
        p.drawText(below, Qt.AlignmentFlag.AlignRight, f"+{self.top:.3g}")


class FeatureBars(QWidget):
    """Signed horizontal bars, one per feature, sorted by size: positive to the right in
    red, negative to the left in blue; the feature's name (and value) on the left."""

    ROW = 20

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("featureBars")
        self.setAccessibleName("Attribution per feature")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        #: (label, value, error or None) per drawn row, in order.
        self.rows: list[tuple[str, float, float | None]] = []
        self.rest = ""
        self.empty_text = "No attribution yet"

    def set_values(self, names: list[str], values: np.ndarray,
                   errors: np.ndarray | None = None) -> None:
        """Bars for ``values`` (one per name), largest |value| first; ``errors`` (standard
        deviations) draw as whiskers."""
        v = np.asarray(values, np.float64).ravel()
        order = np.argsort(-np.abs(v), kind="stable")
        shown = order[:MAX_BARS]
        e = None if errors is None else np.asarray(errors, np.float64).ravel()
        self.rows = [(names[i], float(v[i]), None if e is None else float(e[i]))
                     for i in shown]
        rest = order[MAX_BARS:]
        self.rest = (f"… {len(rest)} more features, |value| at most "
                     f"{np.abs(v[rest]).max():.3g}") if len(rest) else ""
        self.setMinimumHeight(self.ROW * (len(self.rows) + (2 if self.rest else 1)) + 8)
        self.updateGeometry()
        self.update()

    def clear(self) -> None:
        self.rows, self.rest = [], ""
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(420, self.ROW * (len(self.rows) + 2) + 8)

    def bar_rect(self, i: int) -> QRectF:
        """Where row ``i``'s bar is drawn."""
        label_w, value_w = self._label_width(), 64.0
        zero = label_w + (self.width() - label_w - value_w) / 2
        half = (self.width() - label_w - value_w) / 2 - 6
        top = self._top_value()
        value = self.rows[i][1]
        length = half * abs(value) / top if top > 0 else 0.0
        y = 4 + i * self.ROW + 3
        x = zero if value >= 0 else zero - length
        return QRectF(x, y, length, self.ROW - 6)

    def _top_value(self) -> float:
        return max((abs(v) + (e or 0.0) for _, v, e in self.rows), default=0.0)

    def _label_width(self) -> float:
        fm = self.fontMetrics()
        widest = max((fm.horizontalAdvance(n) for n, _, _ in self.rows), default=40)
        return float(min(max(80, widest + 12), self.width() * 0.4))

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        c = colors()
        p.fillRect(self.rect(), QColor("#1f2125") if c.dark else QColor("#ffffff"))
        font = QFont(self.font())
        p.setFont(font)
        fm = p.fontMetrics()
        if not self.rows:
            p.setPen(c.subtext)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.empty_text)
            return
        label_w = self._label_width()
        zero = label_w + (self.width() - label_w - 64) / 2
        p.setPen(c.node_border)
        p.drawLine(int(zero), 2, int(zero), int(4 + len(self.rows) * self.ROW))
        top = self._top_value()
        half = (self.width() - label_w - 64) / 2 - 6
        for i, (name, value, err) in enumerate(self.rows):
            y = 4 + i * self.ROW
            p.setPen(c.text)
            p.drawText(QRectF(2, y, label_w - 8, self.ROW),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       fm.elidedText(name, Qt.TextElideMode.ElideMiddle, int(label_w - 8)))
            p.fillRect(self.bar_rect(i), POSITIVE if value >= 0 else NEGATIVE)
            if err and top > 0:
                p.setPen(c.subtext)
                lo, hi = value - err, value + err
                ym = y + self.ROW / 2
                p.drawLine(int(zero + half * lo / top), int(ym), int(zero + half * hi / top),
                           int(ym))
            p.setPen(c.subtext)
            p.drawText(QRectF(self.width() - 64, y, 62, self.ROW),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       f"{value:+.3g}")
        if self.rest:
            p.setPen(c.subtext)
            p.drawText(QRectF(4, 4 + len(self.rows) * self.ROW, self.width() - 8, self.ROW),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.rest)
        p.end()
