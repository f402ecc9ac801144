"""File ▸ Import ▸ ONNX Model… driven through the menu: the imported project and weights
equal what ``netcanvas import`` writes for the same file, the window predicts what the
model computes, and a model with operators NetCanvas lacks is refused with their list and
node names while the project stays as it was."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu, QMessageBox

from nncore.cli import main
from nncore.network import Network
from nncore.project import load_project
from nncore.weights import load_into, read_weights

TIMEOUT = 30_000


def _float(name, *shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch", *shape])


def _model(path, nodes, out_width, weights):
    graph = helper.make_graph(nodes, "g", [_float("x", 4)], [_float("y", out_width)],
                              initializer=[numpy_helper.from_array(a.astype(np.float32), n)
                                           for n, a in weights.items()])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path


def _mlp(tmp_path):
    rng = np.random.default_rng(3)
    w = {"W1": rng.normal(size=(4, 8)), "b1": rng.normal(size=8),
         "W2": rng.normal(size=(8, 3)), "b2": rng.normal(size=3)}
    nodes = [helper.make_node("Gemm", ["x", "W1", "b1"], ["h"], name="fc1"),
             helper.make_node("Relu", ["h"], ["r"], name="act1"),
             helper.make_node("Gemm", ["r", "W2", "b2"], ["z"], name="fc2"),
             helper.make_node("Softmax", ["z"], ["y"], name="probs", axis=-1)]
    return _model(tmp_path / "mlp.onnx", nodes, 3, w), w


def _import_menu_action(w, name):
    menu = w.menuBar().findChild(QMenu, "menuImport")
    return next(a for a in menu.actions() if a.objectName() == name)


def test_import_onnx_opens_the_model_with_its_weights_as_the_cli_imports_it(
        window, qtbot, tmp_path, dialog_log):
    w = window
    path, wts = _mlp(tmp_path)
    assert main(["import", str(path), "--out", str(tmp_path / "cli.json")]) == 0
    cli_project = load_project(tmp_path / "cli.json")
    cli_weights = read_weights(tmp_path / "cli.npz")

    w.files.marked_modified = True  # unsaved changes: the window asks first, like Open
    dialog_log.answers.append(QMessageBox.StandardButton.Discard)
    dialog_log.open_paths.append(str(path))
    _import_menu_action(w, "actionImportOnnx").trigger()
    part = w.onnx_import
    qtbot.waitUntil(lambda: part.report is not None and part.report.isVisible(),
                    timeout=TIMEOUT)
    assert dialog_log.messages[0][0] == "Unsaved changes"

    # The project is the CLI's: nodes, edges, loss; untitled and unsaved.
    project = w.document.project
    assert [(n.id, n.type, n.params) for n in project.graph.nodes] == \
        [(n.id, n.type, n.params) for n in cli_project.graph.nodes]
    assert [(e.source, e.target) for e in project.graph.edges] == \
        [(e.source, e.target) for e in cli_project.graph.edges]
    assert project.training.loss == cli_project.training.loss == "categorical_crossentropy"
    assert w.document.path is None and w.files.is_modified()
    assert w.undo_stack.count() == 0
    assert w.windowTitle().startswith("mlp")

    # Its weights are the network's weights, equal to the CLI's weights file.
    net = w.training.current_network()
    got = net.get_weights()
    assert sorted(got) == sorted(cli_weights.arrays)
    for k, a in cli_weights.arrays.items():
        np.testing.assert_array_equal(got[k], a)
    assert w.training.continue_from() == 0  # Train continues from them

    # The window predicts what the model computes, and what the CLI's files predict.
    x = np.random.default_rng(1).normal(size=(20, 4)).astype(np.float32)
    z = np.maximum(x @ wts["W1"] + wts["b1"], 0) @ wts["W2"] + wts["b2"]
    want = np.exp(z - z.max(1, keepdims=True))
    want /= want.sum(1, keepdims=True)
    np.testing.assert_allclose(net.predict(x), want, atol=1e-5)
    cli_net = Network(cli_project.graph)
    load_into(cli_net, cli_weights)
    np.testing.assert_array_equal(net.predict(x), cli_net.predict(x))

    # What the person reads: the report, and the way to the data panel.
    report = part.report
    assert "untitled project with its weights loaded" in report.headline.text()
    assert "no data yet" in report.headline.text()
    body = report.body.toPlainText()
    assert f"Weights: {net.total_params:,}" in body and "(4,)" in body and "(3,)" in body
    w.data_dock.hide()
    qtbot.mouseClick(report.buttons["Choose Data…"], Qt.MouseButton.LeftButton)
    assert w.data_dock.isVisible() and not report.isVisible()


def test_a_model_with_unsupported_operators_is_refused_with_their_list(
        window, qtbot, tmp_path, dialog_log):
    w = window
    rng = np.random.default_rng(0)
    path = _model(tmp_path / "odd.onnx", [
        helper.make_node("Gemm", ["x", "W1", "b1"], ["h"], name="fc1"),
        helper.make_node("Sin", ["h"], ["s"], name="wave"),
        helper.make_node("Gemm", ["s", "W2", "b2"], ["z"], name="fc2"),
        helper.make_node("Cos", ["z"], ["c"], name="cosine"),
        helper.make_node("Sin", ["c"], ["y"], name="wave_again"),
    ], 2, {"W1": rng.normal(size=(4, 5)), "b1": np.zeros(5), "W2": rng.normal(size=(5, 2)),
           "b2": np.zeros(2)})
    before = w.document.project.to_dict()
    w.files.marked_modified = True
    dialog_log.open_paths.append(str(path))
    _import_menu_action(w, "actionImportOnnx").trigger()
    part = w.onnx_import
    qtbot.waitUntil(lambda: part.report is not None and part.report.isVisible(),
                    timeout=TIMEOUT)
    report = part.report
    assert report.objectName() == "onnxRefusal"
    assert "2 operators" in report.headline.text()
    assert "Cos, Sin" in report.headline.text()
    assert "Nothing was imported" in report.headline.text()
    body = report.body.toPlainText()
    assert "wave, wave_again" in body and "cosine" in body
    # Nothing changed, and nobody was asked to save (nothing replaces the project).
    assert w.document.project.to_dict() == before and w.files.is_modified()
    assert dialog_log.messages == []
    # Nothing written beside the model (the window keeps its settings file here).
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "settings.ini") == ["odd.onnx"]
    assert main(["import", str(path), "--out", str(tmp_path / "p.json")]) == 1


def test_a_file_that_is_not_onnx_says_so(window, qtbot, tmp_path, dialog_log):
    w = window
    bad = tmp_path / "notes.onnx"
    bad.write_text("not a model")
    before = w.document.project.to_dict()
    dialog_log.open_paths.append(str(bad))
    _import_menu_action(w, "actionImportOnnx").trigger()
    qtbot.waitUntil(lambda: bool(dialog_log.messages), timeout=TIMEOUT)
    title, text, detail = dialog_log.last
    assert title == "Cannot import the ONNX model"
    assert "notes.onnx" in text and "not a valid ONNX model" in detail
    assert w.document.project.to_dict() == before
    assert w.onnx_import.act_import.isEnabled()


def test_cancel_drops_the_conversion_and_keeps_the_project(window, qtbot, tmp_path,
                                                           dialog_log, monkeypatch):
    import threading

    from PySide6.QtWidgets import QProgressDialog, QPushButton

    from app.window import onnx_import

    w = window
    path, _w = _mlp(tmp_path)
    gate = threading.Event()
    real = onnx_import.import_onnx
    monkeypatch.setattr(onnx_import, "import_onnx", lambda p: (gate.wait(10), real(p))[1])
    before = w.document.project.to_dict()
    w.files.marked_modified = True
    dialog_log.open_paths.append(str(path))
    _import_menu_action(w, "actionImportOnnx").trigger()
    assert not w.onnx_import.act_import.isEnabled()
    progress = w.findChild(QProgressDialog, "fileJobProgress")
    qtbot.waitUntil(progress.isVisible, timeout=TIMEOUT)
    assert "converting mlp.onnx" in progress.labelText()
    cancel = next(b for b in progress.findChildren(QPushButton) if b.text() == "Cancel")
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    gate.set()
    qtbot.waitUntil(lambda: "Import cancelled" in w.statusBar().currentMessage(),
                    timeout=TIMEOUT)
    assert w.document.project.to_dict() == before and dialog_log.messages == []
    assert w.onnx_import.report is None and w.onnx_import.act_import.isEnabled()
