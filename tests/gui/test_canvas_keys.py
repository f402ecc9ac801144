"""The canvas's keys and the keyboard's way through the panels (issue 20): arrows along
connections and by position, Alt+arrows, Connect To…, the palette's Down, tab order in
visual order, Tab out of the description, Escape back to the canvas."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.canvas.navigation import neighbour
from app.canvas.scene import GRID
from app.panels.tab_order import visual_focus_chain

POSITIONS = {"in": (0.0, 0.0), "a": (200.0, -100.0), "b": (200.0, 100.0),
             "c": (400.0, 110.0), "far": (400.0, -400.0)}
EDGES = [("in", "a"), ("in", "b"), ("b", "c")]


def test_right_follows_connections_to_the_nearest_in_height_then_position():
    # "in" feeds a (100 above) and b (100 below): a tie broken by x, then by name.
    assert neighbour("in", "right", POSITIONS, EDGES) == "a"
    assert neighbour("b", "right", POSITIONS, EDGES) == "c"
    assert neighbour("c", "left", POSITIONS, EDGES) == "b"
    # a feeds nothing: by position, c straight ahead beats "far" (farther off to the side).
    assert neighbour("a", "right", POSITIONS, EDGES) == "c"
    assert neighbour("a", "down", POSITIONS, EDGES) == "b"
    assert neighbour("b", "up", POSITIONS, EDGES) == "a"
    assert neighbour("in", "left", POSITIONS, EDGES) is None


def _key(k, mod=Qt.KeyboardModifier.NoModifier):
    QTest.keyClick(QApplication.focusWidget(), k, mod)


def test_arrows_select_and_alt_arrows_move(window):
    doc, scene = window.document, window.scene
    window.view.setFocus()
    scene.clearSelection()
    _key(Qt.Key.Key_Right)  # nothing selected: the first layer
    assert scene.selected_node_ids() == ["input1"]
    _key(Qt.Key.Key_Right)
    _key(Qt.Key.Key_Right)
    assert scene.selected_node_ids() == ["dense2"]
    assert window.inspector.node_id == "dense2"  # the inspector follows
    x, y = doc.node("dense2").position
    _key(Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    _key(Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert doc.node("dense2").position == (x + GRID, y + GRID)
    assert window.undo_stack.undoText() == "Move dense2 right"
    window.editor.undo()
    assert doc.node("dense2").position == (x, y + GRID)


def test_connect_to_lists_only_layers_that_accept_the_output(window, qtbot):
    doc = window.document
    window.editor.remove([], [e for e in doc.graph.edges if e.target == "dense3"])
    window.view.setFocus()
    window.scene.select_nodes(["dense2"])
    _key(Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    chooser = window.layer_actions.chooser
    qtbot.waitUntil(lambda: QApplication.focusWidget() is chooser.search)
    # Not itself, not the Input (takes no input), not dense1 (a cycle), not dense3's...
    assert chooser.visible_values() == ["dense3"]
    _key(Qt.Key.Key_Return)
    assert doc.graph.inputs_of("dense3") == ["dense2"]
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.view)


def test_palette_down_moves_into_the_list_and_enter_adds(window):
    panel = window.palette_panel
    _key(Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is panel.search
    QTest.keyClicks(panel.search, "pool")
    _key(Qt.Key.Key_Down)
    assert QApplication.focusWidget() is panel.tree
    assert panel.tree.currentItem().text(0) == "MaxPool2D"
    _key(Qt.Key.Key_Down)
    assert panel.tree.currentItem().text(0) == "AvgPool2D"


def test_inspector_tab_goes_down_the_form(window):
    window.scene.select_nodes(["dense1"])
    inspector = window.inspector
    chain = [w for w in visual_focus_chain(inspector) if w.isVisible()]
    form = inspector.form
    assert chain[:4] == [inspector.name_edit, form.widget("units"), form.widget("activation"),
                         form.widget("use_bias")]
    assert chain[-1] is inspector.frozen
    inspector.focus_layer(rename=True)
    order = [QApplication.focusWidget()]
    for _ in range(len(chain) - 1):
        _key(Qt.Key.Key_Tab)
        order.append(QApplication.focusWidget())
    assert order == chain


def test_tab_leaves_the_description_and_escape_returns_to_the_canvas(window):
    window.scene.clearSelection()
    inspector = window.inspector
    description = inspector.project_description
    description.setFocus()
    before = window.document.project.description
    _key(Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is not description
    assert window.document.project.description == before
    assert "\t" not in description.toPlainText()
    description.setFocus()
    _key(Qt.Key.Key_Escape)
    assert QApplication.focusWidget() is window.view


def test_escape_first_gives_back_a_refused_layer_name(window):
    window.scene.select_nodes(["dense1"])
    window.layer_actions.act_rename.trigger()
    edit = window.inspector.name_edit
    QTest.keyClicks(edit, "dense2")  # taken
    _key(Qt.Key.Key_Return)
    assert window.inspector.name_error_text()
    _key(Qt.Key.Key_Escape)
    assert QApplication.focusWidget() is edit and edit.text() == "dense1"
    _key(Qt.Key.Key_Escape)
    assert QApplication.focusWidget() is window.view


def _tab_through(window, start_key) -> list:
    """Go to a panel (Ctrl+digit) and Tab until the keyboard leaves it; the widgets
    visited."""
    _key(start_key, Qt.KeyboardModifier.ControlModifier)
    first = QApplication.focusWidget()
    dock = next(d for d in window._docks() if d.isAncestorOf(first))
    seen = [first]
    for _ in range(60):
        _key(Qt.Key.Key_Tab)
        w = QApplication.focusWidget()
        if not dock.isAncestorOf(w) or w in seen:
            break
        seen.append(w)
    return seen


def _top(w) -> int:
    return w.mapToGlobal(w.rect().topLeft()).y()


def test_tab_goes_down_every_panel_as_it_reads(window):
    window.scene.select_nodes(["dense1"])
    for digit, least in ((Qt.Key.Key_2, 6), (Qt.Key.Key_3, 3), (Qt.Key.Key_4, 10)):
        visited = _tab_through(window, digit)
        assert len(visited) >= least, [type(w).__name__ for w in visited]
        tops = [_top(w) for w in visited]
        assert tops == sorted(tops), [(w.accessibleName(), y) for w, y in zip(visited, tops)]


def test_tab_order_holds_after_the_optimizer_form_is_rebuilt(window):
    panel = window.training_panel
    _key(Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    _key(Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is panel.form_for("optimizer").widget("optimizer")
    QTest.qWait(QApplication.keyboardInputInterval() + 50)
    QTest.keyClicks(QApplication.focusWidget(), "r")  # RMSprop: its own fields, built now
    assert window.document.training.optimizer == "rmsprop"
    _key(Qt.Key.Key_Tab)
    _key(Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is panel.nested["optimizer"].widget("rho")
