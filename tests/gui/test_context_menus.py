"""Context menus of the canvas, a layer and a connection, the Layer menu, and the commands
they hold (issue 20)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from nncore.spec import EdgeSpec


def _right_click(window, scene_pos):
    """A right-click on the canvas at ``scene_pos`` (the context-menu event the platform
    sends for it; QTest's clicks make none); return the menu shown."""
    view = window.view
    local = view.mapFromScene(scene_pos)
    QApplication.sendEvent(view.viewport(), QContextMenuEvent(
        QContextMenuEvent.Reason.Mouse, local, view.viewport().mapToGlobal(local)))
    window.context_menus.menu.close()  # shown as a popup; its actions stay
    return window.context_menus.menu


def _texts(menu) -> list[str]:
    return [a.text().replace("&", "") for a in menu.actions() if not a.isSeparator()]


def _trigger(menu, text: str) -> None:
    act = next(a for a in menu.actions() if a.text().replace("&", "") == text)
    assert act.isEnabled(), text
    act.trigger()


def test_right_click_on_a_layer_selects_it_and_offers_its_commands(window):
    node = window.scene.nodes["dense2"]
    menu = _right_click(window, node.sceneBoundingRect().center())
    assert window.scene.selected_node_ids() == ["dense2"]
    assert _texts(menu) == ["Rename…", "Duplicate", "Delete", "Freeze", "Show in Inspector",
                            "Connect To…", "Insert Layer…"]
    # The same commands are in the main menus, with their shortcuts.
    layer_menu = window.context_menus.layer_menu
    shortcuts = {a.text().replace("&", ""): a.shortcut().toString()
                 for a in layer_menu.actions() if not a.isSeparator()}
    assert shortcuts["Rename…"] == "F2" and shortcuts["Connect To…"] == "Ctrl+Shift+K"
    assert window.menuBar().actions()[2].menu() is layer_menu

    _trigger(menu, "Freeze")
    assert window.document.node("dense2").frozen
    menu = _right_click(window, node.sceneBoundingRect().center())
    freeze = next(a for a in menu.actions() if a.text() == "&Freeze")
    assert freeze.isChecked()
    _trigger(menu, "Freeze")  # unfreezes
    assert not window.document.node("dense2").frozen

    _trigger(menu, "Rename…")
    assert QApplication.focusWidget() is window.inspector.name_edit
    assert window.inspector.name_edit.selectedText() == "dense2"
    QTest.keyClicks(window.inspector.name_edit, "hidden")
    QTest.keyClick(window.inspector.name_edit, Qt.Key.Key_Return)
    assert window.document.has_node("hidden")

    _trigger(_right_click(window, node.sceneBoundingRect().center()), "Delete")
    assert not window.document.has_node("hidden")


def test_right_click_on_empty_canvas_adds_a_layer_there(window, qtbot):
    below = window.scene.nodes_rect().bottomLeft() + QPointF(100, 200)
    menu = _right_click(window, below)
    assert window.scene.selected_node_ids() == []
    assert _texts(menu) == ["Add Layer Here…", "Paste", "Select All", "Arrange Layers",
                            "Fit to Window"]
    _trigger(menu, "Add Layer Here…")
    chooser = window.layer_actions.chooser
    assert chooser is not None and chooser.isVisible()
    QTest.keyClicks(chooser.search, "dropo")
    assert chooser.visible_values() == ["Dropout", "SpatialDropout2D"]  # starts with it first
    QTest.keyClick(chooser.search, Qt.Key.Key_Return)
    node = window.document.node("dropout1")
    assert window.scene.nodes["dropout1"].sceneBoundingRect().contains(below)
    assert window.document.graph.inputs_of(node.id) == []
    assert window.scene.selected_node_ids() == ["dropout1"]
    qtbot.waitUntil(lambda: window.layer_actions.chooser is None)


def test_insert_a_layer_into_a_connection_in_one_undo_step(window, qtbot):
    doc = window.document
    link = window.scene.links[("dense1", "dense2")]
    menu = _right_click(window, link.path().pointAtPercent(0.5))
    assert window.scene.selected_edges() == [EdgeSpec("dense1", "dense2")]
    assert _texts(menu) == ["Delete", "Insert Layer…"]
    edges_before = list(doc.graph.edges)
    _trigger(menu, "Insert Layer…")
    chooser = window.layer_actions.chooser
    QTest.keyClicks(chooser.search, "batchn")
    QTest.keyClick(chooser.search, Qt.Key.Key_Return)
    assert doc.graph.inputs_of("batchnormalization1") == ["dense1"]
    assert doc.graph.inputs_of("dense2") == ["batchnormalization1"]
    assert doc.graph.outputs_of("dense1") == ["batchnormalization1"]
    assert not doc.analysis.errors
    assert window.undo_stack.undoText().startswith("Insert batchnormalization1")
    window.editor.undo()
    assert list(doc.graph.edges) == edges_before
    assert not doc.has_node("batchnormalization1")


def test_an_insertion_the_engine_refuses_is_explained(window):
    window.scene.select_nodes(["dense1"])
    window.layer_actions.act_insert.trigger()
    chooser = window.layer_actions.chooser
    QTest.keyClicks(chooser.search, "Conv2D")
    QTest.keyClick(chooser.search, Qt.Key.Key_Return)
    assert not window.document.has_node("conv2d1")
    assert window.view.message_text().startswith("Cannot insert Conv2D:")


def test_keyboard_opens_the_menu_of_the_selection(window):
    window.view.setFocus()
    window.scene.select_nodes(["dense1"])
    QTest.keyClick(window.view, Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier)
    menu = window.context_menus.menu
    menu.close()
    assert menu.title() == "Layer dense1"
    window.scene.clearSelection()
    QTest.keyClick(window.view, Qt.Key.Key_Menu)
    window.context_menus.menu.close()
    assert window.context_menus.menu.title() == "Canvas"


def test_other_parts_add_layer_commands_through_the_hooks(window):
    seen = []
    hooks = window.context_menus.node_hooks
    entry = hooks.register("Trace Values", seen.append,
                           lambda node_id: node_id.startswith("dense"))
    menu = _right_click(window, window.scene.nodes["dense1"].sceneBoundingRect().center())
    _trigger(menu, "Trace Values")
    assert seen == ["dense1"]
    menu = _right_click(window, window.scene.nodes["input1"].sceneBoundingRect().center())
    assert not next(a for a in menu.actions() if a.text() == "Trace Values").isEnabled()
    # In the Layer menu too, for the selected layer.
    window.scene.select_nodes(["dense3"])
    window.context_menus.layer_menu.aboutToShow.emit()
    _trigger(window.context_menus.layer_menu, "Trace Values")
    assert seen == ["dense1", "dense3"]
    hooks.unregister(entry)
    menu = _right_click(window, window.scene.nodes["dense1"].sceneBoundingRect().center())
    assert "Trace Values" not in _texts(menu)
