"""Run > Trace a Sample…: the numbers the trace window shows are those of
:func:`nncore.trace.trace_sample` for the same weights and sample, computed here
independently; tracing while a run is paused leaves the run's weights and optimizer state
bit for bit as they were, and the run resumes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.training.controller import PAUSED, RUNNING
from app.understanding.trace_arrays import HeatStrip, NumberTable
from app.understanding.trace_source import run_is_holding
from app.understanding.trace_steps import num
from nncore.edits import SetNodeParams
from nncore.project import load_project
from nncore.run import build_network, check_run, network_inputs, prepare_data
from nncore.trace import trace_sample

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
TIMEOUT = 60_000


def _xor_window(make_window, tmp_path, **training):
    project = load_project(EXAMPLES / "xor.json")
    for k, v in training.items():
        setattr(project.training, k, v)
    return make_window(project=project, path=tmp_path / "xor.json")


def _expected_initial(w, split: str, index: int):
    """The trace the window should show at the project's initial weights."""
    project = w.document.snapshot()
    data = prepare_data(project.data, w.document.base_dir)
    net = build_network(project)
    trainer = check_run(net, data, project.training).trainer
    part = {"train": data.train, "val": data.val}[split]
    x = network_inputs(net, part.subset([index]))
    return trace_sample(trainer, x, part.y[index:index + 1], project.training.learning_rate)


def _open_step(qtbot, dialog, title_part: str):
    """Walk with Next until the step whose title holds ``title_part``."""
    dialog.go(0)
    while title_part not in dialog.steps[dialog.index].title:
        assert dialog.next_button.isEnabled(), f"no step {title_part!r}"
        qtbot.mouseClick(dialog.next_button, Qt.MouseButton.LeftButton)
    return dialog.shown_arrays()


def _table(arrays, label) -> NumberTable:
    view = arrays[label]
    assert isinstance(view, NumberTable), label
    return view


def test_the_trace_window_shows_the_engines_numbers(make_window, qtbot, tmp_path):
    w = _xor_window(make_window, tmp_path)
    w.trace_samples.act_trace.trigger()
    d = w.trace_samples.dialog
    assert d is not None and d.isVisible()
    d.split_box.setCurrentIndex(d.split_box.findData("val"))
    d.row_box.setValue(3)
    expected = _expected_initial(w, "val", 3)
    assert d.error.isHidden(), d.error.text()
    assert "initial weights" in d.origin.text()
    assert f"loss {num(expected.loss)}" in d.sample.text()
    assert "row 3 of" in d.sample.text() and "(validation)" in d.sample.text()

    arrays = _open_step(qtbot, d, "Forward: dense1")
    z = _table(arrays, "z (pre-activation)")
    np.testing.assert_array_equal(z.values()[0], expected.layer("dense1").pre_activation)
    assert [z.item(0, j).text() for j in range(z.columnCount())] == \
        [num(v) for v in expected.layer("dense1").pre_activation]
    worked = d.page.findChild(type(d.origin), "traceWorked").text()
    z0 = expected.layer("dense1").pre_activation[0]
    assert f"= {num(z0)}" in worked.splitlines()[0]

    # The keyboard walks too: Alt+Right to the loss.
    d.activateWindow()
    qtbot.waitUntil(d.isActiveWindow)
    QTest.keyClick(d, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert "Forward: dense2" in d.steps[d.index].title
    QTest.keyClick(d, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert "Loss" in d.steps[d.index].title
    np.testing.assert_array_equal(_table(d.shown_arrays(), "prediction").values()[0],
                                  expected.prediction)

    arrays = _open_step(qtbot, d, "Backward: dense1")
    np.testing.assert_array_equal(_table(arrays, "dL/dW").values(),
                                  expected.layer("dense1").grad_weights["W"])
    arrays = _open_step(qtbot, d, "Update: dense2")
    np.testing.assert_array_equal(_table(arrays, "change of W").values(),
                                  expected.layer("dense2").updates["W"])
    assert not d.next_button.isEnabled()  # the last step
    d.grab().save(str(tmp_path / "trace_update.png"))

    # The step list jumps; another row traces another sample.
    d.step_list.setCurrentRow(0)
    assert d.counter.text() == f"Step 1 of {len(d.steps)}"
    d.row_box.setValue(4)
    other = _expected_initial(w, "val", 4)
    assert f"loss {num(other.loss)}" in d.sample.text()


def test_large_arrays_are_heat_strips_with_the_value_under_the_mouse(make_window, qtbot,
                                                                     tmp_path):
    w = _xor_window(make_window, tmp_path)
    assert w.editor.apply_edits([SetNodeParams("dense1", {"units": 40})]) is None
    w.trace_samples.show_sample("train", 2)
    d = w.trace_samples.dialog
    assert d.error.isHidden(), d.error.text()
    expected = _expected_initial(w, "train", 2)
    strip = _open_step(qtbot, d, "Forward: dense1")["W"]
    assert isinstance(strip, HeatStrip)  # 2 x 40 = 80 values
    d.resize(1100, 700)
    qtbot.waitUntil(lambda: strip.width() > 0)
    W = expected.layer("dense1").weights["W"]
    rows, cols = strip.matrix.shape
    rect = strip._target()
    at = QPoint(int((7.5 / cols) * rect.width()), int((1.5 / rows) * rect.height()))
    QApplication.sendEvent(strip, QMouseEvent(
        QEvent.Type.MouseMove, QPointF(at), QPointF(strip.mapToGlobal(at)),
        Qt.MouseButton.NoButton, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier))
    assert strip.hovered == ((1, 7), float(W[1, 7]))
    assert strip.valueLabel.text() == f"W[1, 7] = {num(W[1, 7])}"
    # Its colours follow the sign: a positive cell is blue, a negative one orange.
    img = strip.grab().toImage()
    for (i, j) in [(0, 0), (1, 5), (0, 11)]:
        c = img.pixelColor(int((j + 0.5) * rect.width() / cols),
                           int((i + 0.5) * rect.height() / rows))
        if W[i, j] > 0.2:
            assert c.blue() > c.red(), (i, j, W[i, j], c.name())
        elif W[i, j] < -0.2:
            assert c.red() > c.blue(), (i, j, W[i, j], c.name())


def test_trace_while_paused_leaves_the_run_as_it_was(make_window, qtbot, tmp_path):
    w = _xor_window(make_window, tmp_path, epochs=3000)
    assert w.training.train()
    qtbot.waitUntil(lambda: w.training.history.active_run is not None
                    and w.training.history.active_run.epochs_done >= 3, timeout=TIMEOUT)
    run = w.training.history.active_run
    w.training.pause()
    qtbot.waitUntil(lambda: run_is_holding(w.training), timeout=TIMEOUT)
    trainer = w.training.worker.trainer
    weights = trainer.net.params_flat.copy()
    moments = {k: v.copy() for k, v in trainer.optimizer.state.items()}
    rng, step = trainer.net.rng.bit_generator.state, trainer.step

    w.trace_samples.show_sample("val", 5)
    d = w.trace_samples.dialog
    assert d.error.isHidden(), d.error.text()
    assert "paused after step" in d.origin.text()
    part = run.data.val
    x = network_inputs(trainer.net, part.subset([5]))
    expected = trace_sample(trainer, x, part.y[5:6], trainer.config.learning_rate)
    arrays = _open_step(qtbot, d, "Update: dense1")
    np.testing.assert_array_equal(_table(arrays, "change of b").values()[0],
                                  expected.layer("dense1").updates["b"])
    np.testing.assert_array_equal(_table(arrays, "W after the step").values(),
                                  expected.layer("dense1").weights["W"]
                                  + expected.layer("dense1").updates["W"])
    np.testing.assert_array_equal(trainer.net.params_flat, weights)
    for k, v in moments.items():
        np.testing.assert_array_equal(trainer.optimizer.state[k], v)
    assert trainer.net.rng.bit_generator.state == rng and trainer.step == step

    done = run.epochs_done
    w.training.resume()
    assert w.training.state == RUNNING
    qtbot.waitUntil(lambda: run.epochs_done >= done + 3, timeout=TIMEOUT)
    # Tracing while it trains is refused with a message, not a guess.
    d.recompute(reload=True)
    assert d.error.isVisible() and "pause it" in d.error.text()
    w.training.stop()
    qtbot.waitUntil(lambda: not w.training.active, timeout=TIMEOUT)
    d.recompute(reload=True)
    assert d.error.isHidden() and "trained weights" in d.origin.text()
    assert w.training.state != PAUSED


def test_a_heat_strip_of_filters_names_the_entry_under_the_mouse(qtbot):
    a = np.arange(2 * 3 * 2 * 2, dtype=np.float64).reshape(2, 3, 2, 2) - 11.5
    strip = HeatStrip(a, "W")
    qtbot.addWidget(strip)
    strip.resize(strip.sizeHint())
    rect = strip._target()
    rows, cols = strip.matrix.shape  # 2 filters of 3 channels, 2 x 2 each, with gaps
    assert (rows, cols) == (5, 8)
    seen = {}
    for r in range(rows):
        for c in range(cols):
            at = QPoint(int((c + 0.5) * rect.width() / cols), int((r + 0.5) * rect.height()
                                                                   / rows))
            hit = strip.index_at(at)
            if r == 2 or c in (2, 5):
                assert hit is None, (r, c)  # a gap
            else:
                index, value = hit
                assert value == a[index]
                seen[index] = value
    assert len(seen) == a.size
