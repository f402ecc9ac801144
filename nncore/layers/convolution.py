"""Conv2D: 2-D convolution of images by learned kernels.

A Conv2D kernel ``W`` has shape ``(filters, in_channels, kh, kw)`` (the ONNX/PyTorch layout),
its bias ``b`` ``(filters,)``. Padding and the per-offset geometry are described in
:mod:`nncore.layers.image`.

Forward copies the input into a column matrix ``cols`` of shape ``(C*kh*kw, N*OH*OW)``
(``kh*kw`` strided block copies into a cached buffer) and computes
``W.reshape(F, C*kh*kw) @ cols`` as ONE matrix product. Its result ``(F, N, OH, OW)`` is
returned as the NCHW *view* ``transpose(1, 0, 2, 3)``: the image layers work on that
channel-major memory layout directly, so a conv/pool stack never transposes data back and
forth. Backward is one product for ``dW`` (``g @ cols.T``), one for the column gradient
(``W.T @ g``), and col2im: each offset's block copied into its own zero-bordered plane, the
planes summed (:func:`~nncore.layers.image.scatter_sum`; whole-array operations are several
times faster than strided read-modify-write adds of short image rows).
"""

from __future__ import annotations

import numpy as np

from nncore.activations import ACTIVATION_NAMES
from nncore.layers.base import WeightSpec
from nncore.layers.core import _ActivationMixin, _init_param
from nncore.layers.image import PADDINGS, Scratch, WindowedLayer, pair, scatter_sum
from nncore.params import Param
from nncore.registry import register

#: In inference (``training=False``) Conv2D processes the batch in chunks whose column
#: matrix holds at most this many values (16 M float32 = 64 MB), so predicting on a large
#: data set does not need a column matrix for all of it at once.
INFERENCE_COLS_LIMIT = 1 << 24

_PADDING = Param("padding", "choice", "same",
                 "'same': zero-pad so the output has ceil(size / stride) pixels; 'valid': "
                 "only positions where the window fits (the image shrinks).",
                 choices=PADDINGS, key=True)


@register
class Conv2D(_ActivationMixin, WindowedLayer):
    type_name = "Conv2D"
    formula = (
        "z[f, i, j] = b[f] + sum over c, u, v of W[f, c, u, v] * x[c, i * stride + u * "
        "dilation - pad, j * stride + v * dilation - pad] (zero outside the image);  y = f(z)",
        "dL/dz = dL/dy * f'(z);  dL/dW[f, c, u, v] = sum over i, j of dL/dz[f, i, j] * (the "
        "input pixel W[f, c, u, v] met at (i, j));  dL/db[f] = sum over i, j of dL/dz[f, i, "
        "j];  dL/dx = each dL/dz[f, i, j] sent back through W[f] to the pixels it came from "
        "(a transposed convolution)",
    )
    description = ("2-D convolution: slides `filters` learned kernels over the image; each "
                   "output channel is f(sum of kernel * input patch + b).")
    glyph = "convolution"
    window_noun = "kernel"
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
        return pair(c["kernel_size"]), pair(c["strides"]), pair(c["dilation_rate"])

    def compute_output_shape(self, input_shapes):
        shape = self._image_shape(input_shapes)
        gh, gw = self._geometry(shape)
        return (self.config["filters"], gh.out, gw.out)

    def weight_specs(self, input_shapes):
        c_in = input_shapes[0][0]
        kh, kw = pair(self.config["kernel_size"])
        f = self.config["filters"]
        specs = [WeightSpec("W", (f, c_in, kh, kw), self.config["kernel_initializer"],
                            regularize=True)]
        if self.config["use_bias"]:
            specs.append(WeightSpec("b", (f,), self.config["bias_initializer"]))
        return specs

    def training_floats(self, input_shapes):
        # The im2col columns and their gradient (C*kh*kw values per output position),
        # the output planes, and the default three times the output.
        c = input_shapes[0][0]
        kh, kw = pair(self.config["kernel_size"])
        f, oh, ow = self.compute_output_shape(input_shapes)
        return 2 * c * kh * kw * oh * ow + 4 * f * oh * ow

    def on_built(self):
        self._build_geometry()
        c, h, w = self.input_shapes[0]
        f = self.config["filters"]
        kh, kw = pair(self.config["kernel_size"])
        self._k = c * kh * kw
        self._wmat = self.weights["W"].reshape(f, self._k)
        self._use_bias = self.config["use_bias"]
        self._bcol = self.weights["b"].reshape(f, 1) if self._use_bias else None
        self._cols = Scratch(0.0)
        self._planes = Scratch(0.0)
        self._dcols = Scratch()
        self._ones = np.ones(0, self.dtype)
        self.cols = None

    # -- im2col / col2im ---------------------------------------------------------------
    def _im2col(self, xt: np.ndarray) -> np.ndarray:
        """Columns of ``xt`` (channel-major (C, n, H, W) view) as a (C*kh*kw, n*OH*OW)
        matrix, in the cached buffer (C, kh, kw, n, OH, OW)."""
        c = self.input_shapes[0][0]
        kh, kw = pair(self.config["kernel_size"])
        cols = self._cols.get((c, kh, kw, xt.shape[1], self._gh.out, self._gw.out), xt.dtype)
        for i, j, _, oh, ow, ih, iw in self._offsets:
            np.copyto(cols[:, i, j, :, oh, ow], xt[:, :, ih, iw])
        return cols.reshape(self._k, -1)

    def _col2im(self, dcols: np.ndarray, n: int) -> np.ndarray:
        c, h, w = self.input_shapes[0]
        kh, kw = pair(self.config["kernel_size"])
        parts = dcols.reshape(c, kh * kw, n, self._gh.out, self._gw.out).transpose(1, 0, 2, 3, 4)
        return scatter_sum(parts, self._offsets, (c, n, h, w), self._planes, False)

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
