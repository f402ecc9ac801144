"""The data preview's images: a row of thumbnails per class (so every class shows), or for
many classes one image of each, or for regression the first images; a click on an image
reports its row in the data set."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QFont, QImage, QMouseEvent, QPainter, QPixmap
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from app.theme import colors
from nncore.data import Dataset

#: Up to this many classes get a row each; more get one image each.
ROW_CLASSES = 12
#: Most images drawn.
MAX_IMAGES = 64
CELL, PAD, LABEL_H, NAME_W = 40, 4, 14, 64


def gallery_rows(ds: Dataset, cols: int) -> list[tuple[str, list[int]]]:
    """(row label, data set rows) per row of the gallery, at most :data:`MAX_IMAGES`."""
    if ds.task != "classification":
        n = min(MAX_IMAGES, ds.n_samples, cols * 4)
        idx = list(range(n))
        return [("", idx[i:i + cols]) for i in range(0, n, cols)]
    y = np.asarray(ds.y).reshape(-1)
    names = ds.class_names or [str(k) for k in range(int(ds.n_classes or 0))]
    k = len(names)
    if k <= ROW_CLASSES:
        per = max(1, min(cols, MAX_IMAGES // max(k, 1)))
        return [(names[c], np.flatnonzero(y == c)[:per].tolist()) for c in range(k)]
    firsts = [int(np.flatnonzero(y == c)[0]) for c in range(k) if (y == c).any()]
    firsts = firsts[:MAX_IMAGES]
    return [("", firsts[i:i + cols]) for i in range(0, len(firsts), cols)]


def _qimage(img: np.ndarray) -> QImage:
    """One ``(C, H, W)`` uint8 image (1 or 3 channels) as a QImage owning its pixels."""
    if img.shape[0] == 3:
        arr = np.ascontiguousarray(np.transpose(img, (1, 2, 0)))
        return QImage(arr.data, arr.shape[1], arr.shape[0], 3 * arr.shape[1],
                      QImage.Format.Format_RGB888).copy()
    arr = np.ascontiguousarray(img[0])
    return QImage(arr.data, arr.shape[1], arr.shape[0], arr.shape[1],
                  QImage.Format.Format_Grayscale8).copy()


class ImageGallery(QLabel):
    """The image grid; ``picked(row)`` when an image is clicked (its row in the data)."""

    picked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.setMinimumSize(1, 1)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setAccessibleName("Data images")
        self.setToolTip("Click an image to pick that sample")
        #: (x, y, data set row) of each image drawn, in pixmap coordinates.
        self.cells: list[tuple[float, float, int]] = []
        self.rows: list[tuple[str, list[int]]] = []

    def show_dataset(self, ds: Dataset, width: int) -> None:
        labelled = ds.task == "classification" and (ds.n_classes or 0) <= ROW_CLASSES
        left = NAME_W if labelled else 0
        cols = max(3, min(10, (width - 40 - left) // (CELL + PAD)))
        self.rows = gallery_rows(ds, cols)
        shown = sorted({i for _label, idx in self.rows for i in idx})
        X = ds.X[shown] if shown else ds.X[:0]
        lo, hi = (float(X.min()), float(X.max())) if len(X) else (0.0, 1.0)
        scaled = ((X - lo) / (hi - lo) * 255 if hi > lo else np.zeros_like(X)).astype(np.uint8)
        image_of = dict(zip(shown, scaled, strict=True))
        under = LABEL_H if not labelled and ds.task == "classification" else 0
        used = max((len(idx) for _l, idx in self.rows), default=0)
        w = left + max(used, 1) * (CELL + PAD)
        h = max(len(self.rows), 1) * (CELL + under + PAD)
        dpr = self.devicePixelRatioF() or 1.0
        pm = QPixmap(QSize(round(w * dpr), round(h * dpr)))
        pm.setDevicePixelRatio(dpr)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        f = QFont(self.font())
        f.setPixelSize(10)
        p.setFont(f)
        p.setPen(colors().subtext)
        self.cells = []
        names = ds.class_names
        for r, (label, idx) in enumerate(self.rows):
            y = r * (CELL + under + PAD)
            if label:
                p.drawText(QRectF(0, y, left - PAD, CELL), Qt.AlignmentFlag.AlignRight
                           | Qt.AlignmentFlag.AlignVCenter,
                           p.fontMetrics().elidedText(label, Qt.TextElideMode.ElideRight,
                                                      left - PAD))
            for c, i in enumerate(idx):
                x = left + c * (CELL + PAD)
                p.drawImage(QRectF(x, y, CELL, CELL), _qimage(image_of[i]))
                self.cells.append((x, y, i))
                if under:
                    k = int(ds.y[i])
                    p.drawText(QRectF(x, y + CELL, CELL, LABEL_H), Qt.AlignmentFlag.AlignCenter,
                               names[k] if names else str(k))
        p.end()
        self._pixmap_size = (w, h)
        self.setPixmap(pm)

    def row_at(self, x: float, y: float) -> int | None:
        """The data set row of the image at widget position (x, y), if any."""
        w, _h = getattr(self, "_pixmap_size", (0, 0))
        x0 = (self.width() - w) / 2  # the pixmap is centred horizontally
        for cx, cy, i in self.cells:
            if cx <= x - x0 < cx + CELL and cy <= y < cy + CELL:
                return i
        return None

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        row = self.row_at(event.position().x(), event.position().y())
        if row is not None and event.button() == Qt.MouseButton.LeftButton:
            self.picked.emit(row)
        super().mousePressEvent(event)
