"""Run ▸ Find Learning Rate (issue 14, item 3): the sweep's curve and suggestion equal the
engine's, the network and the project stay untouched, "Use This Rate" is one undo step,
Cancel stops the sweep, and a run or a broken network refuses it."""

from __future__ import annotations

import math
import threading
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt

from nncore.lr_finder import lr_range_test
from nncore.project import load_project
from nncore.run import build_network, check_run, prepare_data

EXAMPLES = Path(__file__).parents[2] / "resources" / "examples"


def _engine_sweep(path: Path):
    project = load_project(path)
    data = prepare_data(project.data, path.parent)
    net = build_network(project)
    run = check_run(net, data, project.training)
    return lr_range_test(net, project.training, run.x, run.y)


def _find(qtbot, w):
    w.findChild(type(w.lr_finder.act_find), "actionFindLearningRate").trigger()
    qtbot.waitUntil(lambda: w.lr_finder.job is None and w.lr_finder.result is not None,
                    timeout=30000)
    return w.lr_finder.dialog


def test_the_plot_and_the_suggestion_are_the_engines_and_use_is_one_undo_step(qtbot, window):
    path = EXAMPLES / "digits_mlp.json"
    assert window.open_project(path, as_copy=True)
    project_before = window.document.project.to_dict()
    net = window.training.current_network()
    weights_before = {k: v.copy() for k, v in net.get_weights().items()}
    steps = window.undo_stack.count()

    dialog = _find(qtbot, window)
    want = _engine_sweep(path)
    # The curves drawn are the engine's, and the line sits at the suggested rate.
    xs, ys = dialog.raw_curve.getData()
    assert np.allclose(10 ** xs, want.rates) and np.array_equal(ys, want.losses)
    assert np.array_equal(dialog.smooth_curve.getData()[1], want.smoothed)
    assert math.isclose(dialog.marker.value(), math.log10(want.suggestion))
    text = dialog.text.text()
    assert f"Suggested learning rate: {want.suggestion:.3g}</b>" in text
    assert f"The project uses {project_before['training']['learning_rate']:g}" in text
    assert f"Swept {len(want.rates)} of 100 steps from 1e-07" in text
    # Nothing changed: not the project, not the window's network.
    assert window.document.project.to_dict() == project_before
    assert window.undo_stack.count() == steps
    for k, v in window.training.current_network().get_weights().items():
        assert np.array_equal(v, weights_before[k])

    qtbot.mouseClick(dialog.use_button, Qt.MouseButton.LeftButton)
    rate = float(f"{want.suggestion:.3g}")
    assert window.document.training.learning_rate == rate
    assert window.undo_stack.count() == steps + 1
    after = window.document.project.to_dict()
    after["training"]["learning_rate"] = project_before["training"]["learning_rate"]
    assert after == project_before  # only the rate changed
    assert window.training_panel.form_for("learning_rate").value("learning_rate") == rate
    window.editor.undo()
    assert window.document.project.to_dict() == project_before


def test_cancel_stops_the_sweep(qtbot, window, monkeypatch):
    import nncore.run

    assert window.open_project(EXAMPLES / "xor.json", as_copy=True)
    clicked = threading.Event()
    prepare = nncore.run.prepare_data
    monkeypatch.setattr(nncore.run, "prepare_data",
                        lambda *a, **k: (clicked.wait(10), prepare(*a, **k))[1])
    assert window.lr_finder.find()
    dialog = window.lr_finder.dialog
    assert dialog.cancel_button.isVisible() and not dialog.use_button.isEnabled()
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    clicked.set()
    qtbot.waitUntil(lambda: window.lr_finder.job is None, timeout=20000)
    assert dialog.text.text() == "Cancelled."
    assert window.lr_finder.result is None and not dialog.use_button.isEnabled()
    assert dialog.raw_curve.getData()[0] is None or len(dialog.raw_curve.getData()[0]) == 0


def test_refused_while_training_and_for_a_broken_network(qtbot, window, dialog_log):
    assert window.open_project(EXAMPLES / "xor.json", as_copy=True)
    window.training_panel.form_for("epochs").widget("epochs").setValue(100000)
    window.training.train()
    qtbot.waitUntil(lambda: window.training.state == "running", timeout=20000)
    try:
        assert not window.lr_finder.act_find.isEnabled()
        assert not window.lr_finder.find()
        title, text, detail = dialog_log.last
        assert title == "Find learning rate" and "training is running" in detail
    finally:
        window.training.stop()
        qtbot.waitUntil(lambda: not window.training.active, timeout=30000)
    assert window.lr_finder.act_find.isEnabled()
    window.editor.remove([], [window.document.graph.edges[0]])
    assert not window.lr_finder.find()
    assert "the network has problems" in dialog_log.last[2]
    assert window.lr_finder.dialog is None


def test_training_at_the_used_rate_reaches_the_examples_bar(qtbot, window):
    """The issue's check, in the window: xor trained at the rate its sweep suggests."""
    assert window.open_project(EXAMPLES / "xor.json", as_copy=True)
    dialog = _find(qtbot, window)
    qtbot.mouseClick(dialog.use_button, Qt.MouseButton.LeftButton)
    dialog.close()
    assert window.document.training.learning_rate == float(
        f"{window.lr_finder.result.suggestion:.3g}")
    window.findChild(type(window.lr_finder.act_find), "actionTrain").trigger()
    qtbot.waitUntil(lambda: window.training.active, timeout=10000)
    qtbot.waitUntil(lambda: not window.training.active, timeout=120000)
    run = window.training.history.selected_run()
    assert run.settings.learning_rate == window.document.training.learning_rate
    assert run.final_metrics()["val_accuracy"] >= 0.97  # README's bar for xor
