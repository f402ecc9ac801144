"""SimpleRNN, LSTM and GRU against PyTorch's implementations (outputs and every gradient,
float64), their inference path, the forget-gate bias, errors, and the sine LSTM example
trained through the CLI. Finite-difference gradients and config round trips run in the
registry-wide harness (test_layers.py) through each layer's ``examples``."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from nncore.config import TrainingConfig
from nncore.errors import ShapeError, SpecError, TrainingError
from nncore.layers import recurrent
from nncore.layers.gru import GRU
from nncore.layers.lstm import LSTM
from nncore.layers.simple_rnn import SimpleRNN
from nncore.network import Network
from nncore.project import load_project
from nncore.spec import GraphSpec
from nncore.trainer import Trainer

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def make_layer(cls, params, F, dtype=np.float64, seed=0):
    """A standalone layer with random weights of the given dtype."""
    rng = np.random.default_rng(seed)
    layer = cls("rnn", **params)
    T = 5
    layer.input_shapes = [(T, F)]
    layer.output_shape = layer.compute_output_shape(layer.input_shapes)
    layer.dtype = dtype
    for spec in layer.weight_specs(layer.input_shapes):
        layer.weights[spec.name] = rng.normal(0.0, 0.4, spec.shape).astype(dtype)
        layer.grads[spec.name] = np.zeros(spec.shape, dtype)
    layer.on_built()
    return layer


# ---------------------------------------------------------------------------------------------
# PyTorch as the reference implementation
# ---------------------------------------------------------------------------------------------
def torch_module(layer):
    """The torch.nn module computing what ``layer`` computes, with its weights (float64)."""
    torch = pytest.importorskip("torch")
    w = {k: torch.tensor(v, dtype=torch.float64) for k, v in layer.weights.items()}
    F, u = layer.input_shapes[0][1], layer.config["units"]
    if isinstance(layer, LSTM):
        m = torch.nn.LSTM(F, u, batch_first=True)  # gates i, f, g, o: NetCanvas' order
        b_hh = torch.zeros(4 * u, dtype=torch.float64)
        W, U, b = w["W"], w["U"], w["b"]
    elif isinstance(layer, GRU):
        m = torch.nn.GRU(F, u, batch_first=True)  # gates r, z, n ("reset after")

        def order(a):  # NetCanvas z, r, h -> torch r, z, n along the last axis
            return torch.cat([a[..., u:2 * u], a[..., :u], a[..., 2 * u:]], dim=-1)

        W, U, b, b_hh = order(w["W"]), order(w["U"]), order(w["b"]), order(w["rb"])
    else:
        m = torch.nn.RNN(F, u, nonlinearity=layer.config["activation"], batch_first=True)
        W, U, b = w["W"], w["U"], w["b"]
        b_hh = torch.zeros(u, dtype=torch.float64)
    m = m.double()
    with torch.no_grad():
        m.weight_ih_l0.copy_(W.T)
        m.weight_hh_l0.copy_(U.T)
        m.bias_ih_l0.copy_(b)
        m.bias_hh_l0.copy_(b_hh)
    return m


def torch_run(layer, x, r):
    """Output of the torch reference and gradients of sum(output * r), in NetCanvas' layout
    (weights as (in, gates * units) in NetCanvas' gate order)."""
    torch = pytest.importorskip("torch")
    m = torch_module(layer)
    xt = torch.tensor(x, requires_grad=True)
    y, _ = m(xt)
    out = y if layer.config["return_sequences"] else y[:, -1]
    (out * torch.tensor(r)).sum().backward()
    u = layer.config["units"]
    grads = {"W": m.weight_ih_l0.grad.numpy().T, "U": m.weight_hh_l0.grad.numpy().T,
             "b": m.bias_ih_l0.grad.numpy()}
    if isinstance(layer, GRU):
        def back(a):  # torch r, z, n -> NetCanvas z, r, h
            return np.concatenate([a[..., u:2 * u], a[..., :u], a[..., 2 * u:]], axis=-1)

        grads = {k: back(v) for k, v in grads.items()}
        grads["rb"] = back(m.bias_hh_l0.grad.numpy())
    return out.detach().numpy(), grads, xt.grad.numpy()


CONFIGS = [
    (SimpleRNN, {"units": 4, "activation": "tanh"}),
    (SimpleRNN, {"units": 4, "activation": "relu", "return_sequences": True}),
    (LSTM, {"units": 3}),
    (LSTM, {"units": 4, "return_sequences": True}),
    (GRU, {"units": 3}),
    (GRU, {"units": 4, "return_sequences": True}),
]


@pytest.mark.torch
@pytest.mark.parametrize("cls,params", CONFIGS,
                         ids=[f"{c.__name__}-{i}" for i, (c, _) in enumerate(CONFIGS)])
def test_forward_and_gradients_match_pytorch(cls, params):
    layer = make_layer(cls, params, F=3)
    rng = np.random.default_rng(1)
    x = rng.normal(0, 1, (6, 5, 3))
    out = layer.forward(x, training=True)
    r = rng.normal(0, 1, out.shape)
    ref_out, ref_grads, ref_dx = torch_run(layer, x, r)
    np.testing.assert_allclose(out, ref_out, rtol=1e-10, atol=1e-12)
    dx = layer.backward(r)
    np.testing.assert_allclose(dx, ref_dx, rtol=1e-9, atol=1e-12)
    assert set(layer.grads) == set(ref_grads)
    for k, g in ref_grads.items():
        np.testing.assert_allclose(layer.grads[k], g, rtol=1e-9, atol=1e-12, err_msg=k)


def test_simple_rnn_sigmoid_and_linear_follow_the_formula():
    """h_t = f(x_t W + h_(t-1) U + b) written out step by step."""
    for act, f in (("sigmoid", lambda z: 1 / (1 + np.exp(-z))), ("linear", lambda z: z)):
        layer = make_layer(SimpleRNN, {"units": 3, "activation": act,
                                       "return_sequences": True}, F=2)
        x = np.random.default_rng(2).normal(0, 1, (4, 5, 2))
        w = layer.weights
        h, want = np.zeros((4, 3)), []
        for t in range(5):
            h = f(x[:, t] @ w["W"] + h @ w["U"] + w["b"])
            want.append(h)
        np.testing.assert_allclose(layer.forward(x, True), np.stack(want, 1), rtol=1e-12)


@pytest.mark.parametrize("cls,params", CONFIGS,
                         ids=[f"{c.__name__}-{i}" for i, (c, _) in enumerate(CONFIGS)])
def test_inference_path_equals_training_path(cls, params, monkeypatch):
    layer = make_layer(cls, params, F=3, dtype=np.float32)
    x = np.random.default_rng(3).normal(0, 1, (7, 5, 3)).astype(np.float32)
    train = layer.forward(x, training=True)
    infer = layer.forward(x, training=False)
    assert infer.dtype == np.float32 and infer.shape == train.shape
    np.testing.assert_allclose(infer, train, rtol=1e-6, atol=1e-6)
    # The input projection in chunks of one time step gives the same result.
    monkeypatch.setattr(recurrent, "_CHUNK_VALUES", 1)
    np.testing.assert_allclose(layer.forward(x, training=False), infer, rtol=1e-6, atol=1e-6)


def test_backward_needs_a_training_forward():
    layer = make_layer(LSTM, {"units": 2}, F=3)
    out = layer.forward(np.zeros((2, 5, 3)), training=False)
    with pytest.raises(TrainingError, match="LSTM 'rnn'.*training=True"):
        layer.backward(np.ones_like(out))


def test_buffers_follow_the_batch_size():
    """Alternating batch sizes reuse or replace the buffers without mixing up states."""
    layer = make_layer(LSTM, {"units": 3, "return_sequences": True}, F=2)
    rng = np.random.default_rng(4)
    big, small = rng.normal(size=(5, 5, 2)), rng.normal(size=(2, 5, 2))
    want_big = layer.forward(big, True).copy()
    want_small = layer.forward(small, True).copy()
    out_big = layer.forward(big, True)
    np.testing.assert_array_equal(out_big, want_big)
    # Outputs are fresh arrays: the next forward does not change them.
    layer.forward(small, True)
    np.testing.assert_array_equal(out_big, want_big)
    np.testing.assert_array_equal(layer.forward(small, True), want_small)


def lstm_net(units=4, seed=0):
    g = GraphSpec.sequential([("Input", {"shape": [6, 2]}), ("LSTM", {"units": units}),
                              ("Dense", {"units": 1, "activation": "linear"})])
    return Network(g, seed=seed)


def test_lstm_forget_gate_bias_starts_at_one():
    net = lstm_net(units=5)
    b = net.get_weights()["lstm1/b"]
    np.testing.assert_array_equal(b, np.r_[np.zeros(5), np.ones(5), np.zeros(10)])
    # Trained values survive a re-layout of the buffer (freezing keeps every value) ...
    w = net.get_weights()
    w["lstm1/b"] = np.linspace(-1, 1, 20)
    net.set_weights(w)
    net.set_frozen("dense1", True)
    np.testing.assert_allclose(net.get_weights()["lstm1/b"], np.linspace(-1, 1, 20), atol=1e-7)
    # ... and fresh weights start at 1 again.
    net.reinitialize()
    np.testing.assert_array_equal(net.get_weights()["lstm1/b"][5:10], np.ones(5))


def test_parameter_counts():
    F, u = 3, 4
    assert SimpleRNN("s", units=u).count_params([(7, F)]) == (F * u + u * u + u,) * 2
    assert LSTM("l", units=u).count_params([(7, F)]) == (4 * (F * u + u * u + u),) * 2
    assert GRU("g", units=u).count_params([(7, F)]) == (3 * (F * u + u * u + 2 * u),) * 2


@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_output_shapes_and_shape_errors(cls):
    assert cls("r", units=6).compute_output_shape([(9, 2)]) == (6,)
    assert cls("r", units=6, return_sequences=True).compute_output_shape([(9, 2)]) == (9, 6)
    for bad in [(4,), (1, 4, 4)]:
        with pytest.raises(ShapeError, match=f"{cls.__name__} 'r': expects sequences") as e:
            cls("r", units=6).compute_output_shape([bad])
        assert e.value.node_id == "r"


def test_recurrent_output_cannot_take_a_fused_cross_entropy():
    """A recurrent layer has no output activation: cross-entropy asks for a Dense."""
    g = GraphSpec.sequential([("Input", {"shape": [4, 2]}), ("GRU", {"units": 3})])
    with pytest.raises(SpecError, match="GRU 'gru1'.*softmax"):
        Trainer(Network(g), TrainingConfig(loss="categorical_crossentropy"))


def test_stacked_recurrent_network_learns_to_sum_a_sequence():
    """LSTM(return_sequences) -> GRU -> Dense learns y = sum of the inputs (a task that
    needs memory over all steps) far below the variance of y."""
    g = GraphSpec.sequential([("Input", {"shape": [6, 1]}),
                              ("LSTM", {"units": 8, "return_sequences": True}),
                              ("GRU", {"units": 8}),
                              ("Dense", {"units": 1, "activation": "linear"})])
    net = Network(g, seed=0)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (512, 6, 1)).astype(np.float32)
    y = x.sum(axis=(1, 2))[:, None]
    cfg = TrainingConfig(loss="mse", optimizer="adam", learning_rate=0.01, batch_size=32,
                         epochs=40, seed=0)
    fin = Trainer(net, cfg).fit(x, y)
    assert fin.history.train_loss[-1] < 0.02 * y.var()


# ---------------------------------------------------------------------------------------------
# the example
# ---------------------------------------------------------------------------------------------
def test_sine_lstm_example_reaches_the_bar_through_the_cli(tmp_path):
    from nncore.cli import main

    path = EXAMPLES / "sine_lstm.json"
    project = load_project(path)
    assert project.data.name == "sine" and not project.data.standardize_target
    assert "LSTM" in {n.type for n in project.graph.nodes}
    xs = [n.position[0] for n in project.graph.nodes]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)  # placed left to right
    metrics = tmp_path / "m.csv"
    assert main(["train", str(path), "--quiet", "--metrics", str(metrics)]) == 0
    rows = list(csv.DictReader(metrics.open()))
    assert len(rows) == project.training.epochs
    # val_loss is the MSE in the sine's units (the target is not standardized).
    assert float(rows[-1]["val_loss"]) <= 0.01
    assert json.loads(path.read_text())["description"]
