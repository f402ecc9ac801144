"""Keyboard shortcuts and the Edit menu."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest

EXPECTED = {
    "actionNew": ["Ctrl+N"], "actionOpen": ["Ctrl+O"], "actionSave": ["Ctrl+S"],
    "actionSaveAs": ["Ctrl+Shift+S"], "actionUndo": ["Ctrl+Z"],
    "actionRedo": ["Ctrl+Shift+Z", "Ctrl+Y"], "actionCopy": ["Ctrl+C"],
    "actionPaste": ["Ctrl+V"], "actionDuplicate": ["Ctrl+D"], "actionCut": ["Ctrl+X"],
    "actionDelete": ["Del", "Backspace"], "actionSelectAll": ["Ctrl+A"], "actionFit": ["F"],
    "actionZoomIn": ["Ctrl++", "Ctrl+="], "actionZoomOut": ["Ctrl+-"],
    "actionArrange": ["Ctrl+L"],
}


def _action(window, name):
    from PySide6.QtGui import QAction

    act = window.findChild(QAction, name)
    assert act is not None, name
    return act


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_shortcut_exists(window, name):
    act = _action(window, name)
    got = [s.toString(QKeySequence.SequenceFormat.PortableText) for s in act.shortcuts()]
    for key in EXPECTED[name]:
        assert key in got, (name, got)


def test_edit_menu_holds_the_editing_actions(window):
    menu = next(m for m in window.menuBar().findChildren(type(window.files.recent_menu))
                if m.objectName() == "menuEdit")
    names = {a.objectName() for a in menu.actions()}
    assert {"actionUndo", "actionRedo", "actionCopy", "actionPaste", "actionDuplicate",
            "actionDelete", "actionSelectAll", "actionCut"} <= names


def test_keys_drive_the_canvas(window):
    doc, view = window.document, window.view
    view.setFocus()
    window.scene.select_nodes(["dense3"])
    QTest.keyClick(view, Qt.Key.Key_Delete)
    assert "dense3" not in doc.graph.ids()
    QTest.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert "dense3" in doc.graph.ids()
    QTest.keyClick(view, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert "dense3" not in doc.graph.ids()
    QTest.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)  # nothing left to redo
    QTest.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(view, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert len(window.scene.selected_node_ids()) == 4
    QTest.keyClick(view, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert len(doc.graph.nodes) == 8
    view.reset_zoom()
    QTest.keyClick(view, Qt.Key.Key_F)
    vis = view.mapToScene(view.viewport().rect()).boundingRect()
    assert vis.contains(window.scene.nodes_rect())


def test_typing_f_in_a_field_does_not_fit(window):
    window.scene.select_nodes(["dense1"])
    edit = window.inspector.name_edit
    edit.setFocus()
    edit.selectAll()
    view = window.view
    view.set_zoom(2.0)
    QTest.keyClicks(edit, "ff")
    assert edit.text() == "ff"
    assert abs(view.zoom() - 2.0) < 1e-9
