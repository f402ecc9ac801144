"""The ONNX import from a loaded model to an :class:`~nncore.onnx_import.ImportedModel`:
inputs, the groups and operators in order, the output, then the finishing touches
(activations folded into the layer before them, nodes that do not reach the output
dropped, positions from the automatic layout) and the project around the network."""

from __future__ import annotations

import json
from typing import Any

from nncore.errors import FormatError, NetCanvasError
from nncore.onnx_import import (
    ImportedModel,
    Importer,
    Skip,
    Unreached,
    UnsupportedModelError,
    Value,
)
from nncore.spec import EdgeSpec, GraphSpec, NodeSpec

#: Layer types an activation after them folds into (Conv2D takes no softmax).
FOLDS = {"Dense": None, "Conv2D": "softmax"}


def _inputs(imp: Importer) -> None:
    from onnx import TensorProto

    floats = (TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.FLOAT16)
    ints = (TensorProto.INT64, TensorProto.INT32)
    for vi in imp.graph.input:
        if vi.name in imp.consts:  # older models list their initializers as inputs
            continue
        t = vi.type.tensor_type
        dims = list(t.shape.dim)
        shape = [d.dim_value if d.HasField("dim_value") else 0 for d in dims[1:]]
        problem = None
        if t.elem_type not in floats + ints:
            problem = "its element type is neither a float nor integer ids"
        elif len(dims) < 2:
            problem = "NetCanvas inputs have a batch axis and per-sample axes"
        elif min(shape) <= 0:
            problem = "its per-sample dimensions must be fixed numbers"
        if problem:
            imp.problems.append(("graph input", vi.name, problem))
            continue
        node_id = imp.add("Input", {"shape": shape}, [], vi.name)
        imp.values[vi.name] = Value(node_id, tuple(shape), ints=t.elem_type in ints)


def _convert(imp: Importer) -> None:
    from nncore import onnx_import_recurrent, onnx_import_shapes  # noqa: F401 (operators)
    from nncore.onnx_import_ops import OPS
    from nncore.onnx_import_patterns import find_patterns

    groups, inside = find_patterns(imp)
    for i, node in enumerate(imp.graph.node):
        if i in inside or id(node) in imp.skip_nodes:
            continue
        if node.op_type == "Constant" and node.output[0] in imp.consts:
            continue  # (read when the import started)
        handler = groups.get(i) or OPS.get(node.op_type)
        if node.domain not in ("", "ai.onnx") or handler is None:
            imp.problem(node, "NetCanvas has no layer for this operator")
            continue
        try:
            handler(imp, node)
        except Skip as e:
            imp.problem(node, str(e))
        except (KeyError, IndexError, TypeError, ValueError) as e:  # a malformed node
            imp.problem(node, f"cannot read its attributes or inputs ({type(e).__name__}: "
                              f"{str(e)[:80]})")
        except Unreached:
            pass  # an input could not be converted: that node is the problem


def _output(imp: Importer) -> str | None:
    if len(imp.outputs) != 1:
        imp.problems.append(("graph output", ", ".join(imp.outputs),
                             f"NetCanvas networks have one output, this model has "
                             f"{len(imp.outputs)}"))
        return None
    name = imp.outputs[0]
    if name not in imp.values:
        if name in imp.consts:
            imp.problems.append(("graph output", name, "it is a constant"))
        return None
    try:
        node_id = imp.node_of(imp.values[name])
    except Skip as e:
        imp.problems.append(("graph output", name, str(e)))
        return None
    if not any(e.target == node_id for e in imp.edges):
        imp.problems.append(("graph output", name, "it is an input: there is no layer"))
        return None
    return node_id


def _message(source: str, problems: list[tuple[str, str, str]]) -> str:
    by_reason: dict[tuple[str, str], list[str]] = {}
    for op, name, reason in problems:
        by_reason.setdefault((op, reason), []).append(name)
    parts = [f"{op} ({'nodes' if len(names) > 1 else 'node'} "
             f"{', '.join(repr(n) for n in names)}): {reason}"
             for (op, reason), names in by_reason.items()]
    ops = sorted({op for op, _, _ in problems})
    return (f"{source}: cannot import: unsupported operators {', '.join(ops)}; "
            + "; ".join(parts))


def _fold_activations(nodes: list[NodeSpec], edges: list[EdgeSpec], output: str) -> str:
    """A linear Dense/Conv2D whose only consumer is an Activation takes it on; returns the
    output node's id afterwards."""
    by_id = {n.id: n for n in nodes}
    for act in [n for n in nodes if n.type == "Activation"]:
        feeds = [e.source for e in edges if e.target == act.id]
        src = by_id.get(feeds[0]) if len(feeds) == 1 else None
        if src is None or src.type not in FOLDS or src.params.get("activation") != "linear" \
                or act.params["activation"] == FOLDS[src.type] \
                or sum(e.source == src.id for e in edges) != 1:
            continue
        src.params["activation"] = act.params["activation"]
        edges[:] = [EdgeSpec(src.id, e.target) if e.source == act.id else e
                    for e in edges if e.target != act.id]
        nodes.remove(act)
        output = src.id if output == act.id else output
    return output


def _reaching(nodes: list[NodeSpec], edges: list[EdgeSpec], output: str) -> GraphSpec:
    """The nodes from which the output is reached (others are dropped)."""
    keep, todo = {output}, [output]
    while todo:
        n = todo.pop()
        for e in edges:
            if e.target == n and e.source not in keep:
                keep.add(e.source)
                todo.append(e.source)
    return GraphSpec([n for n in nodes if n.id in keep],
                     [e for e in edges if e.source in keep and e.target in keep])


def _project(imp: Importer, graph: GraphSpec, name: str, source: str, network: Any) -> Any:
    from nncore.config import TrainingConfig
    from nncore.project import DataSpec, Project

    act = network.output_activation
    k = network.output_shape
    loss = ("categorical_crossentropy" if act == "softmax" and len(k) == 1 and k[0] > 1
            else "binary_crossentropy" if act == "sigmoid" and k == (1,) else "mse")
    mode = imp.normalization["mode"] if imp.normalization else "none"
    data = DataSpec(normalization=mode)
    return Project(name, f"Imported from {source}; choose its data in the data panel.",
                   graph, data, TrainingConfig(loss=loss))


def build_imported(model: Any, name: str, source: str) -> ImportedModel:
    """Convert a checked ONNX model; raises UnsupportedModelError listing every problem."""
    from nncore.data import Normalizer
    from nncore.layout import layered_layout
    from nncore.network import Network
    from nncore.outputs import check_class_names

    imp = Importer(model)
    _inputs(imp)
    _convert(imp)
    output = _output(imp)
    if imp.problems or output is None:
        raise UnsupportedModelError(_message(source, imp.problems), imp.problems)
    output = _fold_activations(imp.nodes, imp.edges, output)
    graph = _reaching(imp.nodes, imp.edges, output)
    positions = layered_layout(graph, {})
    for node in graph.nodes:
        node.position = positions[node.id]
    weights = {k: v for k, v in imp.weights.items() if k.split("/")[0] in graph.ids()}
    try:
        network = Network(graph, seed=0)
        network.set_weights(weights)
        classes = check_class_names(network, json.loads(imp.meta.get("class_names", "null")))
    except NetCanvasError as e:
        raise FormatError(f"{source}: the imported network is not valid: {e}") from None
    scaling = imp.target_scaling or {}
    norm = Normalizer.from_dict(imp.normalization) if imp.normalization else None
    project = _project(imp, graph, name, source, network)
    return ImportedModel(project, network, norm, classes,
                         "classification" if project.training.task == "classification"
                         else "regression", scaling.get("mean"), scaling.get("std"))
