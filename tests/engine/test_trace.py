"""The single-sample trace (nncore.trace): its gradients against float64 finite differences
of the loss, its forward values against the engine's own forward, its update against what
``Trainer.train_step`` does for every optimizer, and the network, its generator and the
optimizer state left untouched."""

from __future__ import annotations

import numpy as np
import pytest

from nncore.activations import ACTIVATIONS
from nncore.config import TrainingConfig
from nncore.losses import LOSSES
from nncore.network import Network
from nncore.optimizers import OPTIMIZERS
from nncore.registry import layer_types
from nncore.spec import EdgeSpec, GraphSpec, NodeSpec
from nncore.trace import (
    ACTIVATION_FORMULAS,
    LOSS_FORMULAS,
    OPTIMIZER_FORMULAS,
    copy_network,
    trace_sample,
)
from nncore.trainer import Trainer


def seq(*layers):
    return GraphSpec.sequential(list(layers))


def dag(nodes, edges):
    return GraphSpec([NodeSpec(i, t, p) for i, t, p in nodes],
                     [EdgeSpec(a, b) for a, b in edges])


RNG = np.random.default_rng(7)

# name -> (graph, loss, sample x (batch of one), target)
CASES = {
    "mlp_dropout": (seq(("Input", {"shape": [3]}), ("Dense", {"units": 5, "activation": "relu"}),
                        ("Dropout", {"rate": 0.4}), ("Dense", {"units": 4, "activation": "elu"}),
                        ("Dense", {"units": 3, "activation": "softmax"})),
                    "categorical_crossentropy", RNG.normal(size=(1, 3)), np.array([2])),
    "binary": (seq(("Input", {"shape": [4]}), ("Dense", {"units": 3, "activation": "gelu"}),
                   ("Dense", {"units": 1, "activation": "sigmoid"})),
               "binary_crossentropy", RNG.normal(size=(1, 4)), np.array([[1.0]])),
    "regression": (seq(("Input", {"shape": [2]}), ("Dense", {"units": 4, "activation": "silu"}),
                       ("Activation", {"activation": "softplus"}),
                       ("Dense", {"units": 2, "activation": "linear"})),
                   "huber", RNG.normal(size=(1, 2)), RNG.normal(size=(1, 2))),
    "conv": (seq(("Input", {"shape": [1, 5, 5]}),
                 ("Conv2D", {"filters": 2, "kernel_size": [3, 3], "activation": "tanh"}),
                 ("BatchNormalization", {"momentum": 0.9}), ("MaxPool2D", {}),
                 ("Flatten", {}), ("Dense", {"units": 2, "activation": "softmax"})),
             "categorical_crossentropy", RNG.normal(size=(1, 1, 5, 5)), np.array([1])),
    "pooling": (seq(("Input", {"shape": [2, 4, 4]}),
                    ("Conv2D", {"filters": 3, "kernel_size": [2, 2], "padding": "valid",
                                "activation": "leaky_relu"}),
                    ("SpatialDropout2D", {"rate": 0.3}), ("AvgPool2D", {"padding": "same"}),
                    ("GlobalAveragePooling2D", {}),
                    ("Dense", {"units": 1, "activation": "linear"})),
                "mse", RNG.normal(size=(1, 2, 4, 4)), np.array([[0.5]])),
    "recurrent": (seq(("Input", {"shape": [4, 3]}),
                      ("LSTM", {"units": 3, "return_sequences": True}),
                      ("GRU", {"units": 2, "return_sequences": True}),
                      ("SimpleRNN", {"units": 2}), ("Dense", {"units": 1, "activation": "linear"})),
                  "mse", RNG.normal(size=(1, 4, 3)), np.array([[0.3]])),
    "merge": (dag([("x", "Input", {"shape": [6]}), ("r", "Reshape", {"target_shape": [2, 3]}),
                   ("f", "Flatten", {}), ("a", "Dense", {"units": 4, "activation": "tanh"}),
                   ("b", "Dense", {"units": 4, "activation": "sigmoid"}), ("s", "Add", {}),
                   ("c", "Concatenate", {}), ("o", "Dense", {"units": 1, "activation": "linear"})],
                  [("x", "r"), ("r", "f"), ("f", "a"), ("f", "b"), ("a", "s"), ("b", "s"),
                   ("s", "c"), ("a", "c"), ("c", "o")]),
              "mae", RNG.normal(size=(1, 6)), np.array([[2.0]])),
    "ids": (dag([("user", "Input", {"shape": [1]}), ("item", "Input", {"shape": [1]}),
                 ("eu", "Embedding", {"input_dim": 5, "output_dim": 3}),
                 ("ei", "Embedding", {"input_dim": 4, "output_dim": 3}),
                 ("fu", "Flatten", {}), ("fi", "Flatten", {}), ("d", "Dot", {"normalize": True}),
                 ("o", "Dense", {"units": 1, "activation": "linear"})],
                [("user", "eu"), ("item", "ei"), ("eu", "fu"), ("ei", "fi"), ("fu", "d"),
                 ("fi", "d"), ("d", "o")]),
            "mse", {"user": np.array([[3]]), "item": np.array([[1]])}, np.array([[0.7]])),
}


def setup(name, dtype=np.float64, seed=3, **cfg):
    graph, loss, x, t = CASES[name]
    net = Network(graph, dtype=dtype, seed=seed)
    trainer = Trainer(net, TrainingConfig(loss=loss, **cfg))
    if not isinstance(x, dict):
        x = x.astype(dtype)
    return net, trainer, x, t


def loss_at(trainer, x, t, rng_state, perturb=None):
    """The loss of a training-mode forward pass with the dropout masks of ``rng_state``;
    ``perturb(net)`` may change things first. Weights and generator are put back."""
    net = trainer.net
    snap = net.snapshot()
    net.rng.bit_generator.state = rng_state
    xs, ts = trainer.prepare(x, t, "x")
    value = trainer.loss.forward(net.forward(xs, True), ts)
    net.restore(snap)
    return value


def fd(f, eps=1e-6):
    return (f(eps) - f(-eps)) / (2 * eps)


@pytest.mark.parametrize("name", list(CASES))
def test_weight_and_input_gradients_equal_finite_differences(name):
    net, trainer, x, t = setup(name)
    state = net.rng.bit_generator.state
    trace = trace_sample(trainer, x, t)
    assert trace.loss == pytest.approx(loss_at(trainer, x, t, state), rel=1e-12)
    checked = 0
    for slot in net.slots[:]:
        if slot.start >= net.n_trainable:
            continue
        got = trace.layer(slot.node_id).grad_weights[slot.spec.name].ravel()
        for k in range(slot.spec.size):
            def f(e, i=slot.start + k):
                keep = net.params_flat[i]
                net.params_flat[i] = keep + e
                try:
                    return loss_at(trainer, x, t, state)
                finally:
                    net.params_flat[i] = keep
            assert got[k] == pytest.approx(fd(f), rel=1e-5, abs=1e-9), (slot.key, k)
            checked += 1
    assert checked == net.n_trainable
    for node_id in net.input_ids:
        xi = x[node_id] if isinstance(x, dict) else x
        g = trace.layer(node_id).grad_output
        if xi.dtype.kind in "iu":  # ids: no gradient
            assert g is None
            continue
        for k in range(xi.size):
            def f(e, k=k, xi=xi):
                xp = xi.copy()
                xp.flat[k] += e
                return loss_at(trainer, xp, t, state)
            assert g.flat[k] == pytest.approx(fd(f), rel=1e-5, abs=1e-9), (node_id, k)


@pytest.mark.parametrize("name", list(CASES))
def test_every_node_output_gradient_equals_finite_differences(name):
    """Perturb each node's output inside the forward pass (the layer's forward wrapped)."""
    net, trainer, x, t = setup(name)
    state = net.rng.bit_generator.state
    trace = trace_sample(trainer, x, t)
    for node_id in net.order:
        layer = net.layers[node_id]
        if layer.max_inputs == 0:
            continue
        tr = trace.layer(node_id)
        # The loss's gradient is taken at the output layer's logits when it fuses them.
        want = tr.grad_output if tr.grad_output is not None else tr.grad_pre_activation
        original = layer.forward
        for k in range(want.size):
            def f(e, k=k, layer=layer, original=original):
                def shifted(inputs, training):
                    y = original(inputs, training).copy()
                    y.reshape(-1)[k] += e
                    return y
                layer.forward = shifted
                try:
                    return loss_at(trainer, x, t, state)
                finally:
                    del layer.forward
            assert want.flat[k] == pytest.approx(fd(f), rel=1e-5, abs=1e-9), (node_id, k)
        if tr.activation is not None and tr.grad_output is not None:
            act = ACTIVATIONS[tr.activation]()
            z = tr.pre_activation[None]
            np.testing.assert_allclose(tr.grad_pre_activation,
                                       act.backward(tr.grad_output[None], z, act.forward(z))[0])


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_values_equal_the_engines_forward(name, dtype):
    net, trainer, x, t = setup(name, dtype=dtype)
    state = net.rng.bit_generator.state
    trace = trace_sample(trainer, x, t)
    net.rng.bit_generator.state = state
    snap = net.snapshot()
    xs, _ = trainer.prepare(x, t, "x")
    out = net.forward(xs, True)
    net.restore(snap)
    acts = net.activations()
    fused = trainer.loss.fused_activation is not None
    for node_id in net.order:
        tr = trace.layer(node_id)
        assert tr.output.dtype == dtype or tr.output.dtype.kind == "i"
        if node_id == net.output_id and fused:
            np.testing.assert_array_equal(tr.pre_activation, out[0])
            np.testing.assert_allclose(tr.output, trace.prediction)
            np.testing.assert_allclose(tr.output, ACTIVATIONS[tr.activation]().forward(out)[0])
        else:
            np.testing.assert_array_equal(tr.output, acts[node_id][0])
        for source, got in zip(net.analysis.inputs[node_id], tr.inputs):
            np.testing.assert_array_equal(got, acts[source][0])


def test_pre_activation_of_a_dense_layer_is_x_w_plus_b():
    net, trainer, x, t = setup("regression")
    tr = trace_sample(trainer, x, t).layer("dense1")
    w = net.layers["dense1"].weights
    np.testing.assert_allclose(tr.pre_activation, x[0] @ w["W"] + w["b"], rtol=1e-12)
    np.testing.assert_allclose(tr.output, tr.pre_activation / (1 + np.exp(-tr.pre_activation)),
                               rtol=1e-12)
    # With a batch of one, dL/db is dL/dz.
    np.testing.assert_allclose(tr.grad_weights["b"], tr.grad_pre_activation, rtol=1e-12)
    np.testing.assert_allclose(tr.grad_weights["W"], np.outer(x[0], tr.grad_pre_activation),
                               rtol=1e-12)


# -- the update ----------------------------------------------------------------------------

OPTIMIZER_SETTINGS = [
    ("sgd", {}, {"learning_rate": 0.05}),
    ("momentum", {"momentum": 0.5}, {}),
    ("nesterov", {"momentum": 0.7}, {}),
    ("rmsprop", {"rho": 0.8}, {}),
    ("adagrad", {"initial_accumulator": 0.3}, {}),
    ("adam", {"beta1": 0.8}, {}),
    ("adamw", {"weight_decay": 0.1}, {}),
]


@pytest.mark.parametrize("optimizer, params, extra", OPTIMIZER_SETTINGS,
                         ids=[o[0] for o in OPTIMIZER_SETTINGS])
@pytest.mark.parametrize("name", ["mlp_dropout", "conv"])
def test_update_equals_what_train_step_does(name, optimizer, params, extra):
    """After three steps (the optimizer has state), the trace's update is the change the
    real trainer's next step makes, and tracing changed nothing of it."""
    net, trainer, x, t = setup(name, dtype=np.float32, optimizer=optimizer,
                               optimizer_params=params, l2=0.01, **extra)
    xs, ts = trainer.prepare(x, t, "x")
    for _ in range(3):
        trainer.train_step(xs, ts, 0.02)
    before = net.snapshot()
    rng = net.rng.bit_generator.state
    state = {k: v.copy() for k, v in trainer.optimizer.state.items()}
    iterations, step = trainer.optimizer.iterations, trainer.step
    trace = trace_sample(trainer, x, t, lr=0.03)
    # Untouched: weights, generator, optimizer state, step counts.
    np.testing.assert_array_equal(net.snapshot(), before)
    assert net.rng.bit_generator.state == rng
    for k, v in trainer.optimizer.state.items():
        np.testing.assert_array_equal(v, state[k])
    assert (trainer.optimizer.iterations, trainer.step) == (iterations, step)
    assert trace.step == iterations + 1 and trace.learning_rate == 0.03
    trainer.train_step(xs, ts, 0.03)
    for slot in net.slots:
        change = (net.params_flat[slot.start:slot.stop] - before[slot.start:slot.stop])
        np.testing.assert_array_equal(trace.layer(slot.node_id).updates[slot.spec.name],
                                      change.reshape(slot.spec.shape), err_msg=slot.key)


def test_sgd_update_is_the_closed_form_with_l2_l1_and_clipping():
    """p -= lr * clip(g + 2 l2 W + l1 sign(W)) on kernels, clip(g) on biases, with g the
    trace's (finite-difference checked) loss gradient."""
    net, trainer, x, t = setup("mlp_dropout", l2=0.03, l1=0.002, clip_norm=0.05,
                               optimizer="sgd")
    trace = trace_sample(trainer, x, t, lr=0.1)
    total = {}
    for layer in trace.layers:
        for name, g in layer.grad_weights.items():
            w = layer.weights[name]
            kernel = name == "W"
            total[layer.node_id, name] = g + (2 * 0.03 * w + 0.002 * np.sign(w) if kernel else 0)
    norm = np.sqrt(sum(float((v ** 2).sum()) for v in total.values()))
    assert norm > 0.05  # (the clipping acts)
    for (node, name), v in total.items():
        want = v * 0.05 / norm
        np.testing.assert_allclose(trace.layer(node).step_gradients[name], want, rtol=1e-10)
        np.testing.assert_allclose(trace.layer(node).updates[name], -0.1 * want, rtol=1e-8,
                                   atol=1e-15)


def test_adam_first_update_is_the_closed_form():
    """First Adam step: m_hat = g, v_hat = g^2, so the update is -lr g / (|g| + eps)."""
    net, trainer, x, t = setup("regression", optimizer="adam",
                               optimizer_params={"epsilon": 1e-3})
    trace = trace_sample(trainer, x, t, lr=0.01)
    for layer in trace.layers:
        for name, g in layer.grad_weights.items():
            np.testing.assert_allclose(layer.updates[name], -0.01 * g / (np.abs(g) + 1e-3),
                                       rtol=1e-9, atol=1e-15)


def test_a_frozen_layer_passes_gradients_but_does_not_change():
    graph, loss, x, t = CASES["mlp_dropout"]
    graph = graph.copy()
    graph.node("dense1").frozen = True
    net = Network(graph, dtype=np.float64, seed=1)
    trace = trace_sample(Trainer(net, TrainingConfig(loss=loss)), x, t)
    frozen = trace.layer("dense1")
    assert frozen.frozen and not frozen.grad_weights and not frozen.step_gradients
    assert all(not u.any() for u in frozen.updates.values())
    assert frozen.grad_inputs[0] is not None and np.abs(frozen.grad_inputs[0]).sum() > 0
    assert any("frozen" in n for n in trace.notes)
    assert any(u.any() for u in trace.layer("dense3").updates.values())


def test_batch_normalization_state_moves_only_in_the_update():
    net, trainer, x, t = setup("conv")
    trace = trace_sample(trainer, x, t)
    bn = trace.layer("batchnormalization1")
    # One step moves the moving mean by (1 - momentum) (batch mean - moving mean).
    xin = bn.inputs[0]
    np.testing.assert_allclose(bn.updates["moving_mean"], 0.1 * (xin.mean(axis=(1, 2)) - 0.0),
                               rtol=1e-10)
    assert any("BatchNormalization" in n for n in trace.notes)


def test_copy_network_is_independent_and_equal():
    net, trainer, x, t = setup("mlp_dropout", dtype=np.float32)
    twin = copy_network(net)
    np.testing.assert_array_equal(twin.params_flat, net.params_flat)
    assert twin.rng.bit_generator.state == net.rng.bit_generator.state
    twin.params_flat += 1
    twin.rng.random()
    assert not np.array_equal(twin.params_flat, net.params_flat)
    assert twin.rng.bit_generator.state != net.rng.bit_generator.state


def test_a_sample_that_does_not_fit_is_refused():
    from nncore.errors import DataError

    net, trainer, x, t = setup("binary")
    with pytest.raises(DataError, match="traced sample"):
        trace_sample(trainer, np.zeros((1, 5)), t)
    with pytest.raises(DataError, match="one sample"):
        trace_sample(trainer, np.zeros((2, 4)), np.ones((2, 1)))


# -- formulas --------------------------------------------------------------------------------

def test_every_layer_type_loss_optimizer_and_activation_has_a_formula():
    for cls in layer_types():
        name = cls.type_name
        forward, backward = cls.formula
        assert forward.strip() and backward.strip(), name
        assert "dL/d" in backward, name
    assert set(LOSS_FORMULAS) == set(LOSSES)
    assert set(OPTIMIZER_FORMULAS) == set(OPTIMIZERS)
    assert set(ACTIVATION_FORMULAS) == set(ACTIVATIONS)


def test_to_dict_is_json_and_names_every_step():
    import json

    net, trainer, x, t = setup("conv", dtype=np.float32)
    trace = trace_sample(trainer, x, t)
    doc = json.loads(json.dumps(trace.to_dict(), allow_nan=False))
    assert [layer["id"] for layer in doc["layers"]] == net.order
    conv = doc["layers"][1]
    assert conv["formula"]["forward"].startswith("z[f, i, j]")
    assert conv["activation"]["formula"]["forward"] == "f(z) = tanh(z)"
    assert np.array(conv["weights"]["W"], np.float32).shape == (2, 1, 3, 3)
    np.testing.assert_array_equal(np.array(conv["updates"]["W"], np.float32),
                                  trace.layer("conv2d1").updates["W"])
    assert doc["loss"]["value"] == trace.loss


def test_non_finite_numbers_are_written_as_text():
    from nncore.trace import plain_data

    assert plain_data(np.array([1.5, np.nan, np.inf, -np.inf], np.float32)) == [
        1.5, "NaN", "Infinity", "-Infinity"]
    assert plain_data(np.float32(0.1)) == 0.1
