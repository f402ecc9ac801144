"""Names and text the exports give their reader (mutation-testing pass): the ONNX graph's
tensors named after the nodes and the target scaling's initializers, the script's
variables for node ids that collide, its section headers, its default name, and window
slicing only where a stride is not 1."""

from __future__ import annotations

import numpy as np
import onnx
import pytest

from nncore.errors import ParameterError
from nncore.export import export_onnx, export_python
from nncore.export.python_script import generate_script
from nncore.network import Network
from nncore.spec import GraphSpec

from .export_nets import graph, import_script, run_onnx


def _linear_net():
    return Network(GraphSpec.sequential([("Input", {"shape": [3]}),
                                         ("Dense", {"units": 2, "activation": "linear"})]),
                   seed=0)


# ---------------------------------------------------------------------------------------------
# ONNX
# ---------------------------------------------------------------------------------------------
def test_onnx_add_of_three_inputs_names_its_partial_sum_and_its_output(tmp_path):
    g = graph([("x", "Input", {"shape": [3]}),
               ("a", "Dense", {"units": 2}), ("b", "Dense", {"units": 2}),
               ("c", "Dense", {"units": 2}), ("add", "Add", {}),
               ("out", "Dense", {"units": 1, "activation": "linear"})],
              [("x", "a"), ("x", "b"), ("x", "c"), ("a", "add"), ("b", "add"), ("c", "add"),
               ("add", "out")])
    net = Network(g, seed=1)
    export_onnx(net, tmp_path / "m.onnx")
    model = onnx.load(str(tmp_path / "m.onnx"))
    adds = [(list(n.input), list(n.output)) for n in model.graph.node if n.op_type == "Add"]
    assert [out for _, out in adds if out[0].startswith("add")] == [["add/sum0"], ["add"]]
    ins = dict((out[0], i) for i, out in adds)
    assert ins["add"][0] == "add/sum0"
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    np.testing.assert_allclose(run_onnx(tmp_path / "m.onnx", {"x": x}), net.predict(x),
                               rtol=1e-5, atol=1e-6)


def test_onnx_add_of_two_inputs_is_named_after_its_node(tmp_path):
    g = graph([("x", "Input", {"shape": [3]}), ("a", "Dense", {"units": 2}),
               ("b", "Dense", {"units": 2}), ("sum", "Add", {}),
               ("out", "Dense", {"units": 1})],
              [("x", "a"), ("x", "b"), ("a", "sum"), ("b", "sum"), ("sum", "out")])
    export_onnx(Network(g, seed=1), tmp_path / "m.onnx")
    model = onnx.load(str(tmp_path / "m.onnx"))
    assert [list(n.output) for n in model.graph.node if n.op_type == "Add"
            and n.output[0].startswith("sum")] == [["sum"]]


def test_onnx_target_scaling_initializers_and_tensor_names(tmp_path):
    net = _linear_net()
    export_onnx(net, tmp_path / "m.onnx", target_scaling=([1.0, 2.0], [3.0, 4.0]))
    model = onnx.load(str(tmp_path / "m.onnx"))
    inits = {i.name: onnx.numpy_helper.to_array(i) for i in model.graph.initializer}
    np.testing.assert_array_equal(inits["target/mean"], [1.0, 2.0])
    np.testing.assert_array_equal(inits["target/std"], [3.0, 4.0])
    (mul,) = [n for n in model.graph.node if n.op_type == "Mul"]
    assert list(mul.input)[1] == "target/std" and list(mul.output) == ["target/scaled"]
    x = np.random.default_rng(1).normal(size=(5, 3)).astype(np.float32)
    np.testing.assert_allclose(run_onnx(tmp_path / "m.onnx", {"input1": x}),
                               net.predict(x) * [3.0, 4.0] + [1.0, 2.0], rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------------------------------------
# the Python script
# ---------------------------------------------------------------------------------------------
def test_script_variables_of_colliding_node_ids_count_up(tmp_path):
    ids = ["a.b", "a_b", "a-b", "a b"]
    g = graph([("x", "Input", {"shape": [3]})] + [(i, "Dense", {"units": 3}) for i in ids],
              list(zip(["x", *ids], ids)))
    net = Network(g, seed=2)
    path = tmp_path / "model.py"
    export_python(net, path, write_weights=True)
    source = path.read_text()
    for node_id, var in zip(ids, ["v_a_b", "v_a_b_1", "v_a_b_2", "v_a_b_3"]):
        assert f"    # {node_id!r}: Dense" in source
        assert f"    {var} = " in source
    assert "v_a_b_4" not in source and "v_a_b_0" not in source
    x = np.random.default_rng(3).normal(size=(4, 3))
    np.testing.assert_allclose(import_script(path).predict(x), net.predict(x), rtol=1e-5,
                               atol=1e-6)


def test_script_sections_word_for_word():
    text = generate_script(_linear_net(), weights_filename="m.npz")
    assert text.startswith("#!/usr/bin/env python3\n")
    assert ("\n\n\n# -- activations (as in NetCanvas) " + "-" * 61
            + "\n# (none besides linear)\n\n# -- the network " + "-" * 78
            + "\ndef forward(inputs, w):\n"
            + '    """Run the network on prepared, normalised inputs {input id: array}; '
              '`w` maps\n    "<node id>/<weight name>" to arrays."""\n') in text
    assert all(len(line) <= 96 for line in text.splitlines() if line.startswith("# -- "))


def test_script_of_an_activation_lists_it_instead_of_none():
    net = Network(GraphSpec.sequential([("Input", {"shape": [3]}),
                                        ("Dense", {"units": 2, "activation": "tanh"})]))
    text = generate_script(net, weights_filename="m.npz")
    assert "# (none besides linear)" not in text
    assert "\n# -- activations (as in NetCanvas) " + "-" * 61 + "\ndef " in text


def test_script_default_name_is_model():
    text = generate_script(_linear_net(), weights_filename="m.npz")
    assert "Standalone inference for the NetCanvas network 'model'." in text
    assert "  python model.py INPUT  " in text and "  import model; y = model.predict(x)" in text


@pytest.mark.parametrize("strides, suffix, count", [
    ([1, 1], ")", ")"),
    ([2, 1], ")[:, :, ::2]", ")[::2]"),
    ([1, 2], ")[:, :, :, ::2]", ")[:, ::2]"),
])
def test_script_windows_are_sliced_only_along_strides_above_1(strides, suffix, count, tmp_path):
    net = Network(GraphSpec.sequential([
        ("Input", {"shape": [2, 6, 6]}),
        ("Conv2D", {"filters": 2, "kernel_size": [3, 3], "strides": strides,
                    "padding": "same"}),
        ("AvgPool2D", {"pool_size": [2, 2], "strides": strides, "padding": "same"}),
        ("Flatten", {}), ("Dense", {"units": 2})]), seed=0)
    path = tmp_path / "model.py"
    export_python(net, path, write_weights=True)
    lines = path.read_text().splitlines()
    wins = [line for line in lines if line.startswith("    win = ")]
    assert len(wins) == 2 and all(line.endswith(suffix) for line in wins)
    (counts,) = [line for line in lines if line.startswith("    count = ")]
    assert counts.endswith(count + ".sum(axis=(2, 3))")
    x = np.random.default_rng(4).normal(size=(3, 2, 6, 6))
    np.testing.assert_allclose(import_script(path).predict(x), net.predict(x), rtol=1e-5,
                               atol=1e-6)


def test_script_ends_with_one_newline_after_its_runtime():
    text = generate_script(_linear_net(), weights_filename="m.npz")
    assert text.endswith('\n\nif __name__ == "__main__":\n    sys.exit(main())\n')
    assert "    return v_dense1\n\n\n# -- weights " in text


# ---------------------------------------------------------------------------------------------
# ONNX names that another node's names already took
# ---------------------------------------------------------------------------------------------
def test_onnx_inputs_called_output_and_output_1_push_the_output_to_output_2(tmp_path):
    g = graph([("output", "Input", {"shape": [3]}), ("output_1", "Input", {"shape": [3]}),
               ("add", "Add", {})], [("output", "add"), ("output_1", "add")])
    export_onnx(Network(g), tmp_path / "m.onnx")
    model = onnx.load(str(tmp_path / "m.onnx"))
    assert [o.name for o in model.graph.output] == ["output_2"]
    meta = {p.key: p.value for p in model.metadata_props}
    assert '"name": "output_2"' in meta["netcanvas.output"]
    a, b = np.ones((2, 3), np.float32), np.full((2, 3), 2.0, np.float32)
    np.testing.assert_array_equal(run_onnx(tmp_path / "m.onnx", {"output": a, "output_1": b}),
                                  a + b)


def test_onnx_names_taken_by_another_node_get_suffixes(tmp_path):
    """The input x's normalisation and a sequence BatchNormalization called 'x/normalize'
    both centre their input under the hint 'x/normalize/centered'; a Flatten called 'd/z'
    takes the name of Dense d's product. Every tensor and node name stays unique."""
    g = graph([("x", "Input", {"shape": [4, 3]}), ("x/normalize", "BatchNormalization", {}),
               ("f", "Flatten", {}), ("d", "Dense", {"units": 5}),
               ("d/z", "Flatten", {}), ("out", "Dense", {"units": 2})],
              [("x", "x/normalize"), ("x/normalize", "f"), ("f", "d"), ("d", "d/z"),
               ("d/z", "out")])
    net = Network(g, seed=3)
    mean, std = [0.5, -1.0, 2.0], [2.0, 0.5, 1.5]
    export_onnx(net, tmp_path / "m.onnx",
                normalizer_state={"mode": "standardize", "mean": mean, "std": std})
    model = onnx.load(str(tmp_path / "m.onnx"))
    subs = [(n.name, list(n.output)) for n in model.graph.node if n.op_type == "Sub"]
    assert subs == [("x/normalize/centered:Sub", ["x/normalize/centered"]),
                    ("x/normalize/centered:Sub_1", ["x/normalize/centered_1"])]
    flat = [(n.name, list(n.output)) for n in model.graph.node if n.op_type == "Flatten"]
    assert flat == [("f:Flatten", ["f"]), ("d/z:Flatten", ["d/z_1"])]
    gemm = [(n.name, list(n.output)) for n in model.graph.node if n.op_type == "Gemm"]
    assert gemm[0] == ("d/z:Gemm", ["d/z"])
    names = [n.name for n in model.graph.node]
    assert all(names) and len(set(names)) == len(names)
    assert all(n.name.endswith(":" + n.op_type) or n.name.split(":")[-1].startswith(
        n.op_type + "_") for n in model.graph.node)
    inits = [i.name for i in model.graph.initializer]
    assert inits[:2] == ["x/normalize/offset", "x/normalize/scale"]
    x = np.random.default_rng(5).normal(1.0, 2.0, (6, 4, 3))
    want = net.predict(((x - mean) / std).astype(np.float32))
    np.testing.assert_allclose(run_onnx(tmp_path / "m.onnx", {"x": x.astype(np.float32)}),
                               want, rtol=1e-4, atol=1e-5)


def test_onnx_output_of_a_pass_through_network_is_an_identity_node(tmp_path):
    g = graph([("x", "Input", {"shape": [3]}), ("drop", "Dropout", {"rate": 0.5})],
              [("x", "drop")])
    export_onnx(Network(g), tmp_path / "m.onnx")
    model = onnx.load(str(tmp_path / "m.onnx"))
    assert [(n.name, n.op_type, list(n.input), list(n.output)) for n in model.graph.node] \
        == [("output:Identity", "Identity", ["x"], ["output"])]


def test_onnx_input_named_as_a_tensor_already_made_is_refused_word_for_word(tmp_path):
    g = graph([("a", "Input", {"shape": [2]}), ("b", "Input", {"shape": [2]}),
               ("add", "Add", {})], [("a", "add"), ("b", "add")])
    state = {"a": {"mode": "standardize", "mean": [0.0, 1.0], "std": [1.0, 2.0]},
             "b": {"mode": "none"}}
    with pytest.raises(ParameterError) as err:
        export_onnx(Network(g), tmp_path / "m.onnx", normalizer_state=state,
                    input_names={"b": "a/normalize/offset"})
    assert str(err.value) == "tensor name 'a/normalize/offset' is used twice"
    assert not (tmp_path / "m.onnx").exists()


def test_onnx_graph_name_defaults_to_netcanvas(tmp_path):
    export_onnx(_linear_net(), tmp_path / "m.onnx")
    assert onnx.load(str(tmp_path / "m.onnx")).graph.name == "netcanvas"


def test_onnx_model_built_in_memory_is_named_netcanvas_by_default():
    from nncore.export.onnx_export import build_onnx_model

    assert build_onnx_model(_linear_net()).graph.name == "netcanvas"


def test_a_converter_whose_graph_mistypes_a_tensor_writes_nothing(monkeypatch, tmp_path):
    """The full ONNX check (types inferred through the graph) runs before writing: a
    converter adding an int64 constant to a float tensor is refused, though every node and
    name is well formed."""
    from nncore.export import onnx_export

    def bad_dense(b, node_id, layer, inputs):
        return b.op("Add", [inputs[0], b.const(f"{node_id}/k", [1, 2, 3], np.int64)], node_id)

    monkeypatch.setitem(onnx_export.ONNX_CONVERTERS, "Dense", bad_dense)
    net = Network(GraphSpec.sequential([("Input", {"shape": [3]}),
                                        ("Dense", {"units": 3, "activation": "linear"})]))
    with pytest.raises(onnx.shape_inference.InferenceError, match="inconsistent type"):
        export_onnx(net, tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_onnx_recurrent_and_dot_nodes_are_named_after_their_layer(tmp_path):
    """Every ONNX node, tensor and initializer of a layer starts with the layer's node id;
    the recurrent operators' outputs keep ONNX's names Y (sequences) and Y_h (last state)."""
    g = graph([("x", "Input", {"shape": [5, 3]}),
               ("l1", "LSTM", {"units": 4, "return_sequences": True}),
               ("g2", "GRU", {"units": 3}),
               ("a", "Dense", {"units": 2}), ("b", "Dense", {"units": 2}),
               ("dot", "Dot", {"normalize": True})],
              [("x", "l1"), ("l1", "g2"), ("g2", "a"), ("g2", "b"), ("a", "dot"), ("b", "dot")])
    net = Network(g, seed=6)
    export_onnx(net, tmp_path / "m.onnx")
    model = onnx.load(str(tmp_path / "m.onnx"))
    rnn = [(n.name, list(n.output)) for n in model.graph.node if n.op_type in ("LSTM", "GRU")]
    assert rnn == [("l1:LSTM", ["l1/Y"]), ("g2:GRU", ["", "g2/Y_h"])]
    owners = tuple(f"{i}/" for i in net.order) + tuple(f"{i}:" for i in net.order)
    for node in model.graph.node:
        assert node.name.startswith(owners), node.name
        for out in node.output:
            assert out in ("", "output", *net.order) or out.startswith(owners), out
    for init in model.graph.initializer:
        assert init.name.startswith(owners), init.name
    dot_parts = {n.name for n in model.graph.node if n.name.startswith("dot/")}
    assert {"dot/a/sq:Mul", "dot/b/sq:Mul", "dot/a/unit:Div", "dot/b/unit:Div"} <= dot_parts
    x = np.random.default_rng(7).normal(size=(4, 5, 3)).astype(np.float32)
    np.testing.assert_allclose(run_onnx(tmp_path / "m.onnx", {"x": x}), net.predict(x),
                               rtol=1e-4, atol=1e-5)
