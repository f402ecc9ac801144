"""The inspector, the model summary and the training settings panel."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QSpinBox

from app.panels.forms import SciSpinBox, format_float, parse_shape
from app.theme import colors
from nncore.optimizers import OPTIMIZERS
from nncore.registry import layer_class
from nncore.spec import EdgeSpec


def _type_into(widget, text: str) -> None:
    """Select all and type ``text`` then Enter, like a person."""
    widget.setFocus()
    line = widget.lineEdit() if hasattr(widget, "lineEdit") else widget
    line.selectAll()
    QTest.keyClicks(line, text)
    QTest.keyClick(line, Qt.Key.Key_Return)


def _plain(tooltip: str) -> str:
    """The text a (rich-text) tooltip shows."""
    doc = QTextDocument()
    doc.setHtml(tooltip)
    return doc.toPlainText()


def test_form_is_built_from_the_schema(window):
    window.scene.select_nodes(["dense1"])
    form = window.inspector.form
    schema = layer_class("Dense").schema
    assert list(form.fields) == [p.name for p in schema]
    kinds = {QSpinBox: "int", QComboBox: "choice", QCheckBox: "bool"}
    for p in schema:
        w = form.widget(p.name)
        assert kinds.get(type(w), p.kind) == p.kind
        assert _plain(w.toolTip()) == p.help
    units = form.widget("units")
    assert (units.minimum(), units.maximum()) == (1, 1_000_000)
    act = form.widget("activation")
    assert [act.itemData(i) for i in range(act.count())] == \
        list(next(p for p in schema if p.name == "activation").choices)
    assert act.currentData() == "tanh" and units.value() == 16


def test_inspector_edit_changes_document_and_undo_restores(window):
    doc = window.document
    window.scene.select_nodes(["dense1"])
    units = window.inspector.form.widget("units")
    _type_into(units, "32")
    assert doc.node("dense1").params["units"] == 32
    # The canvas and the analysis follow: 2*32+32 = 96 parameters.
    assert doc.analysis.params["dense1"] == (96, 96)
    assert "units 32" in window.scene.nodes["dense1"].key_text
    assert window.inspector.params_label.text() == "96"
    window.undo_stack.undo()
    assert doc.node("dense1").params["units"] == 16
    assert units.value() == 16
    assert doc.analysis.params["dense1"] == (48, 48)
    window.undo_stack.redo()
    assert units.value() == 32


def test_choice_and_bool_edits_are_undoable(window):
    doc = window.document
    window.scene.select_nodes(["dense2"])
    form = window.inspector.form
    form.widget("activation").setCurrentIndex(form.widget("activation").findData("relu"))
    form.widget("use_bias").setChecked(False)
    assert doc.node("dense2").params["activation"] == "relu"
    assert doc.node("dense2").params["use_bias"] is False
    assert doc.analysis.params["dense2"] == (256, 256)
    window.undo_stack.undo()
    window.undo_stack.undo()
    assert doc.node("dense2").params == {"units": 16, "activation": "tanh"}


def test_shape_field_parses_and_rejects(window):
    doc = window.document
    window.scene.select_nodes(["input1"])
    form = window.inspector.form
    edit = form.widget("shape")
    assert isinstance(edit, QLineEdit) and edit.text() == "2"
    _type_into(edit, "1, 8, 8")
    assert doc.node("input1").params["shape"] == (1, 8, 8)
    # Dense after an image input is now an error the inspector shows for that node.
    window.scene.select_nodes(["dense1"])
    assert "flat input" in window.inspector.error_label.text()
    window.scene.select_nodes(["input1"])
    _type_into(window.inspector.form.widget("shape"), "0, -3")
    assert doc.node("input1").params["shape"] == (1, 8, 8)
    assert "shape must be a list of positive integers" in form.error_text()
    assert parse_shape("[1, 8, 8]") == [1, 8, 8] and parse_shape("(2,)") == [2]
    assert parse_shape("3x4") == [3, 4]


def test_rename_keeps_edges_and_rejects_duplicates(window):
    doc = window.document
    window.scene.select_nodes(["dense2"])
    name = window.inspector.name_edit
    _type_into(name, "hidden")
    assert "hidden" in doc.graph.ids() and "dense2" not in doc.graph.ids()
    assert EdgeSpec("dense1", "hidden") in doc.graph.edges
    assert EdgeSpec("hidden", "dense3") in doc.graph.edges
    assert window.scene.nodes["hidden"].node_id == "hidden"
    assert ("dense1", "hidden") in window.scene.links
    assert doc.analysis.ok
    _type_into(name, "dense1")
    assert "hidden" in doc.graph.ids()
    assert name.text() == "dense1"  # kept, with the reason under it, until fixed
    assert "already named 'dense1'" in window.inspector.name_error_text()
    _type_into(name, "bad/name")
    assert "not a valid node name" in window.inspector.name_error_text()
    QTest.keyClick(name, Qt.Key.Key_Escape)
    assert name.text() == "hidden" and window.inspector.name_error_text() == ""
    window.undo_stack.undo()
    assert "dense2" in doc.graph.ids()
    assert EdgeSpec("dense1", "dense2") in doc.graph.edges


def test_a_refused_name_says_why_under_the_field_and_keeps_what_was_typed(window, qtbot):
    insp = window.inspector
    window.scene.select_nodes(["dense2"])
    name = insp.name_edit
    _type_into(name, "dense1")
    label = insp.name_error
    # Under the name field, in the error colour, with the editor's own reason.
    assert label.isVisible()
    assert label.text() == ("Cannot rename: another node is already named 'dense1'. "
                            "Press Esc to keep the name “dense2”.")
    assert label.palette().color(label.foregroundRole()) == colors().error
    field, below = name.geometry(), label.geometry()
    assert below.top() >= field.bottom() and below.left() == field.left()
    assert name.text() == "dense1" and window.document.has_node("dense2")
    # Leaving the field keeps the text and the reason; fixing the name clears them.
    window.view.setFocus()
    qtbot.waitUntil(lambda: not name.hasFocus())
    assert name.text() == "dense1" and label.isVisible()
    _type_into(name, "  ")
    assert insp.name_error_text() == ("Cannot rename: a node name cannot be empty. "
                                      "Press Esc to keep the name “dense2”.")
    _type_into(name, "hidden")
    assert window.document.has_node("hidden") and not label.isVisible()
    # Escape gives the old name back; another node's page starts clean.
    _type_into(name, "bad/name")
    assert "not a valid node name" in label.text()
    QTest.keyClick(name, Qt.Key.Key_Escape)
    assert name.text() == "hidden" and not label.isVisible()
    _type_into(name, "dense1")
    window.scene.select_nodes(["dense3"])
    assert name.text() == "dense3" and not label.isVisible()


def test_frozen_checkbox(window):
    window.scene.select_nodes(["dense1"])
    window.inspector.frozen.setChecked(True)
    assert window.document.node("dense1").frozen
    assert window.document.analysis.params["dense1"] == (0, 48)
    window.undo_stack.undo()
    assert not window.document.node("dense1").frozen
    assert not window.inspector.frozen.isChecked()


def test_inspector_shows_node_error_immediately(window):
    window.editor.remove([], [EdgeSpec("input1", "dense1")])
    window.scene.select_nodes(["dense1"])
    assert not window.inspector.error_label.isHidden()
    assert "no input connected" in window.inspector.error_label.text()
    window.undo_stack.undo()
    assert window.inspector.error_label.isHidden()


def test_project_name_edit_changes_title(window):
    window.scene.clearSelection()
    _type_into(window.inspector.project_name, "Spirals v2")
    assert window.document.project.name == "Spirals v2"
    assert window.windowHandle().title() == "Spirals v2*"
    window.undo_stack.undo()
    assert window.windowHandle().title() == "Spiral"


def test_summary_rows_and_totals(window):
    rows = window.summary.rows()
    assert rows == [("input1", "Input", "2", "0"), ("dense1", "Dense", "16", "48"),
                    ("dense2", "Dense", "16", "272"), ("dense3", "Dense", "2", "34")]
    assert "Total parameters: 354" in window.summary.totals.text()
    window.editor.set_param("dense2", "units", 8)
    assert window.summary.rows()[2] == ("dense2", "Dense", "8", "136")
    assert "Total parameters: 202" in window.summary.totals.text()  # 48 + 136 + 18


def test_training_panel_optimizer_form_rebuilds_and_undo(window):
    doc, panel = window.document, window.training_panel
    combo = panel.form_for("optimizer").widget("optimizer")
    assert list(panel.nested["optimizer"].fields) == [p.name for p in OPTIMIZERS["adam"].schema]
    combo.setCurrentIndex(combo.findData("momentum"))
    assert doc.training.optimizer == "momentum"
    assert list(panel.nested["optimizer"].fields) == ["momentum"]
    mom = panel.nested["optimizer"].widget("momentum")
    _type_into(mom, "0.5")
    assert doc.training.optimizer_params["momentum"] == 0.5
    window.undo_stack.undo()
    assert doc.training.optimizer_params.get("momentum", 0.9) == 0.9
    window.undo_stack.undo()
    assert doc.training.optimizer == "adam"
    assert list(panel.nested["optimizer"].fields) == [p.name for p in OPTIMIZERS["adam"].schema]


def test_training_panel_covers_every_setting(window):
    from nncore.config import TRAINING_SCHEMA

    panel = window.training_panel
    assert set(panel.forms) == {p.name for p in TRAINING_SCHEMA}
    lr = panel.form_for("learning_rate").widget("learning_rate")
    assert isinstance(lr, SciSpinBox)
    _type_into(lr, "3e-4")
    assert window.document.training.learning_rate == 3e-4
    assert lr.text() == "0.0003"
    clip = panel.form_for("clip_norm").fields["clip_norm"]
    clip._enabled.setChecked(True)
    assert window.document.training.clip_norm == 1.0
    clip._enabled.setChecked(False)
    assert window.document.training.clip_norm is None
    # Early-stopping details are disabled while early stopping is off.
    assert not panel.form_for("patience").fields["patience"].widget.isEnabled()
    panel.form_for("early_stopping").widget("early_stopping").setChecked(True)
    assert panel.form_for("patience").fields["patience"].widget.isEnabled()
    schedule = panel.form_for("schedule").widget("schedule")
    schedule.setCurrentIndex(schedule.findData("step"))
    assert set(panel.nested["schedule"].fields) == {"step_size", "gamma"}
    # Consecutive edits of one setting (clip on, clip off) merge into one undo step.
    assert window.undo_stack.count() == 4
    while window.undo_stack.canUndo():
        window.undo_stack.undo()
    assert window.document.training.to_dict()["learning_rate"] != 3e-4
    assert window.document.training.schedule == "constant"


def test_sci_spinbox_steps_by_leading_digit(qtbot):
    box = SciSpinBox()
    qtbot.addWidget(box)
    box.setRange(1e-9, 10)
    box.setValue(0.01)
    box.stepBy(1)
    assert box.value() == 0.02
    box.setValue(0.01)
    box.stepBy(-1)
    assert box.value() == 0.009
    assert format_float(1e-8) == "1e-8" and format_float(0.001) == "0.001"
    assert box.valueFromText("2.5e-3") == 0.0025


def test_optional_shape_field_cleared_returns_to_its_default(window):
    node = window.editor.add_node("MaxPool2D", (400.0, 300.0))
    window.editor.set_param(node, "strides", [1, 1])
    window.scene.select_nodes([node])
    edit = window.inspector.form.widget("strides")
    assert edit.text() == "1, 1"
    edit.setFocus()
    edit.selectAll()
    QTest.keyClick(edit, Qt.Key.Key_Delete)
    QTest.keyClick(edit, Qt.Key.Key_Return)
    assert window.document.node(node).params.get("strides") is None
    assert window.inspector.form.error_text() == ""
