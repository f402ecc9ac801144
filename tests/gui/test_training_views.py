"""The training views follow the project (issue 12): when the project is replaced (an
example opened, File > New) every view shows the new project's state, empty until it
trains, with the new project's metric; what each view draws or says is read back."""

from __future__ import annotations

from app.paths import examples_dir

TIMEOUT = 60_000


def _train(qtbot, w, epochs: int):
    w.editor.set_training(epochs=epochs)
    with qtbot.waitSignal(w.training.runFinished, timeout=TIMEOUT) as blocker:
        assert w.training.train()
    return blocker.args[0]


def _wait_probe(qtbot, w, kind: str, run) -> None:
    probe = w.training.probe
    qtbot.waitUntil(lambda: kind in probe.results
                    and probe.results[kind].version == ("run", run.number), timeout=TIMEOUT)
    qtbot.wait(30)
    w.training.frames.redraw_all()


def _open_example(w, name: str) -> None:
    w.files.marked_modified = False
    w.undo_stack.setClean()
    assert w.files.open_project(examples_dir() / f"{name}.json", as_copy=True)


def _metric_axis(w) -> str:
    return w.plot_docks.curves.metric_plot.plot.getPlotItem().getAxis("left").labelText


def _assert_empty(w, metric: str) -> None:
    """Every training view shows no run: placeholders naming the project's metric, plots
    and tables without data, no badges, an empty progress display."""
    docks = w.plot_docks
    for panel in (docks.curves, docks.inside, docks.results):
        assert panel.currentWidget() is panel.placeholder, type(panel).__name__
    assert metric in docks.curves.placeholder.text()
    # What the built plots hold (shown again at the next run) is cleared too.
    curves = docks.curves
    assert len(curves.loss_plot.train_curve.getData()[0] or []) == 0
    assert len(curves.metric_plot.val_curve.getData()[0] or []) == 0
    assert curves.header.text().strip() == ""
    assert curves.loss_plot.readout.text().strip() == ""
    assert _metric_axis(w) == metric
    inside = docks.inside
    assert inside.layer_combo.count() == 0
    assert inside.weight_hist.counts.sum() == 0 and inside.act_hist.counts.sum() == 0
    assert "no data" in inside.weight_hist.title.text()
    assert inside.maps.tiles is None
    assert inside.grads.curves == {} and inside.grads.readout.text().strip() == ""
    results = docks.results
    assert results.confusion.matrix.size == 0
    assert results.gallery.items == []
    assert results.boundary.rgb is None
    assert len(results.scatter.points.getData()[0]) == 0
    assert docks.runs.tree.topLevelItemCount() == 0
    assert all(item.badge is None for item in w.scene.nodes.values())
    progress = w.run_controls.progress
    assert progress.bar.format() == "" and progress.label.text() == ""
    assert w.run_controls.banner.message() == ""


def test_replacing_the_project_empties_every_training_view(make_window, qtbot):
    w = make_window()
    _open_example(w, "digits_cnn")
    run = _train(qtbot, w, 1)
    docks = w.plot_docks
    inside, results = docks.inside, docks.results
    inside.tabs.setCurrentIndex(1)
    w.scene.select_nodes(["conv1"])
    results.tabs.setCurrentIndex(results.i_confusion)
    _wait_probe(qtbot, w, "activations", run)
    _wait_probe(qtbot, w, "val", run)
    results.refresh_probe_views()
    inside.refresh_probe_views()
    # What the digits run left in the views.
    assert results.confusion.matrix.shape == (10, 10)
    assert "conv1" in inside.weight_hist.title.text() and inside.weight_hist.counts.sum()
    assert docks.runs.tree.topLevelItemCount() == 1
    assert _metric_axis(w) == "accuracy"
    assert any(item.badge is not None for item in w.scene.nodes.values())

    # An LSTM regression: nothing of the digits run is left; its metric is the RMSE.
    _open_example(w, "sine_lstm")
    qtbot.wait(30)
    w.training.frames.redraw_all()
    _assert_empty(w, "RMSE")

    # XOR (a classifier): accuracy again, before it trains and after.
    _open_example(w, "xor")
    _assert_empty(w, "accuracy")
    xor = _train(qtbot, w, 3)
    results.tabs.setCurrentIndex(results.i_confusion)
    _wait_probe(qtbot, w, "val", xor)
    results.refresh_probe_views()
    assert results.currentWidget() is results.content
    assert results.confusion.matrix.shape == (2, 2)
    assert _metric_axis(w) == "accuracy"
    assert docks.curves.currentWidget() is docks.curves.content
    x, _y = docks.curves.metric_plot.val_curve.getData()
    assert list(x) == [1, 2, 3]

    # File > New: empty again.
    w.files.marked_modified = False
    w.undo_stack.setClean()
    assert w.files.new_project()
    _assert_empty(w, "accuracy")


def test_the_metric_follows_the_loss_before_any_run(window, qtbot):
    """With no run yet, the curves' placeholder names the metric of the chosen loss."""
    w = window
    curves = w.plot_docks.curves
    assert "accuracy" in curves.placeholder.text()
    w.editor.set_training(loss="mse")
    assert "RMSE" in curves.placeholder.text() and "accuracy" not in curves.placeholder.text()
    w.editor.set_training(loss="categorical_crossentropy")
    assert "accuracy" in curves.placeholder.text()


def _runs_row(w, run) -> dict[str, str]:
    runs = w.plot_docks.runs
    item = runs.items[run.number]
    return {name: item.text(i) for i, name in enumerate(runs.COLUMNS)}


def test_the_history_and_the_status_bar_count_a_runs_epochs_alike(window, qtbot):
    w = window
    messages = []
    w.statusBar().messageChanged.connect(messages.append)
    _train(qtbot, w, 3)
    run2 = _train(qtbot, w, 2)  # continues from epoch 3
    assert run2.continued and run2.start_epoch == 3
    row = _runs_row(w, run2)
    assert row["Epochs"] == "2"
    status = next(m for m in reversed(messages) if m.startswith(run2.title))
    assert "2 epochs from epoch 3" in status
    assert "continued from epoch 3" in w.plot_docks.runs.items[run2.number].toolTip(2)


def test_a_tiny_best_loss_is_not_shown_as_zero(window, qtbot):
    """A run whose best loss is 2.3e-05: the history and the summary show it so."""
    from nncore.events import EpochEnd

    w = window
    history = w.training.history
    run = history.next_run(w.document.snapshot(), 0, False)
    history.begin(run)
    run.curves.add_epochs([EpochEnd(e, 2, loss, loss, {"accuracy": 1.0},
                                    {"accuracy": 1.0}, 0.01, {}, {}, 0.1, 0, 0.0)
                           for e, loss in ((1, 0.02), (2, 2.345e-5))])
    run.status = "completed"
    history.end(run, keep=True)
    row = _runs_row(w, run)
    assert row["Best loss"] == "2.35e-05"
    assert "best validation loss 2.35e-05" in w.plot_docks.curves.header.text()


def test_the_run_label_follows_a_live_learning_rate_change(window, qtbot):
    w = window
    w.editor.set_training(epochs=100000, learning_rate=0.03)
    assert w.training.train()
    qtbot.waitUntil(lambda: w.training.history.active_run.epochs_done >= 1,
                    timeout=TIMEOUT)
    run = w.training.history.active_run
    w.training.pause()
    assert w.editor.set_training(learning_rate=0.001) is None
    title = "Run 1: tanh · adam 0.03 → 0.001"
    assert run.title == title
    assert _runs_row(w, run)["Run"] == title
    assert title in w.plot_docks.curves.header.text()
    with qtbot.waitSignal(w.training.runFinished, timeout=TIMEOUT):
        w.training.stop()
    assert _runs_row(w, run)["Run"] == title
    assert "lr 0.03 → 0.001" in w.plot_docks.runs.items[run.number].toolTip(0)
