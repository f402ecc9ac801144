"""The canvas view: zoom (wheel, Ctrl +/-), pan (middle button or Space + drag), fit (F),
rubber-band selection, drops from the palette, transient messages at the cursor, the hint
on an empty canvas, and the requests for a context menu (right button, the Menu key or
Shift+F10: at the selected layer)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAccessible,
    QAccessibleEvent,
    QContextMenuEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QFocusEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QFrame, QGraphicsView, QLabel

from app.canvas.items import NODE_HEIGHT, NODE_WIDTH
from app.canvas.scene import CanvasScene
from app.theme import colors, theme_notifier

LAYER_MIME = "application/x-netcanvas-layer"
MIN_ZOOM = 0.15
MAX_ZOOM = 3.0
#: Fit (F) zooms out no further than this: at the default 9-point font (12 px) a node's
#: smallest text (88 %, its name and output shape) is then 8.4 px high, and the node 125 px
#: wide, the least that reads comfortably. A larger network is shown from its start (the
#: inputs, at the left and top) and scrolled, rather than shrunk to unreadable boxes.
MIN_FIT_ZOOM = 0.8
#: Nor in further than this (a small network is not blown up).
MAX_FIT_ZOOM = 1.25
#: Room left around the network by Fit, in scene units.
FIT_MARGIN = 40.0
EMPTY_HINT = "Drag layers here from the palette,\nor double-click one to add it."


class CanvasView(QGraphicsView):
    #: (layer type, top-left scene position) when a palette item is dropped.
    layerDropped = Signal(str, QPointF)
    #: A message for the status bar (refusals, hints).
    message = Signal(str)
    #: (scene position, global position, from the keyboard): show a context menu.
    contextMenuRequested = Signal(QPointF, QPoint, bool)

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
        self.setAccessibleName("Network canvas")
        self.describe_selection("")
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

        # A child of the view, not of the viewport: scrolling moves the viewport's pixels
        # and children, and the hint stays put; shown only while there are no nodes.
        self._hint = QLabel(EMPTY_HINT, self)
        self._hint.setObjectName("canvasHint")
        self._hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._hint.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        font = self._hint.font()
        font.setPointSizeF(max(font.pointSizeF(), 9) * 1.2)
        self._hint.setFont(font)
        self._style_hint()
        scene.nodeCountChanged.connect(self._update_hint)
        theme_notifier().changed.connect(self._style_hint)
        theme_notifier().changed.connect(self._style_focus)
        self._update_hint()
        self._style_focus()

    @property
    def canvas(self) -> CanvasScene:
        return self.scene()

    def describe_selection(self, text: str) -> None:
        """What assistive technology reads for the canvas: the selected layers (the graphics
        items themselves are not accessible objects in Qt), then how to work it."""
        keys = ("Arrow keys select layers, Alt+arrows move them, Ctrl+K connects the "
                "selected layers, Shift+F10 opens the menu of the selection.")
        self.setAccessibleDescription(f"{text} {keys}" if text else f"Nothing selected. {keys}")
        if QAccessible.isActive():
            QAccessible.updateAccessibility(
                QAccessibleEvent(self, QAccessible.Event.DescriptionChanged))

    # -- keyboard focus ----------------------------------------------------------------------
    def _style_focus(self) -> None:
        """A frame in the selection colour while the canvas has the keyboard (the arrows,
        Delete and the layer commands act here), the same width in the canvas colour
        otherwise, so nothing moves."""
        c = colors()
        edge = c.selection if self.hasFocus() else c.canvas
        self.setStyleSheet(f"QGraphicsView#canvas {{ border: 2px solid {edge.name()}; }}")

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        super().focusInEvent(event)
        self._style_focus()

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        super().focusOutEvent(event)
        self._style_focus()

    def event(self, event: QEvent) -> bool:
        # Escape belongs to a connection being dragged (it cancels it) before the window's
        # Escape (back to the canvas) sees it.
        if event.type() == QEvent.Type.ShortcutOverride and \
                event.key() == Qt.Key.Key_Escape and self.canvas._gesture is not None:
            event.accept()
            return True
        return super().event(event)

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
        """Show the whole network, between :data:`MIN_FIT_ZOOM` and :data:`MAX_FIT_ZOOM`;
        one too large for the view at the smallest readable zoom is shown from its start
        (left, top), and the scroll bars reach the rest."""
        rect = self.canvas.nodes_rect()
        if rect.isNull():
            self.reset_zoom()
            self.centerOn(0, 0)
            return
        rect = rect.adjusted(-FIT_MARGIN, -FIT_MARGIN, FIT_MARGIN, FIT_MARGIN)
        vp = self.viewport().rect()
        fit = min(vp.width() / rect.width(), vp.height() / rect.height())
        self.set_zoom(min(max(fit, MIN_FIT_ZOOM), MAX_FIT_ZOOM))
        seen_w, seen_h = vp.width() / self.zoom(), vp.height() / self.zoom()
        x = rect.center().x() if rect.width() <= seen_w else rect.left() + seen_w / 2
        y = rect.center().y() if rect.height() <= seen_h else rect.top() + seen_h / 2
        self.centerOn(x, y)

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
        shift = event.modifiers() == Qt.KeyboardModifier.ShiftModifier
        if event.key() == Qt.Key.Key_Menu or (event.key() == Qt.Key.Key_F10 and shift):
            self.request_keyboard_menu()
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

    # -- context menus -----------------------------------------------------------------------
    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802
        if event.reason() == QContextMenuEvent.Reason.Mouse:
            self.contextMenuRequested.emit(self.mapToScene(event.pos()), event.globalPos(),
                                           False)
        else:
            self.request_keyboard_menu()
        event.accept()

    def request_keyboard_menu(self) -> None:
        """Ask for the context menu of the selection (at its last layer), or of the canvas
        (at the middle of the view)."""
        selected = self.canvas.selectedItems()
        if selected:
            rect = selected[-1].sceneBoundingRect()
            scene_pos = rect.center()
        else:
            scene_pos = self.mapToScene(self.viewport().rect().center())
        local = self.mapFromScene(scene_pos)
        self.contextMenuRequested.emit(scene_pos, self.viewport().mapToGlobal(local), True)

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
    def hint_visible(self) -> bool:
        return not self._hint.isHidden()

    def _update_hint(self) -> None:
        self._hint.setVisible(not self.canvas.nodes)
        self._place_hint()

    def _style_hint(self) -> None:
        self._hint.setStyleSheet(f"QLabel#canvasHint {{ color: {colors().subtext.name()}; "
                                 "background: transparent; }")

    def _place_hint(self) -> None:
        self._hint.adjustSize()
        r = self._hint.rect()
        r.moveCenter(self.viewport().geometry().center())
        self._hint.setGeometry(r)
        self._hint.raise_()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._place_hint()
