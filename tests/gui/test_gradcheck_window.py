"""Run ▸ Check Gradients (issue 14, item 2): the table equals the engine's check, a broken
layer gradient shows as a failure in the table and on its node, and the marks go when
the project changes."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt

from app.understanding.lint_marks import MARK_COLORS, mark_of
from nncore.gradcheck import gradcheck
from nncore.layers.core import Dense
from nncore.project import load_project

XOR = Path(__file__).parents[2] / "resources" / "examples" / "xor.json"


def _run_check(qtbot, w):
    w.findChild(type(w.gradcheck.act_check), "actionCheckGradients").trigger()
    dialog = w.gradcheck.dialog
    qtbot.waitUntil(lambda: w.gradcheck.job is None and dialog.table.rowCount() > 0,
                    timeout=20000)
    return dialog


def _table(dialog) -> list[list[str]]:
    t = dialog.table
    return [[t.item(i, j).text() for j in range(t.columnCount())] for i in range(t.rowCount())]


def test_the_table_shows_the_engines_numbers_and_the_nodes_pass(qtbot, window):
    assert window.open_project(XOR, as_copy=True)
    dialog = _run_check(qtbot, window)
    check = gradcheck(load_project(XOR), XOR.parent, samples=8)
    assert _table(dialog) == [
        [r.node_id, r.array, f"{r.checked}/{r.size}", str(r.kinks),
         f"{r.max_rel_error:.2e}", "pass"] for r in check.rows]
    assert dialog.verdict.text().startswith("passed: every relative error is within 1e-05")
    assert "initial weights (seed 0)" in dialog.intro.text()
    assert dialog.table.item(0, 5).background().color().name() == MARK_COLORS["pass"]
    for node in ("dense1", "dense2"):
        mark = mark_of(window.scene.nodes[node], "gradcheck")
        worst = max(r.max_rel_error for r in check.rows if r.node_id == node)
        assert mark.mark.level == "pass" and mark.mark.text == f"∂ ✓ {worst:.0e}"
    assert mark_of(window.scene.nodes["input1"], "gradcheck") is None
    # The marks hold until the project changes.
    window.editor.set_param("dense1", "units", 6)
    assert all(mark_of(i, "gradcheck") is None for i in window.scene.nodes.values())


def test_a_broken_backward_fails_in_the_table_and_on_its_node(qtbot, window, monkeypatch):
    original = Dense.backward

    def broken(self, grad):
        result = original(self, grad)
        if self.grads["W"].shape == (2, 8):  # dense1 only: its weight gradient 10 % too large
            self.grads["W"] *= 1.1
        return result

    monkeypatch.setattr(Dense, "backward", broken)
    assert window.open_project(XOR, as_copy=True)
    dialog = _run_check(qtbot, window)
    rows = {(r[0], r[1]): r for r in _table(dialog)}
    assert rows[("dense1", "W")][5] == "FAIL"
    assert float(rows[("dense1", "W")][4]) > 0.05
    assert rows[("dense1", "b")][5] == "pass" and rows[("dense2", "W")][5] == "pass"
    i = list(rows).index(("dense1", "W"))
    assert dialog.table.item(i, 5).background().color().name() == MARK_COLORS["fail"]
    assert dialog.verdict.text().startswith("FAILED: 1 of 6 arrays exceed 1e-05; "
                                            "back-propagation first goes wrong at layer "
                                            "'dense1', W")
    fail = mark_of(window.scene.nodes["dense1"], "gradcheck")
    assert fail.mark.level == "fail" and fail.mark.text.startswith("∂ ✗")
    assert "W: FAIL" in fail.toolTip()
    assert mark_of(window.scene.nodes["dense2"], "gradcheck").mark.level == "pass"
    # Double-clicking the failing row shows its layer.
    table = dialog.table
    rect = table.visualItemRect(table.item(i, 1))
    qtbot.mousePress(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseRelease(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.scene.selected_node_ids() == ["dense1"]


def test_the_check_uses_the_trained_weights_when_the_window_has_them(qtbot, window):
    assert window.open_project(XOR, as_copy=True)
    window.training_panel.form_for("epochs").widget("epochs").setValue(3)
    window.training.train()
    qtbot.waitUntil(lambda: not window.training.active, timeout=30000)
    net = window.training.trained.network
    before = {k: v.copy() for k, v in net.get_weights().items()}
    dialog = _run_check(qtbot, window)
    assert "the current trained weights" in dialog.intro.text()
    from nncore.weights import WeightsFile

    check = gradcheck(window.document.snapshot(), XOR.parent, samples=8,
                      weights=WeightsFile({k: v.copy() for k, v in before.items()}))
    assert [r[4] for r in _table(dialog)] == [f"{r.max_rel_error:.2e}" for r in check.rows]
    # The check ran on a float64 copy: the window's weights are as they were.
    for k, v in net.get_weights().items():
        assert np.array_equal(v, before[k])


def test_cancel_and_refusals(qtbot, window, dialog_log, monkeypatch):
    import nncore.run

    assert window.open_project(XOR, as_copy=True)
    # The check's thread waits in its data preparation until Cancel has been clicked.
    clicked = threading.Event()
    prepare = nncore.run.prepare_data
    monkeypatch.setattr(nncore.run, "prepare_data",
                        lambda *a, **k: (clicked.wait(10), prepare(*a, **k))[1])
    assert window.gradcheck.check()
    dialog = window.gradcheck.dialog
    assert dialog.cancel_button.isVisible() and dialog.progress.isVisible()
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    clicked.set()
    qtbot.waitUntil(lambda: window.gradcheck.job is None, timeout=20000)
    assert dialog.verdict.text() == "Cancelled." and dialog.table.rowCount() == 0
    assert not dialog.cancel_button.isVisible() and dialog.again_button.isEnabled()
    assert all(mark_of(i, "gradcheck") is None for i in window.scene.nodes.values())
    dialog.close()
    # A network with a problem is refused with the problem named.
    edge = window.document.graph.edges[0]
    window.editor.remove([], [edge])
    assert not window.gradcheck.check()
    title, text, detail = dialog_log.last
    assert title == "Check gradients" and "problems" in text and detail


def test_closing_the_window_ends_a_running_check(qtbot, window, monkeypatch):
    import threading

    from app.understanding import gradcheck_part

    # The check is held after its first array until the test closes the window, so it is
    # still running then however fast the machine is.
    release = threading.Event()
    real = gradcheck_part.gradcheck

    def held(*args, progress=None, **kwargs):
        def report(done, total):
            progress(done, total)
            release.wait(20)
        return real(*args, progress=report, **kwargs)

    monkeypatch.setattr(gradcheck_part, "gradcheck", held)
    assert window.open_project(XOR.parent / "digits_cnn.json", as_copy=True)
    assert window.gradcheck.check()
    job = window.gradcheck.job
    qtbot.waitUntil(lambda: window.gradcheck.dialog.progress.maximum() > 0, timeout=20000)
    assert job.isRunning()
    window.files.marked_modified = False
    window.undo_stack.setClean()
    release.set()
    window.close()
    assert job.cancel_requested and job.isFinished()


def test_a_change_during_the_check_leaves_the_nodes_unmarked(qtbot, window, monkeypatch):
    import nncore.run

    assert window.open_project(XOR, as_copy=True)
    edited = threading.Event()
    prepare = nncore.run.prepare_data
    monkeypatch.setattr(nncore.run, "prepare_data",
                        lambda *a, **k: (edited.wait(10), prepare(*a, **k))[1])
    assert window.gradcheck.check()
    window.editor.set_param("dense1", "units", 4)  # while the check runs
    edited.set()
    qtbot.waitUntil(lambda: window.gradcheck.job is None, timeout=20000)
    dialog = window.gradcheck.dialog
    assert dialog.table.item(0, 2).text() == "16/16"  # the project as it was: 8 units
    assert "The project changed while it ran" in dialog.verdict.text()
    assert all(mark_of(i, "gradcheck") is None for i in window.scene.nodes.values())


def test_closing_the_window_closes_its_tool_windows(make_window, qtbot):
    w = make_window()
    w.gradcheck.act_check.trigger()
    dialog = w.gradcheck.dialog
    qtbot.waitUntil(lambda: dialog is not None and dialog.isVisible())
    w.files.marked_modified = False
    w.undo_stack.setClean()
    assert w.close()
    assert not dialog.isVisible()
