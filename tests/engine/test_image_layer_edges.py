"""Edges of the image layers the broader tests in test_conv.py leave open, each against an
independent reference (a loop over windows, the direct convolution formula, what tracemalloc
sees allocated): float32 stays float32 (outputs, gradients, work arrays); average and max
pooling with padding or overlap on one axis only, non-square and one-cell windows, cells
under no window; kernel taps that meet only padding; the memory estimate's figure per layer
and the work arrays reused between steps; Conv2D's inference in bounded chunks, its ReLU
fast path, frozen kernels and a missing input gradient; SpatialDropout2D at rate 0; the
shape errors word for word."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from nncore.errors import ShapeError
from nncore.layers import convolution, halves
from nncore.layers.convolution import Conv2D
from nncore.layers.image import Scratch
from nncore.layers.pooling import AvgPool2D, GlobalAveragePooling2D, MaxPool2D
from nncore.layers.spatial_dropout import SpatialDropout2D
from nncore.network import Network
from nncore.spec import GraphSpec
from tests.engine.test_conv import build, ref_conv

# (layer class, per-sample input shape, parameters): disjoint and overlapping windows, with
# and without padding, so every branch of every backward pass is taken.
IMAGE_LAYERS = [
    (Conv2D, (2, 5, 4), {"filters": 3, "kernel_size": [3, 2], "padding": "same",
                         "activation": "relu"}),
    (Conv2D, (2, 6, 5), {"filters": 2, "kernel_size": [2, 2], "strides": [2, 1],
                         "padding": "valid", "activation": "tanh"}),
    (MaxPool2D, (2, 4, 6), {"pool_size": [2, 2]}),
    (MaxPool2D, (2, 5, 5), {"pool_size": [3, 3], "strides": [1, 1], "padding": "same"}),
    (AvgPool2D, (2, 4, 6), {"pool_size": [2, 3]}),
    (AvgPool2D, (2, 5, 3), {"pool_size": [2, 2], "padding": "same"}),
    (AvgPool2D, (2, 5, 5), {"pool_size": [3, 2], "strides": [1, 1], "padding": "same"}),
    (AvgPool2D, (2, 6, 6), {"pool_size": [3, 3], "strides": [2, 2], "padding": "valid"}),
    (GlobalAveragePooling2D, (3, 4, 5), {}),
    (SpatialDropout2D, (4, 3, 3), {"rate": 0.5}),
]


def _held_arrays(layer):
    """The float arrays a layer keeps between steps: its attributes and cached work arrays."""
    for name, value in vars(layer).items():
        if isinstance(value, Scratch):
            value = value.array
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            yield name, value


@pytest.mark.parametrize("cls,shape,params", IMAGE_LAYERS,
                         ids=[f"{c.type_name}-{i}" for i, (c, _, _) in enumerate(IMAGE_LAYERS)])
def test_float32_stays_float32_through_every_image_layer(cls, shape, params):
    """The engine trains in float32 by default: a float64 output, gradient or work array
    would double the memory and the time of every step after it."""
    rng = np.random.default_rng(11)
    x64 = rng.normal(0, 1, (3, *shape))
    layers = {dt: build(cls, shape, dtype=dt, seed=4, **params)
              for dt in (np.float32, np.float64)}
    g64 = rng.normal(0, 1, (3, *layers[np.float64].output_shape))
    out = {}
    for dt, layer in layers.items():
        x, g = x64.astype(dt), g64.astype(dt)
        assert layer.forward(x, False).dtype == dt
        y = layer.forward(x, True)
        dx = layer.backward(g)
        assert y.dtype == dt and dx.dtype == dt, cls.type_name
        for name, grad in layer.grads.items():
            assert grad.dtype == dt, name
        if dt == np.float32:
            held = {n: a.dtype for n, a in _held_arrays(layer) if n != "_count"}
            assert all(d == np.float32 for d in held.values()), held
        if cls is SpatialDropout2D:  # float32 and float64 draws differ: check each
            np.testing.assert_array_equal(y, x * layer.mask)
            np.testing.assert_array_equal(dx, g * layer.mask)
        else:
            out[dt] = (y, dx)
    # the same numbers either way
    for a32, a64 in zip(*out.values()):
        np.testing.assert_allclose(a32, a64, rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------------------------------------
# average pooling against a loop over the real cells
# ---------------------------------------------------------------------------------------------
def _windows(shape, pads, pool, strides, out):
    """For every output (r, q): the real input rows and columns of its window."""
    (pt, pl) = pads
    _, h, w = shape
    for r in range(out[0]):
        for q in range(out[1]):
            r0, q0 = r * strides[0] - pt, q * strides[1] - pl
            rows = range(max(r0, 0), min(r0 + pool[0], h))
            cols = range(max(q0, 0), min(q0 + pool[1], w))
            yield r, q, [(i, j) for i in rows for j in cols]


def _loop_avgpool(x, g, shape, pads, pool, strides, out):
    """Forward (mean over the real cells of each window) and backward (each window's
    gradient shared equally among its real cells), one cell at a time."""
    n, c = x.shape[:2]
    y = np.zeros((n, c, *out))
    dx = np.zeros_like(x)
    for r, q, cells in _windows(shape, pads, pool, strides, out):
        for i, j in cells:
            y[:, :, r, q] += x[:, :, i, j] / len(cells)
            dx[:, :, i, j] += g[:, :, r, q] / len(cells)
    return y, dx


# (shape, params, (top, left) padding, output size): padding on one axis only (an even
# total split in two, an odd total all after), and a non-square window with none
AVG_CASES = [
    ((2, 4, 5), {"pool_size": [2, 3], "strides": [2, 1], "padding": "same"}, (0, 1), (2, 5)),
    ((2, 4, 5), {"pool_size": [2, 2], "strides": [2, 1], "padding": "same"}, (0, 0), (2, 5)),
    ((1, 5, 4), {"pool_size": [3, 2], "strides": [1, 2], "padding": "same"}, (1, 0), (5, 2)),
    ((2, 4, 6), {"pool_size": [2, 3]}, (0, 0), (2, 2)),
    ((1, 6, 4), {"pool_size": [3, 1], "strides": [1, 1]}, (0, 0), (4, 4)),
    # windows overlapping down the rows only, while the column stride covers both sizes
    ((2, 5, 4), {"pool_size": [2, 2], "strides": [1, 2]}, (0, 0), (4, 2)),
    # and across the columns only, the row stride covering both sizes
    ((2, 4, 7), {"pool_size": [2, 3], "strides": [3, 2]}, (0, 0), (1, 3)),
    # two cells per window (one comparison between taps), and one
    ((2, 3, 4), {"pool_size": [1, 2]}, (0, 0), (3, 2)),
    ((1, 3, 3), {"pool_size": [1, 1]}, (0, 0), (3, 3)),
]


@pytest.mark.parametrize("shape,params,pads,out", AVG_CASES)
def test_avgpool_divides_by_the_real_cells_with_padding_on_one_axis(shape, params, pads, out):
    layer = build(AvgPool2D, shape, **params)
    assert layer.output_shape == (shape[0], *out)
    rng = np.random.default_rng(12)
    x = rng.uniform(1, 2, (3, *shape))  # all positive: a padded cell counted would show
    g = rng.normal(0, 1, (3, *layer.output_shape))
    pool, strides, _ = layer.window
    want_y, want_dx = _loop_avgpool(x, g, shape, pads, pool, strides, out)
    for training in (False, True):
        np.testing.assert_allclose(layer.forward(x, training), want_y, rtol=1e-12)
    np.testing.assert_allclose(layer.backward(g), want_dx, rtol=1e-12, atol=1e-15)


def _loop_maxpool_gradient(x, g, shape, pads, pool, strides, out):
    """Each window's gradient to its first largest real cell, in row-major window order."""
    dx = np.zeros_like(x)
    for r, q, cells in _windows(shape, pads, pool, strides, out):
        for s in range(x.shape[0]):
            for ch in range(x.shape[1]):
                values = [x[s, ch, i, j] for i, j in cells]
                i, j = cells[int(np.argmax(values))]  # argmax: the first maximum
                dx[s, ch, i, j] += g[s, ch, r, q]
    return dx


@pytest.mark.parametrize("shape,params,pads,out", AVG_CASES)
def test_maxpool_gradient_goes_to_each_windows_first_maximum(shape, params, pads, out):
    layer = build(MaxPool2D, shape, **params)
    rng = np.random.default_rng(15)
    x = rng.integers(-2, 3, (3, *shape)).astype(float)  # many ties
    g = rng.normal(0, 1, (3, *layer.output_shape))
    pool, strides, _ = layer.window
    layer.forward(x, True)
    want = _loop_maxpool_gradient(x, g, shape, pads, pool, strides, out)
    np.testing.assert_allclose(layer.backward(g), want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("cls", [MaxPool2D, AvgPool2D])
@pytest.mark.parametrize("shape,params", [((2, 5, 5), {"pool_size": [2, 2]}),
                                          ((2, 7, 7), {"pool_size": [2, 2],
                                                       "strides": [3, 3]})])
def test_pool_cells_under_no_window_get_a_zero_gradient(cls, shape, params):
    """'valid' windows that leave the last row and column out, or strides larger than the
    window: those cells get 0, even when the allocator hands back memory holding NaN."""
    layer = build(cls, shape, **params)
    rng = np.random.default_rng(18)
    x = rng.normal(0, 1, (4, *shape))
    # the gradient in the image layers' memory layout (CHWN), as a Conv2D would hand it
    g = np.ascontiguousarray(rng.normal(0, 1, (*layer.output_shape, 4))).transpose(3, 0, 1, 2)
    layer.forward(x, True)
    first = layer.backward(g).copy()  # (work arrays now cached: dx is the only new array)
    for _ in range(3):
        junk = np.full((*shape, 4), np.nan)
        del junk
        dx = layer.backward(g)
        np.testing.assert_array_equal(dx, first)
    covered = np.zeros(shape[1:], bool)
    for _, _, cells in _windows(shape, (0, 0), *layer.window[:2], layer.output_shape[1:]):
        for i, j in cells:
            covered[i, j] = True
    assert not covered.all() and (first[:, :, ~covered] == 0).all()


# ---------------------------------------------------------------------------------------------
# SpatialDropout2D
# ---------------------------------------------------------------------------------------------
def test_spatial_dropout_at_rate_zero_draws_no_random_numbers():
    """The generator is the network's, shared with the shuffling and the other dropout
    layers: a layer that drops nothing must leave their draws as they were."""
    layer = build(SpatialDropout2D, (3, 2, 2), rate=0.0)
    before = layer.rng.bit_generator.state
    x = np.random.default_rng(13).normal(0, 1, (4, 3, 2, 2)).astype(np.float32)
    y = layer.forward(x, True)
    assert layer.rng.bit_generator.state == before
    assert y is x and layer.mask is None
    g = np.ones_like(x)
    assert layer.backward(g) is g


def test_spatial_dropout_mask_keeps_the_input_dtype_and_scale():
    layer = build(SpatialDropout2D, (40, 1, 1), rate=0.5)
    x = np.ones((25, 40, 1, 1), np.float32)
    y = layer.forward(x, True)
    assert layer.mask.dtype == np.float32 and y.dtype == np.float32
    assert set(np.unique(y)) == {0.0, 2.0}


# ---------------------------------------------------------------------------------------------
# size errors
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls,params,shape,message", [
    (MaxPool2D, {"pool_size": [3, 2]}, (1, 2, 5),
     "MaxPool2D 'n': the 3x2 pool window does not fit the 2x5 input with padding 'valid'; "
     "use padding 'same', a smaller pool window or a larger input"),
    (AvgPool2D, {"pool_size": [1, 4]}, (1, 6, 3),
     "AvgPool2D 'n': the 1x4 pool window does not fit the 6x3 input with padding 'valid'; "
     "use padding 'same', a smaller pool window or a larger input"),
    (Conv2D, {"kernel_size": [2, 3], "dilation_rate": [3, 1], "padding": "valid"}, (1, 3, 8),
     "Conv2D 'n': the 2x3 kernel (dilated to 4x3) does not fit the 3x8 input with padding "
     "'valid'; use padding 'same', a smaller kernel or a larger input"),
    (Conv2D, {}, (64,), "Conv2D 'n': expects an image input (C, H, W), got shape (64,); add "
     "a Reshape layer before it (for example to [1, 8, 8])"),
    (MaxPool2D, {}, (5, 8), "MaxPool2D 'n': expects an image input (C, H, W), got shape "
     "(5, 8); it works on images, not sequences"),
    (GlobalAveragePooling2D, {}, (1, 2, 3, 4), "GlobalAveragePooling2D 'n': expects an image "
     "input (C, H, W), got shape (1, 2, 3, 4)"),
    (SpatialDropout2D, {}, (), "SpatialDropout2D 'n': expects an image input (C, H, W), got "
     "shape ()"),
])
def test_shape_errors_in_full(cls, params, shape, message):
    """The whole message: what does not fit, named height by width, and what to do."""
    with pytest.raises(ShapeError) as e:
        cls("n", **params).compute_output_shape([shape])
    assert str(e.value) == message and e.value.node_id == "n"


# ---------------------------------------------------------------------------------------------
# the memory estimate's figure for each layer, against what a training step allocates
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def one_thread(monkeypatch):
    """Large jobs on the calling thread only: tracemalloc then sees the same allocations on
    every run (the helper thread's pool, created on first use and again in a forked child,
    would count; two halves at once make the peak depend on timing)."""
    monkeypatch.setattr(halves, "_enabled", False)


MEMORY_CASES = [
    (MaxPool2D, (8, 16, 16), {"pool_size": [2, 2]}),
    (MaxPool2D, (8, 16, 18), {"pool_size": [2, 3], "strides": [2, 3]}),
    (MaxPool2D, (8, 16, 16), {"pool_size": [3, 3], "strides": [1, 1], "padding": "same"}),
    (MaxPool2D, (4, 13, 13), {"pool_size": [3, 3], "strides": [2, 2]}),
    (MaxPool2D, (8, 15, 16), {"pool_size": [3, 2], "strides": [1, 2], "padding": "same"}),
    (MaxPool2D, (4, 12, 12), {"pool_size": [5, 1], "strides": [1, 1], "padding": "same"}),
    (AvgPool2D, (8, 16, 16), {"pool_size": [2, 2]}),
    (AvgPool2D, (8, 16, 18), {"pool_size": [2, 3], "strides": [2, 3]}),
    (AvgPool2D, (4, 13, 13), {"pool_size": [3, 3], "strides": [2, 2]}),
    (AvgPool2D, (8, 15, 16), {"pool_size": [3, 2], "strides": [1, 2], "padding": "same"}),
    (AvgPool2D, (4, 12, 12), {"pool_size": [2, 4], "strides": [2, 2], "padding": "same"}),
    # side by side with padding: the gradient divided by each window's real cells is a
    # float32 array (a float64 one would show as a third more)
    (AvgPool2D, (8, 15, 15), {"pool_size": [2, 2], "padding": "same"}),
    (GlobalAveragePooling2D, (32, 16, 16), {}),
    (SpatialDropout2D, (8, 16, 16), {"rate": 0.3}),
    (Conv2D, (8, 16, 16), {"filters": 8, "kernel_size": [3, 3]}),
    (Conv2D, (3, 16, 16), {"filters": 16, "kernel_size": [5, 5], "strides": [2, 2],
                           "activation": "tanh"}),
]


@pytest.mark.parametrize("cls,shape,params", MEMORY_CASES,
                         ids=[f"{c.type_name}-{i}" for i, (c, _, _) in enumerate(MEMORY_CASES)])
def test_training_floats_match_what_a_training_step_allocates(one_thread, cls, shape,
                                                              params):
    """``training_floats`` (the memory estimate's figure per sample) against what a first
    training step allocates: the layer's output, its work arrays (cached or not) and the
    output's gradient. Overlapping pool windows keep per-tap planes k times the input's
    size, which the estimate once left out (2 to 15 times too low)."""
    layer = build(cls, shape, dtype=np.float32, **params)
    estimated = layer.training_floats(layer.input_shapes)
    measured = _step_floats(layer)
    assert 0.9 <= estimated / measured <= 1.15, (estimated, measured)


def test_maxpool_inference_lets_the_training_taps_go(one_thread):
    """Inference takes a running maximum: the (k, C, OH, OW, N) copy of every tap that
    training keeps for backward is freed, not carried into predict's large batches."""
    layer = build(MaxPool2D, (8, 16, 16), dtype=np.float32, pool_size=[3, 3],
                  strides=[1, 1], padding="same")
    x = np.random.default_rng(19).normal(0, 1, (32, 8, 16, 16)).astype(np.float32)
    tracemalloc.start()
    try:
        layer.forward(x, True)
        taps = tracemalloc.get_traced_memory()[0]  # the taps and the training output
        y = layer.forward(x, False)
        held = tracemalloc.get_traced_memory()[0] - y.nbytes
    finally:
        tracemalloc.stop()
    assert taps > 9 * x.nbytes
    assert held < 1.2 * x.nbytes  # the training output (the input's size here) at most


@pytest.mark.parametrize("cls", [MaxPool2D, AvgPool2D])
@pytest.mark.parametrize("shape,params", [((8, 16, 16), {"pool_size": [2, 2]}),
                                          ((8, 16, 18), {"pool_size": [2, 3]}),
                                          ((8, 16, 18), {"pool_size": [2, 3],
                                                         "strides": [3, 3]})])
def test_pool_windows_side_by_side_need_no_per_tap_planes(one_thread, cls, shape, params):
    """Windows that do not overlap (strides at least the window, the default) copy each
    tap's gradient straight into place: a training step allocates less than three times
    the input, where per-tap planes alone would take the window's size times the input."""
    layer = build(cls, shape, dtype=np.float32, **params)
    assert _step_floats(layer) < 3 * np.prod(shape)


@pytest.mark.parametrize("cls,shape,params", [
    (Conv2D, (8, 16, 16), {"filters": 4, "kernel_size": [3, 3], "activation": "tanh"}),
    (Conv2D, (8, 16, 16), {"filters": 4, "kernel_size": [3, 3], "strides": [2, 2]}),
    (MaxPool2D, (8, 16, 16), {"pool_size": [3, 3], "strides": [1, 1], "padding": "same"}),
    (AvgPool2D, (8, 16, 16), {"pool_size": [3, 3], "strides": [1, 1], "padding": "same"}),
])
def test_later_training_steps_reuse_the_work_arrays(one_thread, cls, shape, params):
    """The column matrices, the taps and the per-tap planes are kept between steps of one
    batch size (fresh multi-megabyte arrays every step cost page faults): a second step
    allocates under a third of what the first did."""
    layer = build(cls, shape, dtype=np.float32, **params)
    first, second = _step_floats(layer), _step_floats(layer)
    assert second < first / 3, (first, second)


@pytest.mark.parametrize("shape,params", [((2, 16, 16), {"filters": 16, "kernel_size": [1, 2]}),
                                          ((8, 16, 16), {"filters": 8, "kernel_size": [3, 3]})])
def test_conv_relu_costs_no_memory_over_a_linear_conv(one_thread, shape, params):
    """ReLU, the default, is applied in place and its derivative read from the output: a
    training step allocates what a linear Conv2D's does (the generic activation path would
    add an output-sized array or two)."""
    relu, linear = (build(Conv2D, shape, dtype=np.float32, activation=a, **params)
                    for a in ("relu", "linear"))
    out = int(np.prod(relu.output_shape))
    assert _step_floats(relu) < _step_floats(linear) + out / 4


def _step_floats(layer, n=64):
    """Floats per sample a first float32 training step of ``layer`` allocates (tracemalloc's
    peak), its output kept, plus the output's gradient it is handed and less the input's
    gradient it returns (the layer before's output gradient, counted there)."""
    rng = np.random.default_rng(14)
    x = rng.normal(0, 1, (n, *layer.input_shapes[0])).astype(np.float32)
    g = rng.normal(0, 1, (n, *layer.output_shape)).astype(np.float32)
    tracemalloc.start()
    try:
        y = layer.forward(x, True)  # kept, as the network keeps every output
        dx = layer.backward(g)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert y.dtype == dx.dtype == np.float32
    return (peak + g.nbytes - dx.nbytes) / (n * 4)


# ---------------------------------------------------------------------------------------------
# Conv2D inference in chunks of bounded column memory
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("samples_per_limit,chunks", [
    (2.5, [2, 2, 2, 1]),  # as many whole samples as the limit holds
    (0.4, [1] * 7),       # one sample's columns exceed the limit: one sample at a time
    (7, [7]),             # exactly the whole batch: one product
    (9, [7]),
])
def test_conv_inference_columns_stay_within_the_limit(one_thread, monkeypatch,
                                                     samples_per_limit, chunks):
    layer = build(Conv2D, (2, 12, 10), dtype=np.float32, filters=3, kernel_size=[3, 3],
                  activation="tanh")
    per_sample = (2 * 9 + 1) * 12 * 10  # rows of the column matrix (taps, bias) x positions
    x = np.random.default_rng(16).normal(0, 1, (7, 2, 12, 10)).astype(np.float32)
    whole = layer.forward(x, False)
    layer = build(Conv2D, (2, 12, 10), dtype=np.float32, filters=3, kernel_size=[3, 3],
                  activation="tanh")
    monkeypatch.setattr(convolution, "INFERENCE_COLS_LIMIT", int(samples_per_limit * per_sample))
    seen = []
    im2col = layer._im2col
    monkeypatch.setattr(layer, "_im2col", lambda xc: seen.append(xc.shape[3]) or im2col(xc))
    tracemalloc.start()
    try:
        y = layer.forward(x, False)
        held = tracemalloc.get_traced_memory()[0] - y.nbytes
    finally:
        tracemalloc.stop()
    assert seen == chunks
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, whole, rtol=1e-6, atol=1e-7)
    if len(chunks) > 1:  # after a chunked inference the layer keeps its outputs (y and the
        # pre-activation, the same size), no column buffer: half a sample's columns at most
        assert held < y.nbytes + per_sample * 4 // 2, held


def test_conv_training_is_never_chunked(monkeypatch):
    """Training needs every column for the weights' gradient: a batch whose columns exceed
    the inference limit is one product all the same, with the same gradients."""
    def step():
        layer = build(Conv2D, (2, 6, 5), filters=3, kernel_size=[3, 3], activation="tanh")
        rng = np.random.default_rng(17)
        x = rng.normal(0, 1, (5, 2, 6, 5))
        y = layer.forward(x, True)
        return y, layer.backward(rng.normal(0, 1, y.shape)), dict(layer.grads)

    want = step()
    monkeypatch.setattr(convolution, "INFERENCE_COLS_LIMIT", 100)  # under one sample
    got = step()
    for a, b in zip(got[:2], want[:2]):
        np.testing.assert_array_equal(a, b)
    for name in want[2]:
        np.testing.assert_array_equal(got[2][name], want[2][name])


# ---------------------------------------------------------------------------------------------
# geometry and work arrays
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls,params,shape,pads", [
    # rows: 5 padded cells, 2 before and 3 after; columns: 1, after
    (Conv2D, {"kernel_size": [6, 2], "padding": "same"}, (1, 7, 5), (2, 0, 3, 1)),
    # rows: 1, after; columns: 4, 2 before and 2 after (stride 2: out = ceil(9 / 2) = 5)
    (MaxPool2D, {"pool_size": [2, 5], "strides": [1, 2], "padding": "same"}, (1, 4, 9),
     (0, 2, 1, 2)),
    (AvgPool2D, {"pool_size": [3, 3], "strides": [2, 2], "padding": "valid"}, (1, 7, 8),
     (0, 0, 0, 0)),
    # 'same' that needs no padding: none on either side
    (Conv2D, {"kernel_size": [1, 1], "padding": "same"}, (1, 5, 4), (0, 0, 0, 0)),
    (AvgPool2D, {"pool_size": [2, 2], "padding": "same"}, (1, 6, 4), (0, 0, 0, 0)),
])
def test_pads_are_top_left_bottom_right(cls, params, shape, pads):
    """The explicit padding the exports write (ONNX's order: top, left, bottom, right)."""
    assert build(cls, shape, **params).pads == pads


def test_scratch_is_rebuilt_for_a_new_shape_or_dtype_and_kept_otherwise():
    s = Scratch(-np.inf)
    a = s.get((2, 3), np.dtype(np.float64))
    assert a.dtype == np.float64 and (a == -np.inf).all()
    a[0, 0] = 5.0  # the caller's writes stay: the same array comes back
    assert s.get((2, 3), np.dtype(np.float64)) is a
    b = s.get((2, 3), np.dtype(np.float32))
    assert b.dtype == np.float32 and (b == -np.inf).all()
    c = s.get((3, 2), np.dtype(np.float32))
    assert c.shape == (3, 2) and (c == -np.inf).all()
    assert (Scratch().get((4,), np.dtype(np.float32)) == 0).all()
    s.release()
    assert s.array is None


# ---------------------------------------------------------------------------------------------
# Conv2D's ReLU fast path, frozen kernels and the first layer's missing input gradient
# ---------------------------------------------------------------------------------------------
def _conv_pair(**params):
    """A ReLU Conv2D and the same kernels without an activation."""
    shape = (2, 6, 5)
    return (build(Conv2D, shape, filters=3, kernel_size=[3, 3], activation="relu", **params),
            build(Conv2D, shape, filters=3, kernel_size=[3, 3], activation="linear", **params))


@pytest.mark.parametrize("shape,kernel,strides,dilation", [
    ((1, 2, 3), [5, 5], [1, 1], [1, 1]),
    ((2, 3, 1), [3, 4], [1, 1], [1, 1]),
    ((1, 1, 1), [3, 3], [1, 1], [1, 1]),
    # strided and dilated: the first tap's padding ends just past the last output, where
    # a stride step back from the image's first pixel wraps to its end
    ((1, 4, 4), [4, 4], [2, 2], [3, 3]),
    ((2, 4, 5), [6, 2], [2, 1], [2, 1]),
])
def test_conv_kernel_rows_and_columns_that_only_meet_padding(shape, kernel, strides, dilation):
    """A 'same' kernel larger than the image: its first rows (or columns) fall on padding
    for every output and are left out; the rows after them still count."""
    layer = build(Conv2D, shape, filters=2, kernel_size=kernel, strides=strides,
                  dilation_rate=dilation, activation="linear")
    x = np.random.default_rng(23).normal(0, 1, (3, *shape))
    want = ref_conv(x, layer.weights["W"], layer.weights["b"], strides, dilation, "same")
    np.testing.assert_allclose(layer.forward(x, True), want, rtol=1e-12, atol=1e-12)


def test_conv_relu_with_its_activation_skipped_is_the_linear_convolution():
    """The trace shows a layer's pre-activation by skipping its activation: the ReLU fast
    path must then keep the negative values, forward and backward."""
    relu, linear = _conv_pair()
    rng = np.random.default_rng(20)
    x = rng.normal(0, 1, (4, 2, 6, 5))
    g = rng.normal(0, 1, (4, 3, 6, 5))
    relu.skip_activation = True
    z = relu.forward(x, True)
    want = linear.forward(x, True)
    assert (want < 0).any()
    np.testing.assert_array_equal(z, want)
    np.testing.assert_array_equal(relu.backward(g), linear.backward(g))
    for name in linear.grads:
        np.testing.assert_array_equal(relu.grads[name], linear.grads[name])
    relu.skip_activation = False  # and back: the ReLU applied
    np.testing.assert_array_equal(relu.forward(x, True), np.maximum(want, 0))


def test_a_conv_needing_no_input_gradient_returns_none_and_the_same_weight_gradients():
    """The first layer of a network (its input is data) skips the column gradient and the
    col2im: about half its backward pass."""
    first, _ = _conv_pair()
    full, _ = _conv_pair()
    first.need_input_grad = False
    rng = np.random.default_rng(21)
    x = rng.normal(0, 1, (4, 2, 6, 5))
    g = rng.normal(0, 1, (4, 3, 6, 5))
    first.forward(x, True)
    full.forward(x, True)
    assert first.backward(g) is None
    assert full.backward(g) is not None
    for name in full.grads:
        np.testing.assert_array_equal(first.grads[name], full.grads[name])


def test_a_frozen_conv_between_trainable_layers_passes_the_gradient_through():
    """A frozen Conv2D after a trainable one: no gradient of its own (none is allocated),
    the input gradient for the layer before, which gets the same gradient as when nothing
    is frozen."""
    def net(frozen):
        g = GraphSpec.sequential([
            ("Input", {"shape": [2, 6, 5]}),
            ("Conv2D", {"filters": 3, "kernel_size": [3, 3], "activation": "tanh"}),
            ("Conv2D", {"filters": 2, "kernel_size": [2, 2], "activation": "relu"}),
            ("GlobalAveragePooling2D", {}),
        ])
        g.nodes[2].frozen = frozen
        return Network(g, dtype=np.float64, seed=3)

    rng = np.random.default_rng(22)
    x = rng.normal(0, 1, (4, 2, 6, 5))
    g = rng.normal(0, 1, (4, 2))
    grads = []
    for frozen in (False, True):
        n = net(frozen)
        second = n.layers[n.order[2]]
        assert second.trainable is not frozen and bool(second.grads) is not frozen
        n.forward(x, True)
        n.backward(g)
        grads.append({k: v.copy() for k, v in n.layers[n.order[1]].grads.items()})
    for name in grads[0]:
        np.testing.assert_allclose(grads[1][name], grads[0][name], rtol=1e-12)
