"""Validation and shape inference of a :class:`~nncore.spec.GraphSpec`.

:func:`analyze` never raises: it collects every problem it can find (so the canvas can mark
each bad node) together with the topological order, per-node output shapes and parameter
counts of the nodes it could resolve. :func:`check` raises the first problem.
"""

from __future__ import annotations

from collections import deque
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
    if not graph.nodes:
        err(ConnectionError_("the network is empty: add an Input layer and the layers after it"))
        return a

    # 1. Nodes: unique ids, known types, valid parameters. A node whose type or parameters
    # are bad gets no layer but stays in the topology (``known``), so its connections still
    # count and it causes no follow-on errors ("not connected", "no output") elsewhere.
    known: dict[str, str] = {}  # node id -> type name, for every uniquely named node
    classes: dict[str, type[Layer]] = {}
    for node in graph.nodes:
        if not isinstance(node.id, str) or not node.id.strip():
            err(SpecError(f"a {node.type} node has an empty name", node_id=node.id))
            continue
        if node.id in known:
            err(SpecError(f"two nodes are named {node.id!r}; names must be unique",
                          node_id=node.id))
            continue
        known[node.id] = node.type
        try:
            cls = layer_class(node.type)
            classes[node.id] = cls
            layer = cls(node.id, **node.params)
        except NetCanvasError as e:
            msg = str(e)
            if not msg.startswith(f"{node.type} '{node.id}'"):
                msg = f"{node.type} '{node.id}': {msg}"
            err(SpecError(msg, node_id=node.id))
            continue
        layer.trainable = not node.frozen
        a.layers[node.id] = layer

    def owner(n: str) -> str:
        layer = a.layers.get(n)
        return layer.owner if layer else f"{known[n]} '{n}'"

    def is_input(n: str) -> bool:
        return n in classes and classes[n].max_inputs == 0

    # 2. Edges: known endpoints, no duplicates, no self-loops.
    inputs: dict[str, list[str]] = {n: [] for n in known}
    consumers: dict[str, list[str]] = {n: [] for n in known}
    pairs: set[tuple[str, str]] = set()
    for e in graph.edges:
        if e.source not in known or e.target not in known:
            missing = e.source if e.source not in known else e.target
            near = e.target if e.target in known else e.source if e.source in known else None
            err(SpecError(f"connection {e.source!r} -> {e.target!r} refers to a missing node "
                          f"{missing!r}", node_id=near))
            continue
        if e.source == e.target:
            err(CycleError(f"{owner(e.target)}: is connected to itself", node_id=e.target))
            continue
        if (e.source, e.target) in pairs:
            err(SpecError(f"{owner(e.target)}: connected twice from {e.source!r}",
                          node_id=e.target))
            continue
        pairs.add((e.source, e.target))
        inputs[e.target].append(e.source)
        consumers[e.source].append(e.target)
    a.inputs = {n: inputs[n] for n in a.layers}

    # 3. Topological order (Kahn); whatever is left is on a cycle or behind one.
    indeg = {n: len(inputs[n]) for n in known}
    ready = deque(n for n in known if indeg[n] == 0)
    order_all: list[str] = []
    while ready:
        n = ready.popleft()
        order_all.append(n)
        for c in consumers[n]:
            indeg[c] -= 1
            if indeg[c] == 0:
                ready.append(c)
    a.order = [n for n in order_all if n in a.layers]
    placed = set(order_all)
    left = [n for n in known if n not in placed]
    for cycle in _cycles(left, consumers):
        names = ", ".join(repr(n) for n in cycle)
        for n in cycle:
            err(CycleError(f"{owner(n)}: is part of a cycle ({names}); a network must "
                           "flow one way from inputs to the output", node_id=n))

    # 4. Input counts, reachability, outputs.
    a.input_ids = [n for n in a.order if a.layers[n].max_inputs == 0]
    if known and not any(is_input(n) for n in known):
        err(ConnectionError_("the network has no Input layer"))
    reachable: set[str] = set()
    stack = [n for n in known if is_input(n)]
    while stack:
        n = stack.pop()
        if n not in reachable:
            reachable.add(n)
            stack.extend(consumers[n])
    bad_count: set[str] = set()
    for n in [*order_all, *left]:
        if n not in a.layers:
            continue
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
    outputs = [n for n in [*order_all, *left] if not consumers[n] and not is_input(n)]
    if len(outputs) == 1:
        a.output_id = outputs[0] if outputs[0] in a.layers else None
    elif len(outputs) > 1:
        names = ", ".join(repr(n) for n in outputs)
        for n in outputs:
            err(ConnectionError_(f"{owner(n)}: the network has {len(outputs)} outputs "
                                 f"({names}); it must end in exactly one layer", node_id=n))
    elif known and any(is_input(n) for n in known) and not left:
        err(ConnectionError_("the network has no layer after its Input"))
    for n in known:
        if is_input(n) and not consumers[n]:
            err(ConnectionError_(f"{owner(n)}: is not connected to any layer", node_id=n))

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


def _cycles(nodes: list[str], consumers: dict[str, list[str]]) -> list[list[str]]:
    """The cycles among ``nodes`` (those Kahn's algorithm could not order): strongly
    connected components of more than one node, each listed in ``nodes`` order. Nodes that
    merely come after a cycle belong to none."""
    inside = set(nodes)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for root in nodes:
        if root in index:
            continue
        # Iterative Tarjan: frames of (node, iterator over its successors).
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        frames = [(root, iter([c for c in consumers[root] if c in inside]))]
        while frames:
            n, it = frames[-1]
            child = next(it, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    frames.append((child, iter([c for c in consumers[child] if c in inside])))
                elif child in on_stack:
                    low[n] = min(low[n], index[child])
                continue
            frames.pop()
            if frames:
                parent = frames[-1][0]
                low[parent] = min(low[parent], low[n])
            if low[n] == index[n]:
                comp = set()
                while True:
                    m = stack.pop()
                    on_stack.discard(m)
                    comp.add(m)
                    if m == n:
                        break
                if len(comp) > 1:
                    found.append(comp)
    pos = {n: i for i, n in enumerate(nodes)}
    return sorted((sorted(c, key=pos.__getitem__) for c in found), key=lambda c: pos[c[0]])
