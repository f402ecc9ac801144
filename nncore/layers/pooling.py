"""Pooling of images: MaxPool2D, AvgPool2D and GlobalAveragePooling2D.

Max pooling ignores padded cells, average pooling divides by the number of real
(non-padded) cells (the geometry is in :mod:`nncore.layers.image`).

Arrays are in the CHWN memory layout (:mod:`nncore.layers.image`). Max pooling (training)
copies every offset's view into one ``(kh*kw, C, OH, OW, N)`` array,
takes the maximum over its first axis and, backward, routes each window's gradient to its
first maximal cell (in row-major window order) with whole-array comparisons. Average
pooling sums the offset views and divides by the number of real cells.
"""

from __future__ import annotations

import numpy as np

from nncore.layers.halves import in_halves
from nncore.layers.image import PADDINGS, ImageLayer, Scratch, WindowedLayer, pair, scatter_sum
from nncore.params import Param
from nncore.registry import register


class _Pool(WindowedLayer):
    """What MaxPool2D and AvgPool2D share: the window parameters and its geometry."""

    glyph = "pooling"
    window_noun = "pool window"
    schema = (
        Param("pool_size", "shape", (2, 2), "Window height and width (one number: square).",
              key=True),
        Param("strides", "shape", None, "Step between windows (empty: the pool size, so "
              "windows do not overlap).", optional=True),
        Param("padding", "choice", "valid",
              "'valid': only windows that fit; 'same': pad so the output has "
              "ceil(size / stride) pixels (padded cells are ignored).", choices=PADDINGS),
    )

    def __init__(self, name="", /, **params):
        super().__init__(name, **params)
        self._check_pair("pool_size")
        self._check_pair("strides")

    @property
    def window(self):
        pool = pair(self.config["pool_size"])
        strides = self.config["strides"]
        return pool, (pair(strides) if strides is not None else pool), (1, 1)

    def compute_output_shape(self, input_shapes):
        shape = self._image_shape(input_shapes)
        gh, gw = self._geometry(shape)
        return (shape[0], gh.out, gw.out)

    def _disjoint_windows(self) -> bool:
        """Windows do not overlap: each input pixel belongs to at most one window."""
        kernel, strides, _ = self.window
        return strides[0] >= kernel[0] and strides[1] >= kernel[1]

    def _sizes(self, input_shapes) -> tuple[int, int, int, bool]:
        """(taps per window, output size, input size, disjoint windows), per sample."""
        kh, kw = self.window[0]
        out = int(np.prod(self.compute_output_shape(input_shapes)))
        return kh * kw, out, int(np.prod(input_shapes[0])), self._disjoint_windows()

    def on_built(self):
        self._build_geometry()
        self._disjoint = self._disjoint_windows()
        # Every input pixel belongs to exactly one window (e.g. 2x2 windows on 28x28).
        cover = np.zeros(self.input_shapes[0][1:], np.int64)
        for _, _, _, _, _, ih, iw in self._offsets:
            cover[ih, iw] += 1
        self._tiles = bool((cover == 1).all())


def _chwn(a: np.ndarray) -> np.ndarray:
    """The (C, H, W, N) view of an NCHW array, copied when its memory is not CHWN (a
    gradient from a Flatten arrives NCHW)."""
    v = a.transpose(1, 2, 3, 0)
    return v if v.flags.c_contiguous else np.ascontiguousarray(v)


@register
class MaxPool2D(_Pool):
    type_name = "MaxPool2D"
    formula = (
        "y[c, i, j] = the largest x[c] in window (i, j) (padding ignored)",
        "dL/dx: each dL/dy[c, i, j] goes to the first largest cell of its window; every other "
        "cell gets 0",
    )
    description = ("Keeps the largest value of each window: halves the image (2x2) while "
                   "keeping the strongest responses.")
    examples = (
        ({}, [(2, 4, 6)]),
        ({"pool_size": [3, 3], "strides": [2, 2]}, [(1, 7, 7)]),
        ({"pool_size": [2, 2], "padding": "same"}, [(2, 5, 3)]),
        ({"pool_size": [3, 2], "strides": [1, 2], "padding": "same"}, [(1, 4, 5)]),
        ({"pool_size": [2]}, [(3, 5, 5)]),
    )

    def training_floats(self, input_shapes):
        # Every tap of every window (k = kh*kw values per output), the output, its gradient
        # and a contiguous copy of it, and the backward's masks (k and k - 1 bools per
        # output, a quarter of a float32 each); overlapping windows add the per-tap parts
        # of the gradient and the planes they are summed from (k times the input).
        k, out, inp, disjoint = self._sizes(input_shapes)
        floats = (k + 3) * out + (2 * k - 1) * out // 4
        return floats if disjoint else floats + k * (out + inp)

    def on_built(self):
        super().on_built()
        self._taps = Scratch(-np.inf)
        self._planes = Scratch(0.0)
        self._hit, self._seen, self._parts = Scratch(), Scratch(), Scratch()
        self.taps: np.ndarray | None = None

    def forward(self, x, training):
        n = x.shape[0]
        c, oh, ow = self.output_shape
        xc = x.transpose(1, 2, 3, 0)
        if training:
            # Every tap's view copied into one (k, C, OH, OW, n) array (taps that fall on
            # padding keep -inf), so the maximum and the backward's comparisons are
            # whole-array operations.
            kh, kw = pair(self.config["pool_size"])
            taps = self._taps.get((kh * kw, c, oh, ow, n), x.dtype)
            out = np.empty((c, oh, ow, n), x.dtype)
            offsets = self._offsets

            def pool(a: int, b: int) -> None:  # channels a..b-1
                for _, _, k, sh, sw, ih, iw in offsets:
                    np.copyto(taps[k, a:b, sh, sw], xc[a:b, ih, iw])
                np.max(taps[:, a:b], axis=0, out=out[a:b])

            in_halves(pool, c, taps.size)
            self.taps, self.out = taps, out
            return out.transpose(3, 0, 1, 2)
        self._taps.release()  # inference: a running maximum, no buffer the size of x
        self.taps = None
        out = np.full((c, oh, ow, n), -np.inf, x.dtype)
        for _, _, _, sh, sw, ih, iw in self._offsets:
            o = out[:, sh, sw]
            np.maximum(o, xc[:, ih, iw], out=o)
        return out.transpose(3, 0, 1, 2)

    def backward(self, grad):
        # Each window's gradient goes to its first maximal cell in window order (row by
        # row): the cell equals the maximum and no earlier cell of the window does.
        c, h, w = self.input_shapes[0]
        taps, out, offsets = self.taps, self.out, self._offsets
        g = _chwn(grad)
        # (The work arrays are cached: fresh multi-megabyte arrays cost page faults.)
        hits = self._hit.get(taps.shape, np.dtype(bool))
        seen = self._seen.get((len(taps) - 1, *taps.shape[1:]), np.dtype(bool))
        planes = None if self._disjoint else self._planes.get((len(taps), c, h, w, g.shape[3]),
                                                               grad.dtype)
        parts = None if planes is None else self._parts.get(taps.shape, grad.dtype)
        # Windows that tile the input write every cell of dx; otherwise start from zeros.
        dx = (np.empty if self._tiles or planes is not None else np.zeros)(
            (c, h, w, g.shape[3]), grad.dtype)

        def route(a: int, b: int) -> None:  # channels a..b-1
            hit = np.equal(taps[:, a:b], out[a:b], out=hits[:, a:b])
            if len(hit) > 1:
                # seen[m]: some cell among taps 0..m is maximal (np.logical_or.accumulate
                # along axis 0 is far slower than this loop of whole-array operations)
                s = seen[:, a:b]
                s[0] = hit[0]
                for m in range(1, len(s)):
                    np.logical_or(s[m - 1], hit[m], out=s[m])
                np.greater(hit[1:], s, out=hit[1:])
            if planes is None:  # disjoint windows: each tap's share straight into dx
                for _, _, k, sh, sw, ih, iw in offsets:
                    np.multiply(hit[k, :, sh, sw], g[a:b, sh, sw], out=dx[a:b, ih, iw])
                return
            np.multiply(hit, g[a:b], out=parts[:, a:b])
            scatter_sum(parts[:, a:b], offsets, dx[a:b], planes[:, a:b])

        in_halves(route, c, taps.size)
        return dx.transpose(3, 0, 1, 2)


@register
class AvgPool2D(_Pool):
    type_name = "AvgPool2D"
    formula = (
        "y[c, i, j] = mean of the real (not padded) cells of x[c] in window (i, j)",
        "dL/dx[cell] = sum over the windows holding the cell of dL/dy / (real cells in that "
        "window)",
    )
    description = "Averages each window: a smooth way to shrink the image."
    examples = (
        ({}, [(2, 4, 6)]),
        ({"pool_size": [3, 3], "strides": [2, 2]}, [(1, 7, 7)]),
        ({"pool_size": [2, 2], "padding": "same"}, [(2, 5, 3)]),
        ({"pool_size": [3, 2], "strides": [1, 1], "padding": "same"}, [(1, 4, 5)]),
    )

    def training_floats(self, input_shapes):
        # The output, its gradient and that divided by the window counts; overlapping
        # windows add the planes the input's gradient is summed from (k times the input).
        k, out, inp, disjoint = self._sizes(input_shapes)
        return 3 * out if disjoint else 3 * out + k * inp

    def on_built(self):
        super().on_built()
        kernel, _, _ = self.window
        self._planes = Scratch(0.0)
        gh, gw = self._gh, self._gw
        if gh.pad_before + gh.pad_after + gw.pad_before + gw.pad_after == 0:
            self._count: float | np.ndarray = float(kernel[0] * kernel[1])
        else:  # number of real (non-padded) cells per window
            count = np.zeros((gh.out, gw.out))
            for _, _, _, sh, sw, _, _ in self._offsets:
                count[sh, sw] += 1
            self._count = count

    def _divisor(self, dtype: np.dtype) -> float | np.ndarray:
        # (OH, OW, 1): the real cells per window, broadcast over the batch axis of CHWN
        return (self._count if isinstance(self._count, float)
                else self._count.astype(dtype)[:, :, None])

    def forward(self, x, training):
        n = x.shape[0]
        c, oh, ow = self.output_shape
        xc = x.transpose(1, 2, 3, 0)
        out = np.zeros((c, oh, ow, n), x.dtype)
        for _, _, _, sh, sw, ih, iw in self._offsets:
            o = out[:, sh, sw]
            o += xc[:, ih, iw]
        out /= self._divisor(out.dtype)
        return out.transpose(3, 0, 1, 2)

    def backward(self, grad):
        c, h, w = self.input_shapes[0]
        gt = grad.transpose(1, 2, 3, 0) / self._divisor(grad.dtype)
        kh, kw = self.window[0]
        parts = np.broadcast_to(gt, (kh * kw, *gt.shape))
        shape = (c, h, w, grad.shape[0])
        if self._disjoint:
            dx, planes = np.zeros(shape, grad.dtype), None
        else:
            dx, planes = np.empty(shape, grad.dtype), self._planes.get((kh * kw, *shape),
                                                                      grad.dtype)
        scatter_sum(parts, self._offsets, dx, planes)
        return dx.transpose(3, 0, 1, 2)


@register
class GlobalAveragePooling2D(ImageLayer):
    type_name = "GlobalAveragePooling2D"
    formula = (
        "y[c] = mean of x[c, h, w] over the H x W image",
        "dL/dx[c, h, w] = dL/dy[c] / (H * W)",
    )
    description = "Averages each channel over the whole image: (C, H, W) -> (C,)."
    glyph = "pooling"
    examples = (({}, [(3, 4, 5)]), ({}, [(2, 1, 1)]))

    def compute_output_shape(self, input_shapes):
        return (self._image_shape(input_shapes)[0],)

    def forward(self, x, training):
        return x.mean(axis=(2, 3))

    def backward(self, grad):
        c, h, w = self.input_shapes[0]
        dx = np.empty((c, h, w, grad.shape[0]), grad.dtype).transpose(3, 0, 1, 2)
        dx[...] = (grad * grad.dtype.type(1.0 / (h * w)))[:, :, None, None]
        return dx
