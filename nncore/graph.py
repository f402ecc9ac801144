"""Validation and shape inference of a :class:`~nncore.spec.GraphSpec`.

:func:`analyze` never raises: it collects every problem it can find (so the canvas can mark
each bad node) together with the topological order, per-node output shapes and parameter
counts of the nodes it could resolve. :func:`check` raises the first problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nncore.errors import ConnectionError_, CycleError, NetCanvasError, SpecError
from nncore.layers.base import Layer, Shape
from nncore.registry import layer_class
from nncore.spec import GraphSpec


@dataclass
class GraphAnalysis:
    #: Node ids in a valid execution order (only nodes that are part of no cycle).
    order: list[str] = field(default_factory=list)
    layers: dict[str, Layer] = field(default_factory=dict)
    inputs: dict[str, list[str]] = field(default_factory=dict)
    shapes: dict[str, Shape] = field(default_factory=dict)
    #: (trainable, total) per node.
    params: dict[str, tuple[int, int]] = field(default_factory=dict)
    errors: list[SpecError] = field(default_factory=list)
    input_ids: list[str] = field(default_factory=list)
    output_id: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def errors_for(self, node_id: str) -> list[str]:
        return [str(e) for e in self.errors if e.node_id == node_id]

    @property
    def total_params(self) -> int:
        return sum(t for _, t in self.params.values())

    @property
    def trainable_params(self) -> int:
        return sum(t for t, _ in self.params.values())


def analyze(graph: GraphSpec) -> GraphAnalysis:
    a = GraphAnalysis()
    err = a.errors.append

    # 1. Nodes: unique ids, known types, valid parameters.
    seen: set[str] = set()
    for node in graph.nodes:
        if not isinstance(node.id, str) or not node.id.strip():
            err(SpecError(f"a {node.type} node has an empty name", node_id=node.id))
            continue
        if node.id in seen:
            err(SpecError(f"two nodes are named {node.id!r}; names must be unique",
                          node_id=node.id))
            continue
        seen.add(node.id)
        try:
            cls = layer_class(node.type)
            layer = cls(node.id, **node.params)
        except NetCanvasError as e:
            msg = str(e)
            if not msg.startswith(f"{node.type} '{node.id}'"):
                msg = f"{node.type} '{node.id}': {msg}"
            err(SpecError(msg, node_id=node.id))
            continue
        layer.trainable = not node.frozen
        a.layers[node.id] = layer

    # 2. Edges: known endpoints, no duplicates, nothing into an Input.
    inputs: dict[str, list[str]] = {n: [] for n in a.layers}
    consumers: dict[str, list[str]] = {n: [] for n in a.layers}
    pairs: set[tuple[str, str]] = set()
    for e in graph.edges:
        if e.source not in seen or e.target not in seen:
            missing = e.source if e.source not in seen else e.target
            err(SpecError(f"connection {e.source!r} -> {e.target!r} refers to a missing node "
                          f"{missing!r}", node_id=e.target if e.target in seen else None))
            continue
        if e.source == e.target:
            err(CycleError(f"{_owner(a, e.target)}: is connected to itself",
                           node_id=e.target))
            continue
        if (e.source, e.target) in pairs:
            err(SpecError(f"{_owner(a, e.target)}: connected twice from {e.source!r}",
                          node_id=e.target))
            continue
        pairs.add((e.source, e.target))
        if e.source in a.layers and e.target in a.layers:
            inputs[e.target].append(e.source)
            consumers[e.source].append(e.target)
    a.inputs = inputs

    # 3. Topological order (Kahn); whatever is left is on or behind a cycle.
    indeg = {n: len(inputs[n]) for n in a.layers}
    ready = [n for n in a.layers if indeg[n] == 0]
    while ready:
        n = ready.pop(0)
        a.order.append(n)
        for c in consumers[n]:
            indeg[c] -= 1
            if indeg[c] == 0:
                ready.append(c)
    in_cycle = [n for n in a.layers if n not in set(a.order)]
    if in_cycle:
        names = ", ".join(repr(n) for n in in_cycle)
        for n in in_cycle:
            err(CycleError(f"{_owner(a, n)}: is part of a cycle ({names}); a network must "
                           "flow one way from inputs to the output", node_id=n))

    # 4. Input counts, reachability, outputs.
    a.input_ids = [n for n in a.order if a.layers[n].max_inputs == 0]
    if a.layers and not a.input_ids:
        err(ConnectionError_("the network has no Input layer"))
    reachable: set[str] = set()
    stack = list(a.input_ids)
    while stack:
        n = stack.pop()
        if n not in reachable:
            reachable.add(n)
            stack.extend(consumers[n])
    bad_count: set[str] = set()
    for n in a.order:
        layer, k = a.layers[n], len(inputs[n])
        lo, hi = layer.min_inputs, layer.max_inputs
        if hi == 0 and k:
            err(ConnectionError_(f"{layer.owner}: an Input layer cannot receive connections",
                                 node_id=n))
        elif k == 0 and lo > 0:
            err(ConnectionError_(f"{layer.owner}: has no input connected", node_id=n))
        elif k < lo:
            err(ConnectionError_(f"{layer.owner}: needs at least {lo} inputs, has {k}",
                                 node_id=n))
        elif hi is not None and k > hi:
            err(ConnectionError_(
                f"{layer.owner}: takes {hi} input{'s' if hi > 1 else ''}, has {k}", node_id=n))
        elif n not in reachable:
            err(ConnectionError_(f"{layer.owner}: is not connected to an Input", node_id=n))
        else:
            continue
        bad_count.add(n)
    outputs = [n for n in a.order if not consumers[n] and a.layers[n].max_inputs != 0]
    if len(outputs) == 1:
        a.output_id = outputs[0]
    elif len(outputs) > 1:
        names = ", ".join(repr(n) for n in outputs)
        for n in outputs:
            err(ConnectionError_(f"{a.layers[n].owner}: the network has {len(outputs)} "
                                 f"outputs ({names}); it must end in exactly one layer",
                                 node_id=n))
    elif a.layers and a.input_ids:
        err(ConnectionError_("the network has no layer after its Input"))
    for n in a.input_ids:
        if not consumers[n]:
            err(ConnectionError_(f"{a.layers[n].owner}: is not connected to any layer",
                                 node_id=n))

    # 5. Shapes and parameter counts, in order; a node behind an error gets no shape.
    for n in a.order:
        if n in bad_count or any(i not in a.shapes for i in inputs[n]):
            continue
        layer = a.layers[n]
        in_shapes = [a.shapes[i] for i in inputs[n]]
        try:
            a.shapes[n] = layer.compute_output_shape(in_shapes)
            a.params[n] = layer.count_params(in_shapes)
        except SpecError as e:
            if e.node_id is None:
                e.node_id = n
            err(e)
    return a


def check(graph: GraphSpec) -> GraphAnalysis:
    """Analyze ``graph`` and raise its first error, if any."""
    a = analyze(graph)
    if a.errors:
        raise a.errors[0]
    return a


def _owner(a: GraphAnalysis, node_id: str) -> str:
    layer = a.layers.get(node_id)
    return layer.owner if layer else repr(node_id)
