"""ONNX and Python-script exports of SimpleRNN, LSTM, GRU, Embedding and Dot: onnxruntime
within 1e-5 and the script within 1e-6 of ``network.predict`` for every layer
configuration, and for a recommender network with two integer Inputs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import onnx
import pytest
from onnx import TensorProto

from nncore.export import UnsupportedLayerError, export_onnx, export_python
from nncore.network import Network
from nncore.spec import EdgeSpec, GraphSpec, NodeSpec

from .export_nets import N, import_script, run_onnx

ONNX_TOL = 1e-5
PY_TOL = 1e-6


def _random_weights(net: Network, rng: np.random.Generator, scale: float = 0.5) -> None:
    """Weights far from their initial values (non-zero biases, forget bias included)."""
    net.set_weights({k: rng.normal(0, scale, v.shape) for k, v in net.get_weights().items()})


def _sequence_case(layer: str, params: dict, T: int = 7, F: int = 3, then_dense=True
                   ) -> Callable[[np.random.Generator], tuple[Network, Any]]:
    def build(rng):
        chain = [("Input", {"shape": [T, F]}), (layer, params)]
        if then_dense and not params.get("return_sequences"):
            chain.append(("Dense", {"units": 2, "activation": "softmax"}))
        net = Network(GraphSpec.sequential(chain), seed=1)
        _random_weights(net, rng)
        return net, rng.normal(0, 1.5, (N, T, F)).astype(np.float32)
    return build


def _embedding_case(shape: list[int], then: list[tuple[str, dict]]):
    def build(rng):
        net = Network(GraphSpec.sequential(
            [("Input", {"shape": shape}), ("Embedding", {"input_dim": 11, "output_dim": 4}),
             *then]), seed=2)
        _random_weights(net, rng)
        return net, rng.integers(0, 11, (N, *shape))
    return build


def _dot_case(normalize: bool):
    def build(rng):
        g = GraphSpec([NodeSpec("a", "Input", {"shape": [5]}),
                       NodeSpec("b", "Input", {"shape": [5]}),
                       NodeSpec("d", "Dense", {"units": 5, "activation": "tanh"}),
                       NodeSpec("dot", "Dot", {"normalize": normalize})],
                      [EdgeSpec("a", "d"), EdgeSpec("d", "dot"), EdgeSpec("b", "dot")])
        net = Network(g, seed=3)
        x = {"a": rng.normal(size=(N, 5)), "b": rng.normal(size=(N, 5))}
        x["b"][0] = 0.0  # a zero vector: the clamped norm
        return net, {k: v.astype(np.float32) for k, v in x.items()}
    return build


def recommender(rng):
    """Two integer Inputs ('user', 'item'), Embeddings, Dot and Concatenate, Dense."""
    g = GraphSpec(
        [NodeSpec("user", "Input", {"shape": [1]}), NodeSpec("item", "Input", {"shape": [1]}),
         NodeSpec("uv", "Embedding", {"input_dim": 9, "output_dim": 4}),
         NodeSpec("iv", "Embedding", {"input_dim": 6, "output_dim": 4}),
         NodeSpec("uf", "Flatten", {}), NodeSpec("if", "Flatten", {}),
         NodeSpec("dot", "Dot", {}), NodeSpec("cos", "Dot", {"normalize": True}),
         NodeSpec("cat", "Concatenate", {}),
         NodeSpec("out", "Dense", {"units": 1, "activation": "linear"})],
        [EdgeSpec(a, b) for a, b in [
            ("user", "uv"), ("item", "iv"), ("uv", "uf"), ("iv", "if"), ("uf", "dot"),
            ("if", "dot"), ("uf", "cos"), ("if", "cos"), ("dot", "cat"), ("cos", "cat"),
            ("uf", "cat"), ("cat", "out")]])
    net = Network(g, seed=4)
    _random_weights(net, rng)
    return net, {"user": rng.integers(0, 9, (N, 1)), "item": rng.integers(0, 6, (N, 1))}


CASES: dict[str, Callable[[np.random.Generator], tuple[Network, Any]]] = {
    **{f"rnn_{act}_{'seq' if seq else 'last'}":
       _sequence_case("SimpleRNN", {"units": 5, "activation": act, "return_sequences": seq})
       for act in ("tanh", "relu", "sigmoid", "linear") for seq in (False, True)},
    "lstm_last": _sequence_case("LSTM", {"units": 6}),
    "lstm_seq": _sequence_case("LSTM", {"units": 6, "return_sequences": True}),
    "gru_last": _sequence_case("GRU", {"units": 4}),
    "gru_seq": _sequence_case("GRU", {"units": 4, "return_sequences": True}),
    "lstm_long": _sequence_case("LSTM", {"units": 3}, T=40, F=1),
    "stacked": lambda rng: _stacked(rng),
    "embedding_sequence_lstm": _embedding_case([6], [("LSTM", {"units": 3}),
                                                     ("Dense", {"units": 1})]),
    "embedding_one_id": _embedding_case([1], [("Flatten", {}), ("Dense", {"units": 2})]),
    "embedding_sequence_out": _embedding_case([3], []),
    "dot": _dot_case(False),
    "dot_cosine": _dot_case(True),
    "recommender": recommender,
}


def _stacked(rng):
    g = GraphSpec.sequential([("Input", {"shape": [5, 2]}),
                              ("GRU", {"units": 4, "return_sequences": True}),
                              ("LSTM", {"units": 3, "return_sequences": True}),
                              ("SimpleRNN", {"units": 2}),
                              ("Dense", {"units": 1, "activation": "sigmoid"})])
    net = Network(g, seed=5)
    _random_weights(net, rng)
    return net, rng.normal(0, 1, (N, 5, 2)).astype(np.float32)


def build(name: str) -> tuple[Network, Any]:
    return CASES[name](np.random.default_rng(0))


def feeds(net: Network, x: Any) -> dict[str, np.ndarray]:
    return dict(x) if isinstance(x, dict) else {net.input_ids[0]: x}


@pytest.mark.parametrize("case", sorted(CASES))
def test_onnx_matches_predict(case, tmp_path):
    net, x = build(case)
    path = tmp_path / "m.onnx"
    export_onnx(net, path)
    onnx.checker.check_model(str(path), full_check=True)
    want = net.predict(x)
    got = run_onnx(path, feeds(net, x))
    assert got.shape == want.shape == (N, *net.output_shape)
    np.testing.assert_allclose(got, want, rtol=ONNX_TOL, atol=ONNX_TOL)
    one = {k: v[2:3] for k, v in feeds(net, x).items()}  # dynamic batch
    np.testing.assert_allclose(run_onnx(path, one), want[2:3], rtol=ONNX_TOL, atol=ONNX_TOL)


@pytest.mark.parametrize("case", sorted(CASES))
def test_python_script_matches_predict(case, tmp_path):
    net, x = build(case)
    path = tmp_path / "m.py"
    export_python(net, path, write_weights=True)
    mod = import_script(path)
    got = mod.predict(x)
    want = net.predict(x)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=PY_TOL, atol=PY_TOL)


@pytest.mark.parametrize("layer,op", [("SimpleRNN", "RNN"), ("LSTM", "LSTM"), ("GRU", "GRU")])
def test_recurrent_layers_become_the_onnx_operator(layer, op, tmp_path):
    net, _ = build({"SimpleRNN": "rnn_tanh_last", "LSTM": "lstm_last",
                    "GRU": "gru_last"}[layer])
    export_onnx(net, tmp_path / "m.onnx")
    nodes = [n for n in onnx.load(str(tmp_path / "m.onnx")).graph.node if n.op_type == op]
    assert len(nodes) == 1
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in nodes[0].attribute}
    assert attrs["hidden_size"] == net.layers[net.order[1]].config["units"]
    if op == "GRU":
        assert attrs["linear_before_reset"] == 1


def test_recommender_inputs_are_int64_in_onnx_and_int_in_the_script(tmp_path):
    net, x = build("recommender")
    export_onnx(net, tmp_path / "m.onnx")
    model = onnx.load(str(tmp_path / "m.onnx"))
    types = {vi.name: vi.type.tensor_type.elem_type for vi in model.graph.input}
    assert types == {"user": TensorProto.INT64, "item": TensorProto.INT64}
    assert sum(n.op_type == "Gather" for n in model.graph.node) == 2
    export_python(net, tmp_path / "m.py", write_weights=True)
    mod = import_script(tmp_path / "m.py")
    assert [k for _, _, k in mod.INPUTS] == ["int", "int"]
    # Ids as read from a CSV (floats, or one id per row without the feature axis).
    flat = {k: v[:, 0].astype(np.float64) for k, v in x.items()}
    np.testing.assert_allclose(mod.predict(flat), net.predict(x), rtol=PY_TOL, atol=PY_TOL)


def test_script_refuses_out_of_range_ids(tmp_path):
    net, x = build("recommender")
    export_python(net, tmp_path / "m.py", write_weights=True)
    mod = import_script(tmp_path / "m.py")
    bad = {"user": x["user"].copy(), "item": x["item"]}
    bad["user"][3, 0] = 9
    with pytest.raises(ValueError, match="Embedding 'uv': id 9 is out of range .*0 to 8"):
        mod.predict(bad)


def test_embedding_fed_by_a_computed_value_is_not_exportable_to_onnx(tmp_path):
    g = GraphSpec.sequential([("Input", {"shape": [3]}), ("Activation", {"activation": "relu"}),
                              ("Embedding", {"input_dim": 5, "output_dim": 2})])
    net = Network(g)
    with pytest.raises(UnsupportedLayerError, match="Embedding 'embedding1'.*not an Input") as e:
        export_onnx(net, tmp_path / "m.onnx")
    assert e.value.node_id == "embedding1"
    assert not (tmp_path / "m.onnx").exists()
