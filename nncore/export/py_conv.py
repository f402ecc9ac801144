"""Python-script templates for the image layers (see :mod:`nncore.layers.image`).

The generated code uses NumPy only: explicit padding with ``np.pad`` (zeros; ``-inf`` for
max pooling), windows with ``np.lib.stride_tricks.sliding_window_view`` and, for Conv2D,
the same column matrix ``(C*kh*kw, n*OH*OW)`` and matrix product as the engine. Importing
this module adds the entries to :data:`~nncore.export.python_script.PY_TEMPLATES`.
"""

from __future__ import annotations

from nncore.export.python_script import PY_TEMPLATES, ScriptBuilder
from nncore.layers.base import Layer

_SWV = "np.lib.stride_tricks.sliding_window_view"


def _pad_line(layer: Layer, x: str, fill: str = "") -> tuple[list[str], str]:
    """Lines padding ``x`` (none when there is no padding) and the padded variable."""
    top, left, bottom, right = layer.pads
    if not (top or left or bottom or right):
        return [], x
    value = f", constant_values={fill}" if fill else ""
    return [f"xp = np.pad({x}, ((0, 0), (0, 0), ({top}, {bottom}), ({left}, {right}))"
            f"{value})"], "xp"


def _steps(*steps: int) -> str:
    """Slice suffix taking every ``steps[a]``-th element of the axes after the first two
    (``""`` when all are 1)."""
    parts = [f"::{st}" if st > 1 else ":" for st in steps]
    while parts and parts[-1] == ":":
        parts.pop()
    return "[:, :, " + ", ".join(parts) + "]" if parts else ""


def _windows(layer: Layer, x: str) -> str:
    """Expression for the (n, C, OH, OW, kh, kw) windows of padded ``x``."""
    (kh, kw), (sh, sw), (dh, dw) = layer.window
    eff = ((kh - 1) * dh + 1, (kw - 1) * dw + 1)
    return f"{_SWV}({x}, {eff!r}, axis=(2, 3)){_steps(sh, sw, dh, dw)}"


def _geometry_comment(layer: Layer) -> str:
    (kh, kw), (sh, sw), (dh, dw) = layer.window
    text = f"# window {kh}x{kw}, stride {sh}x{sw}"
    if (dh, dw) != (1, 1):
        text += f", dilation {dh}x{dw}"
    return text + f", {layer.config['padding']!r}: pads (t, l, b, r) {layer.pads!r}"


def _conv2d(s: ScriptBuilder, node_id: str, layer: Layer, ins: list[str], out: str
            ) -> list[str]:
    f, oh, ow = layer.output_shape
    c = layer.input_shapes[0][0]
    (kh, kw), _, _ = layer.window
    lines = [_geometry_comment(layer)]
    pad, x = _pad_line(layer, ins[0])
    lines += pad
    lines += [
        "# windows (n, C, OH, OW, kh, kw) -> columns (C*kh*kw, n*OH*OW), one matrix product",
        f"win = {_windows(layer, x)}",
        f"cols = win.transpose(1, 4, 5, 0, 2, 3).reshape({c * kh * kw}, -1)",
        f"{out} = {s.w(node_id, 'W')}.reshape({f}, -1) @ cols",
    ]
    if layer.config["use_bias"]:
        lines.append(f"{out} += {s.w(node_id, 'b')}.reshape(-1, 1)")
    lines.append(f"{out} = {out}.reshape({f}, -1, {oh}, {ow}).transpose(1, 0, 2, 3)")
    return lines + s.activate(node_id, layer, out, out)


def _maxpool2d(s: ScriptBuilder, node_id: str, layer: Layer, ins: list[str], out: str
               ) -> list[str]:
    pad, x = _pad_line(layer, ins[0], "-np.inf")
    return [_geometry_comment(layer), *pad, f"win = {_windows(layer, x)}",
            f"{out} = win.max(axis=(4, 5))"]


def _avgpool2d(s: ScriptBuilder, node_id: str, layer: Layer, ins: list[str], out: str
               ) -> list[str]:
    (kh, kw), (sh, sw), _ = layer.window
    top, left, bottom, right = layer.pads
    pad, x = _pad_line(layer, ins[0])
    lines = [_geometry_comment(layer), *pad, f"win = {_windows(layer, x)}",
             f"{out} = win.sum(axis=(4, 5))"]
    if pad:  # divide by the number of real (non-padded) cells of each window
        _, h, w = layer.input_shapes[0]
        steps = _steps(sh, sw)[len("[:, :, "):-1]
        lines += [f"ones = np.pad(np.ones(({h}, {w}), DTYPE), (({top}, {bottom}), ({left}, "
                  f"{right})))",
                  f"count = {_SWV}(ones, ({kh}, {kw}))"
                  + (f"[{steps}]" if steps else "") + ".sum(axis=(2, 3))",
                  f"{out} /= count"]
    else:
        lines.append(f"{out} /= DTYPE({kh * kw})")
    return lines


def _global_avgpool(s: ScriptBuilder, node_id: str, layer: Layer, ins: list[str], out: str
                    ) -> list[str]:
    return [f"{out} = {ins[0]}.mean(axis=(2, 3))"]


def _spatial_dropout(s: ScriptBuilder, node_id: str, layer: Layer, ins: list[str], out: str
                     ) -> list[str]:
    return [f"{out} = {ins[0]}  # identity at inference"]


PY_TEMPLATES.update({
    "Conv2D": _conv2d,
    "MaxPool2D": _maxpool2d,
    "AvgPool2D": _avgpool2d,
    "GlobalAveragePooling2D": _global_avgpool,
    "SpatialDropout2D": _spatial_dropout,
})
