"""Shapes computed inside an ONNX graph (entries of :data:`nncore.onnx_import_ops.OPS`).

Exporters often compute a shape from the batch size at run time: PyTorch writes
``x.view(x.size(0), -1)`` as Shape -> Gather -> Unsqueeze -> Concat -> Reshape, and the
zero initial state of a recurrent layer as ... -> ConstantOfShape. These operators add no
layer: they are evaluated here on the known per-sample shapes, with the batch size as the
symbol "batch" (``Importer.symbolic``: a list of dims, a 1-tuple for a scalar, or
("zeros", dims) for ConstantOfShape of zeros), so the Reshape gets a constant target and
the recurrent layer a zero state.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nncore.onnx_import import Importer, Skip
from nncore.onnx_import_ops import OPS, attrs

#: ONNX dims of a tensor in each layout (see onnx_import_recurrent), from the layer's
#: per-sample output shape.
LAYOUT_DIMS = {
    "same": lambda s: ["batch", *s], "time_major": lambda s: [s[0], "batch", *s[1:]],
    "rnn_Y": lambda s: [s[0], 1, "batch", s[1]], "rnn_Y_b": lambda s: ["batch", s[0], 1, s[1]],
    "rnn_Yh": lambda s: [1, "batch", s[0]], "rnn_Yh_b": lambda s: ["batch", 1, s[0]],
}


def dims(imp: Importer, name: str) -> list | None:
    """The 1-D shape held by tensor ``name`` (symbolic or constant), or None."""
    sym = imp.symbolic.get(name)
    if isinstance(sym, list):
        return sym
    if name in imp.consts and imp.consts[name].ndim <= 1:
        return [int(v) for v in np.asarray(imp.consts[name]).reshape(-1)]
    return None


def _scalar(imp: Importer, name: str) -> Any:
    sym = imp.symbolic.get(name)
    if isinstance(sym, tuple) and len(sym) == 1:
        return sym[0]
    if name in imp.consts and imp.consts[name].size == 1:
        return int(imp.consts[name].reshape(-1)[0])
    return None


def shape(imp: Importer, node: Any) -> None:
    v = imp.value(node.input[0])
    a = attrs(node)
    imp.symbolic[node.output[0]] = LAYOUT_DIMS[v.layout](v.shape)[a.get("start", 0):
                                                                  a.get("end")]


def _symbolic_or(op: str):
    previous = OPS.get(op)

    def convert(imp: Importer, node: Any) -> None:
        if any(i in imp.symbolic for i in node.input):
            SYMBOLIC[op](imp, node)
        elif previous is not None:
            previous(imp, node)
        else:
            raise Skip(f"{op} of a layer's output (NetCanvas has no such layer)")
    return convert


def _gather(imp: Importer, node: Any) -> None:
    d, index = dims(imp, node.input[0]), imp.const(node.input[1], "index")
    if d is None or attrs(node).get("axis", 0) != 0:
        raise Skip("a gather from a computed shape NetCanvas cannot follow")
    picked = [d[int(i)] for i in index.reshape(-1)]
    imp.symbolic[node.output[0]] = (picked[0],) if index.ndim == 0 else picked


def _unsqueeze(imp: Importer, node: Any) -> None:
    value = _scalar(imp, node.input[0])
    if value is None:
        raise Skip("an unsqueeze of a computed shape NetCanvas cannot follow")
    imp.symbolic[node.output[0]] = [value]


def _concat(imp: Importer, node: Any) -> None:
    parts = [dims(imp, i) for i in node.input]
    if any(p is None for p in parts):
        raise Skip("a concatenation of computed shapes NetCanvas cannot follow")
    imp.symbolic[node.output[0]] = [d for p in parts for d in p]


def _slice(imp: Importer, node: Any) -> None:
    d = dims(imp, node.input[0])
    starts, ends = (int(imp.const(i, "bounds").reshape(-1)[0]) for i in node.input[1:3])
    if d is None or len(node.input) > 4 and node.input[4]:
        raise Skip("a slice of a computed shape NetCanvas cannot follow")
    imp.symbolic[node.output[0]] = d[starts:ends]


def _cast(imp: Importer, node: Any) -> None:
    imp.symbolic[node.output[0]] = imp.symbolic[node.input[0]]


def constant_of_shape(imp: Importer, node: Any) -> None:
    from onnx import numpy_helper

    value = [numpy_helper.to_array(a.t) for a in node.attribute if a.name == "value"]
    d = dims(imp, node.input[0])
    if d is None or (value and value[0].any()):
        raise Skip("a constant tensor other than the zero state of a recurrent layer")
    imp.symbolic[node.output[0]] = ("zeros", d)


SYMBOLIC = {"Gather": _gather, "Unsqueeze": _unsqueeze, "Concat": _concat, "Slice": _slice,
            "Cast": _cast}
OPS.update({op: _symbolic_or(op) for op in SYMBOLIC})
OPS.update({"Shape": shape, "ConstantOfShape": constant_of_shape})
