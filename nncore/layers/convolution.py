"""Conv2D: 2-D convolution of images by learned kernels.

A Conv2D kernel ``W`` has shape ``(filters, in_channels, kh, kw)`` (the ONNX/PyTorch layout),
its bias ``b`` ``(filters,)``. Padding and the per-offset geometry are described in
:mod:`nncore.layers.image`.

The image layers keep their arrays in the CHWN memory layout (see
:mod:`nncore.layers.image`). Forward copies the input into a column matrix ``cols`` of shape
``(kh*kw*C + 1, OH*OW*N)`` (``kh*kw`` block copies into a cached buffer, each in runs of
``OW*N`` values; the last row is ones, so the bias rides in the product) and computes
``[W | b] @ cols`` as ONE matrix product, whose result ``(F, OH, OW, N)`` is the CHWN output;
a ReLU is applied in place. Backward is one product for ``[dW | db]`` (``g @ cols.T``), one for
the column gradient (``W.T @ g``), and col2im: each tap's block added where it reads.
"""

from __future__ import annotations

import numpy as np

from nncore.activations import ACTIVATION_NAMES
from nncore.layers.base import WeightSpec
from nncore.layers.core import _ActivationMixin, _init_param
from nncore.layers.halves import in_halves
from nncore.layers.image import PADDINGS, Scratch, WindowedLayer, pair
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

    def __init__(self, name="", /, **params):
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
        # the gradient at the pre-activation, and the default three times the output.
        c = input_shapes[0][0]
        kh, kw = pair(self.config["kernel_size"])
        f, oh, ow = self.compute_output_shape(input_shapes)
        return 2 * c * kh * kw * oh * ow + 4 * f * oh * ow

    def on_built(self):
        self._build_geometry()
        c, h, w = self.input_shapes[0]
        kh, kw = pair(self.config["kernel_size"])
        f = self.config["filters"]
        self._k = c * kh * kw
        self._use_bias = self.config["use_bias"]
        #: Rows of the column matrix: the taps (i, j, c), then a row of ones for the bias.
        self._rows = self._k + self._use_bias
        dtype = self.weights["W"].dtype
        self._wb = np.empty((f, self._rows), dtype)
        self._dwb = np.empty((self._rows, f), dtype)
        self._relu = self.config["activation"] == "relu"
        self._cols = Scratch(0.0)
        self._dcols = Scratch()
        self.cols = None

    # -- im2col / col2im ---------------------------------------------------------------
    def _working_weights(self) -> np.ndarray:
        """[W | b] as one (F, rows) matrix, W's columns in the taps' order (i, j, c)."""
        f, c = self.config["filters"], self.input_shapes[0][0]
        kh, kw = pair(self.config["kernel_size"])
        wb = self._wb
        np.copyto(wb[:, :self._k].reshape(f, kh, kw, c), self.weights["W"].transpose(0, 2, 3, 1))
        if self._use_bias:
            wb[:, self._k] = self.weights["b"]
        return wb

    def _im2col(self, xc: np.ndarray) -> np.ndarray:
        """Columns of ``xc`` (a (C, H, W, n) view) as the (rows, OH*OW*n) matrix in the
        cached buffer: tap (i, j) is the block (C, OH, OW, n) of rows i*kw + j, and the
        last row holds ones when the layer has a bias."""
        c = self.input_shapes[0][0]
        kh, kw = pair(self.config["kernel_size"])
        shape = (self._rows, self._gh.out * self._gw.out * xc.shape[3])
        before = self._cols.array
        cols = self._cols.get(shape, xc.dtype)
        if cols is not before and self._use_bias:
            cols[self._k] = 1.0
        taps = cols[:self._k].reshape(kh, kw, c, self._gh.out, self._gw.out, xc.shape[3])
        offsets = self._offsets

        def copy(a: int, b: int) -> None:  # taps a..b-1
            for i, j, _, oh, ow, ih, iw in offsets[a:b]:
                np.copyto(taps[i, j, :, oh, ow], xc[:, ih, iw])

        in_halves(copy, len(offsets), taps.size)
        return cols

    def _col2im(self, dcols: np.ndarray, n: int) -> np.ndarray:
        """The input gradient (C, H, W, n) from the column gradient (k, OH*OW*n): each
        tap's block added where the tap reads (runs of OW*n values: no short rows)."""
        c, h, w = self.input_shapes[0]
        kh, kw = pair(self.config["kernel_size"])
        parts = dcols.reshape(kh, kw, c, self._gh.out, self._gw.out, n)
        dx = np.zeros((c, h, w, n), dcols.dtype)
        offsets = self._offsets

        def add(a: int, b: int) -> None:  # channels a..b-1
            for i, j, _, oh, ow, ih, iw in offsets:
                d = dx[a:b, ih, iw]
                d += parts[i, j, a:b, oh, ow]

        in_halves(add, c, parts.size)
        return dx

    # -- computation -------------------------------------------------------------------
    def forward(self, x, training):
        n = x.shape[0]
        f, oh, ow = self.output_shape
        xc = x.transpose(1, 2, 3, 0)
        wb = self._working_weights()
        per_sample = self._rows * oh * ow
        if training or n * per_sample <= INFERENCE_COLS_LIMIT:
            z = np.matmul(wb, self._im2col(xc))
            self.cols = self._cols.array
        else:  # inference on a large batch: bounded memory
            step = max(1, INFERENCE_COLS_LIMIT // per_sample)
            z = np.empty((f, oh * ow, n), x.dtype)
            for a in range(0, n, step):
                zc = np.matmul(wb, self._im2col(xc[..., a:a + step]))
                z[:, :, a:a + step] = zc.reshape(f, oh * ow, -1)
            self._cols.release()  # do not keep a large buffer alive after inference
            self.cols = None
        y = z.reshape(f, oh, ow, n)
        if self._relu and not self.skip_activation:
            # In place: ReLU's backward reads only the output.
            in_halves(lambda a, b: np.maximum(y[a:b], 0, out=y[a:b]), f, y.size)
            self.z = self.y = y.transpose(3, 0, 1, 2)
            return self.y
        return self._activate(y.transpose(3, 0, 1, 2))

    def _output_gradient(self, grad: np.ndarray) -> np.ndarray:
        """dL/dz as an (F, OH, OW, n) array in CHWN memory."""
        if self._relu and not self.skip_activation:  # ReLU.backward, in two halves
            gc, yc = grad.transpose(1, 2, 3, 0), self.y.transpose(1, 2, 3, 0)
            dz = np.empty(yc.shape, grad.dtype)
            in_halves(lambda a, b: np.multiply(gc[a:b], yc[a:b] > 0, out=dz[a:b]),
                      len(dz), dz.size)
            return dz
        g = self._activation_backward(grad).transpose(1, 2, 3, 0)
        return g if g.flags.c_contiguous else np.ascontiguousarray(g)

    def backward(self, grad):
        f, c = self.config["filters"], self.input_shapes[0][0]
        g2 = self._output_gradient(grad).reshape(f, -1)
        if self.trainable:
            # [dW | db]^T in one product (the bias row of the columns). This orientation,
            # (rows, OH*OW*n) @ (OH*OW*n, F), not g2 @ cols.T: OpenBLAS splits the long
            # operand's rows over its threads instead of each thread packing all of cols
            # (conv2 of bench_cnn.py, 2 threads: 9.8 ms instead of 37).
            kh, kw = pair(self.config["kernel_size"])
            dwb = np.matmul(self.cols, g2.T, out=self._dwb)
            np.copyto(self.grads["W"], dwb[:self._k].reshape(kh, kw, c, f)
                      .transpose(3, 2, 0, 1))
            if self._use_bias:
                np.copyto(self.grads["b"], dwb[self._k])
        if not self.need_input_grad:
            return None
        dcols = np.matmul(self._wb[:, :self._k].T, g2,
                          out=self._dcols.get((self._k, g2.shape[1]), g2.dtype))
        return self._col2im(dcols, grad.shape[0]).transpose(3, 0, 1, 2)
