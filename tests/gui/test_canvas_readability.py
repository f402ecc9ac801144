"""What the canvas shows a person (issue 12): the empty-canvas hint only on an empty
canvas, Fit that keeps text readable, pasted copies clear of their originals, whole layer
titles, and warnings whole on the node or in its tooltip."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QDropEvent, QFont, QFontInfo, QFontMetricsF, QImage, QPainter
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import QApplication, QStyleOptionGraphicsItem

from app.canvas.items import HEADER_HEIGHT, NODE_HEIGHT, NODE_WIDTH, NodeItem
from app.canvas.view import LAYER_MIME, MIN_FIT_ZOOM
from app.paths import examples_dir
from app.theme import colors
from nncore.registry import layer_types
from nncore.spec import EdgeSpec


def _on_screen(widget) -> QImage:
    """What the window shows of ``widget`` right now: its backing store, not a fresh
    render, so paint left over from before shows too."""
    win = widget.window()
    shot = win.screen().grabWindow(win.winId())
    return shot.copy(QRect(widget.mapTo(win, QPoint(0, 0)), widget.size())).toImage()


def _ink(image: QImage, rect: QRect) -> int:
    """Pixels in ``rect`` darker than the canvas and its grid dots: text, lines, nodes."""
    c = colors()
    limit = min(c.canvas.lightness(), c.grid.lightness()) - 40
    return sum(1 for y in range(rect.top(), rect.bottom() + 1)
               for x in range(rect.left(), rect.right() + 1)
               if image.pixelColor(x, y).lightness() < limit)


def _drop(view, type_name: str, pos: QPoint) -> None:
    mime = QMimeData()
    mime.setData(LAYER_MIME, type_name.encode())
    view.dropEvent(QDropEvent(QPointF(pos), Qt.DropAction.CopyAction, mime,
                              Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))


def test_the_empty_canvas_hint_is_drawn_only_on_an_empty_canvas(window, qtbot):
    view = window.view
    assert window.files.new_project()
    qtbot.waitUntil(lambda: not window.scene.nodes)
    hint = view._hint.geometry()
    qtbot.waitUntil(lambda: _ink(_on_screen(view), hint) > 100)
    assert view.hint_visible()
    # Scrolling an empty canvas leaves the hint where it is, whole.
    before = _on_screen(view).copy(hint)
    view.horizontalScrollBar().setValue(view.horizontalScrollBar().value() + 37)
    qtbot.waitUntil(lambda: _on_screen(view).copy(hint) == before)
    # A layer dropped away from the hint: the hint's place shows only the canvas.
    _drop(view, "Dense", QPoint(90, 60))
    item = window.scene.nodes["dense1"]
    node = view.mapFromScene(item.sceneBoundingRect()).boundingRect()
    qtbot.waitUntil(lambda: _ink(_on_screen(view), hint) == 0)
    assert _ink(_on_screen(view), node) > 100  # the node itself is drawn
    assert not view.hint_visible()
    # Empty again: the hint comes back.
    window.undo_stack.undo()
    qtbot.waitUntil(lambda: _ink(_on_screen(view), hint) > 100)


def test_fit_keeps_a_seven_node_network_readable_and_scrolls(window, qtbot):
    view = window.view
    assert window.open_project(examples_dir() / "digits_cnn.json")
    assert len(window.scene.nodes) == 7
    view.fit_all()
    assert abs(view.zoom() - MIN_FIT_ZOOM) < 1e-9
    # The nodes' smallest text (88 % of the font) is at least 8 px high on screen.
    small = QFont(view.viewport().font())
    small.setPointSizeF(small.pointSizeF() * 0.88)
    assert QFontInfo(small).pixelSize() * view.zoom() >= 8
    # The network is shown from its start (the input whole, at the left); the rest is
    # reached by scrolling.
    seen = view.mapToScene(view.viewport().rect()).boundingRect()
    first, last = (window.scene.nodes[i].sceneBoundingRect() for i in ("image", "classes"))
    assert seen.contains(first) and not seen.contains(last)
    assert first.left() - seen.left() < 60
    bar = view.horizontalScrollBar()
    assert bar.isVisible() and bar.maximum() > bar.value()
    # A network that fits is shown whole, as before.
    assert window.open_project(examples_dir() / "iris.json")
    view.fit_all()
    seen = view.mapToScene(view.viewport().rect()).boundingRect()
    assert view.zoom() >= MIN_FIT_ZOOM and seen.contains(window.scene.nodes_rect())


def _rects(scene, ids) -> list[QRectF]:
    return [scene.nodes[i].sceneBoundingRect() for i in ids]


def test_pasted_and_duplicated_copies_land_clear_of_every_layer(window):
    scene, view, edit = window.scene, window.view, window.edit
    originals = list(scene.nodes)
    scene.select_nodes(["dense1", "dense2"])
    edit.copy()
    first = edit.paste()
    second = edit.paste()
    scene.select_nodes(["dense3"])
    third = edit.duplicate()
    new = first + second + third
    assert len(new) == 5 and scene.selected_node_ids() == third
    every = _rects(scene, scene.nodes)
    for i, a in enumerate(every):
        assert not any(a.intersects(b) for b in every[i + 1:])
    # Straight below the originals, and further down for the next paste.
    doc = window.document
    p1, p4, p6 = (doc.node(i).position for i in ("dense1", first[0], second[0]))
    assert p4[0] == p1[0] and p1[1] < p4[1] < p6[1]
    # The new copies are scrolled into view.
    seen = view.mapToScene(view.viewport().rect()).boundingRect()
    assert all(seen.contains(r) for r in _rects(scene, third))
    assert set(originals) < set(scene.nodes)


class _TextRecorder(QPainter):
    """A painter that notes every text it draws: (rect, text, font)."""

    def __init__(self, device) -> None:
        super().__init__(device)
        self.texts: list[tuple[QRectF, str, QFont]] = []

    def drawText(self, *args):  # noqa: N802
        if len(args) == 3 and isinstance(args[0], QRectF):
            self.texts.append((QRectF(args[0]), args[2], QFont(self.font())))
        return super().drawText(*args)


def _painted_texts(item: NodeItem, font: QFont) -> list[tuple[QRectF, str, QFont]]:
    image = QImage(int(NODE_WIDTH) + 20, int(NODE_HEIGHT) + 20, QImage.Format.Format_ARGB32)
    painter = _TextRecorder(image)
    painter.setFont(font)
    item.paint(painter, QStyleOptionGraphicsItem(), None)
    painter.end()
    return painter.texts


def test_every_layer_type_title_is_painted_whole_inside_the_node(window):
    font = window.view.viewport().font()
    for cls in layer_types():
        item = NodeItem("n", cls.type_name, cls.category, cls.max_inputs != 0)
        header = [t for t in _painted_texts(item, font) if t[0].top() == 0
                  and t[0].height() == HEADER_HEIGHT]
        assert len(header) == 1
        rect, text, f = header[0]
        assert text == cls.type_name
        assert rect.right() <= NODE_WIDTH - 4
        assert QFontMetricsF(f).horizontalAdvance(text) <= rect.width()
        assert f.pointSizeF() >= 0.8 * font.pointSizeF() - 1e-6  # still readable
        assert f.bold()


def test_a_title_too_long_for_any_node_is_elided_in_the_middle():
    from app.canvas.text_fit import fit_title

    font = QApplication.font()
    f, text = fit_title("ThisNameIsFarTooLongForAnyNodeHeader2D", font, 120.0)
    assert text.startswith("This") and text.endswith("2D") and "…" in text
    assert QFontMetricsF(f).horizontalAdvance(text) <= 120.0


def _painted_warning(window, node_id: str) -> tuple[QRectF, str, QFont]:
    item = window.scene.nodes[node_id]
    texts = _painted_texts(item, window.view.viewport().font())
    return next(t for t in texts if t[1].startswith("⚠"))


def test_warnings_fit_the_node_or_are_whole_in_its_tooltip(window):
    # The most common warning is shown whole on the node (narrowed when it must be).
    window.editor.remove([], [EdgeSpec("dense2", "dense3")])
    rect, text, font = _painted_warning(window, "dense3")
    assert text == "⚠ has no input connected"
    assert QFontMetricsF(font).horizontalAdvance(text) <= rect.width()
    # A longer one is cut at the end on the node, and whole in the tooltip, which Qt
    # wraps (rich text).
    assert window.editor.set_param("input1", "shape", [1, 8, 8]) is None
    error = window.document.analysis.errors_for("dense1")[0]
    rect, text, font = _painted_warning(window, "dense1")
    assert text.endswith("…") and QFontMetricsF(font).horizontalAdvance(text) <= rect.width()
    tip = window.scene.nodes["dense1"].toolTip()
    assert error in tip and GuiQt.mightBeRichText(tip)
