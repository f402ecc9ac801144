"""Screenshots of the main window (for people to look at) and layout checks at 1280 x 800."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtWidgets import QScrollArea

LEAD_COPY = Path("/tmp/netcanvas_main.png")


def _settle(qtbot, window):
    qtbot.wait(30)
    window.view.fit_all()
    qtbot.wait(10)


def test_main_window_screenshot(window, qtbot, tmp_path):
    assert (window.width(), window.height()) == (1280, 800)
    window.scene.select_nodes(["dense2"])
    _settle(qtbot, window)
    out = tmp_path / "netcanvas_main.png"
    img = window.grab()
    assert img.save(str(out))
    assert out.stat().st_size > 10_000
    assert (img.width(), img.height()) == (1280 * img.devicePixelRatio(),
                                           800 * img.devicePixelRatio())
    shutil.copyfile(out, LEAD_COPY)


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

    apply_theme(qapp, dark=True)
    try:
        w = make_window()
        assert colors().dark
        w.editor.remove([], [w.document.graph.edges[0]])  # show an error state too
        w.scene.select_nodes(["dense2"])
        _settle(qtbot, w)
        out = tmp_path / "netcanvas_dark.png"
        assert w.grab().save(str(out))
        shutil.copyfile(out, LEAD_COPY.with_name("netcanvas_main_dark.png"))
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
