"""Exports of convolutional networks: the ONNX model (run in onnxruntime) and the generated
Python script reproduce ``network.predict`` for a small CNN and for every example
configuration of every convolution layer type ('same' padding with even kernels and strides
included: the exports write explicit pads, never auto_pad)."""

from __future__ import annotations

import numpy as np
import onnx
import pytest

from nncore.export import export_onnx, export_python
from nncore.network import Network
from nncore.registry import layer_types
from nncore.spec import GraphSpec

from .export_nets import N, import_script, run_onnx

ONNX_TOL = 1e-5
SCRIPT_TOL = 1e-6

CONV_TYPES = [cls for cls in layer_types() if cls.category == "convolution"]


def small_cnn(rng: np.random.Generator) -> tuple[Network, np.ndarray]:
    """Conv-ReLU-MaxPool-Conv-AvgPool-GlobalAvgPool and a Flatten branch, then Dense; odd
    image sizes, an even kernel with 'same' padding and a strided convolution."""
    g = GraphSpec.sequential([
        ("Input", {"shape": [2, 11, 9]}),
        ("Conv2D", {"filters": 6, "kernel_size": [3, 3], "padding": "same",
                    "activation": "relu"}),
        ("MaxPool2D", {"pool_size": [2, 2], "padding": "same"}),          # (6, 6, 5)
        ("Conv2D", {"filters": 5, "kernel_size": [2, 2], "strides": [1, 2],
                    "padding": "same", "activation": "tanh"}),            # (5, 6, 3)
        ("SpatialDropout2D", {"rate": 0.3}),
        ("AvgPool2D", {"pool_size": [2, 2], "strides": [1, 1], "padding": "same"}),
        ("Conv2D", {"filters": 4, "kernel_size": [3, 3], "dilation_rate": [2, 1],
                    "padding": "valid", "activation": "elu"}),            # (4, 2, 1)
        ("GlobalAveragePooling2D", {}),
        ("Dense", {"units": 3, "activation": "softmax"}),
    ])
    net = Network(g, seed=11)
    w = net.get_weights()
    for k, v in w.items():  # non-zero biases, so the bias paths are exercised
        if k.endswith("/b"):
            w[k] = rng.normal(0, 0.3, v.shape)
    net.set_weights(w)
    return net, rng.normal(0, 1, (N, 2, 11, 9)).astype(np.float32)


def flatten_cnn(rng: np.random.Generator) -> tuple[Network, np.ndarray]:
    g = GraphSpec.sequential([
        ("Input", {"shape": [1, 8, 8]}),
        ("Conv2D", {"filters": 4, "kernel_size": [3, 3], "activation": "relu"}),
        ("MaxPool2D", {}),
        ("Conv2D", {"filters": 3, "kernel_size": [3], "strides": [2], "padding": "same",
                    "activation": "linear", "use_bias": False}),
        ("Flatten", {}),
        ("Dense", {"units": 1, "activation": "sigmoid"}),
    ])
    return Network(g, seed=12), rng.normal(0, 1, (N, 1, 8, 8)).astype(np.float32)


def layer_case(cls, params, shape) -> tuple[Network, np.ndarray]:
    """Input -> the layer alone (its output is the network's output)."""
    net = Network(GraphSpec.sequential([("Input", {"shape": list(shape)}),
                                        (cls.type_name, params)]), seed=3)
    w = net.get_weights()
    rng = np.random.default_rng(4)
    for k, v in w.items():
        w[k] = rng.normal(0, 0.5, v.shape)
    net.set_weights(w)
    return net, rng.normal(0, 1, (N, *shape)).astype(np.float32)


CASES = {"small_cnn": lambda: small_cnn(np.random.default_rng(0)),
         "flatten_cnn": lambda: flatten_cnn(np.random.default_rng(1))}
for _cls in CONV_TYPES:
    for _i, (_params, _shapes) in enumerate(_cls.examples):
        CASES[f"{_cls.type_name}-{_i}"] = (
            lambda c=_cls, p=_params, s=_shapes[0]: layer_case(c, p, s))


def test_there_are_convolution_layers_and_cases_for_each():
    names = {cls.type_name for cls in CONV_TYPES}
    assert names >= {"Conv2D", "MaxPool2D", "AvgPool2D", "GlobalAveragePooling2D",
                     "SpatialDropout2D"}
    covered = set()
    for build in CASES.values():
        net, _ = build()
        covered |= {layer.type_name for layer in net.layers.values()}
    assert names <= covered


@pytest.mark.parametrize("case", sorted(CASES))
def test_onnx_matches_predict(case, tmp_path):
    net, x = CASES[case]()
    path = tmp_path / "m.onnx"
    export_onnx(net, path)
    model = onnx.load(str(path))
    for node in model.graph.node:  # explicit pads only
        assert all(a.name != "auto_pad" for a in node.attribute)
    want = net.predict(x)
    got = run_onnx(path, {net.input_ids[0]: x})
    assert got.shape == want.shape == (N, *net.output_shape)
    np.testing.assert_allclose(got, want, rtol=ONNX_TOL, atol=ONNX_TOL)


@pytest.mark.parametrize("case", sorted(CASES))
def test_script_matches_predict(case, tmp_path):
    net, x = CASES[case]()
    path = tmp_path / "model.py"
    export_python(net, path, write_weights=True)
    mod = import_script(path)
    want = net.predict(x)
    got = mod.predict(x)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=SCRIPT_TOL, atol=SCRIPT_TOL)
    # Flat rows (as read from a CSV file) are reshaped to the image shape.
    np.testing.assert_allclose(mod.predict(x.reshape(N, -1)), want, rtol=SCRIPT_TOL,
                               atol=SCRIPT_TOL)


def test_onnx_of_a_trained_cnn_with_raw_input_normalisation(tmp_path):
    """Per-channel normalisation of raw images in the graph, after a little training."""
    from nncore.config import TrainingConfig
    from nncore.data import Normalizer
    from nncore.trainer import Trainer

    net, _ = flatten_cnn(np.random.default_rng(2))
    rng = np.random.default_rng(5)
    raw = rng.uniform(0, 16, (64, 1, 8, 8)).astype(np.float32)
    y = (raw[:, 0, :4].mean(axis=(1, 2)) > raw[:, 0, 4:].mean(axis=(1, 2))).astype(np.float32)
    norm = Normalizer("standardize").fit(raw)
    cfg = TrainingConfig(loss="binary_crossentropy", optimizer="adam", learning_rate=0.01,
                         batch_size=16, epochs=3, seed=0)
    Trainer(net, cfg).fit(norm.transform(raw), y)
    path = tmp_path / "m.onnx"
    export_onnx(net, path, normalizer_state=norm)
    want = net.predict(norm.transform(raw))
    np.testing.assert_allclose(run_onnx(path, {"input1": raw}), want, rtol=ONNX_TOL,
                               atol=ONNX_TOL)
    spath = tmp_path / "m.py"
    export_python(net, spath, normalizer_state=norm, write_weights=True)
    np.testing.assert_allclose(import_script(spath).predict(raw), want, rtol=SCRIPT_TOL,
                               atol=SCRIPT_TOL)
