"""Run > Evaluate…: the current weights on a split without training. What the window shows
(summary, table cells, confusion matrix) equals the engine's evaluation computed here and
a numpy count of the predictions."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

from app.paths import examples_dir
from nncore.evaluation import evaluate_split
from nncore.network import Network
from nncore.run import build_network, network_inputs, prepare_data
from nncore.weights import save_weights

TIMEOUT = 60_000


def _open(w, name: str) -> None:
    assert w.open_project(examples_dir() / f"{name}.json", as_copy=True)


def _train(qtbot, w, epochs: int):
    w.editor.set_training(epochs=epochs)
    with qtbot.waitSignal(w.training.runFinished, timeout=TIMEOUT) as blocker:
        assert w.training.train()
    return blocker.args[0]


def _evaluate(qtbot, w, split: str = "val"):
    w.findChild(QAction, "actionEvaluate").trigger()
    d = w.explain.evaluate_dialog
    d.split.setCurrentIndex(d.split.findData(split))
    d.evaluation = None
    qtbot.mouseClick(d.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not d.job.running, timeout=TIMEOUT)
    return d


def _cell(d, row: int, col: int) -> str:
    return d.table.item(row, col).text()


def test_evaluate_trained_weights_matches_the_engine(window, qtbot, tmp_path, dialog_log):
    w = window
    _open(w, "iris")
    run = _train(qtbot, w, 15)
    d = _evaluate(qtbot, w)
    ev = d.evaluation
    assert ev is not None and ev.split == "val"
    # Independently: the run's final weights on its validation split.
    net = Network(run.project.graph)
    net.set_weights(run.weights)
    want = evaluate_split(net, run.data, "categorical_crossentropy", "val")
    assert ev.loss == pytest.approx(want.loss, rel=1e-9)
    assert ev.metrics["accuracy"] == pytest.approx(want.metrics["accuracy"])
    assert d.summary.text() == (f"Validation split, {want.n} samples: loss {want.loss:.4g}, "
                                f"accuracy {want.metrics['accuracy']:.2%}.")
    # The confusion matrix counts the predictions (rows: true class).
    val = run.data.val
    pred = net.predict(network_inputs(net, val)).argmax(axis=1)
    counts = np.zeros((3, 3), int)
    np.add.at(counts, (val.y.astype(int), pred), 1)
    assert np.array_equal(d.matrix.matrix, counts)
    assert d.matrix.isVisible()
    right = int(np.trace(counts))
    assert d.matrix.caption.startswith(f"validation: {right}/{len(val.y)} right")
    # The table: per class precision, recall, F1, support, then the two averages.
    names = run.data.class_names
    for i, c in enumerate(want.per_class):
        tp = counts[i, i]
        assert _cell(d, i, 0) == names[i]
        assert _cell(d, i, 1) == f"{tp / max(counts[:, i].sum(), 1):.3f}"
        assert _cell(d, i, 2) == f"{tp / counts[i].sum():.3f}"
        assert _cell(d, i, 3) == f"{c.f1:.3f}"
        assert _cell(d, i, 4) == str(counts[i].sum())
    assert _cell(d, 3, 0) == "macro average"
    assert _cell(d, 3, 3) == f"{want.macro['f1']:.3f}"
    assert _cell(d, 4, 0) == "weighted average"
    assert "trained weights (15 epochs)" in d.bar.message.text()
    d.grab().save(str(tmp_path / "evaluate.png"))
    # Weights loaded through File > Import Weights after a reset give the same numbers.
    path = tmp_path / "iris.npz"
    save_weights(path, net)
    w.run_controls.act_reset.trigger()
    dialog_log.open_paths.append(str(path))
    w.weights_dialogs.act_import.trigger()
    d = _evaluate(qtbot, w)
    assert "imported from iris.npz" in d.bar.message.text()
    assert d.evaluation.loss == pytest.approx(want.loss, rel=1e-6)
    assert np.array_equal(d.matrix.matrix, counts)


def test_evaluate_initial_weights_and_a_missing_split(window, qtbot):
    w = window
    _open(w, "iris")
    # No run yet: the initial weights, as a fresh run would start from.
    d = _evaluate(qtbot, w)
    project = w.document.snapshot()
    net = build_network(project)
    data = prepare_data(project.data, w.document.base_dir)
    want = evaluate_split(net, data, project.training.loss, "val")
    assert d.evaluation.loss == pytest.approx(want.loss, rel=1e-9)
    assert "initial weights" in d.bar.message.text()
    # Untrained, the predictions pile up in few classes: the counts are lopsided, so a
    # transposed matrix would show.
    pred = net.predict(network_inputs(net, data.val)).argmax(axis=1)
    counts = np.zeros((3, 3), int)
    np.add.at(counts, (data.val.y.astype(int), pred), 1)
    assert not np.array_equal(counts, counts.T)
    assert np.array_equal(d.matrix.matrix, counts)
    # Iris has no test split: the reason is said in the window, no table changes.
    d = _evaluate(qtbot, w, "test")
    assert "no test split" in d.bar.message.text()
    assert "test_fraction" in d.bar.message.text()
    # With one, the test split is evaluated.
    assert w.editor.set_data(test_fraction=0.2) is None
    d = _evaluate(qtbot, w, "test")
    assert d.evaluation.split == "test"
    data = prepare_data(w.document.snapshot().data, w.document.base_dir)
    assert d.evaluation.n == len(data.test.y)
    assert d.summary.text().startswith(f"Test split, {len(data.test.y)} samples")
    assert d.matrix.caption.startswith("test: ")


def test_evaluate_regression_shows_rmse_mae_r2(window, qtbot):
    w = window
    _open(w, "regression")
    run = _train(qtbot, w, 5)
    d = _evaluate(qtbot, w)
    net = Network(run.project.graph)
    net.set_weights(run.weights)
    val = run.data.val
    pred = net.predict(network_inputs(net, val)).ravel() * run.data.target_std[0] \
        + run.data.target_mean[0]
    true = val.y.ravel() * run.data.target_std[0] + run.data.target_mean[0]
    rmse = float(np.sqrt(np.mean((pred - true) ** 2)))
    r2 = 1 - float(np.sum((pred - true) ** 2) / np.sum((true - true.mean()) ** 2))
    assert not d.matrix.isVisible()
    assert [_cell(d, i, 0) for i in range(3)] == ["RMSE", "MAE", "R²"]
    assert _cell(d, 0, 1) == f"{rmse:.3f}"
    assert _cell(d, 1, 1) == f"{np.mean(np.abs(pred - true)):.3f}"
    assert _cell(d, 2, 1) == f"{r2:.3f}"
