"""Convolution layers against independent references: direct (loop) formulas of
convolution and pooling with the TensorFlow/ONNX SAME_UPPER padding rule, PyTorch (forward
and gradients) when installed, hand-worked small cases for padding placement, ties and
padded cells, a whole-network finite-difference check, shape errors that name the node,
and the bundled CNN / transfer-learning examples trained through the command line."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

from nncore.errors import ParameterError, ShapeError, SpecError
from nncore.graph import analyze
from nncore.layers import convolution
from nncore.layers.convolution import Conv2D
from nncore.layers.pooling import AvgPool2D, GlobalAveragePooling2D, MaxPool2D
from nncore.layers.spatial_dropout import SpatialDropout2D
from nncore.network import Network
from nncore.project import Project, project_from_dict
from nncore.spec import EdgeSpec, GraphSpec, NodeSpec

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def build(cls, shape, dtype=np.float64, seed=0, **params):
    """A standalone layer with random weights (as the network would set it up)."""
    layer = cls("under_test", **params)
    layer.input_shapes = [tuple(shape)]
    layer.output_shape = layer.compute_output_shape(layer.input_shapes)
    layer.dtype = dtype
    rng = np.random.default_rng(seed)
    for spec in layer.weight_specs(layer.input_shapes):
        layer.weights[spec.name] = rng.normal(0, 0.5, spec.shape).astype(dtype)
        layer.grads[spec.name] = np.zeros(spec.shape, dtype)
    layer.rng = np.random.default_rng(seed)
    layer.on_built()
    return layer


# ---------------------------------------------------------------------------------------------
# independent references (loops over output pixels; slow, obviously right)
# ---------------------------------------------------------------------------------------------
def same_pads(size, k_eff, stride):
    """TensorFlow's SAME rule: out = ceil(size / stride), the odd padding pixel after."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + k_eff - size, 0)
    return total // 2, total - total // 2


def ref_pads(shape, kernel, strides, dilation, padding):
    if padding == "valid":
        return (0, 0), (0, 0)
    return tuple(same_pads(shape[1 + a], (kernel[a] - 1) * dilation[a] + 1, strides[a])
                 for a in (0, 1))


def ref_conv(x, w, b, strides, dilation, padding):
    n, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    (pt, pb), (pl, pr) = ref_pads((c, h, wd), (kh, kw), strides, dilation, padding)
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    eh, ew = (kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1
    oh = (xp.shape[2] - eh) // strides[0] + 1
    ow = (xp.shape[3] - ew) // strides[1] + 1
    out = np.zeros((n, f, oh, ow))
    for r in range(oh):
        for q in range(ow):
            r0, q0 = r * strides[0], q * strides[1]
            patch = xp[:, :, r0:r0 + eh:dilation[0], q0:q0 + ew:dilation[1]]
            out[:, :, r, q] = np.einsum("ncij,fcij->nf", patch, w)
    return out + (0 if b is None else b.reshape(1, -1, 1, 1))


def ref_pool(x, pool, strides, padding, kind):
    n, c, h, w = x.shape
    (pt, pb), (pl, pr) = ref_pads((c, h, w), pool, strides, (1, 1), padding)
    oh = (h + pt + pb - pool[0]) // strides[0] + 1
    ow = (w + pl + pr - pool[1]) // strides[1] + 1
    out = np.zeros((n, c, oh, ow))
    for r in range(oh):
        for q in range(ow):
            r0, q0 = r * strides[0] - pt, q * strides[1] - pl
            rows = slice(max(r0, 0), min(r0 + pool[0], h))  # real (non-padded) cells only
            cols = slice(max(q0, 0), min(q0 + pool[1], w))
            win = x[:, :, rows, cols]
            out[:, :, r, q] = win.max(axis=(2, 3)) if kind == "max" else win.mean(axis=(2, 3))
    return out


CONV_CONFIGS = [
    # (input shape, params)
    ((3, 7, 6), {"filters": 4, "kernel_size": [3, 3], "padding": "same"}),
    ((2, 8, 8), {"filters": 3, "kernel_size": [2, 2], "padding": "same"}),
    ((2, 9, 7), {"filters": 2, "kernel_size": [3, 2], "strides": [2, 3], "padding": "same"}),
    ((1, 10, 9), {"filters": 3, "kernel_size": [4], "strides": [3], "padding": "same"}),
    ((2, 9, 9), {"filters": 2, "kernel_size": [3, 3], "dilation_rate": [2, 3],
                 "padding": "same"}),
    ((3, 11, 8), {"filters": 5, "kernel_size": [3, 3], "strides": [2, 1],
                  "dilation_rate": [2, 1], "padding": "valid"}),
    ((2, 5, 5), {"filters": 2, "kernel_size": [5, 5], "padding": "valid"}),
    ((1, 3, 2), {"filters": 2, "kernel_size": [5, 5], "padding": "same", "use_bias": False}),
]


@pytest.mark.parametrize("shape,params", CONV_CONFIGS)
def test_conv2d_forward_matches_the_direct_formula(shape, params):
    layer = build(Conv2D, shape, activation="linear", **params)
    x = np.random.default_rng(1).normal(0, 1, (3, *shape))
    kernel, strides, dilation = layer.window
    want = ref_conv(x, layer.weights["W"], layer.weights.get("b"), strides, dilation,
                    params.get("padding", "same"))
    got = layer.forward(x, training=True)
    assert got.shape == want.shape == (3, *layer.output_shape)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("shape,params", CONV_CONFIGS)
def test_conv2d_forward_and_gradients_match_pytorch(shape, params):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    layer = build(Conv2D, shape, activation="tanh", **params)
    kernel, strides, dilation = layer.window
    rng = np.random.default_rng(2)
    x = rng.normal(0, 1, (4, *shape))
    g = rng.normal(0, 1, (4, *layer.output_shape))
    out = layer.forward(x, training=True)
    dx = layer.backward(g)

    (pt, pb), (pl, pr) = ref_pads(shape, kernel, strides, dilation,
                                  params.get("padding", "same"))
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(layer.weights["W"], requires_grad=True)
    bt = torch.tensor(layer.weights["b"], requires_grad=True) if "b" in layer.weights else None
    yt = torch.tanh(F.conv2d(F.pad(xt, (pl, pr, pt, pb)), wt, bt, stride=strides,
                             dilation=dilation))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(out, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.grads["W"], wt.grad.numpy(), rtol=1e-10, atol=1e-12)
    if bt is not None:
        np.testing.assert_allclose(layer.grads["b"], bt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_same_padding_puts_the_odd_pixel_after():
    """3x3 ones, a 2x2 kernel of ones, 'same', stride 1: the padding row/column goes at the
    bottom/right, so each output sums the 2x2 block starting at its own pixel."""
    layer = build(Conv2D, (1, 3, 3), filters=1, kernel_size=[2, 2], padding="same",
                  activation="linear", use_bias=False)
    layer.weights["W"][...] = 1.0
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    want = [[0 + 1 + 3 + 4, 1 + 2 + 4 + 5, 2 + 5],
            [3 + 4 + 6 + 7, 4 + 5 + 7 + 8, 5 + 8],
            [6 + 7, 7 + 8, 8]]
    np.testing.assert_array_equal(layer.forward(x, False)[0, 0], want)
    assert layer.pads == (0, 0, 1, 1)


def test_conv2d_output_shapes_follow_the_keras_rules():
    def out(shape, **p):
        return Conv2D("c", filters=2, **p).compute_output_shape([shape])

    assert out((1, 28, 28), kernel_size=[3, 3], padding="same") == (2, 28, 28)
    assert out((1, 28, 28), kernel_size=[3, 3], padding="valid") == (2, 26, 26)
    assert out((1, 28, 28), kernel_size=[3, 3], strides=[2, 2], padding="same") == (2, 14, 14)
    assert out((1, 7, 7), kernel_size=[3, 3], strides=[2, 2], padding="same") == (2, 4, 4)
    assert out((1, 7, 7), kernel_size=[3, 3], strides=[2, 2], padding="valid") == (2, 3, 3)
    assert out((1, 9, 9), kernel_size=[3, 3], dilation_rate=[2, 2], padding="valid") == (
        2, 5, 5)


def test_parameter_counts_closed_form():
    assert Conv2D("c", filters=8, kernel_size=[3, 3]).count_params([(3, 10, 10)]) == (
        8 * 3 * 9 + 8, 8 * 3 * 9 + 8)
    assert Conv2D("c", filters=8, kernel_size=[5, 1], use_bias=False).count_params(
        [(2, 10, 10)]) == (80, 80)
    assert MaxPool2D("p").count_params([(3, 4, 4)]) == (0, 0)


POOL_CONFIGS = [
    ((2, 6, 8), {}),
    ((2, 7, 5), {}),                                            # odd sizes: last row dropped
    ((1, 7, 7), {"pool_size": [3, 3], "strides": [2, 2]}),      # overlapping windows
    ((2, 5, 3), {"pool_size": [2, 2], "padding": "same"}),
    ((1, 6, 5), {"pool_size": [3, 2], "strides": [1, 2], "padding": "same"}),
    ((2, 4, 9), {"pool_size": [2, 4], "strides": [3, 3], "padding": "same"}),
]


@pytest.mark.parametrize("kind,cls", [("max", MaxPool2D), ("avg", AvgPool2D)])
@pytest.mark.parametrize("shape,params", POOL_CONFIGS)
def test_pools_match_the_direct_formula_and_ignore_padded_cells(kind, cls, shape, params):
    layer = build(cls, shape, **params)
    # All negative: a max over zero padding would give 0, an average counting padded cells
    # would shrink towards 0.
    x = -np.random.default_rng(3).uniform(1, 2, (3, *shape))
    pool, strides, _ = layer.window
    want = ref_pool(x, pool, strides, params.get("padding", "valid"), kind)
    for training in (True, False):
        got = layer.forward(x, training)
        assert got.shape == want.shape == (3, *layer.output_shape)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("shape,params", POOL_CONFIGS)
def test_pool_gradients_match_pytorch(shape, params):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(4)
    x = rng.normal(0, 1, (3, *shape))
    for cls in (MaxPool2D, AvgPool2D):
        layer = build(cls, shape, **params)
        pool, strides, _ = layer.window
        (pt, pb), (pl, pr) = ref_pads(shape, pool, strides, (1, 1),
                                      params.get("padding", "valid"))
        g = rng.normal(0, 1, (3, *layer.output_shape))
        layer.forward(x, True)
        dx = layer.backward(g)
        xt = torch.tensor(x, requires_grad=True)
        if cls is MaxPool2D:
            yt = F.max_pool2d(F.pad(xt, (pl, pr, pt, pb), value=-math.inf), pool, strides)
        else:  # average of the real cells: sum over the zero-padded input / real count
            ones = F.pad(torch.ones(1, 1, *shape[1:], dtype=torch.float64), (pl, pr, pt, pb))
            count = F.avg_pool2d(ones, pool, strides) * (pool[0] * pool[1])
            yt = F.avg_pool2d(F.pad(xt, (pl, pr, pt, pb)), pool, strides) * (
                pool[0] * pool[1]) / count
        yt.backward(torch.tensor(g))
        np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-12, atol=1e-12,
                                   err_msg=cls.type_name)


def test_maxpool_gives_a_tied_window_gradient_to_its_first_maximum_only():
    layer = build(MaxPool2D, (1, 2, 4), pool_size=[2, 2])
    x = np.array([[[[0.0, 0.0, 1.0, 3.0],
                    [0.0, 0.0, 3.0, 3.0]]]])
    np.testing.assert_array_equal(layer.forward(x, True), [[[[0.0, 3.0]]]])
    dx = layer.backward(np.array([[[[5.0, 7.0]]]]))
    np.testing.assert_array_equal(dx, [[[[5.0, 0.0, 0.0, 7.0],
                                         [0.0, 0.0, 0.0, 0.0]]]])
    # Overlapping windows add up where they share the maximum.
    layer = build(MaxPool2D, (1, 1, 3), pool_size=[1, 2], strides=[1, 1])
    layer.forward(np.array([[[[1.0, 4.0, 2.0]]]]), True)
    np.testing.assert_array_equal(layer.backward(np.array([[[[1.0, 10.0]]]])),
                                  [[[[0.0, 11.0, 0.0]]]])


def test_avgpool_same_divides_by_the_real_cells():
    layer = build(AvgPool2D, (1, 3, 3), pool_size=[2, 2], padding="same")
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    np.testing.assert_allclose(layer.forward(x, False)[0, 0],
                               [[(0 + 1 + 3 + 4) / 4, (2 + 5) / 2], [(6 + 7) / 2, 8.0]])


def test_global_average_pooling():
    layer = build(GlobalAveragePooling2D, (2, 3, 4))
    x = np.random.default_rng(5).normal(size=(5, 2, 3, 4))
    np.testing.assert_allclose(layer.forward(x, False), x.mean(axis=(2, 3)))
    g = np.random.default_rng(6).normal(size=(5, 2))
    np.testing.assert_allclose(layer.backward(g), np.broadcast_to(
        g[:, :, None, None] / 12, x.shape))


def test_spatial_dropout_drops_whole_channels_in_training_only():
    layer = build(SpatialDropout2D, (64, 3, 3), rate=0.25)
    x = np.random.default_rng(7).uniform(1, 2, (50, 64, 3, 3))
    y = layer.forward(x, True)
    kept = (y != 0).reshape(50, 64, 9)
    assert (kept.all(axis=2) | ~kept.any(axis=2)).all()  # a channel is all kept or all dropped
    np.testing.assert_allclose(y[kept.reshape(y.shape)], x[kept.reshape(y.shape)] / 0.75)
    dropped = 1 - kept[:, :, 0].mean()
    assert abs(dropped - 0.25) < 0.03  # 3200 channels: 4 standard deviations
    g = np.ones_like(x)
    np.testing.assert_array_equal(layer.backward(g), (y != 0) / 0.75)
    assert layer.forward(x, False) is x


# ---------------------------------------------------------------------------------------------
# the layers together in a network
# ---------------------------------------------------------------------------------------------
def cnn_graph():
    return GraphSpec.sequential([
        ("Input", {"shape": [2, 9, 8]}),
        ("Conv2D", {"filters": 4, "kernel_size": [3, 3], "padding": "same",
                    "activation": "tanh"}),
        ("MaxPool2D", {"pool_size": [2, 2], "padding": "same"}),
        ("Conv2D", {"filters": 3, "kernel_size": [2, 2], "strides": [2, 1],
                    "padding": "same", "activation": "elu"}),
        ("SpatialDropout2D", {"rate": 0.3}),
        ("AvgPool2D", {"pool_size": [2, 2], "strides": [1, 1], "padding": "same"}),
        ("Conv2D", {"filters": 3, "kernel_size": [1, 2], "activation": "sigmoid"}),
        ("GlobalAveragePooling2D", {}),
        ("Dense", {"units": 3, "activation": "softmax"}),
    ])


def test_network_gradients_match_finite_differences_through_every_layer():
    """float64 central differences of sum(output * R) with respect to weights of every
    trainable layer, through the channel-major views the layers pass to each other."""
    net = Network(cnn_graph(), dtype=np.float64, seed=3)
    rng = np.random.default_rng(8)
    x = rng.normal(0, 1, (4, 2, 9, 8))
    r = rng.normal(0, 1, (4, 3))

    def loss():
        net.rng = np.random.default_rng(9)  # the same dropout masks every time
        for layer in net.layers.values():
            layer.rng = net.rng
        return float(np.sum(net.forward(x, training=True) * r))

    loss()
    net.backward(r.copy())
    analytic = net.grads_flat.copy()
    for slot in net.slots:
        if slot.start >= net.n_trainable:
            continue
        for k in rng.choice(slot.spec.size, size=min(6, slot.spec.size), replace=False):
            i = slot.start + int(k)
            old = net.params_flat[i]
            net.params_flat[i] = old + 1e-6
            up = loss()
            net.params_flat[i] = old - 1e-6
            down = loss()
            net.params_flat[i] = old
            np.testing.assert_allclose(analytic[i], (up - down) / 2e-6, rtol=1e-5, atol=1e-8,
                                       err_msg=slot.key)


def test_predict_is_the_same_in_bounded_memory_chunks(monkeypatch):
    net = Network(cnn_graph(), seed=4)
    x = np.random.default_rng(10).normal(0, 1, (70, 2, 9, 8)).astype(np.float32)
    whole = net.predict(x)
    monkeypatch.setattr(convolution, "INFERENCE_COLS_LIMIT", 2000)  # a few samples per chunk
    np.testing.assert_allclose(net.predict(x), whole, rtol=1e-6, atol=1e-7)


def test_cached_buffers_follow_the_batch_size():
    """Buffers are reused between calls of one batch size and rebuilt for another; padding
    cells must stay zero (-inf for max pooling) throughout."""
    net = Network(cnn_graph(), dtype=np.float64, seed=5)
    rng = np.random.default_rng(11)
    batches = [rng.normal(0, 1, (n, 2, 9, 8)) for n in (5, 3, 5, 5)]
    fresh = [Network(cnn_graph(), dtype=np.float64, seed=5) for _ in batches]
    for xb, ref in zip(batches, fresh):
        net.rng, ref.rng = np.random.default_rng(0), np.random.default_rng(0)
        for a, b in zip(net.layers.values(), ref.layers.values()):
            a.rng, b.rng = net.rng, ref.rng
        np.testing.assert_array_equal(net.forward(xb, True), ref.forward(xb, True))
        g = rng.normal(0, 1, (len(xb), 3))
        net.backward(g)
        ref.backward(g)
        np.testing.assert_array_equal(net.grads_flat, ref.grads_flat)


def test_frozen_first_conv_gets_no_gradient_and_needs_no_input_gradient():
    g = cnn_graph()
    g.nodes[1].frozen = True
    net = Network(g, seed=6)
    first = net.layers["conv2d1"]
    assert not first.trainable and not first.need_input_grad
    assert net.layers["conv2d2"].need_input_grad is False  # only a frozen layer before it
    before = net.get_weights()["conv2d1/W"]
    x = np.random.default_rng(12).normal(0, 1, (6, 2, 9, 8)).astype(np.float32)
    net.set_fused_output(True)
    net.forward(x, True)
    net.backward(np.ones((6, 3), np.float32))
    np.testing.assert_array_equal(net.get_weights()["conv2d1/W"], before)


# ---------------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------------
def test_flat_input_is_a_shape_error_naming_the_node():
    g = GraphSpec([NodeSpec("x", "Input", {"shape": [64]}), NodeSpec("c1", "Conv2D", {})],
                  [EdgeSpec("x", "c1")])
    errors = analyze(g).errors
    assert len(errors) == 1 and isinstance(errors[0], ShapeError)
    assert errors[0].node_id == "c1"
    assert str(errors[0]).startswith(
        "Conv2D 'c1': expects an image input (C, H, W), got shape (64,)")
    assert "Reshape" in str(errors[0])


@pytest.mark.parametrize("cls,params,shape,match", [
    (Conv2D, {"kernel_size": [5, 5], "padding": "valid"}, (1, 4, 4),
     r"Conv2D 'n': the 5x5 kernel does not fit the 4x4 input with padding 'valid'"),
    (Conv2D, {"kernel_size": [3, 3], "dilation_rate": [3, 3], "padding": "valid"},
     (1, 6, 9), r"the 3x3 kernel \(dilated to 7x7\) does not fit the 6x9 input"),
    (MaxPool2D, {"pool_size": [3, 3]}, (2, 2, 5),
     r"MaxPool2D 'n': the 3x3 pool window does not fit the 2x5 input"),
    (AvgPool2D, {}, (3, 5), r"AvgPool2D 'n': expects an image input \(C, H, W\), got shape "
     r"\(3, 5\); it works on images, not sequences"),
    (GlobalAveragePooling2D, {}, (8,), r"GlobalAveragePooling2D 'n': expects an image input"),
    (SpatialDropout2D, {}, (4, 4), r"SpatialDropout2D 'n': expects an image input"),
])
def test_shape_errors_say_what_does_not_fit(cls, params, shape, match):
    with pytest.raises(ShapeError, match=match) as e:
        cls("n", **params).compute_output_shape([shape])
    assert e.value.node_id == "n"
    # 'same' padding always fits
    if "padding" in params:
        ok = cls("n", **{**params, "padding": "same"}).compute_output_shape([shape])
        assert all(d >= 1 for d in ok)


@pytest.mark.parametrize("params,match", [
    ({"kernel_size": [3, 3, 3]}, r"Conv2D 'c': kernel_size must be one number or two"),
    ({"strides": [0, 1]}, r"Conv2D 'c': strides must be a list of positive integers"),
    ({"padding": "full"}, r"padding must be one of 'valid', 'same'"),
    ({"activation": "softmax"}, r"activation must be one of"),
    ({"filters": 0}, r"filters must be a positive integer"),
])
def test_bad_parameters_are_rejected_with_the_owner(params, match):
    with pytest.raises(ParameterError, match=match):
        Conv2D("c", **params)


def test_pool_strides_default_to_the_pool_size_and_survive_a_project_file():
    layer = MaxPool2D("p", pool_size=[3, 2])
    assert layer.window[1] == (3, 2)
    assert layer.config["strides"] is None and layer.config["pool_size"] == (3, 2)
    node = NodeSpec("p", "MaxPool2D", {"pool_size": [3, 2], "strides": None})
    saved = json.loads(json.dumps(Project(graph=GraphSpec([node], [])).to_dict()))
    (again,) = project_from_dict(saved).graph.nodes
    assert MaxPool2D("p", **again.params).window[1] == (3, 2)
    with pytest.raises(ParameterError, match="MaxPool2D 'p': strides must be one number"):
        MaxPool2D("p", strides=[1, 2, 3])


def test_a_conv_network_that_does_not_fit_is_reported_before_training():
    g = GraphSpec.sequential([("Input", {"shape": [1, 8, 8]}),
                              ("Conv2D", {"kernel_size": [3, 3], "padding": "valid"}),
                              ("MaxPool2D", {"pool_size": [4, 4]}),
                              ("Conv2D", {"kernel_size": [3, 3], "padding": "valid"})])
    with pytest.raises(SpecError, match=r"Conv2D 'conv2d2': the 3x3 kernel does not fit the "
                                        r"1x1 input"):
        Network(g)


# ---------------------------------------------------------------------------------------------
# the bundled examples, trained through the command line
# ---------------------------------------------------------------------------------------------
def _last_row(path: Path) -> dict:
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return rows[-1]


def test_digits_cnn_example_reaches_98_percent(tmp_path):
    from nncore.cli import main

    metrics = tmp_path / "m.csv"
    code = main(["train", str(EXAMPLES / "digits_cnn.json"), "--metrics", str(metrics),
                 "--quiet"])
    assert code == 0
    last = _last_row(metrics)
    assert int(last["epoch"]) == 50
    assert float(last["val_accuracy"]) >= 0.98


def test_digits_transfer_example_trains_only_its_head(tmp_path):
    from nncore.cli import main
    from nncore.project import load_project

    cnn, transfer = (load_project(EXAMPLES / f"digits_{n}.json") for n in ("cnn", "transfer"))
    shared = ["image", "conv1", "pool1", "conv2"]
    for node in shared:
        a, b = cnn.graph.node(node), transfer.graph.node(node)
        assert (a.type, a.params) == (b.type, b.params)
    assert "--partial --freeze-loaded" in transfer.description

    base = tmp_path / "cnn.npz"
    assert main(["train", str(EXAMPLES / "digits_cnn.json"), "--epochs", "8",
                 "--out-weights", str(base), "--quiet"]) == 0
    out, metrics = tmp_path / "transfer.npz", tmp_path / "m.csv"
    assert main(["train", str(EXAMPLES / "digits_transfer.json"), "--init-weights", str(base),
                 "--partial", "--freeze-loaded", "--out-weights", str(out), "--metrics",
                 str(metrics), "--quiet"]) == 0
    with np.load(base, allow_pickle=False) as a, np.load(out, allow_pickle=False) as b:
        for key in ("conv1/W", "conv1/b", "conv2/W", "conv2/b"):
            np.testing.assert_array_equal(a[key], b[key], err_msg=key)  # frozen: bit-identical
        assert {"hidden/W", "output/W"} <= set(b.files)
    assert float(_last_row(metrics)["val_accuracy"]) >= 0.95
