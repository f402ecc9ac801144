"""Hidden-space projections (nncore.projection): PCA against numpy's SVD and a hand-made
data set with known principal axes, fixed axes for later rows, signs that never flip,
a layer's activations as the forward pass computes them, an Embedding's vectors."""

from __future__ import annotations

import numpy as np
import pytest

from nncore.errors import ParameterError
from nncore.network import Network
from nncore.projection import (
    Projection,
    embedding_vectors,
    hidden_space,
    layer_activations,
)
from nncore.spec import GraphSpec


def known_axes(n=4000, seed=0):
    """Points spread 10 along (1, 1, 0)/sqrt2, 3 along (1, -1, 0)/sqrt2, 0.5 along z."""
    rng = np.random.default_rng(seed)
    u = np.array([1.0, 1.0, 0.0]) / np.sqrt(2)
    v = np.array([1.0, -1.0, 0.0]) / np.sqrt(2)
    w = np.array([0.0, 0.0, 1.0])
    c = rng.normal(size=(n, 3)) * [10.0, 3.0, 0.5]
    return c @ np.stack([u, v, w]) + [5.0, -2.0, 1.0], np.stack([u, v, w])


def test_known_principal_axes_their_order_signs_and_variances():
    rows, truth = known_axes()
    p = Projection.fit(rows)
    for i in range(3):
        assert abs(p.axes[i] @ truth[i]) > 0.999
        big = np.argmax(np.abs(p.axes[i]))
        assert p.axes[i][big] > 0  # the largest loading is positive
    np.testing.assert_allclose(p.variance, [100.0, 9.0, 0.25], rtol=0.06)
    np.testing.assert_allclose(p.variance_ratio.sum(), 1.0)
    np.testing.assert_allclose(p.mean, [5.0, -2.0, 1.0], atol=0.4)


def test_against_numpys_svd():
    rows = np.random.default_rng(1).normal(size=(50, 7)) @ np.random.default_rng(2).normal(
        size=(7, 7))
    p = Projection.fit(rows, components=3)
    centred = rows - rows.mean(axis=0)
    _, s, vt = np.linalg.svd(centred)
    for i in range(3):
        np.testing.assert_allclose(np.abs(p.axes[i]), np.abs(vt[i]), atol=1e-10)
    np.testing.assert_allclose(p.variance, s[:3] ** 2 / 49, rtol=1e-10)
    np.testing.assert_allclose(p.variance_ratio, s[:3] ** 2 / np.sum(s ** 2), rtol=1e-10)
    coords = p.project(rows)
    np.testing.assert_allclose(np.abs(coords), np.abs(centred @ vt[:3].T), atol=1e-9)
    assert Projection.fit(rows[:, :2], components=3).axes.shape == (2, 2)
    two = Projection.fit(rows, components=2)
    np.testing.assert_array_equal(two.axes, p.axes[:2])
    assert two.project(rows).shape == (50, 2)


def test_later_rows_land_on_the_same_axes_and_a_refit_never_flips_them():
    rows, _ = known_axes()
    p = Projection.fit(rows[:2000])
    later = rows[2000:] * 1.1
    np.testing.assert_allclose(p.project(later), (later - p.mean) @ p.axes.T)
    flipped = Projection(p.mean, -p.axes, p.variance, p.variance_ratio)
    again = Projection.fit(rows[2000:], previous=flipped)
    for i in range(3):
        assert again.axes[i] @ flipped.axes[i] > 0.99
    with pytest.raises(ParameterError, match="3 features"):
        p.project(np.zeros((2, 4)))
    with pytest.raises(ParameterError, match="at least 2 rows"):
        Projection.fit(np.zeros((1, 3)))


def test_a_layers_activations_and_the_hidden_space_of_a_network():
    g = GraphSpec.sequential([("Input", {"shape": [1, 4, 4]}),
                              ("Conv2D", {"filters": 2, "kernel_size": [3, 3]}),
                              ("Flatten", {}),
                              ("Dense", {"units": 5, "activation": "tanh"}),
                              ("Dense", {"units": 3, "activation": "softmax"})])
    net = Network(g, dtype=np.float64, seed=0)
    net.set_fused_output(True)
    x = np.random.default_rng(3).normal(size=(2100, 1, 4, 4))
    acts = layer_activations(net, x, "dense1")
    w, b = net.layers["dense1"].weights["W"], net.layers["dense1"].weights["b"]
    net.forward(x[:5], training=False)
    flat = net.activations()["flatten1"]
    np.testing.assert_allclose(acts[:5], np.tanh(flat @ w + b), rtol=1e-12)
    conv = layer_activations(net, x[:3], "conv2d1")
    assert conv.shape == (3, 2 * 4 * 4)
    out = layer_activations(net, x[:3], "dense2")
    np.testing.assert_allclose(out, net.predict(x[:3]), rtol=1e-12)  # activated
    assert net.fused_output
    p, coords = hidden_space(net, x, "dense1")
    np.testing.assert_allclose(coords, p.project(acts))
    same, coords2 = hidden_space(net, x[:10], "dense1", previous=p, refit=False)
    assert same is p and coords2.shape == (10, 3)
    with pytest.raises(ParameterError, match="no node"):
        layer_activations(net, x, "nope")
    from nncore.attribution import Stopped
    with pytest.raises(Stopped):
        layer_activations(net, x, "dense1", stop=lambda: True)


def test_embedding_vectors_of_the_recommender():
    from pathlib import Path

    from nncore.project import load_project
    from nncore.run import build_network

    examples = Path(__file__).resolve().parents[2] / "resources" / "examples"
    net = build_network(load_project(examples / "recommender.json"))
    vectors = embedding_vectors(net, "item_vector")
    assert vectors.shape == (80, 8)
    np.testing.assert_array_equal(vectors, net.layers["item_vector"].weights["embeddings"])
    p = Projection.fit(vectors)
    assert p.project(vectors).shape == (80, 3)
    with pytest.raises(ParameterError, match="not an Embedding"):
        embedding_vectors(net, "match")
    ids = {"user": np.array([[1], [2]]), "item": np.array([[3], [4]])}
    rows = layer_activations(net, ids, "item_flat")
    np.testing.assert_array_equal(rows, vectors[[3, 4]])
