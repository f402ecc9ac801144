"""ONNX LSTM, GRU and RNN as NetCanvas' recurrent layers (entries of
:data:`nncore.onnx_import_ops.OPS`).

The ONNX operators read time-major sequences (T, batch, features) unless ``layout=1``, and
output every state ``Y`` (T, 1, batch, units) and the last one ``Y_h`` (1, batch, units).
NetCanvas' layers are batch-first and output one of the two. So the Transpose and Squeeze
(or a Gather of the only direction) that exporters write around them add no layer: they
only change how the ONNX tensor relates to the layer's output (``Value.layout``), and a
layer's ``return_sequences`` follows from which output the model uses. Gate blocks are
reordered to NetCanvas' (LSTM: ONNX i, o, f, c -> i, f, c, o; GRU z, r, h as is) and the
two ONNX biases summed (GRU keeps the recurrent one as ``rb``: NetCanvas' GRU is "reset
after", ONNX ``linear_before_reset=1``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nncore.onnx_import import Importer, Skip, Value
from nncore.onnx_import_ops import OPS, attrs

#: (layout of the input, perm) -> layout of the transposed tensor.
TRANSPOSES = {("same", (1, 0, 2)): "time_major", ("time_major", (1, 0, 2)): "same",
              ("rnn_Y", (2, 0, 1, 3)): "rnn_Y_b"}
#: (layout, squeezed axes) -> layout of the result.
SQUEEZES = {("rnn_Yh", (0,)): "same", ("rnn_Y", (1,)): "time_major",
            ("rnn_Y_b", (2,)): "same", ("rnn_Yh_b", (1,)): "same"}
#: Rank of each layout's tensor (for negative axes).
RANKS = {"same": 3, "time_major": 3, "rnn_Y": 4, "rnn_Y_b": 4, "rnn_Yh": 3, "rnn_Yh_b": 3}
#: SimpleRNN activations by ONNX name.
RNN_ACTIVATIONS = {"Tanh": "tanh", "Relu": "relu", "Sigmoid": "sigmoid", "Affine": "linear"}
DEFAULT_ACTIVATIONS = {"LSTM": ["Sigmoid", "Tanh", "Tanh"], "GRU": ["Sigmoid", "Tanh"],
                       "RNN": ["Tanh"]}


def _blocks(a: np.ndarray, order: list[int], units: int) -> np.ndarray:
    return np.concatenate([a[..., g * units:(g + 1) * units] for g in order], axis=-1)


def _zero_or_absent(imp: Importer, node: Any, index: int, what: str) -> None:
    if len(node.input) > index and node.input[index]:
        name = node.input[index]
        sym = imp.symbolic.get(name)
        if isinstance(sym, tuple) and sym[0] == "zeros":
            return
        a = imp.consts.get(name)
        if a is None or a.any():
            raise Skip(f"{what}: NetCanvas' recurrent layers start from zero states and "
                       "have no peepholes")


def _check(imp: Importer, node: Any, a: dict) -> None:
    if a.get("direction", "forward") != "forward":
        raise Skip(f"direction {a['direction']!r} (NetCanvas' layers run forward)")
    if a.get("clip") is not None or a.get("input_forget", 0):
        raise Skip("clip / input_forget")
    if len(node.input) > 4 and node.input[4]:
        raise Skip("sequence_lens (NetCanvas' sequences have one length)")
    _zero_or_absent(imp, node, 5, "initial_h")
    _zero_or_absent(imp, node, 6, "initial_c")
    _zero_or_absent(imp, node, 7, "peepholes P")
    acts = a.get("activations", DEFAULT_ACTIVATIONS[node.op_type])
    if node.op_type == "RNN":
        if acts[0] not in RNN_ACTIVATIONS or (acts[0] == "Affine" and (
                a.get("activation_alpha", [1.0])[0], a.get("activation_beta", [0.0])[0])
                != (1.0, 0.0)):
            raise Skip(f"activation {acts[0]} (NetCanvas' SimpleRNN has tanh, relu, sigmoid, "
                       "linear)")
    elif list(acts) != DEFAULT_ACTIVATIONS[node.op_type]:
        raise Skip(f"activations {list(acts)} (NetCanvas' {node.op_type} uses "
                   f"{DEFAULT_ACTIVATIONS[node.op_type]})")
    if node.op_type == "GRU" and not a.get("linear_before_reset", 0):
        raise Skip("linear_before_reset=0 (NetCanvas' GRU resets after the recurrent "
                   "product: linear_before_reset=1)")


def _weights(imp: Importer, node: Any, units: int) -> dict[str, np.ndarray]:
    g = {"LSTM": 4, "GRU": 3, "RNN": 1}[node.op_type]
    W = imp.const(node.input[1], "weights W")[0].T.astype(np.float64)
    R = imp.const(node.input[2], "recurrence R")[0].T.astype(np.float64)
    B = (imp.const(node.input[3], "bias B")[0].astype(np.float64)
         if len(node.input) > 3 and node.input[3] else np.zeros(2 * g * units))
    wb, rb = B[:g * units], B[g * units:]
    if node.op_type == "GRU":
        return {"W": W, "U": R, "b": wb, "rb": rb}
    if node.op_type == "LSTM":
        order = [0, 2, 3, 1]  # ONNX i, o, f, c -> NetCanvas i, f, c, o
        return {"W": _blocks(W, order, units), "U": _blocks(R, order, units),
                "b": _blocks(wb + rb, order, units)}
    return {"W": W, "U": R, "b": wb + rb}


def recurrent(imp: Importer, node: Any) -> None:
    a = attrs(node)
    _check(imp, node, a)
    batch_first = bool(a.get("layout", 0))
    x = imp.value(node.input[0])
    if x.layout != ("same" if batch_first else "time_major") or len(x.shape) != 2 or \
            imp.shapes[x.node] != x.shape:
        raise Skip("its input must be a batch-first sequence, transposed to time-major "
                   "(or layout=1)")
    used = [bool(o) and imp.used(o) > 0 for o in list(node.output) + ["", "", ""]][:3]
    if used[2] or (used[0] and used[1]):
        raise Skip("it outputs the cell state, or both every state and the last one")
    units = int(a["hidden_size"])
    params: dict[str, Any] = {"units": units, "return_sequences": used[0]}
    if node.op_type == "RNN":
        params["activation"] = RNN_ACTIVATIONS[a.get("activations", ["Tanh"])[0]]
    type_name = {"LSTM": "LSTM", "GRU": "GRU", "RNN": "SimpleRNN"}[node.op_type]
    node_id = imp.add(type_name, params, [x.node], imp.hint(node, node.input[1]),
                      _weights(imp, node, units))
    layout = ("rnn_Y" if used[0] else "rnn_Yh") + ("_b" if batch_first else "")
    imp.values[node.output[0 if used[0] else 1]] = Value(node_id, imp.shapes[node_id],
                                                         layout)


def transpose(imp: Importer, node: Any) -> None:
    v = imp.value(node.input[0])
    perm = tuple(attrs(node).get("perm", range(RANKS.get(v.layout, 3) - 1, -1, -1)))
    new = TRANSPOSES.get((v.layout, perm))
    if new is None or (v.layout == "same" and len(v.shape) != 2):
        raise Skip(f"a transpose {list(perm)} (NetCanvas has no such layer; only those "
                   "around recurrent operators are taken)")
    node_id = imp.node_of(v) if v.layout == "same" else v.node
    imp.values[node.output[0]] = Value(node_id, v.shape, new)


def _squeezed(imp: Importer, node: Any, v: Value, axes: list[int]) -> None:
    rank = RANKS.get(v.layout, len(v.shape) + 1)
    new = SQUEEZES.get((v.layout, tuple(sorted(a % rank for a in axes))))
    if new is None:
        raise Skip("a squeeze NetCanvas has no layer for (only those around recurrent "
                   "operators are taken)")
    imp.values[node.output[0]] = Value(v.node, v.shape, new)


def squeeze(imp: Importer, node: Any) -> None:
    v = imp.value(node.input[0])
    axes = attrs(node).get("axes")
    if len(node.input) > 1 and node.input[1]:
        axes = [int(i) for i in imp.const(node.input[1], "axes")]
    _squeezed(imp, node, v, list(axes or []))


def gather_direction(imp: Importer, node: Any) -> None:
    """Gather of the only direction of Y_h (``h[0]`` / ``h[-1]`` in PyTorch) is a squeeze;
    any other Gather is an Embedding."""
    v = imp.values.get(node.input[0])
    if v is None or v.layout != "rnn_Yh":
        OPS_GATHER(imp, node)
        return
    index = imp.const(node.input[1], "index")
    if index.ndim != 0 or int(index) not in (0, -1) or attrs(node).get("axis", 0) != 0:
        raise Skip("a gather of Y_h other than its only direction")
    _squeezed(imp, node, v, [0])


OPS_GATHER = OPS["Gather"]
OPS.update({"LSTM": recurrent, "GRU": recurrent, "RNN": recurrent, "Transpose": transpose,
            "Squeeze": squeeze, "Gather": gather_direction})
