"""The Hidden Space dock: the plotted points are nncore.projection's coordinates of the
layer's activations; during a run the points move on fixed axes; Reset axes refits;
the tooltip names the sample; an Embedding layer shows its vectors."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from app.explain.hidden_compute import sample_index
from app.paths import examples_dir
from app.training.probe import eval_set
from nncore.network import Network
from nncore.projection import Projection, embedding_vectors, layer_activations
from nncore.run import network_inputs, prepare_data

TIMEOUT = 60_000


def _show(qtbot, w, name: str):
    assert w.open_project(examples_dir() / f"{name}.json", as_copy=True)
    w.explain.hidden_dock.raise_()
    panel = w.explain.hidden
    qtbot.waitUntil(lambda: panel.result is not None, timeout=TIMEOUT)
    return panel


def _choose_layer(qtbot, panel, layer: str):
    panel.layer_combo.setCurrentIndex(panel.layer_combo.findData(layer))
    qtbot.waitUntil(lambda: panel.result is not None and panel.result.layer == layer
                    and not panel.job.running, timeout=TIMEOUT)


def _independent(net: Network, data, layer: str, previous=None):
    ds = eval_set(data)
    index = sample_index(len(ds.y))
    rows = layer_activations(net, network_inputs(net, ds.subset(index)), layer)
    proj = Projection.fit(rows, previous=previous)
    return proj, proj.project(rows), index


def test_points_are_the_projection_of_the_layer(window, qtbot, tmp_path):
    w = window
    panel = _show(qtbot, w, "iris")
    assert panel.layer_combo.currentData() == "dense1"
    # The window's weights (initial: nothing trained) and the project's data.
    net = Network(w.document.project.graph, seed=None)
    net.set_weights(w.training.trained.network.get_weights())
    data = prepare_data(w.document.project.data, w.document.base_dir)
    proj, coords, index = _independent(net, data, "dense1")
    x, y = panel.plot.coordinates()
    assert np.allclose(x, coords[:, 0], atol=1e-9) and np.allclose(y, coords[:, 1], atol=1e-9)
    assert len(x) == len(data.val.y)
    # PC1 / PC3.
    panel.pair_combo.setCurrentIndex(1)
    x, y = panel.plot.coordinates()
    assert np.allclose(y, coords[:, 2], atol=1e-9)
    assert panel.plot.widget.getPlotItem().getAxis("left").labelText.startswith("PC3")
    # What the person reads: the variance each axis explains.
    ratio = proj.variance_ratio
    assert f"PC1 {ratio[0]:.0%}, PC2 {ratio[1]:.0%}" in panel.info.text()
    # The tooltip of a point: the sample, its label and the prediction.
    i = 7
    names = data.class_names
    pred = net.predict(network_inputs(net, data.val)).argmax(axis=1)
    tip = panel.plot.scatter.opts["tip"](x=x[i], y=y[i], data=i)
    assert tip == (f"Validation sample {index[i] + 1}\nlabel: {names[data.val.y[i]]}\n"
                   f"predicted: {names[pred[i]]} "
                   f"({'right' if pred[i] == data.val.y[i] else 'wrong'})")
    # The legend says what the colours mean.
    assert all(n in panel.legend.text() for n in names)
    panel.color_combo.setCurrentIndex(panel.color_combo.findData("error"))
    assert "right" in panel.legend.text() and "wrong" in panel.legend.text()
    # The output layer: new axes.
    _choose_layer(qtbot, panel, "dense2")
    _, coords2, _ = _independent(net, data, "dense2")
    panel.pair_combo.setCurrentIndex(0)
    x, y = panel.plot.coordinates()
    assert np.allclose(x, coords2[:, 0], atol=1e-9)
    w.grab().save(str(tmp_path / "hidden.png"))


def test_points_move_on_fixed_axes_while_training(window, qtbot):
    w = window
    panel = _show(qtbot, w, "iris")
    w.editor.set_training(epochs=100000)
    assert w.training.train()
    # The first update of the run fits the axes ...
    qtbot.waitUntil(lambda: panel._series == ("run", 1), timeout=TIMEOUT)
    first = panel.result
    assert first.refit
    ranges = panel.plot.view_range()
    x1, _ = panel.plot.coordinates()
    # ... and the next ones move the points on the same axes and range.
    qtbot.waitUntil(lambda: panel.result is not first, timeout=TIMEOUT)
    second = panel.result
    assert not second.refit and second.projection is first.projection
    x2, _ = panel.plot.coordinates()
    assert not np.allclose(x1, x2)
    assert panel.plot.view_range() == ranges
    # Reset axes refits to the activations of the moment (the range fits them).
    qtbot.mouseClick(panel.reset_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.result is not second and panel.result.refit,
                    timeout=TIMEOUT)
    with qtbot.waitSignal(w.training.runFinished, timeout=TIMEOUT):
        w.training.stop()
    x, y = panel.plot.coordinates()
    (x0, x1r), (y0, y1r) = panel.plot.view_range()
    if panel.result.refit:
        assert x0 <= x.min() and x.max() <= x1r and y0 <= y.min() and y.max() <= y1r


def test_embedding_layer_shows_its_vectors(window, qtbot):
    w = window
    panel = _show(qtbot, w, "recommender")
    assert "item_vector (Embedding: vectors)" in [
        panel.layer_combo.itemText(i) for i in range(panel.layer_combo.count())]
    _choose_layer(qtbot, panel, "item_vector")
    net = Network(w.document.project.graph, seed=None)
    net.set_weights(w.training.trained.network.get_weights())
    vectors = embedding_vectors(net, "item_vector")
    coords = Projection.fit(vectors).project(vectors)
    x, y = panel.plot.coordinates()
    assert len(x) == len(vectors) == 80
    assert np.allclose(x, coords[:, 0], atol=1e-9) and np.allclose(y, coords[:, 1], atol=1e-9)
    assert panel.plot.tip_text(5) == "item_vector: id 5"
    assert "80 vectors of item_vector" in panel.info.text()


def test_the_dock_is_listed_and_tabbed_with_the_training_curves(window):
    w = window
    assert w.explain.hidden_dock in w.tabifiedDockWidgets(w.plot_docks.curves_dock)
    view = next(a.menu() for a in w.menuBar().actions() if a.text() == "&View")
    panels = next(a.menu() for a in view.actions() if a.text() == "&Panels")
    assert "Hidden Space" in [a.text() for a in panels.actions()]
    run = next(a.menu() for a in w.menuBar().actions() if a.text() == "&Run")
    texts = [a.text() for a in run.actions()]
    assert "E&xplain a Sample…" in texts and "E&valuate…" in texts


def test_big_validation_sets_are_sampled_evenly():
    assert list(sample_index(5)) == [0, 1, 2, 3, 4]
    idx = sample_index(10_000)
    assert len(idx) == 1000 and idx[0] == 0 and idx[-1] == 9999
    assert np.all(np.diff(idx) > 0)


def test_hovering_an_image_sample_shows_its_picture(window, qtbot):
    from app.plots.matrix import to_qimage

    w = window
    panel = _show(qtbot, w, "digits_cnn")
    data = prepare_data(w.document.project.data, w.document.base_dir)
    scatter = panel.plot.scatter
    scatter.sigHovered.emit(scatter, scatter.points()[3:4], None)
    assert panel.thumb.isVisible()
    raw = data.normalizer.inverse_transform(data.val.X[3:4])[0]
    want = to_qimage(raw).scaled(panel.thumb.size())
    assert panel.thumb.pixmap().toImage().convertToFormat(want.format()) == want
    assert panel.thumb.toolTip().startswith("Validation sample 4\nlabel: ")
    scatter.sigHovered.emit(scatter, [], None)
    assert not panel.thumb.isVisible()


def test_an_edited_network_is_shown_at_once(window, qtbot):
    w = window
    panel = _show(qtbot, w, "iris")
    assert panel.result.projection.mean.shape == (16,)
    assert w.editor.set_param("dense1", "units", 8) is None
    qtbot.waitUntil(lambda: panel.result.projection.mean.shape == (8,), timeout=TIMEOUT)
    assert panel.result.refit
