"""Import an ONNX model onto the canvas: its graph as NetCanvas nodes and edges, placed by
the automatic layout (:mod:`nncore.layout`), its initializers as a weights file.

:func:`import_onnx` reads a model (through :mod:`nncore.readers`; nothing in it is
executed) and converts it operator by operator with the table
:data:`nncore.onnx_import_ops.OPS` (Gemm, MatMul + Add, Conv, the pools, the activations,
BatchNormalization, Flatten, Reshape, Concat, Add, LSTM/GRU/RNN, Gather as Embedding,
Dropout, ...) after :mod:`nncore.onnx_import_patterns` has recognised the few operator
groups that form one layer (GELU and SiLU written out, the dot product, batch
normalization over a sequence's features, and the input normalization and target scaling
NetCanvas' own exports put in the graph, which become the weights file's statistics). A
linear Dense or Conv2D followed by its only consumer, an activation, becomes one node.

A model holding anything else is refused with :class:`UnsupportedModelError`, listing
every operator NetCanvas lacks (or cannot take as used) with the node names; nothing is
written then. :meth:`ImportedModel.save` writes the project and the weights as one set.
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nncore.errors import FormatError, NetCanvasError
from nncore.spec import EdgeSpec, NodeSpec

#: Largest ONNX file read (protobuf's limit for one message).
MAX_BYTES = 2**31 - 1
META_PREFIX = "netcanvas."


class UnsupportedModelError(FormatError):
    """The model holds operators NetCanvas has no layer for, or uses them in a way its
    layers cannot take. ``problems``: (operator, node name, reason) for each."""

    def __init__(self, message: str, problems: list[tuple[str, str, str]]) -> None:
        super().__init__(message)
        self.problems = problems


class Skip(Exception):
    """This ONNX node cannot be converted (the message says why)."""


class Unreached(Exception):
    """This ONNX node depends on one that could not be converted (not a problem itself)."""


@dataclass
class Value:
    """What an ONNX tensor is in NetCanvas terms: the output of node ``node``, seen by ONNX
    with per-sample ``shape``. ``layout`` says how the tensor relates to that output:
    "same", or a recurrent layer's view ("time_major": axes (T, batch, ...); "rnn_Y",
    "rnn_Yh", ...: the ONNX recurrent operators' outputs, see onnx_import_ops)."""

    node: str
    shape: tuple[int, ...]
    layout: str = "same"
    ints: bool = False


class Importer:
    """The state of one conversion: the ONNX graph, and the NetCanvas graph and weights
    being built."""

    def __init__(self, model: Any) -> None:
        from onnx import numpy_helper

        g = model.graph
        self.graph = g
        self.consts: dict[str, np.ndarray] = {t.name: numpy_helper.to_array(t)
                                              for t in g.initializer}
        for node in g.node:  # Constant nodes are initializers written another way
            if node.op_type == "Constant" and node.attribute and \
                    node.attribute[0].name == "value":
                self.consts[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
        #: Shapes computed in the graph (Shape, Gather, Concat, ...): tensor -> dims, with
        #: "batch" for the batch size; ("zeros", dims) for ConstantOfShape of zeros.
        self.symbolic: dict[str, Any] = {}
        self.uses: dict[str, list[Any]] = defaultdict(list)
        for node in g.node:
            for name in node.input:
                self.uses[name].append(node)
        self.outputs = [o.name for o in g.output]
        self.producer = {out: node for node in g.node for out in node.output if out}
        self.values: dict[str, Value] = {}
        self.nodes: list[NodeSpec] = []
        self.edges: list[EdgeSpec] = []
        self.weights: dict[str, np.ndarray] = {}
        self.shapes: dict[str, tuple[int, ...]] = {}
        self.problems: list[tuple[str, str, str]] = []
        self.meta = {p.key[len(META_PREFIX):]: p.value for p in model.metadata_props
                     if p.key.startswith(META_PREFIX)}
        #: Set by patterns: the input normalization and target scaling in the graph.
        self.normalization: dict[str, Any] | None = None
        self.target_scaling: dict[str, Any] | None = None
        self.opset = next((o.version for o in model.opset_import
                           if o.domain in ("", "ai.onnx")), 1)
        #: ONNX nodes already converted with another (id(node)), e.g. a bias Add.
        self.skip_nodes: set[int] = set()
        self._counts: Counter[str] = Counter()
        self._reshaped: dict[tuple[str, tuple[int, ...]], str] = {}

    # -- reading the ONNX graph --------------------------------------------------------
    def used(self, name: str) -> int:
        """How many times tensor ``name`` is read (a graph output counts once)."""
        return len(self.uses.get(name, ())) + (name in self.outputs)

    def const(self, name: str, what: str) -> np.ndarray:
        if name not in self.consts:
            raise Skip(f"its {what} must be a constant (an initializer)")
        return self.consts[name]

    def value(self, name: str) -> Value:
        if name in self.values:
            return self.values[name]
        if name in self.consts:
            raise Skip(f"input {name!r} is a constant where NetCanvas needs a layer's output")
        raise Unreached(name)

    def node_of(self, value: Value) -> str:
        """The NetCanvas node holding ``value`` with its ONNX shape (a Reshape is added
        when the node's own output has another shape of the same size)."""
        if value.layout != "same":
            raise Skip("its input is a recurrent operator's output in a layout NetCanvas "
                       "layers do not take (only the patterns around LSTM/GRU/RNN are)")
        if self.shapes[value.node] == value.shape:
            return value.node
        key = (value.node, value.shape)
        if key not in self._reshaped:
            self._reshaped[key] = self.add("Reshape", {"target_shape": list(value.shape)},
                                           [value.node], "reshape")
        return self._reshaped[key]

    # -- building the NetCanvas graph --------------------------------------------------
    def add(self, type_name: str, params: dict[str, Any], inputs: list[str], hint: str,
            weights: dict[str, np.ndarray] | None = None) -> str:
        """Add a node fed by ``inputs`` (node ids); returns its id. Raises Skip when the
        layer refuses its parameters or input shapes."""
        from nncore.registry import layer_class

        node_id = self._new_id(type_name, hint)
        try:
            layer = layer_class(type_name)(node_id, **params)
            shape = layer.compute_output_shape([self.shapes[i] for i in inputs])
        except NetCanvasError as e:
            raise Skip(str(e)) from None
        self.nodes.append(NodeSpec(node_id, type_name, params))
        self.edges += [EdgeSpec(i, node_id) for i in inputs]
        self.shapes[node_id] = tuple(shape)
        for k, v in (weights or {}).items():
            self.weights[f"{node_id}/{k}"] = np.ascontiguousarray(v, dtype=np.float32)
        return node_id

    def _new_id(self, type_name: str, hint: str) -> str:
        taken = {n.id for n in self.nodes}
        if hint and hint not in taken:
            return hint
        while True:
            self._counts[type_name] += 1
            candidate = f"{type_name.lower()}{self._counts[type_name]}"
            if candidate not in taken:
                return candidate

    def hint(self, node: Any, weight: str | None = None) -> str:
        """A node id for what ``node`` becomes: the prefix of a NetCanvas-style weight name
        (``dense1/W``) or of its output's name (``dense1/relu``); empty for names that are
        not ids (PyTorch's ``/0/Gemm_output_0``)."""
        for name in (weight, node.output[0] if node.output else None):
            if name and "/" in name and ":" not in name and name.split("/")[0]:
                return name.split("/")[0]
        out = node.output[0] if node.output else ""
        return out if out and all(c.isalnum() or c in "_-" for c in out) and \
            not out[0].isdigit() else ""

    def problem(self, node: Any, reason: str) -> None:
        self.problems.append((node.op_type, node.name or node.output[0], reason))


@dataclass
class ImportedModel:
    """An imported model: the project (placed on the canvas) and its weights."""

    project: Any
    network: Any
    #: Weights file metadata: normalizer, class names, task, target scaling.
    normalizer: Any = None
    class_names: list[str] | None = None
    task: str | None = None
    target_mean: Any = None
    target_std: Any = None

    def weights_bytes(self) -> bytes:
        from nncore.weights import weights_bytes

        return weights_bytes(self.network, normalizer=self.normalizer,
                             class_names=self.class_names, task=self.task,
                             project_name=self.project.name, target_mean=self.target_mean,
                             target_std=self.target_std)

    def save(self, project_path: str | os.PathLike, weights_path: str | os.PathLike) -> None:
        """Write the project file and the weights file, both or neither."""
        from nncore.fileio import OutputSet

        text = json.dumps(self.project.to_dict(), indent=2) + "\n"
        with OutputSet() as out:
            out.add_text(project_path, text)
            out.add_bytes(weights_path, self.weights_bytes())
            out.commit()


def read_onnx(path: str | os.PathLike) -> Any:
    """The ONNX model in ``path``, read with bounds and checked; FormatError otherwise."""
    import onnx
    from google.protobuf.message import DecodeError

    from nncore.readers import read_bounded

    p = Path(path)
    raw = read_bounded(p, "ONNX model", FormatError, MAX_BYTES)
    try:
        model = onnx.load_model_from_string(raw)
        onnx.checker.check_model(model)
    except (DecodeError, onnx.checker.ValidationError, ValueError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise FormatError(f"{p}: not a valid ONNX model ({first[:200]})") from None
    for t in model.graph.initializer:
        if t.data_location == onnx.TensorProto.EXTERNAL:
            raise FormatError(f"{p}: initializer {t.name!r} is stored in an external file; "
                              "NetCanvas imports self-contained models only")
    return model


def import_onnx(path: str | os.PathLike, name: str | None = None) -> ImportedModel:
    """Convert the ONNX model in ``path`` (see the module docstring). Raises FormatError
    for a file that is no valid ONNX model and UnsupportedModelError (a FormatError) for
    one holding what NetCanvas has no layer for."""
    from nncore.onnx_import_build import build_imported

    model = read_onnx(path)
    return build_imported(model, name or Path(path).stem, str(path))
