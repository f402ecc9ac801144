"""Lint in the window (issue 14, item 1): marks on the nodes and beside the settings
fields, the Checks dock with one-click fixes and reveal; nothing on the shipped
examples."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor

from app.understanding.lint_marks import MARK_COLORS, mark_of
from nncore.lint import lint
from nncore.project import load_project

EXAMPLES = sorted((Path(__file__).parents[2] / "resources" / "examples").glob("*.json"))


def _settled(qtbot, w) -> None:
    qtbot.waitUntil(lambda: not w.lint.checker.busy, timeout=10000)


def _open(qtbot, w, path: Path) -> None:
    assert w.open_project(path, as_copy=True)
    _settled(qtbot, w)


def _field_warnings(w) -> dict[str, str]:
    out = {}
    forms = [*w.training_panel.forms.values(), w.data_panel.split_form]
    for form in forms:
        for name in form.fields:
            if form.warning(name):
                out[name] = form.warning(name)
    return out


def _card(w, rule: str):
    cards = [c for c in w.lint.panel.cards if c.finding.rule == rule]
    assert cards, [c.finding.rule for c in w.lint.panel.cards]
    return cards[0]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_the_shipped_examples_show_no_marks(qtbot, window, path):
    _open(qtbot, window, path)
    findings = window.lint.findings
    project = load_project(path)
    # The window linted this project with its data (the engine agrees: nothing to say).
    assert [f.line() for f in findings] == [f.line() for f in lint(project, path.parent)]
    assert not [f for f in findings if f.severity != "note"]
    assert all(mark_of(item, "lint") is None for item in window.scene.nodes.values())
    assert _field_warnings(window) == {}
    assert window.lint.panel.cards == [] and window.lint.status_button.isHidden()
    assert window.lint.dock.windowTitle() == "Checks"
    assert "No problems found" in window.lint.panel.summary.text()


def test_a_node_warning_is_drawn_on_the_node_and_fixed_in_one_undo_step(qtbot, window):
    _open(qtbot, window, EXAMPLES[[p.stem for p in EXAMPLES].index("xor")])
    steps = window.undo_stack.count()
    assert window.editor.set_param("dense1", "activation", "linear") is None
    _settled(qtbot, window)
    mark = mark_of(window.scene.nodes["dense1"], "lint")
    assert mark is not None and mark.mark.level == "warning"
    assert "no activation" in mark.toolTip() and "W2 (W1 x + b1) + b2" in mark.toolTip()
    assert mark_of(window.scene.nodes["dense2"], "lint") is None
    # What the person reads: the status bar's count, the dock's title, the card.
    assert window.lint.status_button.isVisible()
    assert window.lint.status_button.text() == "⚠ 1 warning"
    assert window.lint.dock.windowTitle() == "Checks (1)"
    card = _card(window, "linear-stack")
    assert "Dense 'dense1' has no activation" in card.text.text()
    # The mark is drawn where it says: amber pixels at the node's top-left corner.
    view = window.view
    window.view.centerOn(window.scene.nodes["dense1"])
    qtbot.wait(50)
    image = view.viewport().grab().toImage()
    corner = view.mapFromScene(window.scene.nodes["dense1"].scenePos())
    amber = QColor(MARK_COLORS["warning"])
    near = [QColor(image.pixel(corner + QPoint(dx, dy)))
            for dx in range(-6, 7) for dy in range(-6, 7)]
    assert any(abs(c.red() - amber.red()) + abs(c.green() - amber.green())
               + abs(c.blue() - amber.blue()) < 40 for c in near)

    # Clicking the card reveals the node; Fix applies relu as one undo step.
    window.scene.clearSelection()
    qtbot.mouseClick(card, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    assert window.scene.selected_node_ids() == ["dense1"]
    qtbot.mouseClick(card.fix_button, Qt.MouseButton.LeftButton)
    assert window.document.node("dense1").params["activation"] == "relu"
    assert window.undo_stack.count() == steps + 2
    assert window.undo_stack.undoText().startswith("Fix: give 'dense1' an activation")
    _settled(qtbot, window)
    assert mark_of(window.scene.nodes["dense1"], "lint") is None
    assert window.lint.status_button.isHidden()
    window.editor.undo()
    assert window.document.node("dense1").params["activation"] == "linear"
    _settled(qtbot, window)
    assert mark_of(window.scene.nodes["dense1"], "lint") is not None


def test_settings_warnings_sit_beside_their_fields(qtbot, window):
    _open(qtbot, window, EXAMPLES[[p.stem for p in EXAMPLES].index("xor")])
    # The person types a learning rate of 5 and a validation fraction of 0.05.
    lr = window.training_panel.form_for("learning_rate").widget("learning_rate")
    lr.setValue(5.0)
    val = window.data_panel.split_form.widget("val_fraction")
    val.setValue(0.05)
    _settled(qtbot, window)
    warnings = _field_warnings(window)
    assert set(warnings) == {"learning_rate", "val_fraction"}
    assert "far above Adam's usual range 1e-05 to 0.1" in warnings["learning_rate"]
    # 400 samples, 5 % held out: 20 validation samples.
    assert "The validation split holds 20 samples" in warnings["val_fraction"]
    icon = window.training_panel.form_for("learning_rate").fields["learning_rate"].warning_icon
    assert icon.toolTip() and not icon.pixmap().isNull()
    assert all(mark_of(item, "lint") is None for item in window.scene.nodes.values())

    # Clicking the card shows the field: its dock comes to the front.
    window.inspector_dock.raise_()
    qtbot.mouseClick(_card(window, "learning-rate").show_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.training_panel.isVisible())
    # Fix: the range's geometric middle for Adam; the warning goes.
    qtbot.mouseClick(_card(window, "small-validation").fix_button, Qt.MouseButton.LeftButton)
    assert window.document.data.val_fraction == 0.1  # 40 of 400 samples
    qtbot.mouseClick(_card(window, "learning-rate").fix_button, Qt.MouseButton.LeftButton)
    assert window.document.training.learning_rate == 0.001
    _settled(qtbot, window)
    assert _field_warnings(window) == {}
    assert icon.isHidden()


def test_a_fix_refused_while_training_says_why(qtbot, window):
    _open(qtbot, window, EXAMPLES[[p.stem for p in EXAMPLES].index("xor")])
    window.editor.set_param("dense1", "activation", "linear")
    _settled(qtbot, window)
    window.editor.set_locked("training is running")
    try:
        reason = window.lint.fix(_card(window, "linear-stack").finding)
    finally:
        window.editor.set_locked(None)
    assert reason == "training is running"
    assert "Not fixed: training is running" in window.lint.panel.message.text()
    assert window.document.node("dense1").params["activation"] == "linear"
