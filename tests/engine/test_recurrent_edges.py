"""SimpleRNN, LSTM and GRU against plain per-step loops written here from the documented
equations (PyTorch's conventions: GRU "reset after", LSTM gates i, f, g, o), their
gradients against float64 central differences of those loops, the inference path bit for
bit against the training path, the chunks of the inference projection, and the memory
each layer declares. Written against mutation-testing survivors (issue 19): the
registry-wide harness checks each layer's backward against its own forward, so a forward
that computes the wrong function consistently (a ReLU state never written) passed it."""

from __future__ import annotations

import re

import numpy as np
import pytest

from nncore.config import TrainingConfig
from nncore.errors import ShapeError, TrainingError
from nncore.layers import recurrent
from nncore.layers.gru import GRU
from nncore.layers.lstm import LSTM
from nncore.layers.simple_rnn import SimpleRNN
from nncore.network import Network
from nncore.spec import GraphSpec
from nncore.trainer import Trainer
from tests.engine.differences import numeric_gradient
from tests.engine.test_layers import build


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


ACTIVATIONS = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0), "sigmoid": sigmoid,
               "linear": lambda z: z}


def reference(cls, config, w, x):
    """The layer's output by a plain loop over time steps, float64, from h_0 (= c_0) = 0.

    SimpleRNN: h_t = f(x_t W + h_(t-1) U + b).
    LSTM (blocks i, f, c, o): z = x_t W + h_(t-1) U + b; c_t = f c_(t-1) + i g;
    h_t = o tanh(c_t).
    GRU (blocks z, r, h; reset after): a = x_t W + b; q = h_(t-1) U + rb;
    n = tanh(a_h + r q_h); h_t = z h_(t-1) + (1 - z) n.
    """
    B, T, _ = x.shape
    u = config["units"]
    h, c, steps = np.zeros((B, u)), np.zeros((B, u)), []
    for t in range(T):
        if cls is SimpleRNN:
            h = ACTIVATIONS[config.get("activation", "tanh")](
                x[:, t] @ w["W"] + h @ w["U"] + w["b"])
        elif cls is LSTM:
            z = x[:, t] @ w["W"] + h @ w["U"] + w["b"]
            i, f = sigmoid(z[:, :u]), sigmoid(z[:, u:2 * u])
            g, o = np.tanh(z[:, 2 * u:3 * u]), sigmoid(z[:, 3 * u:])
            c = f * c + i * g
            h = o * np.tanh(c)
        else:
            a = x[:, t] @ w["W"] + w["b"]
            q = h @ w["U"] + w["rb"]
            zg = sigmoid(a[:, :u] + q[:, :u])
            r = sigmoid(a[:, u:2 * u] + q[:, u:2 * u])
            n = np.tanh(a[:, 2 * u:] + r * q[:, 2 * u:])
            h = zg * h + (1.0 - zg) * n
        steps.append(h)
    return np.stack(steps, axis=1) if config.get("return_sequences") else h


def central_differences(f, arrays, eps=1e-6):
    """d f / d a for every element of every array in ``arrays`` (changed in place and
    restored), float64 central differences."""
    return {name: numeric_gradient(f, a, eps) for name, a in arrays.items()}


CASES = [
    (SimpleRNN, {"units": 3, "activation": "tanh"}, (2, 4, 3)),
    (SimpleRNN, {"units": 3, "activation": "relu", "return_sequences": True}, (2, 4, 3)),
    (SimpleRNN, {"units": 2, "activation": "relu"}, (3, 3, 2)),
    (SimpleRNN, {"units": 3, "activation": "sigmoid", "return_sequences": True}, (2, 4, 2)),
    (SimpleRNN, {"units": 2, "activation": "linear"}, (2, 3, 3)),
    (LSTM, {"units": 3}, (2, 4, 3)),
    (LSTM, {"units": 2, "return_sequences": True}, (3, 3, 2)),
    (LSTM, {"units": 1}, (1, 1, 2)),
    (GRU, {"units": 3}, (2, 4, 3)),
    (GRU, {"units": 2, "return_sequences": True}, (3, 3, 2)),
    (GRU, {"units": 1, "return_sequences": True}, (1, 1, 2)),
]
IDS = [f"{c.__name__}-{'-'.join(str(v) for v in p.values())}-T{s[1]}" for c, p, s in CASES]


def layer_for(cls, params, shape, dtype=np.float64, seed=0):
    layer = build(cls, params, [shape[1:]], dtype=dtype, seed=seed)
    if "rb" in layer.weights:  # the recurrent bias away from the input bias
        layer.weights["rb"][...] = np.random.default_rng(seed + 1).normal(
            0, 0.5, layer.weights["rb"].shape)
    return layer


@pytest.mark.parametrize("cls,params,shape", CASES, ids=IDS)
def test_outputs_follow_the_step_equations(cls, params, shape):
    layer = layer_for(cls, params, shape)
    x = np.random.default_rng(5).normal(0, 1, shape)
    want = reference(cls, layer.config, layer.weights, x)
    for training in (True, False):
        got = layer.forward(x, training=training)
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("cls,params,shape", CASES, ids=IDS)
def test_gradients_match_differences_of_the_step_equations(cls, params, shape):
    """Backward of L = sum(out * R) against central differences of the plain loop (not of
    the layer's own forward), for every weight and every input value."""
    layer = layer_for(cls, params, shape)
    layer.need_input_grad = True
    rng = np.random.default_rng(6)
    x = rng.normal(0, 1, shape)
    w = {k: v.copy() for k, v in layer.weights.items()}
    r = rng.normal(0, 1, reference(cls, layer.config, w, x).shape)
    layer.forward(x, training=True)
    for g in layer.grads.values():
        g[...] = 99.0  # stale values must be overwritten
    dx = layer.backward(r.copy())
    numeric = central_differences(
        lambda: float(np.sum(reference(cls, layer.config, w, x) * r)), {**w, "x": x})
    np.testing.assert_allclose(dx, numeric.pop("x"), rtol=1e-6, atol=1e-8)
    assert set(numeric) == set(layer.grads)
    for name, g in numeric.items():
        np.testing.assert_allclose(layer.grads[name], g, rtol=1e-6, atol=1e-8, err_msg=name)


KINDS = [(SimpleRNN, {"activation": "tanh"}), (SimpleRNN, {"activation": "relu"}),
         (SimpleRNN, {"activation": "sigmoid"}), (LSTM, {}), (GRU, {})]


@pytest.mark.parametrize("budget", [1 << 20, 1, 30, 100])
@pytest.mark.parametrize("cls,params", KINDS, ids=[c.__name__ + str(p) for c, p in KINDS])
def test_float32_inference_is_the_training_pass_bit_for_bit(cls, params, budget, monkeypatch):
    """Evaluation computes exactly what training computes (same operations in the same
    float32 precision), whatever the chunks of its input projection."""
    monkeypatch.setattr(recurrent, "_CHUNK_VALUES", budget)
    rng = np.random.default_rng(8)
    for units, B, rs in ((3, 4, False), (2, 5, True), (1, 1, True)):
        shape = (B, 7, 3)
        layer = layer_for(cls, {**params, "units": units, "return_sequences": rs}, shape,
                          dtype=np.float32)
        x = rng.normal(0, 1, shape).astype(np.float32)
        train = layer.forward(x, training=True).copy()
        infer = layer.forward(x, training=False)
        assert infer.dtype == np.float32
        np.testing.assert_array_equal(infer, train)
        want = reference(cls, layer.config, {k: v.astype(np.float64)
                                             for k, v in layer.weights.items()},
                         x.astype(np.float64))
        np.testing.assert_allclose(infer, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("units,B,budget", [(4, 3, 30), (4, 3, 5), (4, 3, 1 << 20),
                                            (1, 1, 3), (1, 2, 7), (3, 2, 6)])
def test_inference_projection_comes_in_the_fewest_chunks_within_the_budget(
        units, B, budget, monkeypatch):
    """Chunks of at most ``_CHUNK_VALUES`` values (or one time step when one is larger),
    each as long as the budget allows, covering every step once with x_t W + b."""
    monkeypatch.setattr(recurrent, "_CHUNK_VALUES", budget)
    T, F = 9, 2
    layer = layer_for(SimpleRNN, {"units": units}, (B, T, F))
    x = np.random.default_rng(9).normal(0, 1, (B, T, F))
    W, b = layer.weights["W"], layer.weights["b"]
    WbT = np.concatenate([W, b[None]]).T
    k = units
    chunks = list(layer._projection_chunks(x, WbT))
    t = 0
    for n, (t0, proj) in enumerate(chunks):
        steps = proj.shape[0]
        assert t0 == t and proj.shape == (steps, k, B)
        assert steps == 1 or proj.size <= budget
        if n < len(chunks) - 1:
            assert (steps + 1) * k * B > budget  # no room left for another step
        for j in range(steps):
            np.testing.assert_allclose(proj[j], (x[:, t + j] @ W + b).T, rtol=1e-12)
        t += steps
    assert t == T


@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_backward_after_an_inference_pass_is_refused(cls):
    """An inference pass keeps no step states: a backward after it (even following a
    training pass) must not reuse the older pass's states."""
    layer = layer_for(cls, {"units": 2}, (2, 3, 2))
    x = np.random.default_rng(10).normal(0, 1, (2, 3, 2))
    out = layer.forward(x, training=True)
    layer.backward(np.ones_like(out))  # allowed after a training pass
    layer.forward(x, training=False)
    with pytest.raises(TrainingError, match="training=True"):
        layer.backward(np.ones_like(out))


def held_per_sample(cls, units, F):
    """Floats per sample a training pass of T steps keeps, written out per layer: the
    inputs with a row of ones (T (F + 1)), the states h_0..h_T (GRU with a row of ones),
    the layer's own step buffers, and three arrays of the output's size (output, its
    gradient, and one more, as every layer counts)."""
    def count(T, out):
        u = units
        inputs = T * (F + 1)
        if cls is SimpleRNN:  # pre-activations and their gradients
            own, states = 2 * T * u, (T + 1) * u
        elif cls is LSTM:  # gates, their derivatives and gradients; c_0..c_T, tanh(c_t),
            own = 3 * T * 4 * u + (T + 1) * u + 2 * T * u + 2 * u  # o tanh'; dh, dc
            states = (T + 1) * u
        else:  # input and recurrent projections, derivatives, two gradients
            own, states = 5 * T * 3 * u, (T + 1) * (u + 1)
        return inputs + states + own + 3 * out
    return count


@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
@pytest.mark.parametrize("rs", [False, True])
def test_training_memory_is_what_a_training_pass_holds(cls, rs):
    units, T, F, B = 3, 5, 2, 4
    layer = layer_for(cls, {"units": units, "return_sequences": rs}, (B, T, F))
    declared = layer.training_floats([(T, F)])
    out_size = T * units if rs else units
    assert declared == held_per_sample(cls, units, F)(T, out_size)
    # ... and what a training pass of B samples allocates, per sample
    layer.forward(np.random.default_rng(11).normal(0, 1, (B, T, F)), training=True)
    allocated = sum(a.size for a in layer._buffers.values())
    assert allocated % B == 0
    assert declared == allocated // B + 3 * out_size


@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_backward_before_any_forward_is_refused_with_the_reason(cls):
    layer = layer_for(cls, {"units": 2}, (2, 3, 2))
    with pytest.raises(TrainingError, match=re.escape(
            f"{cls.__name__} 'under_test': backward needs the step states of a forward pass "
            "with training=True") + "$"):
        layer.backward(np.ones((2, 2)))


@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_a_flat_input_is_refused_with_the_ways_to_make_sequences(cls):
    with pytest.raises(ShapeError, match=re.escape(
            f"{cls.__name__} 'r': expects sequences of shape (time steps, features), got "
            "(4,); use an Input of shape [T, F], a Reshape to [T, F], or a recurrent layer "
            "with return_sequences before it") + "$"):
        cls("r", units=3).compute_output_shape([(4,)])


@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_training_buffers_are_allocated_once_per_batch_geometry(cls):
    """Counted, not timed: passes of the same batch shape reuse the same arrays; another
    shape gets new ones (and the results stay those of the step equations)."""
    layer = layer_for(cls, {"units": 3, "return_sequences": True}, (4, 5, 2))
    rng = np.random.default_rng(12)
    x, small = rng.normal(0, 1, (4, 5, 2)), rng.normal(0, 1, (2, 5, 2))
    layer.forward(x, training=True)
    first = {k: id(v) for k, v in layer._buffers.items()}
    kept = dict(layer._buffers)  # keep them alive so ids are not reused
    out = layer.forward(x, training=True)
    assert {k: id(v) for k, v in layer._buffers.items()} == first
    out_small = layer.forward(small, training=True)
    assert all(id(v) != first[k] for k, v in layer._buffers.items())
    np.testing.assert_allclose(out_small, reference(cls, layer.config, layer.weights, small),
                               rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(out, reference(cls, layer.config, layer.weights, x),
                               rtol=1e-12, atol=1e-14)
    del kept


@pytest.mark.parametrize("l1,l2", [(0.0, 0.05), (0.03, 0.0)])
@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM", "GRU"])
def test_penalties_reach_both_kernels_and_no_bias(kind, l1, l2):
    """One SGD step with a penalty minus the same step without it: -lr (2 l2 w + l1
    sign(w)) for W and U (Keras' kernel and recurrent regularizers), 0 for the biases."""
    g = GraphSpec.sequential([("Input", {"shape": [4, 2]}), (kind, {"units": 3}),
                              ("Dense", {"units": 1, "activation": "linear"})])
    rng = np.random.default_rng(13)
    x, y = rng.normal(0, 1, (5, 4, 2)), rng.normal(0, 1, (5, 1))
    after, before = {}, None
    for pen in (False, True):
        net = Network(g, dtype=np.float64, seed=3)
        wrng = np.random.default_rng(14)  # every array away from its start (biases not 0)
        net.set_weights({k: wrng.normal(0, 0.5, v.shape) for k, v in net.get_weights().items()})
        before = net.get_weights()
        cfg = TrainingConfig(loss="mse", optimizer="sgd", learning_rate=0.1,
                             l1=l1 if pen else 0.0, l2=l2 if pen else 0.0)
        trainer = Trainer(net, cfg)
        trainer.train_step(*trainer.prepare(x, y, "batch"), lr=0.1)
        after[pen] = net.get_weights()
    node = kind.lower() + "1"
    for name in ("W", "U", "b", "rb"):
        key = f"{node}/{name}"
        if key not in before:
            continue
        w = before[key]
        want = -0.1 * (2 * l2 * w + l1 * np.sign(w)) if name in ("W", "U") else 0 * w
        np.testing.assert_allclose(after[True][key] - after[False][key], want,
                                   rtol=1e-9, atol=1e-15, err_msg=key)
