"""The canvas view: zoom (wheel, Ctrl +/-), pan (middle button or Space + drag), fit (F),
rubber-band selection, drops from the palette, and transient messages at the cursor."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QWheelEvent,
)
from PySide6.QtWidgets import QFrame, QGraphicsView, QLabel

from app.canvas.items import NODE_HEIGHT, NODE_WIDTH
from app.canvas.scene import CanvasScene
from app.theme import colors

LAYER_MIME = "application/x-netcanvas-layer"
MIN_ZOOM = 0.15
MAX_ZOOM = 3.0


class CanvasView(QGraphicsView):
    #: (layer type, top-left scene position) when a palette item is dropped.
    layerDropped = Signal(str, QPointF)
    #: A message for the status bar (refusals, hints).
    message = Signal(str)

    def __init__(self, scene: CanvasScene, parent=None) -> None:
        super().__init__(scene, parent)
        self.setObjectName("canvas")
        self.setRenderHints(QPainter.RenderHint.Antialiasing
                            | QPainter.RenderHint.TextAntialiasing
                            | QPainter.RenderHint.SmoothPixmapTransform)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setAcceptDrops(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._pan_from: QPoint | None = None
        self._space = False
        self.last_message = ""

        self._bubble = QLabel(self.viewport())
        self._bubble.setObjectName("canvasMessage")
        self._bubble.setWordWrap(True)
        self._bubble.setMaximumWidth(380)
        self._bubble.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._bubble.hide()
        self._bubble_timer = QTimer(self)
        self._bubble_timer.setSingleShot(True)
        self._bubble_timer.timeout.connect(self._bubble.hide)
        scene.connectionRefused.connect(self._on_refused)

    @property
    def canvas(self) -> CanvasScene:
        return self.scene()

    def set_locked(self, locked: bool) -> None:
        """While a run trains (the editor's lock) layers cannot be dropped on the canvas."""
        self.setAcceptDrops(not locked)

    # -- messages ----------------------------------------------------------------------------
    def show_message(self, text: str, scene_pos: QPointF | None = None,
                     error: bool = True, msec: int = 4500) -> None:
        """A transient label near ``scene_pos`` (or the view's top), also sent to
        :attr:`message` for the status bar."""
        self.last_message = text
        c = colors()
        border = c.error if error else c.selection
        self._bubble.setStyleSheet(
            f"QLabel#canvasMessage {{ background: {c.tooltip_fill.name()}; color: "
            f"{c.text.name()}; border: 1px solid {border.name()}; border-radius: 6px; "
            f"padding: 6px 9px; }}")
        self._bubble.setText(text)
        self._bubble.adjustSize()
        vp = self.viewport().rect()
        if scene_pos is None:
            p = QPoint((vp.width() - self._bubble.width()) // 2, 12)
        else:
            p = self.mapFromScene(scene_pos) + QPoint(14, 14)
        x = max(4, min(p.x(), vp.width() - self._bubble.width() - 4))
        y = max(4, min(p.y(), vp.height() - self._bubble.height() - 4))
        self._bubble.move(x, y)
        self._bubble.show()
        self._bubble.raise_()
        self._bubble_timer.start(msec)
        self.message.emit(text)

    def message_visible(self) -> bool:
        return self._bubble.isVisible()

    def message_text(self) -> str:
        return self._bubble.text()

    def _on_refused(self, reason: str, pos: QPointF) -> None:
        self.show_message(f"Cannot connect: {reason}", pos)

    # -- zoom and pan ------------------------------------------------------------------------
    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, factor: float, anchor_under_mouse: bool = False) -> None:
        factor = max(MIN_ZOOM, min(MAX_ZOOM, factor))
        anchor = self.transformationAnchor()
        if not anchor_under_mouse:
            self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        s = factor / self.zoom()
        self.scale(s, s)
        self.setTransformationAnchor(anchor)

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom() * 1.25)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom() / 1.25)

    def reset_zoom(self) -> None:
        self.set_zoom(1.0)

    def fit_all(self) -> None:
        rect = self.canvas.nodes_rect()
        if rect.isNull():
            self.reset_zoom()
            self.centerOn(0, 0)
            return
        rect = rect.adjusted(-40, -40, 40, 40)
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom() > 1.25:
            self.set_zoom(1.25)
        if self.zoom() < MIN_ZOOM:
            self.set_zoom(MIN_ZOOM)
        self.centerOn(rect.center())

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        delta = event.angleDelta().y()
        if delta == 0:
            super().wheelEvent(event)
            return
        self.set_zoom(self.zoom() * (1.0015 ** delta), anchor_under_mouse=True)
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.MiddleButton or (
                self._space and event.button() == Qt.MouseButton.LeftButton):
            self._pan_from = event.position().toPoint()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan_from is not None:
            p = event.position().toPoint()
            d = p - self._pan_from
            self._pan_from = p
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - d.x())
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - d.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan_from is not None:
            self._pan_from = None
            self.viewport().unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        if event.key() == Qt.Key.Key_Escape and self.canvas._gesture is not None:
            self.canvas._gesture.cancel()
            self.canvas._gesture = None
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.viewport().unsetCursor()
            event.accept()
            return
        super().keyReleaseEvent(event)

    # -- drops from the palette ----------------------------------------------------------------
    def _layer_type(self, event: QDropEvent) -> str | None:
        mime = event.mimeData()
        if mime is None or not mime.hasFormat(LAYER_MIME):
            return None
        return bytes(mime.data(LAYER_MIME)).decode("utf-8") or None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if self._layer_type(event):
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        if self._layer_type(event):
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        type_name = self._layer_type(event)
        if not type_name:
            super().dropEvent(event)
            return
        p = self.mapToScene(event.position().toPoint())
        # The node is centred on the drop point.
        top_left = QPointF(p.x() - NODE_WIDTH / 2, p.y() - NODE_HEIGHT / 2)
        # Copy, never move: a "move" would make the palette remove its item.
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        self.layerDropped.emit(type_name, top_left)

    # -- empty canvas hint ---------------------------------------------------------------------
    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        if self.canvas.nodes:
            return
        painter.save()
        painter.resetTransform()
        c = colors()
        painter.setPen(c.subtext)
        f = painter.font()
        f.setPointSizeF(max(f.pointSizeF(), 9) * 1.2)
        painter.setFont(f)
        painter.drawText(self.viewport().rect(), Qt.AlignmentFlag.AlignCenter,
                         "Drag layers here from the palette,\nor double-click one to add it.")
        painter.restore()
