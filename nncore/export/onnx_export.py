"""Export a :class:`~nncore.network.Network` to an ONNX model.

The model computes what ``Network.predict`` computes in inference mode (activated outputs,
probabilities for softmax; Dropout is the identity; BatchNormalization uses its moving
statistics) in float32, with a dynamic batch dimension named ``batch``. One graph input per
Input node, named after the node id (or ``input_names``); one output named ``output``. If a
normaliser state is given, the model takes *raw* inputs and normalises them itself.

Conversion is table-driven: :data:`ONNX_CONVERTERS` maps a layer ``type_name`` to a function
``(builder, node_id, layer, inputs) -> output tensor name`` that appends ONNX nodes through
the :class:`OnnxBuilder`; activations likewise through :data:`ONNX_ACTIVATIONS`. Only
primitive operators available since opset 13 are used (GELU is composed from Tanh/Mul/Add),
so the graph means the same on any opset >= :data:`OPSET`.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from importlib import metadata
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from nncore.errors import ParameterError
from nncore.export import (
    EXPORT_FORMAT_VERSION,
    InputNormalization,
    UnsupportedLayerError,
    atomic_write_bytes,
    batchnorm_axis,
    check_class_names,
    check_supported,
    concat_axis,
    integer_inputs,
    resolve_normalization,
    resolve_target_scaling,
)
from nncore.layers.base import Layer

#: Default operator set (ONNX 1.12+, onnxruntime 1.12+).
OPSET = 17
#: IR version matching opset 17, so older runtimes load the file.
IR_VERSION = 8
#: Name of the batch dimension of every input and the output.
BATCH_DIM = "batch"
OUTPUT_NAME = "output"
META_PREFIX = "netcanvas."
#: Largest model protobuf can serialise in one file.
MAX_BYTES = 2**31 - 1

FLOAT = np.float32


def _unique(hint: str, used: set[str]) -> str:
    """``hint``, or ``hint_<k>`` with the smallest k not in ``used``; added to ``used``."""
    name, k = hint, 1
    while name in used:
        name = f"{hint}_{k}"
        k += 1
    used.add(name)
    return name


class OnnxBuilder:
    """Collects ONNX nodes and initializers with unique names while converting."""

    def __init__(self, network: Any) -> None:
        self.network = network
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._names: set[str] = set()
        self._node_names: set[str] = set()
        #: Producer node of each tensor created by :meth:`op` (for renaming the output).
        self.producer: dict[str, onnx.NodeProto] = {}
        #: Input node id -> tensor holding its (normalised) value; set before conversion.
        self.input_values: dict[str, str] = {}

    # -- names -------------------------------------------------------------------------
    def reserve(self, name: str) -> str:
        if name in self._names:
            raise ParameterError(f"tensor name {name!r} is used twice")
        self._names.add(name)
        return name

    def fresh(self, hint: str) -> str:
        """A tensor name not used yet, ``hint`` or ``hint_<k>``."""
        return _unique(hint, self._names)

    def _node_name(self, hint: str) -> str:
        return _unique(hint, self._node_names)

    # -- content -----------------------------------------------------------------------
    def const(self, hint: str, value: Any, dtype: Any = FLOAT) -> str:
        """Add an initializer holding ``value`` (cast to ``dtype``); return its name."""
        name = self.fresh(hint)
        arr = np.ascontiguousarray(np.asarray(value, dtype=dtype))
        self.initializers.append(numpy_helper.from_array(arr, name))
        return name

    def weight(self, node_id: str, layer: Layer, key: str) -> str:
        """Initializer ``"<node id>/<key>"`` with the layer's weight."""
        return self.const(f"{node_id}/{key}", layer.weights[key])

    def op(self, op_type: str, inputs: Sequence[str], hint: str, **attrs: Any) -> str:
        """Append one node with one output; return the output tensor name."""
        out = self.fresh(hint)
        node = helper.make_node(op_type, list(inputs), [out],
                                name=self._node_name(f"{hint}:{op_type}"), **attrs)
        self.nodes.append(node)
        self.producer[out] = node
        return out


Converter = Callable[[OnnxBuilder, str, Layer, list[str]], str]
ActivationConverter = Callable[[OnnxBuilder, str, str], str]


# ---------------------------------------------------------------------------------------------
# activations: (builder, x, hint) -> y
# ---------------------------------------------------------------------------------------------
def _gelu(b: OnnxBuilder, x: str, hint: str) -> str:
    # 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))), as nncore.activations.GELU.
    x3 = b.op("Mul", [b.op("Mul", [x, x], f"{hint}/x2"), x], f"{hint}/x3")
    cubic = b.op("Mul", [x3, b.const(f"{hint}/k", 0.044715)], f"{hint}/kx3")
    inner = b.op("Mul", [b.op("Add", [x, cubic], f"{hint}/sum"),
                         b.const(f"{hint}/c", math.sqrt(2.0 / math.pi))], f"{hint}/inner")
    t1 = b.op("Add", [b.op("Tanh", [inner], f"{hint}/tanh"), b.const(f"{hint}/one", 1.0)],
              f"{hint}/t1")
    half_x = b.op("Mul", [x, b.const(f"{hint}/half", 0.5)], f"{hint}/half_x")
    return b.op("Mul", [half_x, t1], hint)


def _silu(b: OnnxBuilder, x: str, hint: str) -> str:
    return b.op("Mul", [x, b.op("Sigmoid", [x], f"{hint}/sigmoid")], hint)


ONNX_ACTIVATIONS: dict[str, ActivationConverter] = {
    "linear": lambda b, x, hint: x,
    "sigmoid": lambda b, x, hint: b.op("Sigmoid", [x], hint),
    "tanh": lambda b, x, hint: b.op("Tanh", [x], hint),
    "relu": lambda b, x, hint: b.op("Relu", [x], hint),
    "leaky_relu": lambda b, x, hint: b.op("LeakyRelu", [x], hint, alpha=0.01),
    "elu": lambda b, x, hint: b.op("Elu", [x], hint, alpha=1.0),
    "gelu": _gelu,
    "softplus": lambda b, x, hint: b.op("Softplus", [x], hint),
    "silu": _silu,
    # Opset >= 13: softmax over the single given axis (the last one, as the engine).
    "softmax": lambda b, x, hint: b.op("Softmax", [x], hint, axis=-1),
}


def activation(b: OnnxBuilder, node_id: str, layer: Layer, x: str) -> str:
    """Apply ``layer``'s activation to tensor ``x`` (always, as ``predict`` does)."""
    name = layer.activation_name or "linear"
    try:
        conv = ONNX_ACTIVATIONS[name]
    except KeyError:
        raise UnsupportedLayerError(
            f"{layer.type_name} '{node_id}': cannot export activation {name!r} to ONNX "
            f"(supported: {', '.join(ONNX_ACTIVATIONS)})", node_id=node_id) from None
    return conv(b, x, f"{node_id}/{name}")


# ---------------------------------------------------------------------------------------------
# layers: (builder, node_id, layer, input tensor names) -> output tensor name
# ---------------------------------------------------------------------------------------------
def _input(b: OnnxBuilder, node_id: str, layer: Layer, inputs: list[str]) -> str:
    # The graph input and its normalisation are created by export_onnx before conversion.
    return b.input_values[node_id]


def _dense(b: OnnxBuilder, node_id: str, layer: Layer, inputs: list[str]) -> str:
    (x,) = inputs
    w = b.weight(node_id, layer, "W")  # (in, out): y = x @ W + b
    if layer.config["use_bias"]:
        z = b.op("Gemm", [x, w, b.weight(node_id, layer, "b")], f"{node_id}/z")
    else:
        z = b.op("MatMul", [x, w], f"{node_id}/z")
    return activation(b, node_id, layer, z)


def _activation(b: OnnxBuilder, node_id: str, layer: Layer, inputs: list[str]) -> str:
    return activation(b, node_id, layer, inputs[0])


def _identity(b: OnnxBuilder, node_id: str, layer: Layer, inputs: list[str]) -> str:
    return inputs[0]


def _batchnorm(b: OnnxBuilder, node_id: str, layer: Layer, inputs: list[str]) -> str:
    (x,) = inputs
    eps = layer.config["epsilon"]
    if batchnorm_axis(layer) == 1:
        # Flat (n, F) and images (n, C, H, W): features are ONNX's channel axis 1.
        ins = [b.weight(node_id, layer, k) for k in ("gamma", "beta", "moving_mean",
                                                     "moving_var")]
        return b.op("BatchNormalization", [x, *ins], node_id, epsilon=float(eps))
    # Sequences (n, T, F): features on the last axis, which ONNX's operator cannot take;
    # the engine's own arithmetic, with its float32 1/sqrt(var + eps).
    w = layer.weights
    inv_std = (1.0 / np.sqrt(w["moving_var"] + eps)).astype(FLOAT)
    xc = b.op("Sub", [x, b.weight(node_id, layer, "moving_mean")], f"{node_id}/centered")
    xhat = b.op("Mul", [xc, b.const(f"{node_id}/inv_std", inv_std)], f"{node_id}/xhat")
    scaled = b.op("Mul", [xhat, b.weight(node_id, layer, "gamma")], f"{node_id}/scaled")
    return b.op("Add", [scaled, b.weight(node_id, layer, "beta")], node_id)


def _flatten(b: OnnxBuilder, node_id: str, layer: Layer, inputs: list[str]) -> str:
    return b.op("Flatten", inputs, node_id, axis=1)


def _reshape(b: OnnxBuilder, node_id: str, layer: Layer, inputs: list[str]) -> str:
    # 0 copies the batch dimension from the input (allowzero=0).
    shape = b.const(f"{node_id}/shape", [0, *layer.config["target_shape"]], np.int64)
    return b.op("Reshape", [inputs[0], shape], node_id)


def _add(b: OnnxBuilder, node_id: str, layer: Layer, inputs: list[str]) -> str:
    out = inputs[0]
    for i, x in enumerate(inputs[1:]):  # left to right, as the engine sums
        out = b.op("Add", [out, x], node_id if i == len(inputs) - 2 else f"{node_id}/sum{i}")
    return out


def _concatenate(b: OnnxBuilder, node_id: str, layer: Layer, inputs: list[str]) -> str:
    return b.op("Concat", inputs, node_id, axis=concat_axis(layer))


#: Layer type_name -> converter. New layer types add one entry.
ONNX_CONVERTERS: dict[str, Converter] = {
    "Input": _input,
    "Dense": _dense,
    "Activation": _activation,
    "Dropout": _identity,
    "BatchNormalization": _batchnorm,
    "Flatten": _flatten,
    "Reshape": _reshape,
    "Add": _add,
    "Concatenate": _concatenate,
}


# ---------------------------------------------------------------------------------------------
# the export
# ---------------------------------------------------------------------------------------------
def _input_names(network: Any, input_names: Any) -> dict[str, str]:
    ids = list(network.input_ids)
    if input_names is None:
        names = {i: i for i in ids}
    elif isinstance(input_names, Mapping):
        unknown = [k for k in input_names if k not in ids]
        if unknown:
            raise ParameterError(f"input_names: {unknown[0]!r} is not an Input of the network "
                                 f"(inputs: {', '.join(ids)})")
        names = {i: input_names.get(i, i) for i in ids}
    elif isinstance(input_names, Sequence) and not isinstance(input_names, str):
        if len(input_names) != len(ids):
            raise ParameterError(f"input_names has {len(input_names)} names, the network has "
                                 f"{len(ids)} inputs ({', '.join(ids)})")
        names = dict(zip(ids, input_names))
    else:
        raise ParameterError("input_names must be a list of names (one per Input, in the "
                             "order of network.input_ids) or a dict {input id: name}")
    for i, n in names.items():
        if not isinstance(n, str) or not n:
            raise ParameterError(f"input_names: the name for Input '{i}' must be a non-empty "
                                 f"string, got {n!r}")
    if len(set(names.values())) != len(names):
        raise ParameterError(f"input_names must be unique, got {list(names.values())}")
    return names


def _normalize(b: OnnxBuilder, x: str, norm: InputNormalization, hint: str) -> str:
    if norm.identity:
        return x
    shape = norm.broadcast_shape()[1:]
    off = b.const(f"{hint}/offset", norm.offset.reshape(shape))
    scale = b.const(f"{hint}/scale", norm.scale.reshape(shape))
    centered = b.op("Sub", [x, off], f"{hint}/centered")
    return b.op("Div", [centered, scale], f"{hint}/normalized")


def _producer_version() -> str:
    try:
        return metadata.version("netcanvas")
    except metadata.PackageNotFoundError:
        return "0"


def _graph_inputs(b: OnnxBuilder, network: Any, names: dict[str, str],
                  norms: dict[str, InputNormalization], ints: set[str]
                  ) -> tuple[list[onnx.ValueInfoProto], list[dict[str, Any]]]:
    """One graph input per Input node (normalised in the graph when it has statistics):
    the value infos and their metadata. Sets ``b.input_values``."""
    graph_inputs, inputs_meta = [], []
    for node_id in network.input_ids:
        name = b.reserve(names[node_id])
        shape = [BATCH_DIM, *network.shapes[node_id]]
        elem = TensorProto.INT64 if node_id in ints else TensorProto.FLOAT
        graph_inputs.append(helper.make_tensor_value_info(name, elem, shape))
        value = name
        if node_id in norms:
            value = _normalize(b, name, norms[node_id], f"{node_id}/normalize")
        b.input_values[node_id] = value
        inputs_meta.append({"name": name, "node_id": node_id,
                            "shape": list(network.shapes[node_id]),
                            "dtype": "int64" if node_id in ints else "float32",
                            "normalized_in_graph": node_id in norms})
    return graph_inputs, inputs_meta


def _convert_layers(b: OnnxBuilder, network: Any, ints: set[str]) -> str:
    """Convert every node in order; return the tensor holding the network's output."""
    values: dict[str, str] = {}
    as_float: dict[str, str] = {}  # integer inputs cast for layers that take floats
    for node_id in network.order:
        layer = network.layers[node_id]
        ins = []
        for src in network.analysis.inputs[node_id]:
            v = values[src]
            if src in ints and layer.input_dtype != "int":
                if src not in as_float:
                    as_float[src] = b.op("Cast", [v], f"{src}/as_float", to=TensorProto.FLOAT)
                v = as_float[src]
            ins.append(v)
        values[node_id] = ONNX_CONVERTERS[layer.type_name](b, node_id, layer, ins)
    return values[network.output_id]


def _unscale_targets(b: OnnxBuilder, network: Any, y: str,
                     scaling: tuple[np.ndarray, np.ndarray]) -> str:
    """``y * std + mean``, undoing the standardisation of regression targets. Each of
    mean and std is one value or one per output value, independently of the other."""
    def column(name: str, v: np.ndarray) -> str:
        return b.const(name, v.reshape(tuple(network.output_shape) if v.size > 1 else ()))
    scaled = b.op("Mul", [y, column("target/std", scaling[1])], "target/scaled")
    return b.op("Add", [scaled, column("target/mean", scaling[0])], "target/unscaled")


def _name_output(b: OnnxBuilder, final: str) -> str:
    """Name the final tensor "output": rename its producer's output, or add an Identity
    when it is a graph input (a network that only passes its input through) or used
    elsewhere. Returns the name."""
    out_name = b.fresh(OUTPUT_NAME)
    producer = b.producer.get(final)
    if producer is not None and not any(final in n.input for n in b.nodes):
        producer.output[0] = out_name
    else:
        b.nodes.append(helper.make_node("Identity", [final], [out_name],
                                        name=b._node_name("output:Identity")))
    return out_name


def _metadata(network: Any, inputs_meta: list[dict[str, Any]], out_name: str,
              names: dict[str, str], norms: dict[str, InputNormalization],
              classes: list[str] | None, scaling: tuple[np.ndarray, np.ndarray] | None
              ) -> dict[str, str]:
    """The model's ``netcanvas.*`` properties (without the prefix), as JSON strings."""
    meta = {
        "format": "netcanvas-onnx",
        "format_version": str(EXPORT_FORMAT_VERSION),
        "inputs": json.dumps(inputs_meta),
        "output": json.dumps({"name": out_name, "node_id": network.output_id,
                              "shape": list(network.output_shape),
                              "activation": network.output_activation}),
    }
    if classes is not None:
        meta["class_names"] = json.dumps(classes)
    if scaling is not None:
        meta["target_scaling"] = json.dumps({"mean": [float(v) for v in scaling[0]],
                                             "std": [float(v) for v in scaling[1]],
                                             "applied_in_graph": True})
    if norms:
        meta["normalization"] = json.dumps(
            {names[i]: {**n.to_json(), "applied_in_graph": True} for i, n in norms.items()})
    return meta


def _check_model_name(model_name: Any) -> str:
    if not isinstance(model_name, str):
        raise ParameterError(f"model_name must be a string, got {model_name!r}")
    return model_name.strip() or "netcanvas"  # unnamed projects get a default


def build_onnx_model(network: Any, *, input_names: Any = None, normalizer_state: Any = None,
                     class_names: Sequence[str] | None = None, model_name: str = "netcanvas",
                     target_scaling: Any = None) -> onnx.ModelProto:
    """Build (and check) the ONNX model of ``network`` without writing anything."""
    check_supported(network, ONNX_CONVERTERS, "ONNX")
    model_name = _check_model_name(model_name)
    names = _input_names(network, input_names)
    norms = resolve_normalization(network, normalizer_state)
    classes = check_class_names(network, class_names)
    scaling = resolve_target_scaling(network, target_scaling)
    ints = integer_inputs(network)

    b = OnnxBuilder(network)
    graph_inputs, inputs_meta = _graph_inputs(b, network, names, norms, ints)
    final = _convert_layers(b, network, ints)
    if scaling is not None:
        final = _unscale_targets(b, network, final, scaling)
    out_name = _name_output(b, final)
    graph_output = helper.make_tensor_value_info(out_name, TensorProto.FLOAT,
                                                 [BATCH_DIM, *network.output_shape])
    meta = _metadata(network, inputs_meta, out_name, names, norms, classes, scaling)

    doc = (f"NetCanvas network '{model_name}': {len(network.order)} nodes, "
           f"{network.total_params} parameters. Outputs what Network.predict returns.")
    graph = helper.make_graph(b.nodes, model_name, graph_inputs, [graph_output],
                              initializer=b.initializers, doc_string=doc)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="NetCanvas", producer_version=_producer_version(),
                              ir_version=IR_VERSION, doc_string=doc)
    helper.set_model_props(model, {META_PREFIX + k: v for k, v in meta.items()})
    if model.ByteSize() > MAX_BYTES:
        raise ParameterError(f"the network is too large for one ONNX file "
                             f"({model.ByteSize()} bytes, limit 2 GiB)")
    onnx.checker.check_model(model, full_check=True)
    return model


def export_onnx(network: Any, path: str | os.PathLike, *, input_names: Any = None,
                normalizer_state: Any = None, class_names: Sequence[str] | None = None,
                model_name: str = "netcanvas", target_scaling: Any = None) -> None:
    """Write ``network`` as an ONNX model to ``path`` (atomically).

    ``input_names``: graph input names, a list in ``network.input_ids`` order or a dict
    ``{input id: name}``; by default the Input node ids. ``normalizer_state``: a fitted
    ``nncore.data.Normalizer``, its ``to_dict()``, or ``{input id: state}``; the model then
    takes raw inputs and normalises them in the graph. ``class_names`` are stored in the
    metadata. ``target_scaling``: ``(mean, std)`` of standardised regression targets; the
    model then outputs ``predict(x) * std + mean``. Raises UnsupportedLayerError (naming
    the node) for a layer type without a converter and ParameterError for bad arguments;
    the file is then not touched.
    """
    model = build_onnx_model(network, input_names=input_names,
                             normalizer_state=normalizer_state, class_names=class_names,
                             model_name=model_name, target_scaling=target_scaling)
    atomic_write_bytes(path, model.SerializeToString())
