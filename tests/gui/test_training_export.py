"""Exports of a trained run from the window (weights .npz, ONNX, Python script) and imports
of weights (strict, and partial with freezing for transfer learning). Each export is
checked against the engine's own predictions on raw inputs."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from app.paths import examples_dir
from nncore.network import Network
from nncore.weights import load_into, read_weights

TIMEOUT = 60_000


def _train(qtbot, w, epochs: int):
    w.editor.set_training(epochs=epochs)
    with qtbot.waitSignal(w.training.runFinished, timeout=TIMEOUT) as blocker:
        assert w.training.train()
    return blocker.args[0]


def _reference(run, raw: np.ndarray) -> np.ndarray:
    """What the run's network predicts for raw inputs: normalise as in training, predict,
    undo target standardisation."""
    net = Network(run.project.graph)
    net.set_weights(run.weights)
    data = run.data
    y = net.predict(data.normalizer.transform(raw))
    if data.target_mean is not None:
        y = y.reshape(len(y), -1) * data.target_std + data.target_mean
    return y


def _import_script(path: Path):
    spec = importlib.util.spec_from_file_location(f"exported_{path.stem}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("example", ["spiral", "regression"])
def test_exports_after_training_match_the_network(make_window, qtbot, tmp_path, dialog_log,
                                                  example):
    import onnxruntime as ort

    w = make_window()
    if example != "spiral":
        assert w.open_project(examples_dir() / f"{example}.json", as_copy=True)
    run = _train(qtbot, w, 15)
    ui = w.weights_dialogs
    assert all(a.isEnabled() for a in ui.export_actions.values())
    raw = run.data.dataset.X[:300].astype(np.float32)
    want = _reference(run, raw)

    dialog_log.save_paths.append(str(tmp_path / "model"))  # the suffix is added
    assert ui.export_dialog("weights")
    wf = read_weights(tmp_path / "model.npz")
    net = Network(run.project.graph)
    load_into(net, wf)
    y = net.predict(wf.normalizer().transform(raw))
    assert np.allclose(wf.unscale_targets(y).reshape(want.shape), want, atol=1e-6)
    assert wf.meta["task"] == run.data.dataset.task
    if example == "spiral":
        assert wf.class_names == run.data.class_names
    else:
        assert wf.meta["target_mean"] is not None

    dialog_log.save_paths.append(str(tmp_path / "model.onnx"))
    assert ui.export_dialog("onnx")
    sess = ort.InferenceSession(str(tmp_path / "model.onnx"),
                                providers=["CPUExecutionProvider"])
    got = sess.run(None, {sess.get_inputs()[0].name: raw})[0]
    assert got.shape[0] == len(raw)
    assert np.max(np.abs(got.reshape(want.shape) - want)) <= 1e-5 * max(1.0, np.abs(want).max())

    dialog_log.save_paths.append(str(tmp_path / "script.py"))
    assert ui.export_dialog("python")
    assert (tmp_path / "script.npz").is_file()
    mod = _import_script(tmp_path / "script.py")
    got = np.asarray(mod.predict(raw))
    assert np.max(np.abs(got.reshape(want.shape) - want)) <= 1e-5 * max(1.0, np.abs(want).max())
    assert "Exported Run 1" in w.statusBar().currentMessage()


def test_export_uses_the_run_chosen_in_the_history(window, qtbot, tmp_path, dialog_log):
    w = window
    run1 = _train(qtbot, w, 5)
    run2 = _train(qtbot, w, 5)  # continues: other weights
    assert w.training.history.selected_run() is run2  # default: the latest
    w.plot_docks.runs.tree.setCurrentItem(w.plot_docks.runs.items[run1.number])
    assert w.training.history.selected_run() is run1
    dialog_log.save_paths.append(str(tmp_path / "first.npz"))
    assert w.weights_dialogs.export_dialog("weights")
    wf = read_weights(tmp_path / "first.npz")
    for k, v in run1.weights.items():
        assert np.array_equal(wf.arrays[k], v)
    assert not np.array_equal(run1.weights["dense1/W"], run2.weights["dense1/W"])


def test_export_without_training_says_so(window, dialog_log):
    assert not window.weights_dialogs.export_dialog("onnx")
    assert "no trained weights" in dialog_log.last[1]


def test_import_weights_strict_round_trip(window, qtbot, tmp_path, dialog_log):
    w = window
    run = _train(qtbot, w, 5)
    dialog_log.save_paths.append(str(tmp_path / "w.npz"))
    assert w.weights_dialogs.export_dialog("weights")
    w.run_controls.act_reset.trigger()
    dialog_log.open_paths.append(str(tmp_path / "w.npz"))
    assert w.weights_dialogs.import_dialog(partial=False)
    net = w.training.trained.network
    for k, v in run.weights.items():
        assert np.array_equal(net.get_weights()[k], v)
    # The next run continues from the imported weights.
    run2 = _train(qtbot, w, 1)
    assert run2.continued
    # Weights of another network are refused with a message naming the mismatch.
    w.editor.set_param("dense1", "units", 7)
    dialog_log.open_paths.append(str(tmp_path / "w.npz"))
    assert not w.weights_dialogs.import_dialog(partial=False)
    title, text, info = dialog_log.last
    assert "Cannot import" in title and "dense1/W" in info


def test_import_for_transfer_learning_freezes_the_loaded_layers(window, qtbot, tmp_path,
                                                                dialog_log):
    from PySide6.QtWidgets import QMessageBox

    w = window
    run = _train(qtbot, w, 5)
    dialog_log.save_paths.append(str(tmp_path / "w.npz"))
    assert w.weights_dialogs.export_dialog("weights")
    # A new output layer (another name): only dense1 and dense2 match by name and shape.
    w.run_controls.act_reset.trigger()
    assert w.editor.rename_node("dense3", "head") is None
    count = w.undo_stack.count()
    dialog_log.open_paths.append(str(tmp_path / "w.npz"))
    dialog_log.answers.append(QMessageBox.StandardButton.Yes)
    assert w.weights_dialogs.import_dialog(partial=True)
    assert "Freeze" in dialog_log.last[0] and "dense1, dense2" in dialog_log.last[1]
    assert w.document.node("dense1").frozen and w.document.node("dense2").frozen
    assert not w.document.node("head").frozen
    assert w.undo_stack.count() == count + 1  # one undoable step
    head_before = w.training.trained.network.get_weights()["head/W"].copy()
    # Training changes only the new layer; the frozen ones keep the imported weights.
    run2 = _train(qtbot, w, 3)
    assert run2.status == "completed" and run2.continued
    for key in ("dense1/W", "dense1/b", "dense2/W", "dense2/b"):
        assert np.array_equal(run2.weights[key], run.weights[key])
    assert not np.array_equal(run2.weights["head/W"], head_before)
    # Weights that match nothing are refused.
    w.editor.set_training(epochs=1)
    for node in ("dense1", "dense2"):
        w.editor.set_param(node, "units", 5)
    dialog_log.open_paths.append(str(tmp_path / "w.npz"))
    assert not w.weights_dialogs.import_dialog(partial=True)
    assert "no layer of this network matches" in dialog_log.last[2]
