"""Screenshots of the main window (for people to look at, in pytest's temporary folder) and
checks of what they show: the canvas and node colours of each theme at known places, and
layout checks at 1280 x 800."""

from __future__ import annotations

import math

import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QScrollArea

from app.canvas.scene import GRID


def _pixel(window, img: QImage, scene_point: QPointF) -> QColor:
    """The colour the window shows at a point of the canvas scene."""
    view = window.view
    at = view.viewport().mapTo(window, view.mapFromScene(scene_point))
    ratio = img.devicePixelRatio()
    return img.pixelColor(int(at.x() * ratio), int(at.y() * ratio))


def _empty_canvas_point(window) -> QPointF:
    """A point between the grid's dots, below and right of every node."""
    r = window.scene.nodes_rect()
    return QPointF((math.floor(r.right() / GRID) + 1.5) * GRID,
                   (math.floor(r.bottom() / GRID) + 1.5) * GRID)


def _node_fill_point(window, node_id: str) -> QPointF:
    """A point inside a node, clear of its text, its category stripe and its border."""
    r = window.scene.nodes[node_id].sceneBoundingRect()
    return QPointF(r.left() + 0.9 * r.width(), r.top() + 0.9 * r.height())


def _settle(qtbot, window):
    qtbot.wait(30)
    window.view.fit_all()
    qtbot.wait(10)


def test_main_window_screenshot(window, qtbot, tmp_path):
    from app.theme import colors

    assert (window.width(), window.height()) == (1280, 800)
    window.scene.select_nodes(["dense2"])
    _settle(qtbot, window)
    img = window.grab()
    assert img.save(str(tmp_path / "netcanvas_main.png"))
    assert (img.width(), img.height()) == (1280 * img.devicePixelRatio(),
                                           800 * img.devicePixelRatio())
    image = img.toImage()
    assert _pixel(window, image, _empty_canvas_point(window)) == colors().canvas
    assert _pixel(window, image, _node_fill_point(window, "dense1")) == colors().node_fill


@pytest.mark.parametrize("panel", ["inspector", "data", "training", "summary"])
def test_panels_fit_their_docks_at_1280x800(window, qtbot, tmp_path, panel):
    """Nothing is cut off on the right: every panel's content fits its dock's width."""
    dock = getattr(window, f"{panel}_dock")
    dock.raise_()
    window.scene.select_nodes(["dense1"])
    _settle(qtbot, window)
    widget = dock.widget()
    if isinstance(widget, QScrollArea):
        assert widget.widget().width() <= widget.viewport().width() + 1
        assert widget.horizontalScrollBar().maximum() == 0
    assert widget.minimumSizeHint().width() <= dock.width()
    window.grab().save(str(tmp_path / f"{panel}.png"))


def test_dark_theme_screenshot(make_window, qapp, qtbot, tmp_path):
    from app.theme import apply_theme, colors

    light_canvas = colors().canvas
    apply_theme(qapp, dark=True)
    try:
        w = make_window()
        assert colors().dark
        w.editor.remove([], [w.document.graph.edges[0]])  # show an error state too
        w.scene.select_nodes(["dense2"])
        _settle(qtbot, w)
        img = w.grab()
        assert img.save(str(tmp_path / "netcanvas_dark.png"))
        canvas = _pixel(w, img.toImage(), _empty_canvas_point(w))
        assert canvas == colors().canvas != light_canvas
        assert canvas.lightness() < 64 < light_canvas.lightness()
        # dense1 lost its input: it is drawn in the error colours.
        node = _pixel(w, img.toImage(), _node_fill_point(w, "dense1"))
        assert node == colors().error_fill and node.lightness() < 128
    finally:
        apply_theme(qapp, dark=False)


def test_switching_theme_recolours_icons_and_canvas(window, qapp):
    from app.theme import apply_theme, colors

    light = window.files.act_save.icon().pixmap(20, 20).toImage()
    apply_theme(qapp, dark=True)
    try:
        dark = window.files.act_save.icon().pixmap(20, 20).toImage()
        assert light != dark
        assert colors().dark
        assert qapp.palette().color(qapp.palette().ColorRole.Window).lightness() < 128
    finally:
        apply_theme(qapp, dark=False)
    assert window.files.act_save.icon().pixmap(20, 20).toImage() == light
