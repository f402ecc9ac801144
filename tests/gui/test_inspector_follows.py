"""Selecting layers on the canvas with the mouse shows the Inspector, even while Data,
Training or Summary is the tab in its place; other selection changes leave the tabs."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication


def _shown(dock) -> bool:
    """The dock is the tab on screen (a dock behind another tab is moved off screen)."""
    QApplication.processEvents()
    return dock.isVisible() and dock.geometry().left() >= 0


def _node_point(window, node_id: str) -> QPoint:
    """The middle of a layer's box on the canvas, in viewport pixels."""
    window.view.fit_all()
    item = window.scene.nodes[node_id]
    return window.view.mapFromScene(item.sceneBoundingRect().center())


@pytest.fixture
def data_shown(window):
    window.data_dock.raise_()
    assert _shown(window.data_dock) and not _shown(window.inspector_dock)
    return window


@pytest.mark.parametrize("tab", ["data", "training", "summary"])
def test_clicking_a_layer_shows_its_inspector(window, tab):
    other = getattr(window, f"{tab}_dock")
    other.raise_()
    assert _shown(other)
    QTest.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=_node_point(
        window, "dense2"))
    assert window.scene.selected_node_ids() == ["dense2"]
    assert _shown(window.inspector_dock) and not _shown(other)
    assert window.inspector.name_edit.text() == "dense2"


def test_selecting_with_the_rectangle_shows_the_inspector(data_shown):
    w = data_shown
    viewport = w.view.viewport()
    start = _node_point(w, "dense1") + QPoint(-120, -60)
    end = _node_point(w, "dense2") + QPoint(10, 60)
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    QTest.mouseMove(viewport, start + QPoint(30, 30))
    QTest.mouseMove(viewport, end)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=end)
    assert set(w.scene.selected_node_ids()) >= {"dense1", "dense2"}
    assert _shown(w.inspector_dock)


def test_clicking_empty_canvas_keeps_the_tab(data_shown):
    w = data_shown
    w.view.fit_all()
    QTest.mouseClick(w.view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    assert w.scene.selected_node_ids() == []
    assert _shown(w.data_dock)


def test_selection_changed_otherwise_keeps_the_tab(data_shown, qtbot):
    w = data_shown
    w.edit.select_all()  # Ctrl+A
    assert len(w.scene.selected_node_ids()) == 4
    assert _shown(w.data_dock)
    w.scene.clearSelection()
    w.summary.nodeClicked.emit("dense1")  # a row of the summary
    assert w.scene.selected_node_ids() == ["dense1"]
    assert _shown(w.data_dock)
    duplicates = w.edit.duplicate()  # Ctrl+D: the copies are selected
    assert w.scene.selected_node_ids() == duplicates
    assert _shown(w.data_dock)
    w.editor.undo()
    w.editor.redo()
    assert _shown(w.data_dock)
