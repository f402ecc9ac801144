"""The data-set view (nncore.importance): permutation importance finds the only
informative feature of a synthetic data set, equals a hand computation with the same
permutations on a linear network, and treats each Input of a multi-input network as one
feature; the mean absolute attribution is the plain mean over samples."""

from __future__ import annotations

import numpy as np
import pytest

from nncore.config import TrainingConfig
from nncore.errors import ParameterError
from nncore.explain import saliency
from nncore.importance import mean_abs_attribution, permutation_importance
from nncore.network import Network
from nncore.spec import EdgeSpec, GraphSpec, NodeSpec
from nncore.trainer import Trainer


def test_permutation_importance_finds_the_only_informative_feature():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 5)).astype(np.float32)
    y = (x[:, 2] > 0).astype(np.int64)  # only feature 2 tells the class
    net = Network(GraphSpec.sequential([("Input", {"shape": [5]}),
                                        ("Dense", {"units": 16, "activation": "tanh"}),
                                        ("Dense", {"units": 2, "activation": "softmax"})]),
                  seed=0)
    Trainer(net, TrainingConfig(epochs=30, learning_rate=0.01)).fit(x[:400], y[:400])
    imp = permutation_importance(net, x[400:], y[400:], "categorical_crossentropy",
                                 repeats=4, seed=1,
                                 feature_names=["a", "b", "c", "d", "e"])
    assert imp.features == ["a", "b", "c", "d", "e"] and imp.metric == "accuracy"
    assert int(np.argmax(imp.loss_increase)) == 2 and int(np.argmax(imp.metric_drop)) == 2
    assert imp.metric_drop[2] > 0.3 and imp.loss_increase[2] > 1.0
    others = np.delete(imp.loss_increase, 2)
    assert np.abs(others).max() < 0.05 * imp.loss_increase[2]
    assert imp.metric_value > 0.95 and imp.repeats == 4


def test_permutation_importance_equals_a_hand_computation():
    net = Network(GraphSpec.sequential([("Input", {"shape": [3]}),
                                        ("Dense", {"units": 1, "activation": "linear"})]),
                  dtype=np.float64)
    w = np.array([2.0, -1.0, 0.0])
    net.layers["dense1"].weights["W"][:, 0] = w
    net.layers["dense1"].weights["b"][...] = 0.5
    rng = np.random.default_rng(2)
    x = rng.normal(size=(40, 3))
    y = x @ w + 0.5 + rng.normal(scale=0.1, size=40)
    imp = permutation_importance(net, x, y[:, None], "mse", repeats=3, seed=9)

    def mse_r2(xx):
        err = xx @ w + 0.5 - y
        return np.mean(err ** 2), 1 - np.sum(err ** 2) / np.sum((y - y.mean()) ** 2)

    base_loss, base_r2 = mse_r2(x)
    perm = np.random.default_rng(9)
    for j in range(3):
        rises, drops = [], []
        for _ in range(3):
            xx = x.copy()
            xx[:, j] = x[perm.permutation(40), j]
            loss, r2 = mse_r2(xx)
            rises.append(loss - base_loss)
            drops.append(base_r2 - r2)
        assert imp.loss_increase[j] == pytest.approx(np.mean(rises), rel=1e-9, abs=1e-12)
        assert imp.loss_increase_std[j] == pytest.approx(np.std(rises), rel=1e-9, abs=1e-12)
        assert imp.metric_drop[j] == pytest.approx(np.mean(drops), rel=1e-9, abs=1e-12)
    assert imp.loss == pytest.approx(base_loss) and imp.metric == "r2"
    huber = permutation_importance(net, x, y[:, None], "huber", {"delta": 0.05},
                                   repeats=1, seed=9)

    def huber_loss(xx, d=0.05):
        e = np.abs(xx @ w + 0.5 - y)
        return np.mean(np.where(e <= d, 0.5 * e ** 2, d * (e - 0.5 * d)))

    xx = x.copy()
    xx[:, 0] = x[np.random.default_rng(9).permutation(40), 0]
    assert huber.loss_increase[0] == pytest.approx(huber_loss(xx) - huber_loss(x), rel=1e-9)
    assert imp.loss_increase[2] == 0.0  # a feature with weight 0 cannot matter
    assert imp.features == ["x[0]", "x[1]", "x[2]"]


def test_each_input_of_a_multi_input_network_is_one_feature():
    g = GraphSpec([NodeSpec("a", "Input", {"shape": [2]}),
                   NodeSpec("b", "Input", {"shape": [2]}),
                   NodeSpec("c", "Concatenate", {}),
                   NodeSpec("d", "Dense", {"units": 1, "activation": "linear"})],
                  [EdgeSpec("a", "c"), EdgeSpec("b", "c"), EdgeSpec("c", "d")])
    net = Network(g, dtype=np.float64, seed=0)
    net.layers["d"].weights["W"][2:] = 0.0  # input b is ignored
    rng = np.random.default_rng(3)
    x = {"a": rng.normal(size=(30, 2)), "b": rng.normal(size=(30, 2))}
    y = net.predict(x)
    imp = permutation_importance(net, x, y, "mse", repeats=2)
    assert imp.features == ["a", "b"]
    assert imp.loss_increase[0] > 0 and imp.loss_increase[1] == 0.0
    with pytest.raises(ParameterError, match="repeats"):
        permutation_importance(net, x, y, "mse", repeats=0)


def test_mean_absolute_attribution_and_a_stop_flag():
    net = Network(GraphSpec.sequential([("Input", {"shape": [4]}),
                                        ("Dense", {"units": 3, "activation": "softmax"})]),
                  dtype=np.float64, seed=0)
    x = np.random.default_rng(4).normal(size=(10, 4))
    a = saliency(net, x, target=1)
    np.testing.assert_allclose(mean_abs_attribution(a), np.abs(a.values).mean(axis=0))
    from nncore.attribution import Stopped
    with pytest.raises(Stopped):
        permutation_importance(net, x, np.zeros(10, np.int64), "categorical_crossentropy",
                               stop=lambda: True)
