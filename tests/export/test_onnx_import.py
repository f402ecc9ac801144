"""``netcanvas import``: ONNX models onto the canvas. Every registered layer example and
every example project exported to ONNX (NetCanvas' own exporter) and imported back predicts
what onnxruntime computes from the file to 1e-6 (normalization and target scaling back in
the weights file); a model holding what NetCanvas lacks is refused with the operators and
node names, and nothing is written."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from nncore.cli import main
from nncore.export import export_onnx
from nncore.network import Network
from nncore.onnx_import import UnsupportedModelError, import_onnx
from nncore.project import load_project
from nncore.weights import load_into, read_weights

from .export_nets import run_onnx
from .pytorch_support import EXAMPLES
from .test_export_registry import CASES, _feeds, _network

EXAMPLE_NAMES = sorted(p.stem for p in EXAMPLES.glob("*.json"))


def _imported_predict(project_path, weights_path, feeds: dict) -> np.ndarray:
    """What NetCanvas predicts with an imported project and weights on raw inputs."""
    project = load_project(project_path)
    net = Network(project.graph)
    w = read_weights(weights_path, net.weight_shapes())
    load_into(net, w)
    norm = w.normalizer()
    x = {k: (norm.transform(v) if norm is not None else v) for k, v in feeds.items()}
    return w.unscale_targets(net.predict(x if len(x) > 1 else next(iter(x.values()))))


def _raw_inputs(net, n, rng):
    from nncore.export import integer_inputs

    ints = integer_inputs(net)
    return {i: (rng.integers(0, 50, (n, *net.shapes[i])) if i in ints
                else rng.normal(0, 2, (n, *net.shapes[i])).astype(np.float32))
            for i in net.input_ids}


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_example_round_trips_through_onnx(name, tmp_path):
    project = EXAMPLES / f"{name}.json"
    w, model = tmp_path / "w.npz", tmp_path / "m.onnx"
    assert main(["train", str(project), "--epochs", "1", "--quiet", "--out-weights",
                 str(w)]) == 0
    assert main(["export", str(project), "--weights", str(w), "--onnx", str(model)]) == 0
    assert main(["import", str(model), "--out", str(tmp_path / "i.json")]) == 0
    net = Network(load_project(project).graph)
    feeds = _raw_inputs(net, 23, np.random.default_rng(0))
    want = run_onnx(model, feeds)
    got = _imported_predict(tmp_path / "i.json", tmp_path / "i.npz", feeds)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    original = read_weights(w)
    back = read_weights(tmp_path / "i.npz")
    assert back.class_names == original.class_names
    assert back.norm_mode == original.norm_mode


@pytest.mark.parametrize("cls,params,shapes", CASES)
def test_every_layer_example_round_trips_through_onnx(cls, params, shapes, tmp_path):
    net = _network(cls, params, shapes)
    export_onnx(net, tmp_path / "m.onnx")
    if {n.op_type for n in onnx.load(tmp_path / "m.onnx").graph.node} <= {"Identity"}:
        # A layer that is the identity in inference (Dropout...) exports to a model with no
        # layer at all: importing it is refused, saying so, and nothing is written.
        with pytest.raises(UnsupportedModelError, match="there is no layer"):
            import_onnx(tmp_path / "m.onnx")
        assert not (tmp_path / "i.json").exists()
        return
    imported = import_onnx(tmp_path / "m.onnx")
    imported.save(tmp_path / "i.json", tmp_path / "i.npz")
    feeds = {k: v for k, v in zip(net.input_ids, _feeds(net).values())}
    got = _imported_predict(tmp_path / "i.json", tmp_path / "i.npz", feeds)
    np.testing.assert_allclose(got, run_onnx(tmp_path / "m.onnx", feeds), rtol=1e-6,
                               atol=1e-6)
    types = {n.type for n in imported.project.graph.nodes}
    if cls.type_name not in ("Dropout", "SpatialDropout2D", "Activation"):
        assert cls.type_name in types  # the layer itself, not an equivalent
    assert all(a < b for a, b in _edge_columns(imported.project.graph))


def _edge_columns(graph):
    pos = {n.id: n.position[0] for n in graph.nodes}
    return [(pos[e.source], pos[e.target]) for e in graph.edges]


def _model(nodes, inputs, outputs, initializers=(), opset=17):
    graph = helper.make_graph(nodes, "g", inputs, outputs,
                              initializer=[numpy_helper.from_array(np.asarray(a, np.float32), n)
                                           for n, a in initializers])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _float(name, *shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch", *shape])


def test_unsupported_operators_are_listed_with_their_nodes(tmp_path):
    rng = np.random.default_rng(0)
    model = _model([
        helper.make_node("Conv", ["x", "w"], ["c"], name="conv_a", pads=[1, 1, 1, 1]),
        helper.make_node("LRN", ["c"], ["l"], name="norm_b", size=3),
        helper.make_node("Conv", ["l", "w2"], ["c2"], name="grouped", group=2),
        helper.make_node("Erf", ["c2"], ["e"], name="erf_c"),
        helper.make_node("Flatten", ["e"], ["y"], name="flat"),
    ], [_float("x", 2, 5, 5)], [_float("y", 50)],
        [("w", rng.normal(size=(2, 2, 3, 3))), ("w2", rng.normal(size=(2, 1, 1, 1)))])
    onnx.save(model, tmp_path / "m.onnx")
    with pytest.raises(UnsupportedModelError) as info:
        import_onnx(tmp_path / "m.onnx")
    msg = str(info.value)
    assert "unsupported operators Conv, Erf, LRN" in msg
    assert "LRN (node 'norm_b')" in msg and "Erf (node 'erf_c')" in msg
    assert "Conv (node 'grouped'): group=2" in msg
    assert [p[:2] for p in info.value.problems] == [("LRN", "norm_b"), ("Conv", "grouped"),
                                                     ("Erf", "erf_c")]
    code = main(["import", str(tmp_path / "m.onnx"), "--out", str(tmp_path / "p.json")])
    assert code == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx"]


@pytest.mark.parametrize("case,fragment", [
    ("pads", "neither 'valid' nor NetCanvas' 'same'"),
    ("two outputs", "one output"),
    ("sub", "Sub (node 'minus')"),
])
def test_what_netcanvas_layers_cannot_take_is_refused(case, fragment, tmp_path):
    rng = np.random.default_rng(1)
    w = ("w", rng.normal(size=(2, 1, 3, 3)))
    if case == "pads":  # stride 2 with symmetric padding: not NetCanvas' 'same'
        model = _model([helper.make_node("Conv", ["x", "w"], ["y"], name="c", strides=[2, 2],
                                         pads=[1, 1, 1, 1])],
                       [_float("x", 1, 8, 8)], [_float("y", 2, 4, 4)], [w])
    elif case == "two outputs":
        model = _model([helper.make_node("Relu", ["x"], ["a"]),
                        helper.make_node("Tanh", ["x"], ["b"])],
                       [_float("x", 3)], [_float("a", 3), _float("b", 3)])
    else:
        model = _model([helper.make_node("Relu", ["x"], ["a"]),
                        helper.make_node("Sub", ["a", "x"], ["y"], name="minus")],
                       [_float("x", 3)], [_float("y", 3)])
    onnx.save(model, tmp_path / "m.onnx")
    with pytest.raises(UnsupportedModelError, match="cannot import") as info:
        import_onnx(tmp_path / "m.onnx")
    assert fragment in str(info.value)


def test_a_file_that_is_not_onnx_is_bad_input(tmp_path, capsys):
    (tmp_path / "m.onnx").write_bytes(b"\x00garbage" * 10)
    assert main(["import", str(tmp_path / "m.onnx"), "--out", str(tmp_path / "p.json")]) == 2
    assert "not a valid ONNX model" in capsys.readouterr().err
    assert main(["import", str(tmp_path / "none.onnx"), "--out", str(tmp_path / "p.json")]) == 2


def test_imported_project_trains_and_keeps_metadata(tmp_path):
    """A NetCanvas export keeps its class names and normalization through the import; the
    project picks the loss from the output activation and trains on its data."""
    project = EXAMPLES / "iris.json"
    assert main(["train", str(project), "--epochs", "2", "--quiet", "--out-weights",
                 str(tmp_path / "w.npz")]) == 0
    assert main(["export", str(project), "--weights", str(tmp_path / "w.npz"), "--onnx",
                 str(tmp_path / "m.onnx")]) == 0
    imported = import_onnx(tmp_path / "m.onnx")
    assert imported.project.training.loss == "categorical_crossentropy"
    assert imported.class_names == read_weights(tmp_path / "w.npz").class_names
    raw = json.loads(json.dumps(imported.project.to_dict()))
    raw["data"] = json.loads((EXAMPLES / "iris.json").read_text())["data"]
    (tmp_path / "i.json").write_text(json.dumps(raw))
    imported.save(tmp_path / "unused.json", tmp_path / "i.npz")
    assert main(["train", str(tmp_path / "i.json"), "--epochs", "1", "--quiet",
                 "--init-weights", str(tmp_path / "i.npz")]) == 0


def test_a_malformed_node_is_a_problem_not_a_crash(tmp_path):
    """An LSTM without hidden_size passes the ONNX checker (the attribute is optional)."""
    rng = np.random.default_rng(2)
    model = _model([
        helper.make_node("Transpose", ["x"], ["t"], perm=[1, 0, 2]),
        helper.make_node("LSTM", ["t", "w", "r"], ["", "h"], name="no_size"),
        helper.make_node("Squeeze", ["h", "axes"], ["y"]),
    ], [_float("x", 4, 2)], [_float("y", 3)],
        [("w", rng.normal(size=(1, 12, 2))), ("r", rng.normal(size=(1, 12, 3)))])
    model.graph.initializer.append(numpy_helper.from_array(np.array([0], np.int64), "axes"))
    onnx.save(model, tmp_path / "m.onnx")
    with pytest.raises(UnsupportedModelError, match="LSTM \\(node 'no_size'\\): cannot read"):
        import_onnx(tmp_path / "m.onnx")
