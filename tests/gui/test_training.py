"""Training in the window: runs on a worker thread, steered by the Run actions; the edit
lock; divergence, errors and early stopping; threads that always end.

Threads are tested by waiting on the session's signals (``runFinished``, ``stateChanged``)
or on conditions the GUI thread sees, never by sleeping a fixed time.
"""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt, QThread
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QGraphicsItem

from app.training.controller import IDLE, PAUSED, RUNNING
from nncore.losses import get_loss
from nncore.network import Network
from nncore.run import network_inputs

TIMEOUT = 60_000


def _run_to_end(qtbot, w, step: bool = False):
    with qtbot.waitSignal(w.training.runFinished, timeout=TIMEOUT) as blocker:
        assert w.training.train(step=step)
    return blocker.args[0]


def _wait_epochs(qtbot, w, n: int) -> None:
    qtbot.waitUntil(lambda: w.training.history.active_run is not None
                    and w.training.history.active_run.epochs_done >= n, timeout=TIMEOUT)


def _wait_state(qtbot, w, state: str) -> None:
    qtbot.waitUntil(lambda: w.training.state == state, timeout=TIMEOUT)


def _wait_idle(qtbot, w) -> None:
    qtbot.waitUntil(lambda: not w.training.active, timeout=TIMEOUT)


def _val_accuracy(run) -> float:
    """Accuracy of the run's final weights on its validation split, computed afresh with the
    engine (not from the plotted values)."""
    net = Network(run.project.graph)
    net.set_weights(run.weights)
    val = run.data.val
    pred = net.predict(network_inputs(net, val)).argmax(axis=1)
    return float(np.mean(pred == val.y))


def _settle(qtbot, w, msec: int = 150) -> None:
    qtbot.wait(msec)
    w.training.frames.redraw_all()
    qtbot.wait(30)


def test_spiral_trains_to_95_percent_with_one_loss_point_per_epoch(window, qtbot, tmp_path):
    w = window
    assert w.document.project.name == "Spiral"
    epochs = w.document.training.epochs
    run = _run_to_end(qtbot, w)
    assert run.status == "completed"
    assert run.finished.epochs_run == epochs
    # The validation accuracy of the final weights, computed independently.
    assert _val_accuracy(run) >= 0.95
    assert run.curves.val_metric.last() == pytest.approx(_val_accuracy(run), abs=1e-9)
    _settle(qtbot, w)
    loss = w.plot_docks.curves.loss_plot
    x, y = loss.train_curve.getData()
    assert len(x) == epochs and list(x) == list(range(1, epochs + 1))
    assert np.allclose(y, run.finished.history.train_loss)
    xv, yv = loss.val_curve.getData()
    assert np.allclose(yv, run.finished.history.val_loss)
    # Per-batch losses: one per batch, smoothed.
    assert len(run.curves.batch_x) == epochs * run.steps_per_epoch
    # The summary names the best validation loss, its epoch, the time and final metrics.
    header = w.plot_docks.curves.header.text()
    best = run.finished.best_epoch
    assert f"at epoch {best}" in header and "val accuracy" in header
    assert f"{run.finished.best_loss:.4g}" in header
    assert w.run_controls.progress.bar.format() == f"Epoch {epochs}/{epochs}"
    # After the run the window is editable again, and the thread has ended.
    assert not w.editor.locked
    assert w.training.thread is None


def test_pause_and_resume_continue_the_same_run(window, qtbot):
    w = window
    w.editor.set_training(epochs=3000)
    assert w.training.train()
    _wait_epochs(qtbot, w, 5)
    run = w.training.history.active_run
    w.training.pause()
    assert w.training.state == PAUSED
    assert not w.run_controls.act_pause.isEnabled() and w.run_controls.act_resume.isEnabled()
    qtbot.waitUntil(lambda: run.status == "paused", timeout=TIMEOUT)
    qtbot.wait(100)
    w.training.drain()
    frozen_at = run.epochs_done
    qtbot.wait(250)
    w.training.drain()
    assert run.epochs_done == frozen_at  # nothing trains while paused
    w.training.resume()
    assert w.training.state == RUNNING
    _wait_epochs(qtbot, w, frozen_at + 5)
    with qtbot.waitSignal(w.training.runFinished, timeout=TIMEOUT):
        w.training.stop()
    assert len(w.training.history.runs) == 1
    epochs = list(run.curves.epoch.data)
    assert epochs == list(range(1, len(epochs) + 1))  # continued, no restart
    assert len(epochs) > frozen_at
    assert run.finished.history.epoch == [int(e) for e in epochs]


def test_step_runs_one_epoch_at_a_time(window, qtbot):
    w = window
    w.training.step()
    _wait_state(qtbot, w, PAUSED)
    qtbot.waitUntil(lambda: w.training.history.active_run.epochs_done == 1, timeout=TIMEOUT)
    run = w.training.history.active_run
    w.training.step()
    qtbot.waitUntil(lambda: run.epochs_done == 2 and w.training.state == PAUSED
                    and run.status == "paused", timeout=TIMEOUT)
    qtbot.wait(150)
    w.training.drain()
    assert run.epochs_done == 2
    with qtbot.waitSignal(w.training.runFinished, timeout=TIMEOUT):
        w.training.stop()
    assert run.status == "stopped" and run.finished.epochs_run == 2


def test_stop_mid_run_keeps_weights_and_the_next_train_continues(window, qtbot):
    w = window
    w.editor.set_training(epochs=5000)
    assert w.training.train()
    _wait_epochs(qtbot, w, 160)
    thread = w.training.thread
    assert isinstance(thread, QThread) and thread.isRunning()
    with qtbot.waitSignal(w.training.runFinished, timeout=TIMEOUT) as blocker:
        w.run_controls.act_stop.trigger()
    run = blocker.args[0]
    assert thread.isFinished()
    assert run.status == "stopped"
    assert 160 <= run.finished.epochs_run < 5000
    assert run.weights is not None and w.training.has_weights
    assert w.run_controls.act_reset.isEnabled() and w.run_controls.act_train.isEnabled()
    # The loss of the stopped run's weights on the training data, evaluated afresh.
    net = Network(run.project.graph)
    net.set_weights(run.weights)
    net.set_fused_output(True)
    loss = get_loss("categorical_crossentropy")
    trained = loss.forward(net.forward(network_inputs(net, run.data.train)),
                           run.data.train.y)
    fresh = run.curves.train_loss.data[0]
    assert trained < 0.6 * fresh
    # The next run starts from those weights: its epochs count on, its first loss is near
    # the trained loss, far from a fresh network's.
    w.editor.set_training(epochs=2)
    run2 = _run_to_end(qtbot, w)
    assert run2.start_epoch == run.finished.epochs_run and run2.continued
    assert list(run2.curves.epoch.data) == [run2.start_epoch + 1, run2.start_epoch + 2]
    first2 = run2.curves.train_loss.data[0]
    assert abs(first2 - trained) < abs(first2 - fresh)
    # Reset weights: the next run starts from the same fresh weights as the first run (same
    # seed), so its first epoch repeats the first run's exactly.
    w.run_controls.act_reset.trigger()
    assert not w.training.has_weights
    run3 = _run_to_end(qtbot, w)
    assert run3.start_epoch == 0 and not run3.continued
    assert run3.curves.train_loss.data[0] == fresh


def test_changing_the_graph_rebuilds_the_network(window, qtbot):
    w = window
    w.editor.set_training(epochs=3)
    run1 = _run_to_end(qtbot, w)
    w.editor.set_param("dense1", "units", 8)
    run2 = _run_to_end(qtbot, w)
    assert run2.start_epoch == 0 and not run2.continued
    assert run2.weights["dense1/W"].shape == (2, 8)
    assert run1.weights["dense1/W"].shape == (2, 16)


def test_close_during_training_stops_cleanly(make_window, qtbot, capfd):
    w = make_window()
    w.editor.set_training(epochs=100000)
    w.undo_stack.setClean()
    before = threading.active_count()
    assert w.training.train()
    _wait_epochs(qtbot, w, 2)
    thread = w.training.thread
    # close() returns only once the thread has ended: after the current batch, not the
    # 100,000 epochs (which would hang the test).
    assert w.close()
    assert thread.isFinished() and not thread.isRunning()
    assert not w.training.active
    qtbot.wait(50)
    assert threading.active_count() == before
    out, err = capfd.readouterr()
    assert err == "" and "Traceback" not in out


def test_the_thread_starts_after_the_window_took_the_run_in(window, qtbot):
    """Train switches the window to the running state first; the training thread starts
    once the repaints that asked for are done (so the two do not compete for the
    interpreter lock while the panels rebuild)."""
    w = window
    w.editor.set_training(epochs=100000)
    painted = []
    bar = w.run_controls.progress.bar
    real_paint = bar.paintEvent
    threads = []

    def paint(ev):
        if threads:
            painted.append(threads[0].isRunning())
        real_paint(ev)

    bar.paintEvent = paint
    try:
        assert w.training.train()
        thread = w.training.thread
        threads.append(thread)
        assert w.training.state == RUNNING and not w.run_controls.act_train.isEnabled()
        assert not thread.isRunning() and not thread.isFinished()
        qtbot.waitUntil(thread.isRunning, timeout=TIMEOUT)
        assert painted and painted[0] is False
        w.training.stop()
        _wait_idle(qtbot, w)
    finally:
        del bar.paintEvent


def test_training_on_new_data_starts_after_the_window_drew_it(window, qtbot):
    """New data: the window draws its points before the first batch (the worker waits for
    it); the same data again: no wait."""
    w = window
    w.editor.set_training(epochs=3)
    seen = []

    def on_data():
        trainer = w.training.worker.trainer
        seen.append(None if trainer is None else trainer.step)

    w.training.dataReady.connect(on_data)
    _run_to_end(qtbot, w)
    assert seen == [None]  # the trainer did not exist yet: nothing trained
    assert w.plot_docks.results.boundary._points_key is not None
    _run_to_end(qtbot, w)  # cached data: DataReady still comes, training does not wait
    assert len(seen) == 2
    w.training.dataReady.disconnect(on_data)


def test_stop_before_the_thread_started_ends_the_run_without_training(window, qtbot):
    w = window
    assert w.training.train()
    thread = w.training.thread
    assert not thread.isRunning()
    w.training.stop()  # before the queued start
    _wait_idle(qtbot, w)
    assert not thread.isRunning() and not thread.isFinished()  # never started
    assert w.training.history.runs == [] and w.training.state == IDLE
    assert w.run_controls.act_train.isEnabled() and not w.editor.locked


def test_a_run_ended_by_shutdown_does_not_end_the_next_one(window, qtbot):
    """The ended run's 'done' signal is still queued when a new project trains at once
    (its run is number 1 again): it must not finish the new run."""
    w = window
    w.editor.set_training(epochs=100000)
    assert w.training.train()
    _wait_epochs(qtbot, w, 2)
    w.training.reset()  # what New and Open do
    assert not w.training.active and w.training.history.runs == []
    assert w.training.train()  # before the old worker's queued signal is delivered
    run = w.training.history.active_run
    assert run.number == 1
    qtbot.wait(200)
    assert w.training.active and w.training.history.active_run is run
    _wait_epochs(qtbot, w, 2)
    assert w.training.thread.isRunning()
    with qtbot.waitSignal(w.training.runFinished, timeout=TIMEOUT):
        w.training.stop()
    assert run.status == "stopped" and run.epochs_done >= 2


def test_shutdown_before_the_thread_started_ends_the_run_cleanly(window, qtbot, capfd):
    w = window
    _run_to_end(qtbot, w)
    weights = w.training.trained.network.get_weights()
    runs = list(w.training.history.runs)
    assert w.training.train()
    thread = w.training.thread
    assert not thread.isRunning()
    w.training.shutdown()
    assert not w.training.active and w.training.state == IDLE
    assert w.training.history.runs == runs  # the run that never trained is not kept
    assert not w.editor.locked and w.run_controls.act_train.isEnabled()
    got = w.training.trained.network.get_weights()
    assert all(np.array_equal(got[k], weights[k]) for k in weights)
    qtbot.wait(50)  # the queued start finds the run gone
    assert not thread.isRunning() and not thread.isFinished()
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("how", ["new", "open"])
def test_new_or_open_during_training_stops_the_run(window, qtbot, capfd, how):
    w = window
    w.editor.set_training(epochs=100000)
    w.undo_stack.setClean()
    assert w.training.train()
    _wait_epochs(qtbot, w, 2)
    thread = w.training.thread
    if how == "new":
        assert w.files.new_project()
    else:
        from app.paths import examples_dir

        assert w.open_project(examples_dir() / "xor.json", as_copy=True)
    assert thread.isFinished()
    assert not w.training.active and w.training.history.runs == []
    assert not w.editor.locked
    assert capfd.readouterr().err == ""


def test_fifty_start_stop_cycles_leave_no_thread(window, qtbot):
    w = window
    w.editor.set_training(epochs=100000)
    baseline = threading.active_count()
    threads: list[QThread] = []
    for _ in range(50):
        assert w.training.train()
        threads.append(w.training.thread)
        qtbot.waitUntil(lambda: w.training.history.active_run is not None
                        and w.training.history.active_run.curves.batch_x.capacity > 0
                        and len(w.training.history.active_run.curves.batch_x) > 0, timeout=TIMEOUT)
        w.training.stop()
        _wait_idle(qtbot, w)
    assert len(threads) == 50 and len(set(map(id, threads))) == 50
    assert all(t.isFinished() and not t.isRunning() for t in threads)
    assert threading.active_count() == baseline
    assert w.training.state == IDLE
    assert len(w.training.history.runs) == 50
    assert all(r.status == "stopped" for r in w.training.history.runs)


def test_undo_history_is_unaffected_by_training(window, qtbot):
    w = window
    w.editor.set_param("dense1", "units", 12)
    w.editor.set_training(epochs=20)
    stack = w.undo_stack
    count, index, clean = stack.count(), stack.index(), stack.isClean()
    title = w.windowTitle()
    _run_to_end(qtbot, w)
    assert (stack.count(), stack.index(), stack.isClean()) == (count, index, clean)
    assert w.windowTitle() == title
    assert w.edit.act_undo.isEnabled()


def test_structural_edits_are_locked_during_a_run(window, qtbot):
    w = window
    w.editor.set_training(epochs=100000)
    doc = w.document
    before = doc.project.to_dict()
    count = w.undo_stack.count()
    assert w.training.train()
    _wait_epochs(qtbot, w, 1)
    w.training.pause()
    assert w.editor.locked
    reasons = []
    w.editor.refused.connect(reasons.append)
    assert w.editor.add_node("Dense", (0, 0)) == ""
    w.editor.remove(["dense3"])
    assert w.editor.set_param("dense1", "units", 4)
    assert w.editor.connect("input1", "dense3")
    assert w.editor.set_data(val_fraction=0.3)
    assert "epochs" in (w.editor.set_training(epochs=5) or "")
    w.scene.select_nodes(["dense2"])
    w.edit.delete_selection()
    assert w.edit.add_layer_after_selection("Dense") == ""
    assert doc.project.to_dict()["network"] == before["network"]
    assert doc.project.to_dict()["data"] == before["data"]
    assert len(reasons) >= 5 and all("training is running" in r or "cannot change" in r
                                     for r in reasons)
    assert "training is running" in w.statusBar().currentMessage()
    # Gestures: ports refuse the connection, nodes still move, the palette is off.
    assert w.editor.connection_refusal("input1", "dense3")
    assert w.scene.nodes["dense1"].flags() & QGraphicsItem.GraphicsItemFlag.ItemIsMovable
    assert not w.palette_panel.tree.isEnabled()
    assert not w.view.acceptDrops()
    assert not w.inspector.form.isEnabled()
    assert not w.training_panel.form_for("epochs").widget("epochs").isEnabled()
    assert w.training_panel.form_for("learning_rate").widget("learning_rate").isEnabled()
    # Undo of an edit of the network is refused while the run lasts.
    assert w.undo_stack.count() == count
    assert not w.editor.undo()
    assert doc.project.to_dict() == before
    # Live settings can change; their undo is allowed.
    assert w.editor.set_training(learning_rate=0.001) is None
    assert w.editor.undo() and doc.training.learning_rate == before["training"]["learning_rate"]
    with qtbot.waitSignal(w.training.runFinished, timeout=TIMEOUT):
        w.training.stop()
    assert not w.editor.locked
    assert w.scene.nodes["dense1"].flags() & QGraphicsItem.GraphicsItemFlag.ItemIsMovable
    assert w.palette_panel.tree.isEnabled() and w.inspector.form.isEnabled()
    assert w.editor.set_param("dense1", "units", 4) is None


def test_live_learning_rate_change_while_paused_applies_on_resume(window, qtbot):
    w = window
    w.editor.set_training(epochs=100000, learning_rate=0.03)
    assert w.training.train()
    _wait_epochs(qtbot, w, 3)
    run = w.training.history.active_run
    w.training.pause()
    qtbot.waitUntil(lambda: run.status == "paused", timeout=TIMEOUT)
    w.training.drain()
    paused_at = run.epochs_done
    assert w.editor.set_training(learning_rate=0.002) is None
    assert "applies on Resume" in w.statusBar().currentMessage()
    w.training.resume()
    _wait_epochs(qtbot, w, paused_at + 3)
    with qtbot.waitSignal(w.training.runFinished, timeout=TIMEOUT):
        w.training.stop()
    lrs = run.finished.history.lr
    # Epochs finished before the pause used 0.03; every epoch ended after it used 0.002
    # (the learning rate the trainer reports for each epoch's last batch).
    assert lrs[:paused_at] == [0.03] * paused_at
    assert len(lrs) > paused_at + 2
    assert all(lr == 0.002 for lr in lrs[paused_at + 1:])


def test_huge_learning_rate_pauses_with_a_divergence_message(window, qtbot, capfd):
    from app.paths import examples_dir

    w = window
    assert w.open_project(examples_dir() / "regression.json", as_copy=True)
    w.editor.set_training(learning_rate=1e6, epochs=30)
    assert w.training.train()
    _wait_state(qtbot, w, PAUSED)
    run = w.training.history.active_run
    qtbot.waitUntil(lambda: run.diverged is not None and w.run_controls.banner.isVisible(),
                    timeout=TIMEOUT)
    text = w.run_controls.banner.message()
    layer = run.diverged.layer
    assert layer in {"dense1", "dense2", "dense3"}
    assert f"Dense '{layer}'" in text
    assert "learning rate" in text and "Resume" in text and "restored" in text
    buttons = w.run_controls.banner.button_texts()
    assert "Lower learning rate to 0.01" in buttons and "Clip gradients at 1" in buttons
    assert w.scene.selected_node_ids() == [layer]
    # The weights were restored to the last good ones (the initial weights: epoch 0).
    assert run.diverged.restored_epoch == 0
    # Lower the rate and resume: the run goes on from the restored weights.
    assert w.editor.set_training(learning_rate=0.005) is None
    w.run_controls.banner.click("Resume")
    assert not w.run_controls.banner.isVisible()
    with qtbot.waitSignal(w.training.runFinished, timeout=TIMEOUT):
        pass
    assert run.status == "completed"
    assert run.finished.epochs_run == 30
    assert all(math.isfinite(v) for v in run.finished.history.train_loss)
    assert all(v == 0.005 for v in run.finished.history.lr)
    assert capfd.readouterr().err == ""


def test_data_that_does_not_fit_names_the_node(window, qtbot, capfd):
    w = window
    w.editor.set_param("input1", "shape", [3])
    assert w.training.train()  # the data is checked on the worker thread
    _wait_idle(qtbot, w)
    text = w.run_controls.banner.message()
    assert "Input 'input1'" in text and "(3,)" in text and "(2,)" in text
    assert "Traceback" not in text
    assert w.training.history.runs == []
    assert "Show layer" in w.run_controls.banner.button_texts()
    assert w.scene.selected_node_ids() == ["input1"]
    assert capfd.readouterr().err == ""


def test_invalid_network_is_refused_before_starting(window, qtbot):
    w = window
    w.editor.remove([], [e for e in w.document.graph.edges if e.target == "dense2"])
    assert not w.training.train()
    assert w.training.thread is None
    text = w.run_controls.banner.message()
    assert "Cannot train" in text and "dense2" in text


def test_bad_data_setting_names_the_field(window, qtbot):
    w = window
    w.editor.set_data(source="file", path="no/such/file.csv")
    assert w.training.train()
    _wait_idle(qtbot, w)
    text = w.run_controls.banner.message()
    assert "data.path" in text and "not found" in text


def test_wrong_loss_for_the_output_names_the_output_layer(window, qtbot):
    w = window
    w.editor.set_param("dense3", "activation", "relu")
    assert w.training.train()
    _wait_idle(qtbot, w)
    text = w.run_controls.banner.message()
    assert "Dense 'dense3'" in text and "softmax" in text


def test_early_stopping_marks_the_stop_and_restores_the_best_weights(window, qtbot):
    w = window
    w.editor.set_training(epochs=2000, early_stopping=True, patience=8, min_delta=0.0,
                          restore_best=True, learning_rate=0.05)
    run = _run_to_end(qtbot, w)
    fin = run.finished
    assert run.status == "early_stopping" and fin.restored_best
    assert fin.epochs_run < 2000 and fin.epochs_run - fin.best_epoch == 8
    # The restored weights give the best validation loss (evaluated independently).
    net = Network(run.project.graph)
    net.set_weights(run.weights)
    net.set_fused_output(True)
    val = run.data.val
    loss = get_loss("categorical_crossentropy").forward(
        net.forward(network_inputs(net, val)), val.y)
    assert loss == pytest.approx(fin.best_loss, rel=1e-5)
    _settle(qtbot, w)
    plot = w.plot_docks.curves.loss_plot
    assert plot.stop_line.isVisible() and plot.stop_line.value() == fin.epochs_run
    bx, by = plot.best_marker.getData()
    assert list(bx) == [fin.best_epoch] and by[0] == pytest.approx(fin.best_loss)
    assert "stopped early" in w.run_controls.banner.message() or \
        "early" in w.statusBar().currentMessage()


def test_run_actions_and_shortcuts(window, qtbot):
    w = window
    names = {"actionTrain": "F5", "actionTrainFromScratch": "Ctrl+F5", "actionPause": "F6",
             "actionStep": "F10", "actionStop": "Shift+F5",
             "actionResetWeights": "Ctrl+Shift+R"}
    from PySide6.QtGui import QAction, QKeySequence

    for name, key in names.items():
        act = w.findChild(QAction, name)
        assert act is not None
        assert key in [s.toString(QKeySequence.SequenceFormat.PortableText)
                       for s in act.shortcuts()]
    run_menu = next(m for m in w.menuBar().findChildren(type(w.files.recent_menu))
                    if m.objectName() == "menuRun")
    assert {"actionTrain", "actionTrainFromScratch", "actionPause", "actionResume",
            "actionStep", "actionStop", "actionResetWeights"} <= {
        a.objectName() for a in run_menu.actions()}
    assert w.run_controls.act_train.isEnabled() and not w.run_controls.act_pause.isEnabled()
    assert not w.run_controls.act_resume.isEnabled() and not w.run_controls.act_stop.isEnabled()
    assert not w.run_controls.act_reset.isEnabled()  # no weights yet
    assert not w.run_controls.act_scratch.isEnabled()
    w.editor.set_training(epochs=100000)
    w.view.setFocus()
    QTest.keyClick(w.view, Qt.Key.Key_F5)
    assert w.training.state == RUNNING
    controls = w.run_controls
    assert not controls.act_train.isEnabled() and controls.act_pause.isEnabled() \
        and controls.act_stop.isEnabled()
    _wait_epochs(qtbot, w, 1)
    # Space on the canvas pauses and resumes; in a text field it types a space.
    QTest.keyClick(w.view, Qt.Key.Key_Space)
    assert w.training.state == PAUSED
    assert w.run_controls.act_resume.isEnabled() and not w.run_controls.act_pause.isEnabled()
    resume_keys = [s.toString() for s in w.run_controls.act_resume.shortcuts()]
    assert resume_keys == ["F5"]
    QTest.keyClick(w.view, Qt.Key.Key_Space)
    assert w.training.state == RUNNING
    edit = w.inspector.project_name
    edit.setFocus()
    QTest.keyClick(edit, Qt.Key.Key_Space)
    assert w.training.state == RUNNING and edit.text().endswith(" ")
    # Space held to pan (Space + drag) does not toggle.
    w.view.setFocus()
    QTest.keyPress(w.view, Qt.Key.Key_Space)
    QTest.mousePress(w.view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(50, 50))
    QTest.mouseRelease(w.view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(60, 60))
    QTest.keyRelease(w.view, Qt.Key.Key_Space)
    assert w.training.state == RUNNING
    assert not controls.act_scratch.isEnabled()  # not while a run is active
    QTest.keyClick(w.view, Qt.Key.Key_F5, Qt.KeyboardModifier.ShiftModifier)
    _wait_idle(qtbot, w)
    assert w.run_controls.act_train.isEnabled() and w.run_controls.act_reset.isEnabled()
    # Trained weights: F5 continues from them, Ctrl+F5 starts afresh.
    assert controls.act_train.text() == "&Continue Training"
    assert controls.act_scratch.isEnabled()
    edit.clear()


def _train_button(w):
    from PySide6.QtWidgets import QToolButton

    return w.toolbar.findChild(QToolButton, "trainButton")


def test_continue_or_train_from_scratch_is_a_visible_choice(window, qtbot):
    """With trained weights, Train's button says Continue (its tooltip names the epoch),
    F5 continues and counts this run's epochs; Ctrl+F5 (also in the button's menu) trains
    from new initial weights and says so; a network of another structure trains afresh."""
    w = window
    controls, button = w.run_controls, _train_button(w)
    assert button.text() == "Train" and controls.act_train.text() == "&Train"
    assert not controls.act_scratch.isEnabled()
    assert [a.objectName() for a in button.menu().actions()] == [
        "actionTrain", "actionTrainFromScratch"]
    w.editor.set_training(epochs=3)
    with qtbot.waitSignal(w.training.runFinished, timeout=TIMEOUT) as blocker:
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    run1 = blocker.args[0]
    assert run1.start_epoch == 0 and not run1.continued
    assert button.text() == "Continue" and controls.act_train.text() == "&Continue Training"
    assert "from epoch 3" in button.toolTip()
    assert controls.act_scratch.isEnabled() and controls.act_scratch.text() == \
        "Train from &Scratch"

    # F5 continues: this run's epochs are counted, and where it continued from.
    w.editor.set_training(epochs=2)
    w.view.setFocus()
    with qtbot.waitSignal(w.training.runFinished, timeout=TIMEOUT) as blocker:
        QTest.keyClick(w.view, Qt.Key.Key_F5)
    run2 = blocker.args[0]
    assert run2.continued and run2.start_epoch == 3
    assert list(run2.curves.epoch.data) == [4, 5]
    progress = controls.progress
    assert progress.bar.format() == "Epoch 2/2"
    assert "continued from epoch 3" in progress.label.text()
    assert "from epoch 5" in button.toolTip()

    # Ctrl+F5 trains from scratch: the same initial weights as the first run (same seed).
    messages = []
    w.statusBar().messageChanged.connect(messages.append)
    with qtbot.waitSignal(w.training.runFinished, timeout=TIMEOUT) as blocker:
        QTest.keyClick(w.view, Qt.Key.Key_F5, Qt.KeyboardModifier.ControlModifier)
    run3 = blocker.args[0]
    assert run3.start_epoch == 0 and not run3.continued
    assert run3.curves.train_loss.data[0] == run1.curves.train_loss.data[0]
    assert progress.bar.format() == "Epoch 2/2" and "continued" not in progress.label.text()
    assert any("from scratch" in m and "reset to new initial weights" in m
               for m in messages)

    # Another structure cannot continue: the button says Train again.
    assert button.text() == "Continue"
    w.editor.set_param("dense1", "units", 8)
    assert button.text() == "Train" and not controls.act_scratch.isEnabled()
    w.undo_stack.undo()
    assert button.text() == "Continue"


def test_progress_shows_epochs_elapsed_and_eta(window, qtbot):
    w = window
    w.editor.set_training(epochs=100000)
    assert w.training.train()
    _wait_epochs(qtbot, w, 3)
    _settle(qtbot, w)
    bar = w.run_controls.progress
    assert bar.bar.maximum() == 100000
    assert bar.bar.format().startswith("Epoch ") and bar.bar.format().endswith("/100000")
    assert "ETA" in bar.label.text()
    with qtbot.waitSignal(w.training.runFinished, timeout=TIMEOUT):
        w.training.stop()
    assert "stopped in" in bar.label.text()


def test_progress_follows_the_drains_not_the_redraw_budget(window, qtbot, monkeypatch):
    """With no budget left for redraws (plots only redraw when overdue), the epoch counter
    still moves a few times a second."""
    from app.training import frames as frames_mod

    monkeypatch.setattr(frames_mod, "RUNNING_BUDGET", 0.0)
    monkeypatch.setattr(frames_mod, "MAX_REDRAW_GAP", 1e9)
    monkeypatch.setattr(frames_mod, "MAX_SLICE", 0.0)  # and no credit to start with
    w = window
    w.editor.set_training(epochs=100000)
    # The window's own first redraw may come before or after this point (it depends on the
    # machine's load): count from here.
    before = w.training.frames.redraws
    assert w.training.train()
    _wait_epochs(qtbot, w, 3)
    bar = w.run_controls.progress.bar
    seen = set()
    qtbot.waitUntil(lambda: seen.add(bar.format()) or len(seen) >= 3, timeout=TIMEOUT)
    assert all(f.startswith("Epoch ") for f in seen)
    # The plots did not redraw while the run trained (no budget).
    assert w.training.frames.redraws == before
    with qtbot.waitSignal(w.training.runFinished, timeout=TIMEOUT):
        w.training.stop()


def test_progress_texts_fit_and_do_not_resize_the_toolbar(window, qtbot):
    """The bar and label keep their size whatever they say (a changing size hint four
    times a second would lay the main window out again), and the longest texts fit."""
    from app.models.runs import format_duration

    w = window
    progress = w.run_controls.progress
    sizes = (progress.bar.size(), progress.label.size(), progress.size())
    longest = [f"{format_duration(3600 * 99)} · ETA {format_duration(3600 * 99)} · stopping",
               f"stopped early in {format_duration(3600 * 99)}", "preparing data…"]
    fm = progress.label.fontMetrics()
    for text in longest + ["", "0.1 s · ETA …"]:
        progress.set_progress(123456, 999999, text, "Epoch 123456/999999")
        qtbot.wait(1)
        assert fm.horizontalAdvance(text) <= progress.label.contentsRect().width()
        assert (progress.bar.size(), progress.label.size(), progress.size()) == sizes
    # Fixed sizes: Qt does not ask the layouts above for a new geometry.
    assert progress.bar.minimumSize() == progress.bar.maximumSize()
    assert progress.label.minimumSize() == progress.label.maximumSize()


def test_while_training_a_tick_drains_or_redraws_never_both(window, qtbot, monkeypatch):
    """Each of the two is a stretch with the interpreter lock; one after the other in one
    tick they would keep the event loop (and a 5 ms timer) waiting for both."""
    from app.training import frames as frames_mod

    w = window
    s = w.training
    frames = s.frames
    w.editor.set_training(epochs=100000)
    drained, drawn = set(), set()
    real_drain = frames._drain

    def drain():
        # Drains of the timer's ticks (not those the worker's urgent signal asks for).
        if s.state == RUNNING:
            drained.add(frames.ticks)
        return real_drain()

    monkeypatch.setattr(frames, "_drain", drain)
    frames.redraw.connect(lambda _slot: drawn.add(frames.ticks) if s.state == RUNNING else None)
    assert s.train()
    qtbot.waitUntil(lambda: len(drained) >= 6 and len(drawn) >= 6, timeout=TIMEOUT)
    with qtbot.waitSignal(s.runFinished, timeout=TIMEOUT):
        s.stop()
    assert not drained & drawn
    assert frames.tick_msec == frames_mod.TICK_MSEC  # back to the idle rate


def _boundary_pixels_match(boundary) -> int:
    """How many sampled cells of the decision-boundary image are drawn on screen in the
    colour the network's output gave them (cells inside a region, clear of grid lines)."""
    rgb = boundary.rgb
    img = boundary.grab().toImage()
    ratio = img.devicePixelRatio()
    h, w = rgb.shape[:2]
    matched = 0
    for i in range(3, h - 3, 7):
        for j in range(3, w - 3, 7):
            if np.ptp(rgb[i - 2:i + 3, j - 2:j + 3].reshape(-1, 3), axis=0).max() > 0:
                continue  # near a border between regions
            scene = boundary.image.mapToScene(QPointF(j + 0.5, i + 0.5))
            at = boundary.plot.mapTo(boundary, boundary.plot.mapFromScene(scene))
            c = img.pixelColor(int(at.x() * ratio), int(at.y() * ratio))
            if max(abs(c.red() - int(rgb[i, j, 0])), abs(c.green() - int(rgb[i, j, 1])),
                   abs(c.blue() - int(rgb[i, j, 2]))) <= 24:
                matched += 1
    return matched


def test_screenshots_during_and_after_training(window, qtbot, tmp_path):
    """Screenshots for people to look at: the spiral being learnt (paused half way) and
    trained, with the decision boundary, the loss curves and the gradient norms."""
    w = window
    assert (w.width(), w.height()) == (1280, 800)
    # Long enough that the pause at epoch 150 cannot miss the run on a busy machine (the
    # spiral's 300 epochs can finish between two progress updates).
    w.editor.set_training(epochs=1000)
    assert w.training.train()
    _wait_epochs(qtbot, w, 150)
    w.training.pause()
    _settle(qtbot, w, 400)
    assert w.plot_docks.results.boundary.rgb is not None
    w.grab().save(str(tmp_path / "netcanvas_training_during.png"))
    with qtbot.waitSignal(w.training.runFinished, timeout=TIMEOUT):
        w.training.resume()
    w.scene.select_nodes(["dense2"])
    _settle(qtbot, w, 400)
    assert w.plot_docks.results.boundary.rgb is not None
    assert w.grab().save(str(tmp_path / "netcanvas_training_after.png"))
    # The decision boundary is drawn: two class regions, each a good share of the plot.
    # The decision boundary is drawn: the screen shows the network's output colours.
    boundary = w.plot_docks.results.boundary
    boundary.points.setVisible(False)  # the regions alone, not the data points on them
    matched = _boundary_pixels_match(boundary)
    boundary.points.setVisible(True)
    assert matched >= 50, matched
    w.plot_docks.inside.tabs.setCurrentIndex(1)
    w.plot_docks.results.tabs.setCurrentIndex(w.plot_docks.results.i_confusion)
    _settle(qtbot, w, 300)
    w.grab().save(str(tmp_path / "netcanvas_training_histograms.png"))


def test_progress_is_coalesced_and_analyses_run_off_the_gui_thread(window, qtbot):
    """Far fewer signals than batches; while the run trains, the GUI thread computes no
    activations itself (the worker does, between batches)."""
    w = window
    w.editor.set_training(epochs=400)
    busy = w.training.probe.busy_seconds
    signals = []
    assert w.training.train()
    w.training.worker.eventsReady.connect(lambda: signals.append(1))
    qtbot.waitUntil(lambda: "activations" in w.training.probe.results
                    and w.training.probe.results["activations"].version[0] == "live",
                    timeout=TIMEOUT)
    assert w.training.probe.busy_seconds == busy
    _wait_idle(qtbot, w)
    run = w.training.history.runs[-1]
    batches = run.finished.epochs_run * run.steps_per_epoch
    assert batches == 400 * 13
    assert 1 <= len(signals) < batches / 20
