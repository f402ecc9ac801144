"""Input gradients on request (``Network.track_gradients``, ``forward_for_gradients``,
``gradients``): over every example of every registered layer type, the gradient with
respect to the data equals float64 finite differences of the inference function; with
tracking off the network plans backward exactly as before (no first-layer input gradient)
and training is unchanged bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from nncore.config import TrainingConfig
from nncore.errors import SpecError
from nncore.network import Network
from nncore.registry import layer_types
from nncore.spec import EdgeSpec, GraphSpec, NodeSpec
from nncore.trainer import Trainer

CASES = [
    pytest.param(cls, params, shapes, id=f"{cls.type_name}-{i}")
    for cls in layer_types()
    for i, (params, shapes) in enumerate(cls.examples)
    if shapes and cls.input_dtype != "int"
]


def layer_network(cls, params, shapes) -> Network:
    """Inputs of ``shapes`` feeding one layer of type ``cls``, float64, with every state
    array (BatchNormalization's moving statistics) away from its initial value."""
    g = GraphSpec()
    for k, shape in enumerate(shapes):
        g.nodes.append(NodeSpec(f"in{k}", "Input", {"shape": list(shape)}))
        g.edges.append(EdgeSpec(f"in{k}", "layer"))
    g.nodes.append(NodeSpec("layer", cls.type_name, dict(params)))
    net = Network(g, dtype=np.float64, seed=3)
    rng = np.random.default_rng(5)
    for slot in net.slots:
        view = net.params_flat[slot.start:slot.stop]
        if slot.spec.minimum is not None:
            view[...] = slot.spec.minimum + rng.uniform(0.5, 2.0, view.shape)
        else:
            view[...] = rng.normal(0.0, 0.5, view.shape)
    return net


@pytest.mark.parametrize("cls,params,shapes", CASES)
def test_input_gradients_match_finite_differences_of_inference(cls, params, shapes):
    net = layer_network(cls, params, shapes)
    rng = np.random.default_rng(1)
    xs = {f"in{k}": rng.normal(0.0, 1.0, (3, *s)) for k, s in enumerate(shapes)}
    feed = xs if len(xs) > 1 else xs["in0"]
    inference = np.array(net.forward(feed, training=False))
    w = rng.normal(0.0, 1.0, inference.shape)

    net.track_gradients()
    out = net.forward_for_gradients(feed)
    np.testing.assert_allclose(out, inference, rtol=1e-12, atol=1e-12)
    net.backward(w)
    grads = {k: np.array(v) for k, v in net.gradients().items() if k in xs}

    eps = 1e-6
    for name, x in xs.items():
        numeric = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            old = x[i]
            x[i] = old + eps
            up = float(np.sum(w * net.forward(feed, training=False)))
            x[i] = old - eps
            down = float(np.sum(w * net.forward(feed, training=False)))
            x[i] = old
            numeric[i] = (up - down) / (2 * eps)
        np.testing.assert_allclose(grads[name], numeric, rtol=1e-5, atol=1e-7,
                                   err_msg=f"{cls.type_name} input {name}")


def mlp(output: str = "linear") -> GraphSpec:
    return GraphSpec.sequential([("Input", {"shape": [3]}),
                                 ("Dense", {"units": 5, "activation": "tanh"}),
                                 ("Dropout", {"rate": 0.5}),
                                 ("Dense", {"units": 2, "activation": output})])


def test_tracking_off_plans_backward_as_before_and_on_adds_the_first_layer():
    net = Network(mlp(), seed=0)
    assert net.layers["dense1"].need_input_grad is False
    assert not net.tracking_gradients
    with pytest.raises(SpecError, match="track_gradients"):
        net.gradients()
    net.track_gradients()
    assert net.layers["dense1"].need_input_grad is True
    net.forward_for_gradients(np.ones((2, 3), np.float32))
    net.backward(np.ones((2, 2), np.float32))
    g = net.gradients()
    assert list(g) == net.order and g["input1"].shape == (2, 3)
    net.track_gradients(False)
    assert net.layers["dense1"].need_input_grad is False
    with pytest.raises(SpecError):
        net.gradients()


def test_training_with_and_without_tracking_gives_the_same_weights():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype(np.float32)
    y = rng.integers(0, 2, 40)
    finals = []
    for track in (False, True):
        net = Network(mlp("softmax"), seed=4)
        net.track_gradients(track)
        cfg = TrainingConfig(epochs=3, batch_size=8, learning_rate=0.05)
        Trainer(net, cfg).fit(x, y)
        finals.append(net.params_flat.copy())
    np.testing.assert_array_equal(finals[0], finals[1])


def test_forward_for_gradients_is_the_inference_function_with_dropout_and_batch_norm():
    g = GraphSpec.sequential([("Input", {"shape": [4]}), ("BatchNormalization", {}),
                              ("Dense", {"units": 3, "activation": "relu"}),
                              ("Dropout", {"rate": 0.5})])
    net = Network(g, dtype=np.float64, seed=0)
    bn = net.layers["batchnormalization1"]
    bn.weights["moving_mean"][...] = [0.5, -1.0, 2.0, 0.0]
    bn.weights["moving_var"][...] = [2.0, 0.5, 1.0, 3.0]
    x = np.random.default_rng(2).normal(size=(6, 4))
    before = bn.weights["moving_mean"].copy()
    want = np.array(net.forward(x, training=False))
    np.testing.assert_array_equal(net.forward_for_gradients(x), want)
    np.testing.assert_array_equal(bn.weights["moving_mean"], before)  # no update
