"""The default window layout at the design size (1280 x 800) and at 1024 x 700: the forms
get the right column's height, the plots the window's width, nothing overlaps, every tab
title is readable and no control is cut off."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QByteArray, QRect, QSettings
from PySide6.QtWidgets import QApplication, QScrollArea, QTabBar

from app.window.layout import LAYOUT_VERSION

SIZES = [(1280, 800), (1024, 700)]


@pytest.fixture
def sized_window(make_window, settings_path):
    def make(width: int, height: int):
        settings = QSettings(str(settings_path), QSettings.Format.IniFormat)
        settings.setValue("window/geometry", QByteArray())
        settings.sync()
        w = make_window()
        w.resize(width, height)
        _settle()
        w.reset_window_layout()  # the default layout for this size
        _settle()
        return w
    return make


def _settle() -> None:
    """Let the window lay itself out (Qt does it in posted events)."""
    QApplication.sendPostedEvents()
    QApplication.processEvents()


def _rect(dock) -> QRect:
    return dock.geometry()


def _on_screen(window) -> list:
    """The docks shown in the window (a dock behind another tab is moved off screen)."""
    return [d for d in window._docks() if d.isVisible() and _rect(d).left() >= 0]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_default_layout_proportions(sized_window, qtbot, size, tmp_path):
    width, height = size
    w = sized_window(width, height)
    # The forms: Inspector, Data, Training and Summary share the right column, from the
    # toolbar down to the plots.
    for dock in (w.data_dock, w.training_dock, w.summary_dock):
        assert dock in w.tabifiedDockWidgets(w.inspector_dock)
    right = _rect(w.inspector_dock)
    assert right.height() >= 0.52 * height, right
    assert right.width() >= 300
    assert right.right() >= width - 2
    # The plots along the bottom take the window's width.
    plots = w.plot_docks
    assert w.plot_docks.runs_dock in w.tabifiedDockWidgets(plots.curves_dock)
    assert _rect(plots.curves_dock).left() == 0
    assert _rect(plots.results_dock).right() >= width - 2
    for dock in (plots.inside_dock, plots.results_dock):
        assert _rect(dock).height() >= 200
        assert _rect(dock).top() > right.bottom()
    assert _rect(plots.curves_dock).height() >= 180  # below its Training Curves | Runs tabs
    # The canvas keeps a good share.
    assert w.view.width() >= 480 and w.view.height() >= 330
    # Nothing overlaps.
    shown = _on_screen(w)
    for i, a in enumerate(shown):
        for b in shown[i + 1:]:
            assert not _rect(a).intersects(_rect(b)), (a.objectName(), b.objectName())
    w.grab().save(str(tmp_path / f"layout_{width}.png"))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_tab_title_is_readable(sized_window, qtbot, size, tmp_path):
    w = sized_window(*size)
    for panel in (w.plot_docks.curves, w.plot_docks.inside, w.plot_docks.results):
        panel.ensure_built()  # their own tabs (gradient norms, decision boundary, ...)
    qtbot.wait(50)
    bars = [b for b in w.findChildren(QTabBar) if b.isVisible() and b.count()]
    assert len(bars) >= 4  # the two dock tab groups and the plots' own tabs
    for bar in bars:
        fm = bar.fontMetrics()
        for i in range(bar.count()):
            if not bar.isTabVisible(i):
                continue
            tab = bar.tabRect(i)
            assert tab.width() >= fm.horizontalAdvance(bar.tabText(i).replace("&", "")), \
                bar.tabText(i)
            # Inside the bar, or reachable with the bar's scroll buttons.
            assert tab.right() <= bar.width() or bar.usesScrollButtons(), bar.tabText(i)
    w.grab().save(str(tmp_path / f"tabs_{size[0]}.png"))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("panel", ["inspector", "data", "training", "summary"])
def test_no_control_is_cut_off(sized_window, qtbot, size, panel, tmp_path):
    w = sized_window(*size)
    dock = getattr(w, f"{panel}_dock")
    dock.raise_()
    w.scene.select_nodes(["dense1"])
    _settle()
    assert _rect(dock).left() >= 0
    widget = dock.widget()
    if isinstance(widget, QScrollArea):
        assert widget.widget().width() <= widget.viewport().width() + 1
        assert widget.horizontalScrollBar().maximum() == 0
    assert widget.minimumSizeHint().width() <= dock.width()
    w.grab().save(str(tmp_path / f"{panel}_{size[0]}.png"))


def test_a_layout_saved_by_the_old_default_is_not_restored(make_window, settings_path):
    w = make_window()
    old_state = w.saveState(LAYOUT_VERSION - 1)  # as the previous default saved it
    w.close()
    settings = QSettings(str(settings_path), QSettings.Format.IniFormat)
    settings.setValue("window/state", old_state)
    settings.sync()
    w2 = make_window()
    _settle()
    assert w2.summary_dock in w2.tabifiedDockWidgets(w2.inspector_dock)
    assert w2.inspector_dock.height() >= 0.52 * w2.height()
