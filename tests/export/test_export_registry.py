"""Every example configuration of every registered layer type, exported alone (Inputs ->
layer), runs in onnxruntime within 1e-5 and in the generated script within 1e-6 of
``Network.predict``: a new layer type is export-tested by registering it."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto

from nncore.export import export_onnx, export_python, integer_inputs
from nncore.export.onnx_export import build_onnx_model
from nncore.export.python_script import generate_script
from nncore.network import Network
from nncore.registry import layer_types
from nncore.spec import EdgeSpec, GraphSpec, NodeSpec

from .export_nets import import_script, run_onnx

CASES = [
    pytest.param(cls, params, shapes, id=f"{cls.type_name}-{i}")
    for cls in layer_types()
    for i, (params, shapes) in enumerate(cls.examples)
    # An Input alone is covered by every case; a per-sample shape () cannot come from an
    # Input node, so such examples are for the layer harness only.
    if shapes and all(len(s) > 0 for s in shapes)
]


def _network(cls, params, shapes):
    g = GraphSpec()
    for k, s in enumerate(shapes):
        g.nodes.append(NodeSpec(f"in{k}", "Input", {"shape": list(s)}))
    g.nodes.append(NodeSpec("layer", cls.type_name, dict(params)))
    g.edges = [EdgeSpec(f"in{k}", "layer") for k in range(len(shapes))]
    net = Network(g, seed=1)
    # Non-trivial weights and statistics, each within its declared range (BatchNorm's
    # moving variance is never negative).
    rng = np.random.default_rng(2)
    for slot in net.slots:
        view = net.params_flat[slot.start:slot.stop]
        low = slot.spec.minimum
        view[...] = (low + rng.uniform(0.5, 2.0, view.shape) if low is not None
                     else rng.normal(0.0, 0.5, view.shape))
    return net


def _feeds(net, n=5):
    rng = np.random.default_rng(3)
    layer = net.layers["layer"]
    feeds = {}
    for node_id in net.input_ids:
        shape = (n, *net.shapes[node_id])
        if layer.input_dtype == "int":
            feeds[node_id] = rng.integers(0, layer.input_id_limit, shape)
        else:
            feeds[node_id] = rng.normal(0.0, 1.0, shape).astype(np.float32)
    return feeds


@pytest.mark.parametrize("cls,params,shapes", CASES)
def test_layer_example_exports_match_predict(cls, params, shapes, tmp_path):
    net = _network(cls, params, shapes)
    feeds = _feeds(net)
    x = feeds if len(feeds) > 1 else next(iter(feeds.values()))
    want = net.predict(x)
    onnx_path = tmp_path / "m.onnx"
    export_onnx(net, onnx_path)
    np.testing.assert_allclose(run_onnx(onnx_path, feeds), want, rtol=1e-5, atol=1e-5)
    script = tmp_path / "m.py"
    export_python(net, script, weights_filename="m.npz")
    np.savez(tmp_path / "m.npz", **net.get_weights())
    got = import_script(script, f"exported_{cls.type_name.lower()}").predict(x)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("cls,params,shapes", CASES)
def test_exports_take_integer_ids_exactly_for_layers_declaring_them(cls, params, shapes):
    """The Inputs both exports declare as integer ids are those feeding a layer whose
    ``input_dtype`` is "int"; every other Input is a float."""
    net = _network(cls, params, shapes)
    ids = set(net.input_ids) if cls.input_dtype == "int" else set()
    assert integer_inputs(net) == ids
    model = build_onnx_model(net)
    assert {vi.name: vi.type.tensor_type.elem_type for vi in model.graph.input} == {
        i: TensorProto.INT64 if i in ids else TensorProto.FLOAT for i in net.input_ids}
    script = generate_script(net, weights_filename="m.npz")
    for i in net.input_ids:
        kind = "int" if i in ids else "float"
        assert f"({i!r}, {tuple(net.shapes[i])!r}, {kind!r})," in script
