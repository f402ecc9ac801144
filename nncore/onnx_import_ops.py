"""ONNX operators as NetCanvas layers: :data:`OPS` maps an operator type to a function
``(importer, node)`` that adds the node's layer (see :mod:`nncore.onnx_import`) and sets
the values of its outputs, or raises ``Skip`` saying why the node cannot become one.

Recurrent operators (LSTM, GRU, RNN) take time-major input; the Transpose / Squeeze around
them (as NetCanvas' and PyTorch's exporters write them) only change how an ONNX tensor
relates to a layer's output (``Value.layout``), and add no node.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from onnx import helper

from nncore.layers.image import axis_geometry
from nncore.onnx_import import Importer, Skip, Value


def attrs(node: Any) -> dict[str, Any]:
    out = {}
    for a in node.attribute:
        v = helper.get_attribute_value(a)
        if isinstance(v, list):
            v = [x.decode() if isinstance(x, bytes) else x for x in v]
        out[a.name] = v.decode() if isinstance(v, bytes) else v
    return out


def _one(imp: Importer, node: Any, type_name: str, params: dict, hint: str = "",
         weights: dict | None = None, inputs: list[str] | None = None) -> str:
    """Add a layer fed by the node's first input (or the nodes ``inputs``); its output is
    the node's first."""
    ids = inputs if inputs is not None else [imp.node_of(imp.value(node.input[0]))]
    node_id = imp.add(type_name, params, ids, hint or imp.hint(node), weights)
    imp.values[node.output[0]] = Value(node_id, imp.shapes[node_id])
    return node_id


def _pass_through(imp: Importer, node: Any, ints: bool | None = None) -> None:
    v = imp.value(node.input[0])
    imp.values[node.output[0]] = Value(v.node, v.shape, v.layout,
                                       v.ints if ints is None else ints)


# -- activations ------------------------------------------------------------------------
def _activation(name: str) -> Callable[[Importer, Any], None]:
    def convert(imp: Importer, node: Any) -> None:
        a = attrs(node)
        if node.op_type == "LeakyRelu" and not np.isclose(a.get("alpha", 0.01), 0.01):
            raise Skip(f"alpha {a['alpha']}: NetCanvas' leaky ReLU has slope 0.01")
        if node.op_type == "Elu" and not np.isclose(a.get("alpha", 1.0), 1.0):
            raise Skip(f"alpha {a['alpha']}: NetCanvas' ELU has alpha 1")
        if node.op_type == "Gelu" and a.get("approximate", "none") != "tanh":
            raise Skip("exact GELU: NetCanvas' GELU is the tanh approximation")
        if node.op_type == "Softmax":
            rank = len(imp.value(node.input[0]).shape) + 1
            if a.get("axis", -1 if imp.opset >= 13 else 1) not in (-1, rank - 1):
                raise Skip("softmax over an axis other than the last")
        _one(imp, node, "Activation", {"activation": name})
    return convert


# -- dense ------------------------------------------------------------------------------
def _dense(imp: Importer, node: Any, w: np.ndarray, b: np.ndarray | None,
           out_name: str) -> None:
    src = imp.value(node.input[0])
    if len(src.shape) != 1:
        raise Skip(f"a matrix product of a per-sample shape {src.shape}: NetCanvas' Dense "
                   "takes flat inputs")
    if w.ndim != 2 or w.shape[0] != src.shape[0]:
        raise Skip(f"weights of shape {w.shape} do not fit inputs of {src.shape[0]} values")
    weights = {"W": w} if b is None else {"W": w, "b": np.broadcast_to(b.reshape(-1),
                                                                         (w.shape[1],))}
    node_id = imp.add("Dense", {"units": int(w.shape[1]), "activation": "linear",
                                "use_bias": b is not None}, [imp.node_of(src)],
                      imp.hint(node, node.input[1]), weights)
    imp.values[out_name] = Value(node_id, imp.shapes[node_id])


def gemm(imp: Importer, node: Any) -> None:
    a = attrs(node)
    if a.get("transA", 0):
        raise Skip("transA=1 (the batch would be the second axis)")
    w = imp.const(node.input[1], "weight matrix B").astype(np.float64)
    w = (w.T if a.get("transB", 0) else w) * a.get("alpha", 1.0)
    b = None
    if len(node.input) > 2 and node.input[2]:
        b = imp.const(node.input[2], "bias C").astype(np.float64) * a.get("beta", 1.0)
        if b.size not in (1, w.shape[1]):
            raise Skip(f"bias of shape {b.shape} for {w.shape[1]} outputs")
    _dense(imp, node, w, b, node.output[0])


def matmul(imp: Importer, node: Any) -> None:
    """x @ W, and the Add of a bias vector right after it (its only use) as the bias."""
    w = imp.const(node.input[1], "second operand")
    out, b = node.output[0], None
    uses = imp.uses.get(out, [])
    if len(uses) == 1 and imp.used(out) == 1 and uses[0].op_type == "Add":
        add = uses[0]
        other = add.input[1] if add.input[0] == out else add.input[0]
        if other in imp.consts and imp.consts[other].size == w.shape[-1]:
            b, out = imp.consts[other], add.output[0]
            imp.skip_nodes.add(id(add))
    _dense(imp, node, w, b, out)


def add(imp: Importer, node: Any) -> None:
    vals = [imp.value(n) for n in node.input]  # constants: Skip
    ids = [imp.node_of(v) for v in vals]
    _one(imp, node, "Add", {}, inputs=ids)


def concat(imp: Importer, node: Any) -> None:
    vals = [imp.value(n) for n in node.input]
    axis = attrs(node)["axis"]
    rank = len(vals[0].shape) + 1
    if axis == 0 or axis == -rank:
        raise Skip("concatenation along the batch axis")
    _one(imp, node, "Concatenate", {"axis": axis - 1 if axis > 0 else axis},
         inputs=[imp.node_of(v) for v in vals])


# -- shapes -----------------------------------------------------------------------------
def flatten(imp: Importer, node: Any) -> None:
    if attrs(node).get("axis", 1) != 1:
        raise Skip("flattening from an axis other than 1 (NetCanvas keeps the batch axis)")
    v = imp.value(node.input[0])
    size = int(np.prod(v.shape))
    if v.layout == "same" and imp.shapes[v.node] == (size,):
        imp.values[node.output[0]] = Value(v.node, (size,))  # flat already
    else:
        _one(imp, node, "Flatten", {})


def reshape(imp: Importer, node: Any) -> None:
    from nncore.onnx_import_shapes import dims

    v = imp.value(node.input[0])
    shape = dims(imp, node.input[1])
    if shape is None:
        raise Skip("its target shape is neither a constant nor computed from known shapes")
    shape = [0 if i == 0 and d == "batch" else d for i, d in enumerate(shape)]
    if any(isinstance(d, str) for d in shape):
        raise Skip(f"target shape {shape}: the batch size may only be the first")
    if attrs(node).get("allowzero", 0):
        raise Skip("allowzero=1")
    if not shape or shape[0] not in (0, -1) or (shape[0] == -1 and -1 in shape[1:]):
        raise Skip(f"target shape {shape}: the batch axis must stay (0 or -1 first)")
    rest = [v.shape[i] if d == 0 and i < len(v.shape) else d
            for i, d in enumerate(shape[1:])]
    size = int(np.prod(v.shape))
    if rest.count(-1) == 1:
        known = int(np.prod([d for d in rest if d != -1]))
        rest[rest.index(-1)] = size // known if known else 0
    if int(np.prod(rest)) != size or min(rest, default=1) <= 0:
        raise Skip(f"cannot reshape {v.shape} into {shape[1:]}")
    target = tuple(rest)
    if v.layout == "same" and imp.shapes[v.node] == target:
        imp.values[node.output[0]] = Value(v.node, target)
    else:
        _one(imp, node, "Reshape", {"target_shape": list(target)})


def identity(imp: Importer, node: Any) -> None:
    _pass_through(imp, node)


def cast(imp: Importer, node: Any) -> None:
    from onnx import TensorProto

    to = attrs(node)["to"]
    if to not in (TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.FLOAT16):
        raise Skip("a cast to a type other than floats")
    _pass_through(imp, node, ints=False)  # NetCanvas feeds ids to float layers as floats


def dropout(imp: Importer, node: Any) -> None:
    rate = attrs(node).get("ratio", 0.5)
    if len(node.input) > 1 and node.input[1]:
        rate = float(imp.const(node.input[1], "ratio"))
    if any(o and imp.used(o) for o in node.output[1:]):
        raise Skip("its mask output is used")
    _one(imp, node, "Dropout", {"rate": float(min(max(rate, 0.0), 0.95))})


# -- convolution and pooling ------------------------------------------------------------
def _padding(node: Any, a: dict, shape: tuple, kernel: list, strides: list,
             dilation: list) -> tuple[str, bool]:
    """('valid' or 'same', whether that pads at all) for the node's pads on inputs of
    ``shape`` (C, H, W); Skip when they are neither (NetCanvas' 'same' puts an odd pixel
    after)."""
    auto = a.get("auto_pad", "NOTSET")
    same = [axis_geometry(size, k, s, d, "same")
            for size, k, s, d in zip(shape[1:], kernel, strides, dilation)]
    want = [same[0].pad_before, same[1].pad_before, same[0].pad_after, same[1].pad_after]
    if auto == "VALID":
        return "valid", False
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        pads = want if auto == "SAME_UPPER" else want[2:] + want[:2]
    else:
        pads = list(a.get("pads", [0, 0, 0, 0]))
    if not any(pads):
        return "valid", False
    if pads == want:
        return "same", True
    raise Skip(f"pads {pads} are neither 'valid' nor NetCanvas' 'same' ({want}: the odd "
               "pixel after)")


def _window(imp: Importer, node: Any, kernel: list | None = None) -> tuple:
    v = imp.value(node.input[0])
    if len(v.shape) != 3:
        raise Skip(f"input of per-sample shape {v.shape}: NetCanvas' image layers take "
                   "(C, H, W)")
    a = attrs(node)
    kernel = list(kernel if kernel is not None else a["kernel_shape"])
    strides = list(a.get("strides", [1, 1]))
    dilation = list(a.get("dilations", [1, 1]))
    if a.get("ceil_mode", 0):
        raise Skip("ceil_mode=1")
    padding, padded = _padding(node, a, v.shape, kernel, strides, dilation)
    return v, a, kernel, strides, dilation, padding, padded


def conv(imp: Importer, node: Any) -> None:
    w = imp.const(node.input[1], "kernel")
    if w.ndim != 4:
        raise Skip(f"a {w.ndim - 2}-D convolution (NetCanvas' Conv2D is 2-D)")
    if attrs(node).get("group", 1) != 1:
        raise Skip(f"group={attrs(node)['group']} (NetCanvas convolutions have group 1)")
    v, a, kernel, strides, dilation, padding, _ = _window(imp, node, list(w.shape[2:]))
    weights = {"W": w}
    if len(node.input) > 2 and node.input[2]:
        weights["b"] = imp.const(node.input[2], "bias")
    params = {"filters": int(w.shape[0]), "kernel_size": kernel, "strides": strides,
              "dilation_rate": dilation, "padding": padding, "activation": "linear",
              "use_bias": "b" in weights}
    _one(imp, node, "Conv2D", params, imp.hint(node, node.input[1]), weights)


def pool(type_name: str) -> Callable[[Importer, Any], None]:
    def convert(imp: Importer, node: Any) -> None:
        v, a, kernel, strides, dilation, padding, padded = _window(imp, node)
        if dilation != [1, 1]:
            raise Skip(f"dilations {dilation} (NetCanvas pools are not dilated)")
        if a.get("storage_order", 0) or any(imp.used(o) for o in node.output[1:] if o):
            raise Skip("its indices output is used")
        if padded and a.get("count_include_pad", 0):
            raise Skip("count_include_pad=1 (NetCanvas averages real pixels only)")
        _one(imp, node, type_name, {"pool_size": kernel, "strides": strides,
                                    "padding": padding})
    return convert


def global_average_pool(imp: Importer, node: Any) -> None:
    v = imp.value(node.input[0])
    _one(imp, node, "GlobalAveragePooling2D", {})
    imp.values[node.output[0]] = Value(imp.values[node.output[0]].node, (v.shape[0], 1, 1))


def batch_norm(imp: Importer, node: Any) -> None:
    v = imp.value(node.input[0])
    if len(v.shape) == 2:
        raise Skip("normalization over axis 1 of a sequence (NetCanvas normalizes a "
                   "sequence's features, its last axis)")
    if any(imp.used(o) for o in node.output[1:] if o):
        raise Skip("training-mode outputs are used")
    a = attrs(node)
    names = ("gamma", "beta", "moving_mean", "moving_var")
    weights = {k: imp.const(n, k) for k, n in zip(names, node.input[1:5])}
    params = {"momentum": float(min(max(a.get("momentum", 0.99), 0.0), 0.9999)),
              "epsilon": float(a.get("epsilon", 1e-5))}
    _one(imp, node, "BatchNormalization", params, imp.hint(node, node.input[1]), weights)


def gather(imp: Importer, node: Any) -> None:
    table = imp.const(node.input[0], "table (data)")
    if attrs(node).get("axis", 0) != 0 or table.ndim != 2:
        raise Skip("a gather other than rows of a 2-D table (an Embedding)")
    ids = imp.value(node.input[1])
    if not ids.ints:
        raise Skip("its indices are not integer ids from an input")
    _one(imp, node, "Embedding", {"input_dim": int(table.shape[0]),
                                  "output_dim": int(table.shape[1])},
         imp.hint(node, node.input[0]), {"embeddings": table}, [ids.node])


OPS: dict[str, Callable[[Importer, Any], None]] = {
    "Gemm": gemm, "MatMul": matmul, "Add": add, "Sum": add, "Concat": concat,
    "Flatten": flatten, "Reshape": reshape, "Identity": identity, "Cast": cast,
    "Dropout": dropout, "Conv": conv, "MaxPool": pool("MaxPool2D"),
    "AveragePool": pool("AvgPool2D"), "GlobalAveragePool": global_average_pool,
    "BatchNormalization": batch_norm, "Gather": gather,
    "Relu": _activation("relu"), "Sigmoid": _activation("sigmoid"),
    "Tanh": _activation("tanh"), "Softmax": _activation("softmax"),
    "LeakyRelu": _activation("leaky_relu"), "Elu": _activation("elu"),
    "Softplus": _activation("softplus"), "Gelu": _activation("gelu"),
}
