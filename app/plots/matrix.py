"""Classification results drawn with QPainter: the confusion matrix and a gallery of
misclassified validation images (at most :attr:`MisclassifiedGallery.MAX`, a sample
stratified by true class when there are more; a click on one reports it). No pyqtgraph
needed."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.theme import colors


def confusion_matrix(true: np.ndarray, pred: np.ndarray, k: int) -> np.ndarray:
    """Counts: row = true class, column = predicted class."""
    m = np.zeros((k, k), np.int64)
    np.add.at(m, (np.asarray(true, int), np.asarray(pred, int)), 1)
    return m


def predicted_classes(outputs: np.ndarray) -> np.ndarray:
    """Class per sample from activated outputs (argmax, or p > 0.5 for one sigmoid)."""
    y = np.asarray(outputs)
    if y.ndim == 1 or y.shape[-1] == 1:
        return (y.reshape(len(y)) > 0.5).astype(int)
    return y.argmax(axis=-1)


class ConfusionMatrixView(QWidget):
    """Rows are true classes, columns predicted ones; cells shaded by the share of their row
    and labelled with counts. Class names label the axes (abbreviated when long)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.matrix = np.zeros((0, 0), np.int64)
        self.names: list[str] = []
        self.caption = ""
        self.setMinimumSize(160, 140)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_matrix(self, matrix: np.ndarray, names: list[str] | None) -> None:
        self.matrix = np.asarray(matrix)
        k = len(self.matrix)
        self.names = list(names) if names and len(names) == k else [str(i) for i in range(k)]
        total = int(self.matrix.sum())
        right = int(np.trace(self.matrix))
        self.caption = (f"validation: {right}/{total} right ({right / total:.1%})"
                        if total else "")
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(260, 220)

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        c = colors()
        p.fillRect(self.rect(), QColor("#1f2125") if c.dark else QColor("#ffffff"))
        k = len(self.matrix)
        if k == 0:
            p.setPen(c.subtext)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No predictions yet")
            return
        font = QFont(self.font())
        font.setPointSizeF(max(6.5, font.pointSizeF() * 0.82))
        p.setFont(font)
        fm = p.fontMetrics()
        label_w = min(90, max(fm.horizontalAdvance(_short(n)) for n in self.names) + 8)
        top, bottom_caption = fm.height() + 6, 2 * fm.height() + 8
        left = label_w + fm.height() + 4
        avail_w = self.width() - left - 6
        avail_h = self.height() - top - bottom_caption - 4
        cell = max(4.0, min(avail_w / k, avail_h / k))
        grid = QRectF(left, top, cell * k, cell * k)
        rows = self.matrix.sum(axis=1, keepdims=True).astype(np.float64)
        share = np.divide(self.matrix, rows, out=np.zeros_like(rows * 1.0 + self.matrix),
                          where=rows > 0)
        base = QColor("#1f6fd1")
        for i in range(k):
            for j in range(k):
                r = QRectF(grid.left() + j * cell, grid.top() + i * cell, cell, cell)
                s = float(share[i, j])
                fill = QColor(base) if i == j else QColor("#d93a3a")
                fill.setAlphaF(0.08 + 0.85 * s if self.matrix[i, j] else 0.03)
                p.fillRect(r, fill)
                if cell >= fm.height() * 0.9 and self.matrix[i, j]:
                    p.setPen(QColor("#ffffff") if s > 0.55 else c.text)
                    p.drawText(r, Qt.AlignmentFlag.AlignCenter, str(int(self.matrix[i, j])))
        p.setPen(QPen(c.node_border, 1))
        p.drawRect(grid)
        p.setPen(c.subtext)
        step = max(1, math.ceil(fm.height() / cell))
        for i in range(0, k, step):
            name = _short(self.names[i])
            p.drawText(QRectF(fm.height() + 2, grid.top() + i * cell, label_w - 4, cell),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       fm.elidedText(name, Qt.TextElideMode.ElideRight, label_w - 4))
            p.drawText(QRectF(grid.left() + i * cell, 2, cell * step, top - 4),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom,
                       fm.elidedText(name, Qt.TextElideMode.ElideRight, int(cell * step)))
        p.save()
        p.translate(fm.height() - 2, grid.center().y())
        p.rotate(-90)
        p.drawText(QRectF(-60, -fm.height(), 120, fm.height()), Qt.AlignmentFlag.AlignCenter,
                   "true")
        p.restore()
        p.drawText(QRectF(grid.left(), grid.bottom() + 2, grid.width(), fm.height() + 2),
                   Qt.AlignmentFlag.AlignCenter, "predicted")
        p.drawText(QRectF(4, self.height() - fm.height() - 3, self.width() - 8, fm.height() + 2),
                   Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   fm.elidedText(self.caption, Qt.TextElideMode.ElideRight, self.width() - 8))
        p.end()


def _short(name: str) -> str:
    return name if len(name) <= 14 else name[:13] + "…"


def to_qimage(img: np.ndarray) -> QImage:
    """A (C, H, W) image (C = 1 or 3), scaled to its own range, as a QImage."""
    a = np.asarray(img, np.float64)
    lo, hi = np.nanmin(a), np.nanmax(a)
    a = (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
    a = np.clip(a * 255.0, 0, 255).astype(np.uint8)
    if a.shape[0] == 3:
        rgb = np.ascontiguousarray(a.transpose(1, 2, 0))
        h, w = rgb.shape[:2]
        return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
    g = np.ascontiguousarray(a[0])
    h, w = g.shape
    return QImage(g.data, w, h, w, QImage.Format.Format_Grayscale8).copy()


class MisclassifiedGallery(QWidget):
    """Validation images the network gets wrong, each labelled "true → predicted";
    ``picked(i)`` when the ``i``-th image shown is clicked."""

    MAX = 64
    picked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.items: list[tuple[QImage, str]] = []
        self.caption = ""
        #: Where each image was drawn (for clicks).
        self.rects: list[QRectF] = []
        self.setMinimumSize(160, 140)
        self.setAccessibleName("Misclassified images")
        self.setToolTip("Validation images the network gets wrong (true → predicted); "
                        "click one to pick it")

    def set_items(self, images: list[np.ndarray], labels: list[str], total_wrong: int,
                  total: int) -> None:
        self.items = [(to_qimage(im), lab) for im, lab in zip(images[:self.MAX],
                                                              labels[:self.MAX])]
        shown = len(self.items)
        self.caption = "" if not total else (
            f"{total_wrong:,} of {total:,} validation images misclassified"
            + (f"; showing {shown} of {total_wrong:,} (every true class)"
               if total_wrong > shown else ""))
        self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = event.position()
        for i, rect in enumerate(self.rects):
            if rect.contains(pos) and event.button() == Qt.MouseButton.LeftButton:
                self.picked.emit(i)
                break
        super().mousePressEvent(event)

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        c = colors()
        p.fillRect(self.rect(), QColor("#1f2125") if c.dark else QColor("#ffffff"))
        font = QFont(self.font())
        font.setPointSizeF(max(6.5, font.pointSizeF() * 0.8))
        p.setFont(font)
        fm = p.fontMetrics()
        p.setPen(c.subtext)
        p.drawText(QRectF(4, 2, self.width() - 8, fm.height() + 2),
                   Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   self.caption or "No predictions yet")
        self.rects = []
        if not self.items:
            p.end()
            return
        top = fm.height() + 6
        n = len(self.items)
        w, h = self.width() - 8, self.height() - top - 4
        label_h = fm.height() + 1
        side, cols = 8.0, 1
        for k in range(1, n + 1):
            rows = math.ceil(n / k)
            s = min(w / k - 4, h / rows - label_h - 4)
            if s > side:
                side, cols = s, k
        side = min(side, 96.0)
        cols = max(cols, int(w // (side + 4)))
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        for i, (img, lab) in enumerate(self.items):
            r, col = divmod(i, cols)
            x = 4 + col * (side + 4)
            y = top + r * (side + label_h + 4)
            if y + side > self.height():
                break
            p.drawImage(QRectF(x, y, side, side), img)
            self.rects.append(QRectF(x, y, side, side))
            p.setPen(c.error)
            p.drawText(QRectF(x - 2, y + side, side + 4, label_h),
                       Qt.AlignmentFlag.AlignCenter,
                       fm.elidedText(lab, Qt.TextElideMode.ElideRight, int(side + 4)))
        p.end()
