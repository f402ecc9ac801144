"""Attributions (nncore.explain, nncore.attribution, nncore.integrated_gradients) against
independent references: saliency is the float64 finite-difference gradient of the
explained score, integrated gradients is a closed form on a linear network and the
trapezoidal rule by hand with tolerance 0, Grad-CAM is computed by hand on a tiny conv net,
the baselines and the upsampling are checked against hand-worked values."""

from __future__ import annotations

import numpy as np
import pytest

from nncore.data import Normalizer
from nncore.errors import ParameterError
from nncore.explain import (
    Stopped,
    attribute,
    gaussian_blur,
    grad_cam,
    integrated_gradients,
    make_baseline,
    saliency,
    upsample_bilinear,
)
from nncore.network import Network
from nncore.spec import EdgeSpec, GraphSpec, NodeSpec


def randomize(net: Network, seed: int = 0, scale: float = 0.7) -> Network:
    rng = np.random.default_rng(seed)
    for slot in net.slots:
        view = net.params_flat[slot.start:slot.stop]
        if slot.spec.minimum is not None:
            view[...] = slot.spec.minimum + rng.uniform(0.5, 2.0, view.shape)
        else:
            view[...] = rng.normal(0.0, scale, view.shape)
    return net


def mlp(output_units: int, activation: str, dtype=np.float64) -> Network:
    g = GraphSpec.sequential([("Input", {"shape": [4]}),
                              ("Dense", {"units": 6, "activation": "tanh"}),
                              ("Dropout", {"rate": 0.4}),
                              ("BatchNormalization", {}),
                              ("Dense", {"units": output_units, "activation": activation})])
    return randomize(Network(g, dtype=dtype, seed=0))


def cnn(dtype=np.float64) -> Network:
    g = GraphSpec.sequential([("Input", {"shape": [2, 6, 6]}),
                              ("Conv2D", {"filters": 3, "kernel_size": [3, 3],
                                          "padding": "same", "activation": "tanh"}),
                              ("MaxPool2D", {"pool_size": [2, 2]}),
                              ("Conv2D", {"filters": 4, "kernel_size": [2, 2],
                                          "activation": "relu"}),
                              ("Flatten", {}),
                              ("Dense", {"units": 3, "activation": "softmax"})])
    return randomize(Network(g, dtype=dtype, seed=0), scale=0.5)


def score_of(net: Network, x: np.ndarray, target: int, kind: str) -> float:
    """The explained score written out from the activated output (the reference)."""
    out = np.asarray(net.predict(x[None]), np.float64)[0]
    act = net.output_activation
    if act == "softmax" and kind == "logit":  # the output Dense's pre-activation by hand
        hidden = net.activations()[net.analysis.inputs[net.output_id][0]][0]
        w = net.layers[net.output_id].weights
        return float(hidden @ w["W"][:, target] + w["b"][target])
    if act == "softmax":
        return float(out[target])
    if act == "sigmoid" and out.shape == (1,):
        p = out[0] if target == 1 else 1.0 - out[0]
        return float(np.log(p / (1.0 - p))) if kind == "logit" else float(p)
    return float(out[target])


def numeric_gradient(net: Network, x: np.ndarray, target: int, kind: str) -> np.ndarray:
    g = np.zeros_like(x)
    eps = 1e-6
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = score_of(net, x, target, kind)
        x[i] = old - eps
        down = score_of(net, x, target, kind)
        x[i] = old
        g[i] = (up - down) / (2 * eps)
    return g


@pytest.mark.parametrize("kind", ["logit", "probability"])
def test_saliency_is_the_finite_difference_gradient_of_a_softmax_score(kind):
    net = mlp(3, "softmax")
    x = np.random.default_rng(1).normal(size=(4,))
    for c in range(3):
        a = saliency(net, x, target=c, score=kind)
        np.testing.assert_allclose(a.values[0], numeric_gradient(net, x.copy(), c, kind),
                                   rtol=1e-6, atol=1e-9)
        assert a.scores[0] == pytest.approx(score_of(net, x, c, kind), rel=1e-10)


@pytest.mark.parametrize("kind", ["logit", "probability"])
@pytest.mark.parametrize("target", [0, 1])
def test_saliency_of_one_sigmoid_unit_explains_either_class(kind, target):
    net = mlp(1, "sigmoid")
    x = np.random.default_rng(2).normal(size=(4,))
    a = saliency(net, x, target=target, score=kind)
    np.testing.assert_allclose(a.values[0], numeric_gradient(net, x.copy(), target, kind),
                               rtol=1e-6, atol=1e-9)
    assert a.scores[0] == pytest.approx(score_of(net, x, target, kind), rel=1e-10)


def test_saliency_of_a_regression_output_unit_and_of_a_cnn():
    net = mlp(2, "linear")
    x = np.random.default_rng(3).normal(size=(4,))
    a = saliency(net, x, target=1)
    np.testing.assert_allclose(a.values[0], numeric_gradient(net, x.copy(), 1, "logit"),
                               rtol=1e-6, atol=1e-9)
    conv = cnn()
    xi = np.random.default_rng(4).normal(size=(2, 6, 6))
    got = saliency(conv, xi, target=2, score="probability").values[0]
    np.testing.assert_allclose(got, numeric_gradient(conv, xi.copy(), 2, "probability"),
                               rtol=1e-5, atol=1e-9)


def test_default_target_is_the_predicted_class_and_batches_equal_single_samples():
    net = mlp(3, "softmax", dtype=np.float32)
    x = np.random.default_rng(5).normal(size=(7, 4)).astype(np.float32)
    a = saliency(net, x)
    np.testing.assert_array_equal(a.targets, net.predict(x).argmax(axis=1))
    one = saliency(net, x[3], target=int(a.targets[3]))
    np.testing.assert_allclose(a.values[3], one.values[0], rtol=1e-12)
    # Computed on a float64 twin: the float32 network's gradient up to its rounding.
    twin = Network(net.graph, dtype=np.float64)
    twin.set_weights(net.get_weights())
    np.testing.assert_allclose(a.values[3], numeric_gradient(
        twin, x[3].astype(np.float64), int(a.targets[3]), "logit"), rtol=1e-6, atol=1e-9)


def test_the_network_is_left_as_it_was():
    net = mlp(3, "softmax", dtype=np.float64)
    x = np.random.default_rng(6).normal(size=(2, 4))
    before = net.predict(x)
    saliency(net, x)
    integrated_gradients(net, x, steps=4)
    assert not net.fused_output and not net.tracking_gradients
    assert net.layers["dense1"].need_input_grad is False
    np.testing.assert_array_equal(net.predict(x), before)


# -- integrated gradients ---------------------------------------------------------------

def test_integrated_gradients_of_a_linear_network_is_the_closed_form():
    g = GraphSpec.sequential([("Input", {"shape": [5]}),
                              ("Dense", {"units": 2, "activation": "linear"})])
    net = randomize(Network(g, dtype=np.float64))
    w = net.layers["dense1"].weights["W"]
    rng = np.random.default_rng(7)
    x, base = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    a = integrated_gradients(net, x, base, target=1, steps=1, tolerance=0.0)
    np.testing.assert_allclose(a.values, (x - base) * w[:, 1], rtol=1e-12)
    np.testing.assert_allclose(a.completeness_error, 0.0, atol=1e-12)
    assert list(a.steps) == [1, 1, 1]


def test_tolerance_zero_is_the_trapezoidal_rule_by_hand():
    net = mlp(3, "softmax")
    rng = np.random.default_rng(8)
    x, base = rng.normal(size=4), rng.normal(size=4)
    steps, target = 5, 2
    a = integrated_gradients(net, x, base, target=target, steps=steps, tolerance=0.0,
                             score="probability")
    alphas = np.linspace(0, 1, steps + 1)
    grads = [numeric_gradient(net, base + t * (x - base), target, "probability")
             for t in alphas]
    w = np.full(steps + 1, 1.0 / steps)
    w[[0, -1]] /= 2
    want = (x - base) * np.tensordot(w, grads, axes=1)
    np.testing.assert_allclose(a.values[0], want, rtol=1e-6, atol=1e-10)
    assert a.steps[0] == steps


def test_adaptive_steps_meet_the_tolerance_where_uniform_steps_do_not():
    net = randomize(Network(GraphSpec.sequential([
        ("Input", {"shape": [3]}), ("Dense", {"units": 40, "activation": "relu"}),
        ("Dense", {"units": 40, "activation": "relu"}),
        ("Dense", {"units": 1, "activation": "linear"})]), dtype=np.float64), seed=9)
    x = np.random.default_rng(10).normal(size=(20, 3)) * 2
    plain = integrated_gradients(net, x, steps=8, tolerance=0.0)
    delta = np.abs(plain.scores - plain.baseline_scores)
    assert (np.abs(plain.completeness_error) > 0.01 * delta).any()
    for tol in (0.01, 1e-4):
        a = integrated_gradients(net, x, steps=8, tolerance=tol)
        assert (np.abs(a.completeness_error) <= tol * delta + 1e-12).all()
        assert (a.steps >= 8).all() and (a.steps > 8).any()
    fine = integrated_gradients(net, x, steps=8, tolerance=1e-4)
    coarse = integrated_gradients(net, x, steps=8, tolerance=0.05)
    # a finer tolerance converges on the same attributions
    exact = integrated_gradients(net, x, steps=8, tolerance=1e-7)
    assert np.abs(fine.values - exact.values).max() < np.abs(coarse.values - exact.values).max()


def test_max_steps_bounds_the_refinement():
    net = mlp(1, "sigmoid")
    x = np.random.default_rng(11).normal(size=(4, 4)) * 3
    a = integrated_gradients(net, x, steps=2, tolerance=1e-9, max_steps=8)
    # at most 8 intervals of width 1/8
    assert (a.steps <= 8).all()


def test_integrated_gradients_of_a_cnn_add_up_from_a_blurred_baseline():
    net = cnn()
    x = np.random.default_rng(12).normal(size=(3, 2, 6, 6))
    base = make_baseline("blur", x, blur_sigma=1.5)
    a = integrated_gradients(net, x, base, score="probability")
    delta = a.scores - a.baseline_scores
    assert (np.abs(a.completeness_error) <= 0.01 * np.abs(delta)).all()
    np.testing.assert_array_equal(a.baseline, base)


# -- baselines ----------------------------------------------------------------------------

def test_zeros_baseline_is_a_zero_input_through_the_normalizer():
    raw = np.random.default_rng(13).normal(3.0, 2.0, (50, 4))
    norm = Normalizer("standardize").fit(raw)
    x = norm.transform(raw[:2])
    b = make_baseline("zeros", x, norm)
    np.testing.assert_allclose(b, np.broadcast_to(-norm.stats["mean"] / norm.stats["std"],
                                                  (2, 4)), rtol=1e-6)
    np.testing.assert_array_equal(make_baseline("zeros", x), np.zeros((2, 4)))
    mean = np.arange(4.0)
    np.testing.assert_array_equal(make_baseline("mean", x, train_mean=mean), [mean, mean])


def test_blur_keeps_a_constant_image_and_spreads_a_point_by_the_gaussian():
    const = np.full((1, 2, 5, 7), 3.5)
    np.testing.assert_allclose(gaussian_blur(const, 1.3), const, rtol=1e-12)
    point = np.zeros((1, 1, 9, 9))
    point[0, 0, 4, 4] = 1.0
    sigma = 0.8
    radius = 3  # ceil(3 * 0.8)
    k = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    k /= k.sum()
    want = np.zeros((9, 9))
    want[1:8, 1:8] = np.outer(k, k)
    np.testing.assert_allclose(gaussian_blur(point, sigma)[0, 0], want, atol=1e-15)
    # default sigma: a tenth of the larger side, at least 1
    np.testing.assert_allclose(make_baseline("blur", point), gaussian_blur(point, 1.0))
    big = np.zeros((1, 1, 30, 20))
    np.testing.assert_allclose(make_baseline("blur", big + 1), gaussian_blur(big + 1, 3.0))


def test_bilinear_upsampling_by_hand():
    maps = np.array([[[0.0, 1.0]]])  # (1, 1, 2)
    # output centres map to -0.25, 0.25, 0.75, 1.25 of the input: clamped at the edges
    np.testing.assert_allclose(upsample_bilinear(maps, (3, 4))[0],
                               np.tile([0.0, 0.25, 0.75, 1.0], (3, 1)))
    square = np.random.default_rng(14).normal(size=(2, 3, 3))
    np.testing.assert_allclose(upsample_bilinear(square, (3, 3)), square)


# -- Grad-CAM ---------------------------------------------------------------------------

def test_grad_cam_against_a_hand_computation():
    g = GraphSpec.sequential([("Input", {"shape": [1, 4, 4]}),
                              ("Conv2D", {"filters": 2, "kernel_size": [3, 3],
                                          "padding": "valid", "activation": "relu"}),
                              ("Flatten", {}),
                              ("Dense", {"units": 3, "activation": "softmax"})])
    net = randomize(Network(g, dtype=np.float64), seed=15)
    x = np.random.default_rng(16).normal(size=(1, 4, 4))
    k, b = net.layers["conv2d1"].weights["W"], net.layers["conv2d1"].weights["b"]
    w = net.layers["dense1"].weights["W"]
    acts = np.zeros((2, 2, 2))
    for f in range(2):
        for i in range(2):
            for j in range(2):
                z = float(np.sum(k[f, 0] * x[0, i:i + 3, j:j + 3]) + b[f])
                acts[f, i, j] = max(0.0, z)
    for target in range(3):
        grad = w[:, target].reshape(2, 2, 2)  # d logit / d acts (the flatten order)
        alpha = grad.mean(axis=(1, 2))
        cam = np.maximum(np.tensordot(alpha, acts, axes=1), 0.0)
        a = grad_cam(net, x, target=target)
        assert a.layer == "conv2d1"
        np.testing.assert_allclose(a.layer_map[0], cam, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(a.values[0], upsample_bilinear(cam[None], (4, 4))[0],
                                   rtol=1e-12, atol=1e-15)
        # the probability's gradient: d p_c / d z_j = p_c (delta_cj - p_j)
        z = acts.ravel() @ w + net.layers["dense1"].weights["b"]
        p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        dz = p[target] * ((np.arange(3) == target) - p)
        alpha = (w @ dz).reshape(2, 2, 2).mean(axis=(1, 2))
        cam = np.maximum(np.tensordot(alpha, acts, axes=1), 0.0)
        a = grad_cam(net, x, target=target, score="probability")
        np.testing.assert_allclose(a.layer_map[0], cam, rtol=1e-10, atol=1e-15)
        assert a.scores[0] == pytest.approx(p[target], rel=1e-12)


def test_grad_cam_on_a_chosen_layer_and_its_errors():
    net = cnn()
    x = np.random.default_rng(17).normal(size=(2, 2, 6, 6))
    first = grad_cam(net, x, layer="conv2d1", target=1)
    assert first.layer_map.shape == (2, 6, 6) and first.values.shape == (2, 6, 6)
    pooled = grad_cam(net, x, layer="maxpool2d1", target=1)
    assert pooled.layer_map.shape == (2, 3, 3)
    assert grad_cam(net, x).layer == "conv2d2"  # the last Conv2D by default
    with pytest.raises(ParameterError, match="no node is named 'nope'"):
        grad_cam(net, x, layer="nope")
    with pytest.raises(ParameterError, match="images"):
        grad_cam(net, x, layer="flatten1")
    with pytest.raises(ParameterError, match="no Conv2D"):
        grad_cam(mlp(3, "softmax"), np.zeros(4))


# -- refusals ----------------------------------------------------------------------------

def test_what_attributions_refuse():
    net = mlp(3, "softmax")
    x = np.zeros((2, 4))
    with pytest.raises(ParameterError, match="class 3 does not exist"):
        saliency(net, x, target=3)
    with pytest.raises(ParameterError, match="shape"):
        saliency(net, np.zeros((2, 5)))
    with pytest.raises(ParameterError, match="finite"):
        saliency(net, np.full((1, 4), np.nan))
    with pytest.raises(ParameterError, match="probability"):
        saliency(mlp(2, "linear"), x, score="probability")
    with pytest.raises(ParameterError, match="steps"):
        integrated_gradients(net, x, steps=0)
    with pytest.raises(ParameterError, match="tolerance"):
        integrated_gradients(net, x, tolerance=1.5)
    with pytest.raises(ParameterError, match="baseline"):
        integrated_gradients(net, x, np.zeros(3))
    with pytest.raises(ParameterError, match="image"):
        make_baseline("blur", x)
    with pytest.raises(ParameterError, match="method"):
        attribute(net, x, "lime")
    two = GraphSpec([NodeSpec("a", "Input", {"shape": [2]}),
                     NodeSpec("b", "Input", {"shape": [2]}),
                     NodeSpec("c", "Concatenate", {}),
                     NodeSpec("d", "Dense", {"units": 1, "activation": "linear"})],
                    [EdgeSpec("a", "c"), EdgeSpec("b", "c"), EdgeSpec("c", "d")])
    with pytest.raises(ParameterError, match="one Input"):
        saliency(Network(two), np.zeros((1, 2)))
    ids = GraphSpec.sequential([("Input", {"shape": [1]}),
                                ("Embedding", {"input_dim": 5, "output_dim": 2}),
                                ("Flatten", {}), ("Dense", {"units": 1})])
    with pytest.raises(ParameterError, match="integer ids"):
        saliency(Network(ids), np.zeros((1, 1)))


def test_a_stop_flag_stops_a_long_computation():
    net = cnn()
    x = np.zeros((3, 2, 6, 6))
    with pytest.raises(Stopped):
        integrated_gradients(net, x, stop=lambda: True)
    calls = []
    a = attribute(net, x, "integrated-gradients", stop=lambda: calls.append(1) or False)
    assert calls and a.values.shape == x.shape
