"""Convolution layers for images: Conv2D, MaxPool2D, AvgPool2D, GlobalAveragePooling2D,
SpatialDropout2D.

Images are per-sample ``(C, H, W)``; batches are NCHW. A Conv2D kernel ``W`` has shape
``(filters, in_channels, kh, kw)`` (the ONNX/PyTorch layout), its bias ``b`` ``(filters,)``.

Padding ``'valid'`` uses only positions where the window fits; ``'same'`` zero-pads so the
output has ``ceil(size / stride)`` pixels per axis, the extra pixel (when the total padding is
odd) going after (bottom/right), as Keras/TensorFlow and ONNX ``SAME_UPPER`` do. Max pooling
ignores padded cells, average pooling divides by the number of real (non-padded) cells.

How the computation is laid out (all vectorised: the only Python loops run over the
``kh*kw`` kernel offsets, never over samples or pixels):

* Every layer precomputes, per input shape, one entry per kernel offset ``(i, j)``: the
  output rows/columns where that tap falls on real pixels and the matching strided input
  slice (:func:`_offsets`). Padding never materialises: out-of-image taps are left out, and
  the cached work arrays (:class:`_Scratch`) keep zeros (or -inf) where they are.
* Conv2D forward copies the input into a column matrix ``cols`` of shape
  ``(C*kh*kw, N*OH*OW)`` (``kh*kw`` strided block copies into a cached buffer) and computes
  ``W.reshape(F, C*kh*kw) @ cols`` as ONE matrix product. Its result ``(F, N, OH, OW)`` is
  returned as the NCHW *view* ``transpose(1, 0, 2, 3)``: the layers here work on that
  channel-major memory layout directly, so a conv/pool stack never transposes data back and
  forth. Backward is one product for ``dW`` (``g @ cols.T``), one for the column gradient
  (``W.T @ g``), and col2im: each offset's block copied into its own zero-bordered plane,
  the planes summed (:func:`_scatter_sum`; whole-array operations are several times faster
  than strided read-modify-write adds of short image rows).
* Max pooling (training) copies every offset's view into one ``(kh*kw, C, N, OH, OW)``
  array, takes the maximum over its first axis and, backward, routes each window's gradient
  to its first maximal cell (in row-major window order) with whole-array comparisons.
  Average pooling sums the offset views and divides by the number of real cells.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass

import numpy as np

from nncore.activations import ACTIVATION_NAMES
from nncore.errors import ParameterError
from nncore.layers.base import Layer, Shape, WeightSpec
from nncore.layers.core import _ActivationMixin, _init_param
from nncore.params import Param
from nncore.registry import register

PADDINGS = ("valid", "same")

#: In inference (``training=False``) Conv2D processes the batch in chunks whose column
#: matrix holds at most this many values (16 M float32 = 64 MB), so predicting on a large
#: data set does not need a column matrix for all of it at once.
INFERENCE_COLS_LIMIT = 1 << 24


# ---------------------------------------------------------------------------------------------
# geometry
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AxisGeometry:
    """One spatial axis of a sliding window: input size, window, stride, dilation, the
    explicit padding before/after and the output size."""

    size: int
    kernel: int
    stride: int
    dilation: int
    pad_before: int
    pad_after: int
    out: int

    @property
    def effective_kernel(self) -> int:
        return (self.kernel - 1) * self.dilation + 1

    def tap(self, i: int) -> tuple[slice, slice] | None:
        """For kernel tap ``i``: (output slice, input slice) of the outputs whose tap ``i``
        falls on a real input pixel, or None when it always falls on padding."""
        start = i * self.dilation - self.pad_before  # input position seen by output 0
        s = self.stride
        o0 = max(0, (-start + s - 1) // s)
        o1 = min(self.out, (self.size - 1 - start) // s + 1)
        if o1 <= o0:
            return None
        p0 = start + o0 * s
        return slice(o0, o1), slice(p0, p0 + (o1 - o0 - 1) * s + 1, s)

    def full(self, i: int) -> bool:
        """Whether tap ``i`` falls on a real pixel for every output."""
        t = self.tap(i)
        return t is not None and t[0] == slice(0, self.out)


def axis_geometry(size: int, kernel: int, stride: int, dilation: int,
                  padding: str) -> AxisGeometry | None:
    """Geometry of one axis, or None when the window does not fit with 'valid' padding."""
    eff = (kernel - 1) * dilation + 1
    if padding == "valid":
        if eff > size:
            return None
        return AxisGeometry(size, kernel, stride, dilation, 0, 0, (size - eff) // stride + 1)
    out = -(-size // stride)
    total = max((out - 1) * stride + eff - size, 0)
    return AxisGeometry(size, kernel, stride, dilation, total // 2, total - total // 2, out)


#: One kernel offset: (i, j, flat index i*kw + j, output rows, output columns, input rows,
#: input columns).
Offset = tuple[int, int, int, slice, slice, slice, slice]


def _offsets(gh: AxisGeometry, gw: AxisGeometry) -> list[Offset]:
    out = []
    for i in range(gh.kernel):
        th = gh.tap(i)
        if th is None:
            continue
        for j in range(gw.kernel):
            tw = gw.tap(j)
            if tw is None:
                continue
            out.append((i, j, i * gw.kernel + j, th[0], tw[0], th[1], tw[1]))
    return out


def _pair(value: tuple[int, ...]) -> tuple[int, int]:
    return (value[0], value[0]) if len(value) == 1 else (value[0], value[1])


def _fmt_pair(p: tuple[int, int]) -> str:
    return f"{p[0]}x{p[1]}"


class _Scratch:
    """A cached work array, re-created (filled with ``fill``) only when its shape or dtype
    changes. The offset loops write the same regions on every use, so everything else keeps
    ``fill``: this is how padding and taps that miss the image cost nothing per step."""

    def __init__(self, fill: float = 0.0) -> None:
        self.fill = fill
        self.array: np.ndarray | None = None

    def get(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        a = self.array
        if a is None or a.shape != shape or a.dtype != dtype:
            a = np.zeros(shape, dtype) if self.fill == 0 else np.full(shape, self.fill, dtype)
            self.array = a
        return a

    def release(self) -> None:
        self.array = None


def _scatter_sum(parts: np.ndarray, offsets: list[Offset], shape: tuple[int, ...],
                 scratch: _Scratch, disjoint: bool) -> np.ndarray:
    """The input-grid gradient (C, n, H, W) from per-tap output-grid gradients ``parts``
    (k, C, n, OH, OW), k = i*kw + j: the sum over taps of each part placed where its tap
    reads. Disjoint taps are copied straight into place; otherwise every part is copied
    into its own zero-bordered plane and the planes are summed (whole-array operations
    instead of strided read-modify-writes)."""
    if disjoint:
        dx = np.zeros(shape, parts.dtype)
        for _, _, k, sh, sw, ih, iw in offsets:
            np.copyto(dx[:, :, ih, iw], parts[k, :, :, sh, sw])
        return dx
    planes = scratch.get((parts.shape[0], *shape), parts.dtype)
    for _, _, k, sh, sw, ih, iw in offsets:
        np.copyto(planes[k, :, :, ih, iw], parts[k, :, :, sh, sw])
    return planes.sum(axis=0)


class _Spatial(Layer):
    """Shared parts of the layers that take one image input."""

    category = "convolution"

    def _check_pair(self, name: str) -> None:
        value = self.config[name]
        if value is not None and len(value) not in (1, 2):
            raise ParameterError(f"{self.owner}: {name} must be one number or two (height, "
                                 f"width), received {list(value)!r}")

    def _image_shape(self, input_shapes: list[Shape]) -> Shape:
        (shape,) = input_shapes
        if len(shape) != 3:
            hint = ""
            if len(shape) == 1:
                hint = "; add a Reshape layer before it (for example to [1, 8, 8])"
            elif len(shape) == 2:
                hint = "; it works on images, not sequences"
            raise self.shape_error(f"expects an image input (C, H, W), got shape {shape}{hint}")
        return shape


class _Windowed(_Spatial):
    """A layer sliding a window over the image (Conv2D and the pools)."""

    @property
    @abstractmethod
    def window(self) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
        """(kernel, strides, dilation), each a (height, width) pair."""

    def _geometry(self, shape: Shape) -> tuple[AxisGeometry, AxisGeometry]:
        kernel, strides, dilation = self.window
        padding = self.config["padding"]
        gh = axis_geometry(shape[1], kernel[0], strides[0], dilation[0], padding)
        gw = axis_geometry(shape[2], kernel[1], strides[1], dilation[1], padding)
        if gh is None or gw is None:
            eff = ((kernel[0] - 1) * dilation[0] + 1, (kernel[1] - 1) * dilation[1] + 1)
            what = "kernel" if isinstance(self, Conv2D) else "pool window"
            dil = f" (dilated to {_fmt_pair(eff)})" if eff != kernel else ""
            raise self.shape_error(
                f"the {_fmt_pair(kernel)} {what}{dil} does not fit the "
                f"{shape[1]}x{shape[2]} input with padding 'valid'; use padding 'same', a "
                f"smaller {what} or a larger input")
        return gh, gw

    def _build_geometry(self) -> None:
        shape = self.input_shapes[0]
        self._gh, self._gw = self._geometry(shape)
        self._offsets = _offsets(self._gh, self._gw)

    @property
    def pads(self) -> tuple[int, int, int, int]:
        """Explicit padding (top, left, bottom, right) for the built input shape."""
        gh, gw = self._geometry(self.input_shapes[0])
        return gh.pad_before, gw.pad_before, gh.pad_after, gw.pad_after


# ---------------------------------------------------------------------------------------------
# Conv2D
# ---------------------------------------------------------------------------------------------
_PADDING = Param("padding", "choice", "same",
                 "'same': zero-pad so the output has ceil(size / stride) pixels; 'valid': "
                 "only positions where the window fits (the image shrinks).",
                 choices=PADDINGS, key=True)


@register
class Conv2D(_ActivationMixin, _Windowed):
    type_name = "Conv2D"
    description = ("2-D convolution: slides `filters` learned kernels over the image; each "
                   "output channel is f(sum of kernel * input patch + b).")
    schema = (
        Param("filters", "int", 16, "Number of kernels = output channels.", min=1,
              max=65536, key=True),
        Param("kernel_size", "shape", (3, 3), "Kernel height and width, e.g. [3, 3] (one "
              "number: square).", key=True),
        Param("strides", "shape", (1, 1), "Step between kernel positions (rows, columns)."),
        _PADDING,
        Param("dilation_rate", "shape", (1, 1), "Spacing between kernel taps (1: a "
              "contiguous kernel; 2: every other pixel, a wider view)."),
        Param("activation", "choice", "relu", "Non-linearity applied to the output.",
              choices=tuple(a for a in ACTIVATION_NAMES if a != "softmax"), key=True),
        Param("use_bias", "bool", True, "Add a learned bias to each output channel."),
        _init_param("kernel_initializer", "glorot_uniform", "How the kernels start."),
        _init_param("bias_initializer", "zeros", "How the biases start."),
    )
    examples = (
        ({"filters": 3, "kernel_size": [3, 3], "activation": "linear"}, [(2, 5, 5)]),
        ({"filters": 2, "kernel_size": [3, 2], "padding": "valid", "activation": "tanh"},
         [(3, 6, 5)]),
        ({"filters": 4, "kernel_size": [3, 3], "strides": [2, 2], "activation": "linear"},
         [(2, 7, 6)]),
        ({"filters": 2, "kernel_size": [2, 2], "strides": [2, 1], "padding": "same",
          "activation": "elu"}, [(1, 5, 4)]),
        ({"filters": 2, "kernel_size": [3, 3], "dilation_rate": [2, 2], "padding": "valid",
          "activation": "linear", "use_bias": False}, [(2, 7, 6)]),
        ({"filters": 3, "kernel_size": [3, 3], "dilation_rate": [2, 1], "strides": [1, 2],
          "padding": "same", "activation": "sigmoid"}, [(2, 5, 7)]),
        ({"filters": 2, "kernel_size": [4], "strides": [3], "padding": "same",
          "activation": "linear"}, [(1, 7, 8)]),
        ({"filters": 2, "kernel_size": [1, 1], "activation": "relu"}, [(3, 4, 4)]),
        ({"filters": 2, "kernel_size": [5, 5], "padding": "same", "activation": "linear"},
         [(1, 3, 2)]),
    )

    def __init__(self, name="", **params):
        super().__init__(name, **params)
        for p in ("kernel_size", "strides", "dilation_rate"):
            self._check_pair(p)
        self._setup_activation()
        self.cols: np.ndarray | None = None

    @property
    def window(self):
        c = self.config
        return _pair(c["kernel_size"]), _pair(c["strides"]), _pair(c["dilation_rate"])

    def compute_output_shape(self, input_shapes):
        shape = self._image_shape(input_shapes)
        gh, gw = self._geometry(shape)
        return (self.config["filters"], gh.out, gw.out)

    def weight_specs(self, input_shapes):
        c_in = input_shapes[0][0]
        kh, kw = _pair(self.config["kernel_size"])
        f = self.config["filters"]
        specs = [WeightSpec("W", (f, c_in, kh, kw), self.config["kernel_initializer"],
                            regularize=True)]
        if self.config["use_bias"]:
            specs.append(WeightSpec("b", (f,), self.config["bias_initializer"]))
        return specs

    def on_built(self):
        self._build_geometry()
        c, h, w = self.input_shapes[0]
        f = self.config["filters"]
        kh, kw = _pair(self.config["kernel_size"])
        self._k = c * kh * kw
        self._wmat = self.weights["W"].reshape(f, self._k)
        self._use_bias = self.config["use_bias"]
        self._bcol = self.weights["b"].reshape(f, 1) if self._use_bias else None
        self._cols = _Scratch(0.0)
        self._planes = _Scratch(0.0)
        self._dcols = _Scratch()
        self._ones = np.ones(0, self.dtype)
        self.cols = None

    # -- im2col / col2im ---------------------------------------------------------------
    def _im2col(self, xt: np.ndarray) -> np.ndarray:
        """Columns of ``xt`` (channel-major (C, n, H, W) view) as a (C*kh*kw, n*OH*OW)
        matrix, in the cached buffer (C, kh, kw, n, OH, OW)."""
        c = self.input_shapes[0][0]
        kh, kw = _pair(self.config["kernel_size"])
        cols = self._cols.get((c, kh, kw, xt.shape[1], self._gh.out, self._gw.out), xt.dtype)
        for i, j, _, oh, ow, ih, iw in self._offsets:
            np.copyto(cols[:, i, j, :, oh, ow], xt[:, :, ih, iw])
        return cols.reshape(self._k, -1)

    def _col2im(self, dcols: np.ndarray, n: int) -> np.ndarray:
        c, h, w = self.input_shapes[0]
        kh, kw = _pair(self.config["kernel_size"])
        parts = dcols.reshape(c, kh * kw, n, self._gh.out, self._gw.out).transpose(1, 0, 2, 3, 4)
        return _scatter_sum(parts, self._offsets, (c, n, h, w), self._planes, False)

    # -- computation -------------------------------------------------------------------
    def _preactivation(self, xt: np.ndarray) -> np.ndarray:
        """(F, n*OH*OW) pre-activation of a channel-major input chunk."""
        z = np.matmul(self._wmat, self._im2col(xt))
        if self._use_bias:
            z += self._bcol
        return z

    def forward(self, x, training):
        n = x.shape[0]
        f, oh, ow = self.output_shape
        xt = x.transpose(1, 0, 2, 3)
        per_sample = self._k * oh * ow
        if training or n * per_sample <= INFERENCE_COLS_LIMIT:
            z = self._preactivation(xt)
            self.cols = self._cols.array
        else:  # inference on a large batch: bounded memory
            step = max(1, INFERENCE_COLS_LIMIT // per_sample)
            z = np.empty((f, n, oh * ow), x.dtype)
            for a in range(0, n, step):
                zc = self._preactivation(xt[:, a:a + step])
                z[:, a:a + step] = zc.reshape(f, -1, oh * ow)
            self._cols.release()  # do not keep a large buffer alive after inference
            self.cols = None
        return self._activate(z.reshape(f, n, oh, ow).transpose(1, 0, 2, 3))

    def backward(self, grad):
        g = self._activation_backward(grad)
        n = g.shape[0]
        f = self.config["filters"]
        g2 = g.transpose(1, 0, 2, 3)
        if not g2.flags.c_contiguous:
            g2 = np.ascontiguousarray(g2)
        g2 = g2.reshape(f, -1)
        if self.trainable:
            cols = self.cols.reshape(self._k, -1)
            np.matmul(g2, cols.T, out=self.grads["W"].reshape(f, self._k))
            if self._use_bias:  # a matrix-vector product: faster than np.sum(axis=1)
                m = g2.shape[1]
                if self._ones.shape[0] != m or self._ones.dtype != g2.dtype:
                    self._ones = np.ones(m, g2.dtype)
                np.dot(g2, self._ones, out=self.grads["b"])
        if not self.need_input_grad:
            return None
        dcols = np.matmul(self._wmat.T, g2, out=self._dcols.get((self._k, g2.shape[1]),
                                                                g2.dtype))
        dxt = self._col2im(dcols, n)
        return dxt.transpose(1, 0, 2, 3)


# ---------------------------------------------------------------------------------------------
# pooling
# ---------------------------------------------------------------------------------------------
class _Pool(_Windowed):
    schema = (
        Param("pool_size", "shape", (2, 2), "Window height and width (one number: square).",
              key=True),
        Param("strides", "shape", None, "Step between windows (empty: the pool size, so "
              "windows do not overlap).", optional=True),
        Param("padding", "choice", "valid",
              "'valid': only windows that fit; 'same': pad so the output has "
              "ceil(size / stride) pixels (padded cells are ignored).", choices=PADDINGS),
    )

    def __init__(self, name="", **params):
        super().__init__(name, **params)
        self._check_pair("pool_size")
        self._check_pair("strides")

    @property
    def window(self):
        pool = _pair(self.config["pool_size"])
        strides = self.config["strides"]
        return pool, (_pair(strides) if strides is not None else pool), (1, 1)

    def compute_output_shape(self, input_shapes):
        shape = self._image_shape(input_shapes)
        gh, gw = self._geometry(shape)
        return (shape[0], gh.out, gw.out)

    def on_built(self):
        self._build_geometry()
        kernel, strides, _ = self.window
        #: Windows do not overlap: each input pixel belongs to at most one window.
        self._disjoint = strides[0] >= kernel[0] and strides[1] >= kernel[1]


@register
class MaxPool2D(_Pool):
    type_name = "MaxPool2D"
    description = ("Keeps the largest value of each window: halves the image (2x2) while "
                   "keeping the strongest responses.")
    examples = (
        ({}, [(2, 4, 6)]),
        ({"pool_size": [3, 3], "strides": [2, 2]}, [(1, 7, 7)]),
        ({"pool_size": [2, 2], "padding": "same"}, [(2, 5, 3)]),
        ({"pool_size": [3, 2], "strides": [1, 2], "padding": "same"}, [(1, 4, 5)]),
        ({"pool_size": [2]}, [(3, 5, 5)]),
    )

    def on_built(self):
        super().on_built()
        self._taps = _Scratch(-np.inf)
        self._planes = _Scratch(0.0)
        self._hit, self._seen, self._parts = _Scratch(), _Scratch(), _Scratch()
        self.taps: np.ndarray | None = None

    def forward(self, x, training):
        n = x.shape[0]
        c, oh, ow = self.output_shape
        xt = x.transpose(1, 0, 2, 3)
        if training:
            # Every tap's view copied into one (k, C, n, OH, OW) array (taps that fall on
            # padding keep -inf), so the maximum and the backward's comparisons are
            # whole-array operations.
            kh, kw = _pair(self.config["pool_size"])
            taps = self._taps.get((kh * kw, c, n, oh, ow), x.dtype)
            for _, _, k, sh, sw, ih, iw in self._offsets:
                np.copyto(taps[k, :, :, sh, sw], xt[:, :, ih, iw])
            self.taps = taps
            self.out = taps.max(axis=0)
            return self.out.transpose(1, 0, 2, 3)
        self._taps.release()  # inference: a running maximum, no buffer the size of x
        self.taps = None
        out = np.full((c, n, oh, ow), -np.inf, x.dtype)
        for _, _, _, sh, sw, ih, iw in self._offsets:
            o = out[:, :, sh, sw]
            np.maximum(o, xt[:, :, ih, iw], out=o)
        return out.transpose(1, 0, 2, 3)

    def backward(self, grad):
        # Each window's gradient goes to its first maximal cell in window order (row by
        # row): the cell equals the maximum and no earlier cell of the window does.
        c, h, w = self.input_shapes[0]
        taps = self.taps
        # (The work arrays are cached: fresh multi-megabyte arrays cost page faults.)
        hit = np.equal(taps, self.out, out=self._hit.get(taps.shape, np.dtype(bool)))
        if len(hit) > 1:
            # seen[m]: some cell among taps 0..m is maximal (np.logical_or.accumulate along
            # axis 0 is far slower than this loop of whole-array operations)
            seen = self._seen.get((len(hit) - 1, *hit.shape[1:]), np.dtype(bool))
            seen[0] = hit[0]
            for m in range(1, len(seen)):
                np.logical_or(seen[m - 1], hit[m], out=seen[m])
            np.greater(hit[1:], seen, out=hit[1:])
        parts = np.multiply(hit, grad.transpose(1, 0, 2, 3),
                            out=self._parts.get(taps.shape, grad.dtype))
        return _scatter_sum(parts, self._offsets, (c, grad.shape[0], h, w), self._planes,
                            self._disjoint).transpose(1, 0, 2, 3)


@register
class AvgPool2D(_Pool):
    type_name = "AvgPool2D"
    description = "Averages each window: a smooth way to shrink the image."
    examples = (
        ({}, [(2, 4, 6)]),
        ({"pool_size": [3, 3], "strides": [2, 2]}, [(1, 7, 7)]),
        ({"pool_size": [2, 2], "padding": "same"}, [(2, 5, 3)]),
        ({"pool_size": [3, 2], "strides": [1, 1], "padding": "same"}, [(1, 4, 5)]),
    )

    def on_built(self):
        super().on_built()
        kernel, _, _ = self.window
        self._planes = _Scratch(0.0)
        gh, gw = self._gh, self._gw
        if gh.pad_before + gh.pad_after + gw.pad_before + gw.pad_after == 0:
            self._count: float | np.ndarray = float(kernel[0] * kernel[1])
        else:  # number of real (non-padded) cells per window
            count = np.zeros((gh.out, gw.out))
            for _, _, _, sh, sw, _, _ in self._offsets:
                count[sh, sw] += 1
            self._count = count

    def _divisor(self, dtype: np.dtype) -> float | np.ndarray:
        return (self._count if isinstance(self._count, float)
                else self._count.astype(dtype))

    def forward(self, x, training):
        n = x.shape[0]
        c, oh, ow = self.output_shape
        xt = x.transpose(1, 0, 2, 3)
        out = np.zeros((c, n, oh, ow), x.dtype)
        for _, _, _, sh, sw, ih, iw in self._offsets:
            o = out[:, :, sh, sw]
            o += xt[:, :, ih, iw]
        out /= self._divisor(out.dtype)
        return out.transpose(1, 0, 2, 3)

    def backward(self, grad):
        c, h, w = self.input_shapes[0]
        gt = grad.transpose(1, 0, 2, 3) / self._divisor(grad.dtype)
        kh, kw = self.window[0]
        parts = np.broadcast_to(gt, (kh * kw, *gt.shape))
        return _scatter_sum(parts, self._offsets, (c, grad.shape[0], h, w), self._planes,
                            self._disjoint).transpose(1, 0, 2, 3)


@register
class GlobalAveragePooling2D(_Spatial):
    type_name = "GlobalAveragePooling2D"
    description = "Averages each channel over the whole image: (C, H, W) -> (C,)."
    examples = (({}, [(3, 4, 5)]), ({}, [(2, 1, 1)]))

    def compute_output_shape(self, input_shapes):
        return (self._image_shape(input_shapes)[0],)

    def forward(self, x, training):
        return x.mean(axis=(2, 3))

    def backward(self, grad):
        c, h, w = self.input_shapes[0]
        dx = np.empty((c, grad.shape[0], h, w), grad.dtype).transpose(1, 0, 2, 3)
        dx[...] = (grad * grad.dtype.type(1.0 / (h * w)))[:, :, None, None]
        return dx


@register
class SpatialDropout2D(_Spatial):
    type_name = "SpatialDropout2D"
    description = ("During training zeroes whole channels at random (neighbouring pixels are "
                   "correlated, so dropping single pixels would barely regularise).")
    schema = (Param("rate", "float", 0.2, "Fraction of channels dropped during training.",
                    min=0.0, max=0.95, key=True),)
    examples = (({"rate": 0.5}, [(4, 3, 3)]), ({"rate": 0.2}, [(2, 2, 5)]))

    def compute_output_shape(self, input_shapes):
        return self._image_shape(input_shapes)

    def forward(self, x, training):
        rate = self.config["rate"]
        if not training or rate == 0.0:
            self.mask = None
            return x
        keep = 1.0 - rate
        shape = (x.shape[0], x.shape[1], 1, 1)
        self.mask = (self.rng.random(shape, dtype=x.dtype) < keep) * x.dtype.type(1 / keep)
        return x * self.mask

    def backward(self, grad):
        return grad if self.mask is None else grad * self.mask
