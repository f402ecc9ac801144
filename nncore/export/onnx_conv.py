"""ONNX converters for the image layers (see :mod:`nncore.layers.image`).

Padding is always written as explicit ``pads`` computed by the layer (``auto_pad`` is left
at NOTSET): 'same' with an even kernel or a stride puts the odd pixel after, exactly as the
engine does. Average pooling excludes padded cells (``count_include_pad=0``), max pooling
never picks them. Importing this module adds the entries to
:data:`~nncore.export.onnx_export.ONNX_CONVERTERS`.
"""

from __future__ import annotations

from nncore.export.onnx_export import ONNX_CONVERTERS, OnnxBuilder, activation
from nncore.layers.base import Layer


def _window_attrs(layer: Layer, with_dilation: bool) -> dict:
    kernel, strides, dilation = layer.window
    top, left, bottom, right = layer.pads
    attrs = {"kernel_shape": list(kernel), "strides": list(strides),
             "pads": [top, left, bottom, right]}
    if with_dilation:
        attrs["dilations"] = list(dilation)
    return attrs


def _conv2d(b: OnnxBuilder, node_id: str, layer: Layer, inputs: list[str]) -> str:
    (x,) = inputs
    ins = [x, b.weight(node_id, layer, "W")]  # (filters, in_channels, kh, kw), as ONNX
    if layer.config["use_bias"]:
        ins.append(b.weight(node_id, layer, "b"))
    z = b.op("Conv", ins, f"{node_id}/z", group=1, **_window_attrs(layer, True))
    return activation(b, node_id, layer, z)


def _maxpool2d(b: OnnxBuilder, node_id: str, layer: Layer, inputs: list[str]) -> str:
    return b.op("MaxPool", inputs, node_id, **_window_attrs(layer, False))


def _avgpool2d(b: OnnxBuilder, node_id: str, layer: Layer, inputs: list[str]) -> str:
    return b.op("AveragePool", inputs, node_id, count_include_pad=0,
                **_window_attrs(layer, False))


def _global_avgpool(b: OnnxBuilder, node_id: str, layer: Layer, inputs: list[str]) -> str:
    pooled = b.op("GlobalAveragePool", inputs, f"{node_id}/pooled")  # (n, C, 1, 1)
    return b.op("Flatten", [pooled], node_id, axis=1)


def _identity(b: OnnxBuilder, node_id: str, layer: Layer, inputs: list[str]) -> str:
    return inputs[0]  # SpatialDropout2D: the identity at inference


ONNX_CONVERTERS.update({
    "Conv2D": _conv2d,
    "MaxPool2D": _maxpool2d,
    "AvgPool2D": _avgpool2d,
    "GlobalAveragePooling2D": _global_avgpool,
    "SpatialDropout2D": _identity,
})
