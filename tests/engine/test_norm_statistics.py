"""The norm statistics a run reports (the health views read them): per-layer weight norms,
frozen layers included, and per-layer gradient norms, each against norms the test computes
itself from the layer's arrays. Written against mutation-testing survivors (issue 19)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nncore.config import TrainingConfig
from nncore.events import BatchEnd, EpochEnd
from nncore.network import Network
from nncore.spec import GraphSpec
from nncore.trainer import Trainer
from nncore.training_parts import WeightNorms, sum_of_squares


def layer_norm(arrays: dict[str, np.ndarray]) -> float:
    return math.sqrt(sum(float((a.astype(np.float64) ** 2).sum()) for a in arrays.values()))


def frozen_net() -> Network:
    graph = GraphSpec.sequential([("Input", {"shape": [3]}),
                                  ("Dense", {"units": 4, "activation": "tanh"}),
                                  ("Dense", {"units": 2, "activation": "linear"})])
    net = Network(graph, seed=1, dtype=np.float64)
    net.set_frozen("dense1", True)
    return net


def test_weight_norms_of_frozen_and_trainable_layers_are_their_l2_norms() -> None:
    net = frozen_net()
    norms = WeightNorms(net).now()
    assert set(norms) == {"dense1", "dense2"}
    for node in ("dense1", "dense2"):  # kernel and bias together
        assert norms[node] == pytest.approx(layer_norm(net.layers[node].weights), rel=1e-12)


def test_a_run_reports_each_batchs_gradient_norms_and_the_epochs_weight_norms() -> None:
    net = frozen_net()
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
    trainer = Trainer(net, TrainingConfig(loss="mse", optimizer="sgd", batch_size=8,
                                          epochs=1, shuffle=False, learning_rate=0.1))
    # The gradient of the one batch, by a separate network with the same weights.
    twin = Network(net.graph, seed=1, dtype=np.float64)
    twin.set_frozen("dense1", True)
    twin.set_weights(net.get_weights())
    out = twin.forward(x, True)
    twin.backward(2.0 * (out - y) / out.size)
    want_grad = layer_norm(twin.layers["dense2"].grads)
    events: list = []
    trainer.fit(x, y, callback=events.append)
    batch = next(e for e in events if isinstance(e, BatchEnd))
    epoch = next(e for e in events if isinstance(e, EpochEnd))
    assert batch.grad_norms == pytest.approx({"dense2": want_grad}, rel=1e-10)
    # The batch's event carries the weight norms after its update (the run's only one).
    assert batch.weight_norms == pytest.approx(
        {n: layer_norm(net.layers[n].weights) for n in ("dense1", "dense2")}, rel=1e-12)
    fin = events[-1]
    assert 0.0 <= batch.elapsed <= fin.elapsed
    assert epoch.grad_norms == pytest.approx({"dense2": want_grad}, rel=1e-10)
    assert epoch.weight_norms == pytest.approx(
        {n: layer_norm(net.layers[n].weights) for n in ("dense1", "dense2")}, rel=1e-12)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_sum_of_squares_is_the_float32_dot_product_unless_it_overflows() -> None:
    v = np.random.default_rng(2).normal(size=1000).astype(np.float32)
    assert sum_of_squares(v) == float(np.dot(v, v))
    big = np.full(4, 3e19, np.float32)  # each square overflows float32
    assert sum_of_squares(big) == pytest.approx(4 * 9e38, rel=1e-6)
    assert sum_of_squares(np.array([1.0, np.inf], np.float32)) == math.inf
