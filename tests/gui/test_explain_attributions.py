"""Run > Explain a Sample…: the bars and overlays the window draws are the engine's
attributions computed here (saliency, integrated gradients, Grad-CAM), the data-set view is
mean |attribution| and permutation importance, long work shows progress and can be
cancelled, and a sample picked elsewhere (``show_sample``) is explained."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

from app.explain.attribution_pages import value_text
from app.explain.attribution_views import NEGATIVE, POSITIVE
from app.paths import examples_dir
from nncore.explain import grad_cam, integrated_gradients, make_baseline, saliency
from nncore.importance import permutation_importance
from nncore.network import Network
from nncore.run import prepare_data

TIMEOUT = 60_000


def _open(w, name: str) -> None:
    assert w.open_project(examples_dir() / f"{name}.json", as_copy=True)


def _train(qtbot, w, epochs: int):
    w.editor.set_training(epochs=epochs)
    with qtbot.waitSignal(w.training.runFinished, timeout=TIMEOUT) as blocker:
        assert w.training.train()
    return blocker.args[0]


def _explain_window(qtbot, w):
    w.findChild(QAction, "actionExplain").trigger()
    ew = w.explain.explain_window
    _settle(qtbot, ew)
    return ew


def _settle(qtbot, ew) -> None:
    """Wait for the debounced recomputation and its job to end."""
    qtbot.waitUntil(lambda: not ew._debounce.isActive() and not ew.sample_job.running
                    and ew.sample_page.info.text() != "", timeout=TIMEOUT)


def _choose(combo, data) -> None:
    combo.setCurrentIndex(combo.findData(data))


def _run_net(run) -> Network:
    net = Network(run.project.graph)
    net.set_weights(run.weights)
    return net


def _bar_values(ew) -> dict[str, float]:
    return {name: value for name, value, _ in ew.sample_page.view.bars.rows}


def test_tabular_sample_bars_are_the_engine_attributions(window, qtbot, tmp_path):
    w = window
    _open(w, "iris")
    run = _train(qtbot, w, 20)
    ew = _explain_window(qtbot, w)
    assert "trained weights (20 epochs)" in ew.origin.text()
    # Grad-CAM is offered only for networks with image layers.
    assert ew.controls.method.findData("gradcam") < 0
    net, val = _run_net(run), run.data.val
    names = run.data.dataset.feature_names
    # A sample picked elsewhere in the window (0-based row of a split).
    w.explain.show_sample("val", 4)
    _settle(qtbot, ew)
    assert ew.sample_page.row.value() == 5
    x = val.X[4:5]
    raw = run.data.normalizer.inverse_transform(x)[0]
    want = saliency(net, x)
    labels = [f"{n} = {value_text(v)}" for n, v in zip(names, raw)]
    assert labels[0] == f"{names[0]} = {raw[0]:.4g}"  # iris: plain measurements
    bars = _bar_values(ew)
    assert set(bars) == set(labels)
    for label, value in zip(labels, want.values[0]):
        assert bars[label] == pytest.approx(value, rel=1e-9)
    # Largest first; positive bars red to the right of zero, negative ones blue.
    rows = ew.sample_page.view.bars.rows
    assert [abs(v) for _, v, _ in rows] == sorted((abs(v) for _, v, _ in rows), reverse=True)
    ew.sample_page.view.bars.resize(500, 200)
    img = ew.sample_page.view.bars.grab().toImage()
    for i, (_, value, _) in enumerate(rows):
        r = ew.sample_page.view.bars.bar_rect(i)
        if r.width() >= 3:
            c = img.pixelColor(int(r.center().x()), int(r.center().y()))
            assert c == (POSITIVE if value > 0 else NEGATIVE)
    cls = run.data.class_names[int(want.targets[0])]
    assert ew.sample_page.info.text().startswith(
        f"Gradient saliency of the logit of class {cls}: {want.scores[0]:.4g}.")
    assert ew.sample_page.sample_text.text().startswith(
        f"Validation sample 5 · label {run.data.class_names[val.y[4]]}")
    # Integrated gradients from the training mean, 32 steps, for class 0.
    c = ew.controls
    _choose(c.method, "integrated-gradients")
    _choose(c.baseline, "mean")
    c.steps.setValue(32)
    _choose(c.target, 0)
    _settle(qtbot, ew)
    base = make_baseline("mean", x, run.data.normalizer, run.data.train.X.mean(axis=0))
    ig = integrated_gradients(net, x, base, target=0, steps=32)
    bars = _bar_values(ew)
    for label, value in zip(labels, ig.values[0]):
        assert bars[label] == pytest.approx(value, rel=1e-7, abs=1e-9)
    info = ew.sample_page.info.text()
    assert f"class {run.data.class_names[0]}" in info
    assert f"add up to {ig.values.sum():.4g}" in info
    assert f"({int(ig.steps[0])} intervals)" in info
    ew.grab().save(str(tmp_path / "explain_tabular.png"))


def test_data_set_view_is_mean_abs_attribution_and_permutation_importance(window, qtbot):
    w = window
    _open(w, "iris")
    run = _train(qtbot, w, 10)
    ew = _explain_window(qtbot, w)
    ew.tabs.setCurrentWidget(ew.data_page)
    page = ew.data_page
    page.repeats.setValue(3)
    qtbot.mouseClick(page.compute, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.bar.message.text() == "Done.", timeout=TIMEOUT)
    net, val = _run_net(run), run.data.val
    names = run.data.dataset.feature_names
    mean_abs = np.abs(saliency(net, val.X).values).mean(axis=0)
    shown = {n: v for n, v, _ in page.mean_view.bars.rows}
    for n, v in zip(names, mean_abs):
        assert shown[n] == pytest.approx(v, rel=1e-9)
    imp = permutation_importance(net, val.X, val.y, run.project.training.loss, None, 3, 0,
                                 names)
    perm = {n: (v, e) for n, v, e in page.perm_view.bars.rows}
    for n, v, e in zip(names, imp.loss_increase, imp.loss_increase_std):
        assert perm[n][0] == pytest.approx(v, rel=1e-9, abs=1e-12)
        assert perm[n][1] == pytest.approx(e, rel=1e-9, abs=1e-12)
    assert f"the loss is {imp.loss:.4g}" in page.summary.text()
    assert f"over {len(val.y)} validation samples" in page.summary.text()


def test_long_data_set_work_shows_progress_and_cancels(window, qtbot):
    w = window
    _open(w, "digits_mlp")
    ew = _explain_window(qtbot, w)  # the initial weights: nothing trained
    assert "initial weights" in ew.origin.text()
    _choose(ew.controls.method, "integrated-gradients")
    ew.controls.steps.setValue(4096)
    _settle(qtbot, ew)
    page = ew.data_page
    ew.tabs.setCurrentWidget(page)
    page.repeats.setValue(100)
    qtbot.mouseClick(page.compute, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.bar.bar.maximum() > 0 and page.bar.bar.value() > 0,
                    timeout=TIMEOUT)
    assert page.bar.cancel.isVisible() and not page.compute.isEnabled()
    qtbot.mouseClick(page.bar.cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.bar.message.text() == "Cancelled.", timeout=TIMEOUT)
    assert not ew.data_job.running and page.compute.isEnabled()
    assert not page.bar.cancel.isVisible()


def test_image_overlay_and_grad_cam(window, qtbot, tmp_path):
    w = window
    _open(w, "digits_cnn")
    ew = _explain_window(qtbot, w)
    project = w.document.snapshot()
    net = Network(project.graph, seed=None)
    net.set_weights(w.training.trained.network.get_weights())
    data = prepare_data(project.data, w.document.base_dir)
    w.explain.show_sample("val", 3)
    _settle(qtbot, ew)
    x = data.val.X[3:4]
    s = saliency(net, x).values[0, 0]
    view = ew.sample_page.view.image
    assert ew.sample_page.view.currentWidget() is view
    view.resize(520, 300)
    img = view.grab().toImage()
    _, overlay = view.panel_rects()
    cell = overlay.width() / 8

    def color_at(i: int, j: int):
        return img.pixelColor(int(overlay.left() + (j + 0.5) * cell),
                              int(overlay.top() + (i + 0.5) * cell))
    hi = np.unravel_index(np.argmax(s), s.shape)
    lo = np.unravel_index(np.argmin(s), s.shape)
    assert color_at(*hi).red() > color_at(*hi).blue() + 60
    assert color_at(*lo).blue() > color_at(*lo).red() + 60
    # Grad-CAM on the chosen convolutional layer (the last Conv2D by default).
    c = ew.controls
    assert [c.layer.itemData(i) for i in range(c.layer.count())] == \
        ["conv1", "pool1", "conv2"]
    assert c.layer.currentData() == "conv2"
    _choose(c.method, "gradcam")
    _choose(c.layer, "conv1")
    _settle(qtbot, ew)
    cam = grad_cam(net, x, layer="conv1")
    assert view.top == pytest.approx(float(cam.values.max()), rel=1e-9)
    assert "Map of layer conv1" in ew.sample_page.info.text()
    ew.grab().save(str(tmp_path / "explain_image.png"))


def test_a_paused_run_is_explained_from_a_copy_of_its_weights(window, qtbot):
    w = window
    _open(w, "iris")
    w.editor.set_training(epochs=100000)
    assert w.training.train()
    qtbot.waitUntil(lambda: w.training.history.active_run is not None
                    and w.training.history.active_run.epochs_done >= 3, timeout=TIMEOUT)
    w.training.pause()
    qtbot.waitUntil(lambda: w.training.history.active_run.status == "paused",
                    timeout=TIMEOUT)
    ew = _explain_window(qtbot, w)
    run, worker = w.training.history.active_run, w.training.worker
    assert f"weights of Run 1 after {run.epochs_done} epochs (paused)" in ew.origin.text()
    _, flat = worker.latest_weights()
    net = Network(run.project.graph)
    net.set_weights({k: flat[a:b].reshape(s) for k, a, b, s in worker.layout})
    x = run.data.val.X[:1]
    want = saliency(net, x).values[0]
    values = sorted(v for _, v, _ in ew.sample_page.view.bars.rows)
    assert values == pytest.approx(sorted(want), rel=1e-9)
    with qtbot.waitSignal(w.training.runFinished, timeout=TIMEOUT):
        w.training.stop()


def test_closing_the_window_stops_the_computations(make_window, qtbot):
    w = make_window()
    _open(w, "digits_mlp")
    ew = _explain_window(qtbot, w)
    _choose(ew.controls.method, "integrated-gradients")
    ew.controls.steps.setValue(4096)
    _settle(qtbot, ew)
    ew.tabs.setCurrentWidget(ew.data_page)
    qtbot.mouseClick(ew.data_page.compute, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ew.data_page.bar.bar.value() > 0, timeout=TIMEOUT)
    thread = ew.data_job._thread
    assert thread is not None and thread.isRunning()
    w.files.marked_modified = False
    w.undo_stack.setClean()
    w.close()
    assert thread.isFinished() and not ew.data_job.running


def test_another_project_is_explained_and_several_inputs_are_refused(window, qtbot):
    w = window
    _open(w, "iris")
    ew = _explain_window(qtbot, w)
    assert "of Iris" in ew.origin.text()
    _open(w, "recommender")  # two Inputs of ids: no gradient to attribute
    qtbot.waitUntil(lambda: not ew.sample_job.running and "Input" in
                    ew.sample_bar.message.text(), timeout=TIMEOUT)
    assert "Recommender" in ew.origin.text() or "recommender" in ew.origin.text().lower()
    assert "one numeric Input" in ew.sample_bar.message.text()


def test_every_control_of_the_explain_tools_has_an_accessible_name(window, qtbot):
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractItemView,
        QAbstractSpinBox,
        QComboBox,
        QGraphicsView,
        QProgressBar,
        QScrollArea,
        QTabWidget,
        QWidget,
    )

    w = window
    _open(w, "digits_cnn")
    ew = _explain_window(qtbot, w)
    w.findChild(QAction, "actionEvaluate").trigger()
    w.explain.hidden_dock.raise_()
    qtbot.waitUntil(lambda: w.explain.hidden.built, timeout=TIMEOUT)
    kinds = (QAbstractButton, QAbstractItemView, QAbstractSpinBox, QComboBox, QGraphicsView,
             QProgressBar, QScrollArea, QTabWidget)
    unnamed = []
    for root in (ew, w.explain.evaluate_dialog, w.explain.hidden):
        for widget in root.findChildren(QWidget):
            # Parts of a control (a spin box's arrows) and combo boxes' popup lists.
            if not isinstance(widget, kinds) or isinstance(widget.parent(), kinds) \
                    or widget.window().windowType() == Qt.WindowType.Popup:
                continue
            if not widget.accessibleName():
                unnamed.append(f"{type(widget).__name__} {widget.objectName()!r}")
    assert not unnamed, unnamed
