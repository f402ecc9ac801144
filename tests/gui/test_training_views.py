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
    # The Runs table's column says "Run 1" (readable when narrow); its tooltip the label.
    assert _runs_row(w, run)["Run"] == "Run 1"
    assert title in w.plot_docks.runs.items[run.number].toolTip(0)
    assert title in w.plot_docks.curves.header.text()
    with qtbot.waitSignal(w.training.runFinished, timeout=TIMEOUT):
        w.training.stop()
    assert _runs_row(w, run)["Run"] == "Run 1"
    assert title in w.plot_docks.runs.items[run.number].toolTip(0)
    assert "lr 0.03 → 0.001" in w.plot_docks.runs.items[run.number].toolTip(0)


# -- small plots and the toolbar's progress (item 6) -------------------------------------------

def _tick_labels(axis) -> list:
    """The tick labels the axis draws now: (rect, flags, text)."""
    from PySide6.QtGui import QImage, QPainter

    img = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(img)
    try:
        return axis.generateDrawSpecs(painter)[2]
    finally:
        painter.end()


def _overlaps(labels) -> list[tuple[str, str]]:
    return [(a[2], b[2]) for i, a in enumerate(labels) for b in labels[i + 1:]
            if a[0].intersects(b[0])]


def test_small_plots_keep_their_axis_labels_apart(window, qtbot, tmp_path):
    """Docks made small: no two tick labels overlap (on the gradient plot's log axis the
    decades are kept first), and axis titles are hidden when the plot has no room for
    them, shown again when it grows."""
    w = window
    w.editor.set_training(epochs=30)
    with qtbot.waitSignal(w.training.runFinished, timeout=TIMEOUT):
        assert w.training.train()
    grads = w.plot_docks.inside.grads
    loss = w.plot_docks.curves.loss_plot
    for plot in (grads.plot, loss.plot):
        plot.setFixedSize(260, 130)
    qtbot.wait(50)
    w.training.frames.redraw_all()
    grads.refresh()
    grads.plot.grab().save(str(tmp_path / "small_gradients.png"))
    for plot in (grads.plot, loss.plot):
        item = plot.getPlotItem()
        for name in ("left", "bottom"):
            labels = _tick_labels(item.getAxis(name))
            assert labels and not _overlaps(labels), (name, _overlaps(labels))
    texts = [t for _r, _f, t in _tick_labels(grads.plot.getPlotItem().getAxis("left"))]
    assert any(t in ("0.1", "1") for t in texts), texts
    # No room under a 130-pixel plot for "epoch", nor beside it for "gradient norm".
    assert not loss.plot.getPlotItem().getAxis("bottom").label.isVisible()
    assert not grads.plot.getPlotItem().getAxis("left").label.isVisible()
    for plot in (grads.plot, loss.plot):  # room to grow: the dock floats, made large
        plot.setMinimumSize(0, 0)
        plot.setMaximumSize(16777215, 16777215)
        dock = _dock_of(plot)
        dock.setFloating(True)
        dock.resize(900, 700)
    qtbot.waitUntil(lambda: min(p.height() for p in (grads.plot, loss.plot)) >= 300,
                    timeout=TIMEOUT)
    for plot, name in ((loss.plot, "bottom"), (grads.plot, "left")):
        assert plot.getPlotItem().getAxis(name).label.isVisible()


def _dock_of(widget):
    from PySide6.QtWidgets import QDockWidget

    while widget is not None and not isinstance(widget, QDockWidget):
        widget = widget.parentWidget()
    return widget


def test_with_no_run_the_toolbar_shows_no_empty_field(window, qtbot, tmp_path):
    """No run: the progress bar is not drawn (an empty bar looked like a text field); its
    place is kept, so the toolbar does not move when a run starts."""
    from PySide6.QtGui import QColor

    w = window
    progress = w.run_controls.progress
    assert not progress.bar.isVisible() and progress.label.text() == ""
    size, x = progress.size(), progress.mapTo(w, progress.rect().topLeft()).x()
    shot = progress.grab()
    shot.save(str(tmp_path / "progress_idle.png"))
    img = shot.toImage()
    bar = progress.bar.geometry()
    colours = {img.pixelColor(px, py).name() for px in range(bar.left(), bar.right(), 3)
               for py in range(bar.top(), bar.bottom(), 3)}
    background = progress.palette().color(progress.backgroundRole()).name()
    assert colours <= {background, QColor(background).name()}, colours
    w.editor.set_training(epochs=100000)
    assert w.training.train()
    run = w.training.history.active_run
    qtbot.waitUntil(lambda: run.epochs_done >= 1, timeout=TIMEOUT)
    qtbot.wait(50)  # any layout the start asked for is done
    assert progress.bar.isVisible() and progress.bar.format().endswith("/100000")
    assert progress.size() == size and progress.mapTo(w, progress.rect().topLeft()).x() == x
    with qtbot.waitSignal(w.training.runFinished, timeout=TIMEOUT):
        w.training.stop()
