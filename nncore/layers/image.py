"""What the image layers share: sliding-window geometry, cached work arrays and the base
classes of layers taking one image (see :mod:`~nncore.layers.convolution`,
:mod:`~nncore.layers.pooling`, :mod:`~nncore.layers.spatial_dropout`).

Images are per-sample ``(C, H, W)``; batches are NCHW. The image layers return NCHW arrays
whose memory is laid out CHWN (the batch axis innermost: ``out = chwn.transpose(3, 0, 1,
2)``) and read any NCHW array through its ``transpose(1, 2, 3, 0)`` view. In that layout a
window tap of a whole batch is a block of ``C`` runs of ``OW*N`` contiguous values (a few
hundred to thousands), not ``C*N*OH`` rows of ``OW`` values: NumPy pays its per-run overhead
(tens of ns) a few hundred times per copy instead of tens of thousands of times. A
convolution's matrix product ``W (F, K) @ cols (K, OH*OW*N)`` yields that layout directly.

Padding ``'valid'`` uses only positions where the window fits; ``'same'`` zero-pads so the
output has ``ceil(size / stride)`` pixels per axis, the extra pixel (when the total padding is
odd) going after (bottom/right), as Keras/TensorFlow and ONNX ``SAME_UPPER`` do.

Every windowed layer precomputes, per input shape, one entry per kernel offset ``(i, j)``:
the output rows/columns where that tap falls on real pixels and the matching strided input
slice (:func:`kernel_offsets`). Padding never materialises: out-of-image taps are left out,
and the cached work arrays (:class:`Scratch`) keep zeros (or -inf) where they are. The only
Python loops then run over the ``kh*kw`` kernel offsets, never over samples or pixels.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from nncore.errors import ParameterError
from nncore.layers.base import Layer, Shape

PADDINGS = ("valid", "same")

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


def kernel_offsets(gh: AxisGeometry, gw: AxisGeometry) -> list[Offset]:
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


def pair(value: tuple[int, ...]) -> tuple[int, int]:
    return (value[0], value[0]) if len(value) == 1 else (value[0], value[1])


def format_pair(p: tuple[int, int]) -> str:
    return f"{p[0]}x{p[1]}"


class Scratch:
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


def scatter_sum(parts: np.ndarray, offsets: list[Offset], dx: np.ndarray,
                planes: np.ndarray | None) -> None:
    """Write into ``dx`` (C, H, W, n) the input-grid gradient from per-tap output-grid
    gradients ``parts`` (k, C, OH, OW, n), k = i*kw + j: the sum over taps of each part
    placed where its tap reads. Disjoint taps (``planes`` None; ``dx`` must hold zeros) are
    copied straight into place; otherwise every part is copied into its own plane of the
    zero-bordered work array ``planes`` (k, C, H, W, n) and the planes are summed
    (whole-array operations instead of read-modify-writes)."""
    if planes is None:
        for _, _, k, sh, sw, ih, iw in offsets:
            np.copyto(dx[:, ih, iw], parts[k, :, sh, sw])
        return
    for _, _, k, sh, sw, ih, iw in offsets:
        np.copyto(planes[k, :, ih, iw], parts[k, :, sh, sw])
    np.sum(planes, axis=0, out=dx)


class ImageLayer(Layer):
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


class WindowedLayer(ImageLayer):
    """A layer sliding a window over the image (Conv2D and the pools)."""

    #: How messages name the window ("kernel", "pool window").
    window_noun: ClassVar[str] = "window"

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
            what = self.window_noun
            dil = f" (dilated to {format_pair(eff)})" if eff != kernel else ""
            raise self.shape_error(
                f"the {format_pair(kernel)} {what}{dil} does not fit the "
                f"{shape[1]}x{shape[2]} input with padding 'valid'; use padding 'same', a "
                f"smaller {what} or a larger input")
        return gh, gw

    def _build_geometry(self) -> None:
        shape = self.input_shapes[0]
        self._gh, self._gw = self._geometry(shape)
        self._offsets = kernel_offsets(self._gh, self._gw)

    @property
    def pads(self) -> tuple[int, int, int, int]:
        """Explicit padding (top, left, bottom, right) for the built input shape."""
        gh, gw = self._geometry(self.input_shapes[0])
        return gh.pad_before, gw.pad_before, gh.pad_after, gw.pad_after
