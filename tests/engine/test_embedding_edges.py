"""Embedding and Dot edges the other tests left open, each against a value computed here:
the L1/L2 penalties reach the embedding table (closed form of one SGD step), the words of
every id error, Dot's gradient when a vector is clamped and at the clamp's boundary
(central differences and the closed form). Written against mutation-testing survivors
(issue 19)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from nncore.config import TrainingConfig
from nncore.errors import DataError, ShapeError
from nncore.layers.embedding import Dot, Embedding
from nncore.network import Network
from nncore.spec import GraphSpec
from nncore.trainer import Trainer
from tests.engine.differences import numeric_gradient


def embedding(input_dim=6, output_dim=3):
    layer = Embedding("emb", input_dim=input_dim, output_dim=output_dim)
    layer.input_shapes = [(4,)]
    layer.output_shape = layer.compute_output_shape(layer.input_shapes)
    layer.weights["embeddings"] = np.random.default_rng(0).normal(size=(input_dim, output_dim))
    layer.grads["embeddings"] = np.zeros((input_dim, output_dim))
    return layer


# -- Embedding: the penalties -----------------------------------------------------------
@pytest.mark.parametrize("l1,l2", [(0.0, 0.05), (0.02, 0.0), (0.02, 0.05)])
def test_penalties_reach_the_embedding_table(l1, l2):
    """One SGD step: a row no id in the batch looks up gets no data gradient, so it moves
    by the penalty alone: w - lr (2 l2 w + l1 sign(w)) (Keras' l1/l2 on the table)."""
    g = GraphSpec.sequential([("Input", {"shape": [2]}),
                              ("Embedding", {"input_dim": 5, "output_dim": 3}),
                              ("Flatten", {}), ("Dense", {"units": 1, "activation": "linear"})])
    net = Network(g, dtype=np.float64, seed=0)
    cfg = TrainingConfig(loss="mse", optimizer="sgd", learning_rate=0.1, l1=l1, l2=l2)
    trainer = Trainer(net, cfg)
    w0 = net.get_weights()["embedding1/embeddings"].copy()
    ids = np.array([[0, 1], [1, 3]])
    trainer.train_step(*trainer.prepare(ids, np.array([[1.0], [-2.0]]), "batch"), lr=0.1)
    w1 = net.get_weights()["embedding1/embeddings"]
    unused = [2, 4]
    want = w0[unused] - 0.1 * (2 * l2 * w0[unused] + l1 * np.sign(w0[unused]))
    np.testing.assert_allclose(w1[unused], want, rtol=1e-12)
    assert not np.allclose(w1[unused], w0[unused])


# -- Embedding: the words of its errors --------------------------------------------------
def test_fractional_id_error_says_where_ids_come_from():
    with pytest.raises(DataError, match=re.escape(
            "Embedding 'emb': expects integer ids, got 2.5; feed it directly from an Input "
            "of ids")):
        embedding().forward(np.array([[0.0, 2.5, 1.0, 1.0]]), True)


@pytest.mark.parametrize("data,kind", [(np.array([["a", "b", "c", "d"]]), "<U1"),
                                       (np.ones((1, 4), complex), "complex128")])
def test_non_numeric_ids_name_their_type(data, kind):
    with pytest.raises(DataError, match=re.escape(
            f"Embedding 'emb': expects integer ids, got data of type {kind}")):
        embedding().forward(data, True)


@pytest.mark.parametrize("bad,least", [(6, 7), (9, 10), (-1, 6)])
def test_out_of_range_error_names_the_smallest_input_dim_that_fits(bad, least):
    """Raising input_dim to the suggested value makes the same ids valid (a negative id
    cannot be fixed that way: the suggestion stays the current size)."""
    layer = embedding(input_dim=6)
    ids = np.array([[0, 5, bad, 1]])
    with pytest.raises(DataError, match=re.escape(
            f"id {bad} is out of range: input_dim is 6, so ids must be 0 to 5; raise "
            f"input_dim to at least {least} or fix the data")):
        layer.forward(ids, True)
    if bad >= 0:
        assert embedding(input_dim=least).forward(ids, True).shape == (1, 4, 3)
        with pytest.raises(DataError):
            embedding(input_dim=least - 1).forward(ids, True)


# -- Dot ----------------------------------------------------------------------------------
def test_dot_of_unflattened_inputs_says_to_add_a_flatten():
    with pytest.raises(ShapeError, match=re.escape(
            "Dot 'd': expects two flat vectors, got shape (2, 3); add a Flatten layer "
            "before it") + "$"):
        Dot("d").compute_output_shape([(2, 3), (6,)])


def cosine(a, b):
    """Dot(normalize=True) as Keras defines it: x / sqrt(max(|x|^2, 1e-12)), float64."""
    def unit(x):
        return x / np.sqrt(np.maximum(np.sum(x * x, axis=1, keepdims=True), 1e-12))
    return np.sum(unit(a) * unit(b), axis=1, keepdims=True)


@pytest.mark.parametrize("tiny", ["a", "b"])
def test_cosine_gradient_when_one_vector_is_clamped(tiny):
    """A vector shorter than 1e-6 is divided by 1e-6 instead of its length: the gradient
    is that of the clamped function (central differences with steps that keep it short)."""
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    if tiny == "a":
        a *= 1e-9
    else:
        b *= 1e-9
    r = rng.normal(size=(3, 1))
    layer = Dot("d", normalize=True)
    np.testing.assert_allclose(layer.forward([a, b], True), cosine(a, b), rtol=1e-12)
    ga, gb = layer.backward(r)

    def loss():
        return float(np.sum(cosine(a, b) * r))

    np.testing.assert_allclose(ga, numeric_gradient(loss, a, 1e-13 if tiny == "a" else 1e-6),
                               rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(gb, numeric_gradient(loss, b, 1e-13 if tiny == "b" else 1e-6),
                               rtol=1e-6, atol=1e-6)


def test_cosine_gradient_at_the_clamp_boundary_is_the_unclamped_one():
    """|a|^2 exactly 1e-12 is not below the limit, so it is not clamped: the gradient is
    (v - y u) / |a| (u, v the unit vectors), the one Keras (tf.maximum passes ties to its
    first argument, the squared norm) and PyTorch (clamp passes ties) give."""
    a = np.array([[1e-6, 0.0], [0.0, -1e-6]])
    assert np.all(np.sum(a * a, axis=1) == Dot.EPS)
    b = np.array([[0.6, 0.8], [2.0, 1.0]])
    layer = Dot("d", normalize=True)
    y = layer.forward([a, b], True)
    r = np.array([[1.5], [-0.5]])
    ga, gb = layer.backward(r)
    u = a / 1e-6
    v = b / np.linalg.norm(b, axis=1, keepdims=True)
    np.testing.assert_allclose(y, np.sum(u * v, axis=1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(ga, r * (v - y * u) / 1e-6, rtol=1e-9, atol=1e-3)
    np.testing.assert_allclose(gb, r * (u - y * v) / np.linalg.norm(b, axis=1, keepdims=True),
                               rtol=1e-9)
