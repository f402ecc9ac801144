"""ONNX converters for the recurrent and embedding layers (entries of ONNX_CONVERTERS).

* SimpleRNN, LSTM, GRU -> the ONNX ``RNN``, ``LSTM``, ``GRU`` operators (forward direction,
  zero initial state, no sequence lengths). ONNX wants time-major input (T, B, F) and
  weights per gate as (gates * hidden, F), so the batch-first input is transposed and the
  kernels are transposed and reordered: NetCanvas' LSTM blocks i, f, c, o become ONNX's
  i, o, f, c (the bias goes into ``Wb``, ``Rb`` is zero); GRU blocks z, r, h are ONNX's
  order already, ``b`` is ``Wb`` and ``rb`` is ``Rb``, and ``linear_before_reset=1``
  matches NetCanvas' "reset after" GRU. With ``return_sequences`` the output is ``Y``
  (T, 1, B, H) -> (B, T, H); otherwise the last state ``Y_h`` (1, B, H) -> (B, H).
* Embedding -> ``Gather`` on axis 0 of the table; its input is an int64 graph input (the
  layer's ``input_dtype`` is ``"int"``). ONNX runtimes reject ids outside the table.
* Dot -> ``Mul`` + ``ReduceSum`` (keepdims, output (B, 1)); with ``normalize`` each vector is
  first divided by ``sqrt(max(sum(x^2), 1e-12))``.
"""

from __future__ import annotations

import numpy as np
from onnx import helper

from nncore.export import UnsupportedLayerError, integer_inputs
from nncore.export.onnx_export import ONNX_CONVERTERS, OnnxBuilder
from nncore.layers.base import Layer

#: NetCanvas' SimpleRNN activations and the ONNX RNN activation names (with alpha, beta).
RNN_ACTIVATIONS: dict[str, tuple[str, dict]] = {
    "tanh": ("Tanh", {}),
    "relu": ("Relu", {}),
    "sigmoid": ("Sigmoid", {}),
    "linear": ("Affine", {"activation_alpha": [1.0], "activation_beta": [0.0]}),
}


def _gate_blocks(a: np.ndarray, order: list[int], units: int) -> np.ndarray:
    """Reorder the gate blocks along the last axis of ``a``."""
    return np.concatenate([a[..., g * units:(g + 1) * units] for g in order], axis=-1)


def _recurrent(b: OnnxBuilder, node_id: str, layer: Layer, x: str, op_type: str,
               W: np.ndarray, U: np.ndarray, bias: np.ndarray, **attrs) -> str:
    """Append Transpose -> <op_type> -> output reshaping; W (F, gH), U (H, gH), bias (2gH,)."""
    units = layer.config["units"]
    xt = b.op("Transpose", [x], f"{node_id}/time_major", perm=[1, 0, 2])
    w = b.const(f"{node_id}/W_onnx", W.T[None])
    r = b.const(f"{node_id}/R_onnx", U.T[None])
    bb = b.const(f"{node_id}/B_onnx", bias[None])
    seq = layer.config["return_sequences"]
    out = b.fresh(f"{node_id}/Y" if seq else f"{node_id}/Y_h")
    outputs = [out] if seq else ["", out]
    node = helper.make_node(op_type, [xt, w, r, bb], outputs,
                            name=b._node_name(f"{node_id}:{op_type}"), hidden_size=units,
                            **attrs)
    b.nodes.append(node)
    b.producer[out] = node
    if seq:  # (T, 1, B, H) -> (B, T, 1, H) -> (B, T, H)
        y = b.op("Transpose", [out], f"{node_id}/batch_major", perm=[2, 0, 1, 3])
        return b.op("Squeeze", [y, b.const(f"{node_id}/axis", [2], np.int64)], node_id)
    return b.op("Squeeze", [out, b.const(f"{node_id}/axis", [0], np.int64)], node_id)


def _simple_rnn(b: OnnxBuilder, node_id: str, layer: Layer, inputs: list[str]) -> str:
    w = layer.weights
    act, extra = RNN_ACTIVATIONS[layer.config["activation"]]
    bias = np.concatenate([w["b"], np.zeros_like(w["b"])])
    return _recurrent(b, node_id, layer, inputs[0], "RNN", w["W"], w["U"], bias,
                      activations=[act], **extra)


def _lstm(b: OnnxBuilder, node_id: str, layer: Layer, inputs: list[str]) -> str:
    w, u = layer.weights, layer.config["units"]
    order = [0, 3, 1, 2]  # NetCanvas i, f, c, o -> ONNX i, o, f, c
    bias = _gate_blocks(w["b"], order, u)
    return _recurrent(b, node_id, layer, inputs[0], "LSTM", _gate_blocks(w["W"], order, u),
                      _gate_blocks(w["U"], order, u),
                      np.concatenate([bias, np.zeros_like(bias)]))


def _gru(b: OnnxBuilder, node_id: str, layer: Layer, inputs: list[str]) -> str:
    w = layer.weights  # z, r, h: ONNX's order
    return _recurrent(b, node_id, layer, inputs[0], "GRU", w["W"], w["U"],
                      np.concatenate([w["b"], w["rb"]]), linear_before_reset=1)


def _embedding(b: OnnxBuilder, node_id: str, layer: Layer, inputs: list[str]) -> str:
    src = b.network.analysis.inputs[node_id][0]
    if src not in integer_inputs(b.network):
        raise UnsupportedLayerError(
            f"Embedding '{node_id}': cannot export to ONNX: its ids come from "
            f"'{src}', which is not an Input; connect the Embedding directly to an Input "
            "of ids", node_id=node_id)
    return b.op("Gather", [b.weight(node_id, layer, "embeddings"), inputs[0]], node_id, axis=0)


def _unit(b: OnnxBuilder, x: str, hint: str, eps: float) -> str:
    sq = b.op("ReduceSum", [b.op("Mul", [x, x], f"{hint}/sq"),
                            b.const(f"{hint}/axes", [1], np.int64)], f"{hint}/sumsq",
              keepdims=1)
    norm = b.op("Sqrt", [b.op("Max", [sq, b.const(f"{hint}/eps", eps)], f"{hint}/clamped")],
                f"{hint}/norm")
    return b.op("Div", [x, norm], f"{hint}/unit")


def _dot(b: OnnxBuilder, node_id: str, layer: Layer, inputs: list[str]) -> str:
    x, y = inputs
    if layer.config["normalize"]:
        x = _unit(b, x, f"{node_id}/a", layer.EPS)
        y = _unit(b, y, f"{node_id}/b", layer.EPS)
    prod = b.op("Mul", [x, y], f"{node_id}/prod")
    return b.op("ReduceSum", [prod, b.const(f"{node_id}/axes", [1], np.int64)], node_id,
                keepdims=1)


ONNX_CONVERTERS.update({
    "SimpleRNN": _simple_rnn,
    "LSTM": _lstm,
    "GRU": _gru,
    "Embedding": _embedding,
    "Dot": _dot,
})
