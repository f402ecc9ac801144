"""Live plots and analysis: health rules, and what the panels show
compared with the engine's own computations (decision boundary, confusion matrix,
predicted vs actual, feature maps, misclassified images, gradient norms of a deep sigmoid
network)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.paths import examples_dir
from app.training.health import (
    dead_fraction,
    gradient_health,
    saturated_units,
)
from nncore.network import Network
from nncore.run import network_inputs
from nncore.spec import GraphSpec

TIMEOUT = 60_000


# -- pure helpers ------------------------------------------------------------------------------

def test_gradient_health_thresholds():
    h = gradient_health({"a": 1.0, "b": 5e-3, "c": 5e-4, "d": 2e3},
                        {"a": 10.0, "b": 1.0, "c": 1.0, "d": 1e6})
    assert h == {"a": "ok", "b": "weak", "c": "vanishing", "d": "exploding"}
    # Exploding relative to the weights: a gradient 11 times the weight norm.
    assert gradient_health({"a": 11.0}, {"a": 1.0}) == {"a": "exploding"}
    assert gradient_health({"a": float("nan"), "b": 1.0})["a"] == "exploding"


def test_dead_and_saturated_fractions():
    y = np.zeros((5, 4))
    y[2, 0] = 0.3
    y[:, 3] = 1.0
    assert dead_fraction(y) == 0.5  # units 1 and 2 never fire
    maps = np.zeros((3, 4, 2, 2))
    maps[1, 2, 0, 1] = 1.0
    assert dead_fraction(maps) == 0.75  # 3 of 4 channels dead
    # Units saturated for at least 90 % of the samples; a unit of 10 samples, each value
    # repeated: slope y(1 - y) below 5 % of its maximum 0.25 means y < 0.01266 or
    # y > 0.98734.
    s = np.array([0.0005, 0.01, 0.0128, 0.5, 0.987, 0.9874, 0.9999])
    assert saturated_units("sigmoid", np.tile(s, (10, 1))) == pytest.approx(4 / 7)
    t = np.array([-0.999, -0.9, 0.0, 0.974, 0.976])
    assert saturated_units("tanh", np.tile(t, (10, 1))) == pytest.approx(2 / 5)
    # A unit saturated for 9 of 10 samples counts, for 8 of 10 it does not; at +1 for some
    # samples and -1 for others it counts too (no gradient either way).
    y = np.zeros((10, 3))
    y[:9, 0] = 0.999
    y[:8, 1] = 0.999
    y[:, 2] = np.where(np.arange(10) % 2, 0.999, -0.999)
    assert saturated_units("tanh", y) == pytest.approx(2 / 3)
    # Channels of images are the units.
    maps = np.full((4, 2, 3, 3), 0.999)
    maps[:, 1, 0, 0] = 0.0
    maps[:, 1, 1, 1] = 0.0
    assert saturated_units("tanh", maps) == 0.5


# -- in the window -----------------------------------------------------------------------------

def _train(qtbot, w, epochs: int):
    w.editor.set_training(epochs=epochs)
    with qtbot.waitSignal(w.training.runFinished, timeout=TIMEOUT) as blocker:
        assert w.training.train()
    return blocker.args[0]


def _wait_probe(qtbot, w, kind: str, run) -> object:
    probe = w.training.probe
    qtbot.waitUntil(lambda: kind in probe.results
                    and probe.results[kind].version == ("run", run.number), timeout=TIMEOUT)
    qtbot.wait(30)
    w.training.frames.redraw_all()
    return probe.results[kind]


def _net(run) -> Network:
    net = Network(run.project.graph)
    net.set_weights(run.weights)
    return net


def test_decision_boundary_is_the_network_on_a_grid(window, qtbot):
    w = window
    run = _train(qtbot, w, 40)
    results = w.plot_docks.results
    assert results.tabs.currentIndex() == results.i_boundary
    res = _wait_probe(qtbot, w, "grid", run)
    gx = np.linspace(*res.x_range, 100)
    gy = np.linspace(*res.y_range, 100)
    xx, yy = np.meshgrid(gx, gy)
    raw = np.column_stack([xx.ravel(), yy.ravel()]).astype(np.float32)
    want = _net(run).predict(run.data.normalizer.transform(raw)).reshape(100, 100, 2)
    assert np.allclose(res.outputs, want, atol=1e-6)
    X = run.data.dataset.X
    assert res.x_range[0] < X[:, 0].min() and res.x_range[1] > X[:, 0].max()
    img = results.boundary.rgb
    assert img.shape == (100, 100, 3)
    i, j = np.unravel_index(np.argmax(want[..., 1]), (100, 100))
    k, m = np.unravel_index(np.argmax(want[..., 0]), (100, 100))
    # Class 1 is blue, class 0 orange (as in the data panel).
    assert img[i, j, 2] > img[i, j, 0] and img[k, m, 0] > img[k, m, 2]
    x, y, rows = results.boundary.point_data()
    assert len(x) == len(X) and sorted(rows.tolist()) == list(range(len(X)))
    np.testing.assert_allclose(np.column_stack([x, y]), X[rows], rtol=1e-6)


def test_confusion_matrix_counts_the_validation_predictions(window, qtbot):
    w = window
    run = _train(qtbot, w, 30)
    results = w.plot_docks.results
    results.tabs.setCurrentIndex(results.i_confusion)
    res = _wait_probe(qtbot, w, "val", run)
    val = run.data.val
    pred = _net(run).predict(network_inputs(_net(run), val)).argmax(axis=1)
    want = np.zeros((2, 2), int)
    for t, p in zip(val.y, pred):
        want[t, p] += 1
    assert np.array_equal(results.confusion.matrix, want)
    assert len(res.index) == len(val.y)
    right = int(np.trace(want))
    assert f"{right}/{len(val.y)}" in results.confusion.caption


def test_log_scale_and_cursor_readout(window, qtbot):
    w = window
    run = _train(qtbot, w, 20)
    plot = w.plot_docks.curves.loss_plot
    plot.log_box.setChecked(True)
    assert plot.plot.getPlotItem().getAxis("left").logMode
    x, y = plot.train_curve.getData()
    assert np.allclose(y, np.log10(run.finished.history.train_loss))  # drawn on a log axis
    plot.log_box.setChecked(False)
    text = plot.show_readout_at(10.2)
    h = run.finished.history
    assert text.startswith("epoch 10 ")
    assert f"training {h.train_loss[9]:.4g}" in text
    assert f"validation {h.val_loss[9]:.4g}" in text
    assert plot.cursor_line.value() == 10
    mtext = w.plot_docks.curves.metric_plot.show_readout_at(3)
    assert f"validation {h.val_metrics[2]['accuracy']:.1%}" in mtext


def test_past_runs_overlay_the_current_one(window, qtbot):
    w = window
    for node in ("dense1", "dense2"):
        w.editor.set_param(node, "activation", "sigmoid")
    run1 = _train(qtbot, w, 12)
    for node in ("dense1", "dense2"):
        w.editor.set_param(node, "activation", "relu")
    run2 = _train(qtbot, w, 12)
    assert run1.label.startswith("sigmoid") and run2.label.startswith("relu")
    runs = w.plot_docks.runs
    assert runs.tree.topLevelItemCount() == 2
    runs.check(run1.number)
    assert w.training.history.overlay == {run1.number}
    qtbot.wait(30)
    w.training.frames.redraw_all()
    plot = w.plot_docks.curves.loss_plot
    assert plot.run is run2
    curve = plot._overlay_items[run1.number]
    x, y = curve.getData()
    assert list(x) == list(range(1, 13))
    assert np.allclose(y, run1.finished.history.val_loss)
    # The legend names overlaid runs by number (one line for many); the tooltip in full.
    assert f"color:{run1.color}; font-weight:bold'>1</span>" in plot.legend.text()
    assert "Run 1: sigmoid" in plot.legend.toolTip()
    assert "Run 1" in plot.show_readout_at(5)
    runs.check(run1.number, False)
    assert run1.number not in plot._overlay_items


def test_deep_sigmoid_network_shows_vanishing_gradients(window, qtbot):
    w = window
    layers = ([("Input", {"shape": (2,)})] + [("Dense", {"units": 16,
                                                          "activation": "sigmoid"})] * 8
              + [("Dense", {"units": 2, "activation": "softmax"})])
    graph = GraphSpec.sequential(layers)
    for i, n in enumerate(graph.nodes):
        n.position = (i * 190.0, 0.0)
    project = w.document.snapshot()
    project.graph = graph
    project.training = project.training.replace(optimizer="sgd", learning_rate=0.1)
    w.files.replace_project(project, None, examples_dir())
    run = _train(qtbot, w, 4)
    c = run.curves
    first, last = c.layers.index("dense1"), c.layers.index("dense9")
    g = c.grad.data
    ratio = np.exp(np.mean(np.log(g[:, first])) - np.mean(np.log(g[:, last])))
    assert ratio < 1e-3
    # Independently: the gradient norms of the final weights on one batch, by the engine.
    net = _net(run)
    net.set_fused_output(True)
    from nncore.losses import get_loss

    loss = get_loss("categorical_crossentropy")
    xb = network_inputs(net, run.data.train)[:32]
    loss.forward(net.forward(xb, training=True), run.data.train.y[:32])
    net.backward(loss.backward())
    norms = dict(zip(net.norm_layers, net.layer_norms(net.grads_flat)))
    assert norms["dense1"] / norms["dense9"] < 1e-3
    # The badges say so.
    qtbot.wait(30)
    w.training.frames.redraw_all()
    badges = w.canvas_badges.badges()
    assert badges["dense1"].grad_level == "vanishing"
    assert badges["dense9"].grad_level == "ok"
    assert "vanishing" in w.scene.nodes["dense1"].toolTip()
    # The gradient plot has one curve per layer on a log axis.
    grads = w.plot_docks.inside.grads
    grads.refresh()
    assert list(grads.curves) == [f"dense{i}" for i in range(1, 10)]
    assert grads.plot.getPlotItem().getAxis("left").logMode


def test_dead_relu_badge_counts_units_that_never_fire(window, qtbot):
    w = window
    for node in ("dense1", "dense2"):
        w.editor.set_param(node, "activation", "relu")
    run = _train(qtbot, w, 5)
    res = _wait_probe(qtbot, w, "activations", run)
    val = run.data.val
    net = _net(run)
    net.forward(network_inputs(net, val.subset(np.arange(min(64, len(val.y))))))
    acts = net.activations()
    for node in ("dense1", "dense2"):
        dead = float(np.mean(~(acts[node] > 0).any(axis=0)))
        assert res.activity[node].fraction == pytest.approx(dead)
    badges = w.canvas_badges.badges()
    assert badges["dense1"].grad_level is not None


def test_histograms_of_the_selected_layer(window, qtbot):
    w = window
    run = _train(qtbot, w, 5)
    inside = w.plot_docks.inside
    inside.tabs.setCurrentIndex(1)
    w.scene.select_nodes(["dense2"])
    res = _wait_probe(qtbot, w, "activations", run)
    inside.refresh_probe_views()
    assert inside.layer_combo.currentData() == "dense2"
    counts = inside.weight_hist.counts
    want, _ = np.histogram(run.weights["dense2/W"], bins=40)
    assert np.array_equal(counts, want)
    act_counts = inside.act_hist.counts
    assert act_counts.sum() == res.outputs["dense2"].size


def test_regression_shows_predicted_against_actual(make_window, qtbot):
    w = make_window()
    assert w.open_project(examples_dir() / "regression.json", as_copy=True)
    run = _train(qtbot, w, 10)
    results = w.plot_docks.results
    assert results.tabs.isTabVisible(results.i_scatter)
    assert not results.tabs.isTabVisible(results.i_confusion)
    results.tabs.setCurrentIndex(results.i_scatter)
    res = _wait_probe(qtbot, w, "val", run)
    results.refresh_probe_views()
    val = run.data.val
    pred = _net(run).predict(val.X).reshape(-1)
    pred = pred * run.data.target_std[0] + run.data.target_mean[0]
    actual = val.y.reshape(-1) * run.data.target_std[0] + run.data.target_mean[0]
    x, y = results.scatter.points.getData()
    assert np.allclose(x, actual, atol=1e-5) and np.allclose(y, pred, atol=1e-4)
    rmse = math.sqrt(float(np.mean((actual - pred) ** 2)))
    assert f"RMSE {rmse:.4g}" in results.scatter.caption.text()
    assert len(res.index) == len(val.y)
    # 2-D inputs: a prediction map too; the metric plot shows the RMSE.
    assert results.tabs.isTabVisible(results.i_boundary)
    assert results.tabs.tabText(results.i_boundary) == "Prediction map"
    assert "RMSE" in w.plot_docks.curves.metric_plot.plot.getPlotItem().getAxis(
        "left").labelText


def test_conv_network_shows_feature_maps_and_misclassified_images(make_window, qtbot):
    w = make_window()
    assert w.open_project(examples_dir() / "digits_cnn.json", as_copy=True)
    run = _train(qtbot, w, 1)
    inside = w.plot_docks.inside
    assert inside.tabs.isTabVisible(inside.maps_index)
    inside.tabs.setCurrentIndex(inside.maps_index)
    w.scene.select_nodes(["conv1"])
    res = _wait_probe(qtbot, w, "activations", run)
    inside.sample_spin.setValue(3)
    inside.refresh_probe_views()
    net = _net(run)
    val = run.data.val
    net.forward(val.X[:64])
    maps = net.activations()["conv1"][2]  # sample 3
    tiles = inside.maps.tiles
    c, h, wd = maps.shape
    m0 = maps[0]
    want = (m0 - m0.min()) / (m0.max() - m0.min()) if m0.max() > m0.min() else 0 * m0
    assert np.allclose(tiles[:h, :wd], want, atol=1e-5)
    assert "16 maps of 8×8" in inside.maps.label.text()
    assert res.outputs["conv1"].shape[1:] == (16, 8, 8)

    results = w.plot_docks.results
    assert results.tabs.isTabVisible(results.i_gallery)
    results.tabs.setCurrentIndex(results.i_gallery)
    _wait_probe(qtbot, w, "val", run)
    results.refresh_probe_views()
    pred = net.predict(val.X).argmax(axis=1)
    wrong = int(np.sum(pred != val.y))
    assert results.gallery.caption.startswith(f"{wrong} of {len(val.y)}")
    assert len(results.gallery.items) == min(wrong, results.gallery.MAX)


def test_the_curves_say_what_they_show_to_a_screen_reader(window, qtbot):
    """The loss plot's accessible description names the run's last values and its best
    epoch, as the plot shows them."""
    from app.models.runs import format_loss
    from app.plots.curves import EpochPlot

    w = window
    w.editor.set_training(epochs=5)
    with qtbot.waitSignal(w.training.runFinished, timeout=60_000):
        assert w.training.train()
    run = w.training.history.runs[0]
    loss = next(p for p in w.findChildren(EpochPlot) if p.kind == "loss")
    loss.refresh()
    text = loss.plot.accessibleDescription()
    assert text.startswith("Run 1, epoch 5")
    assert f"validation {format_loss(float(run.curves.val_loss.data[-1]))}" in text
    assert "best epoch" in text
    assert loss.plot.accessibleName() == "Loss curves"
