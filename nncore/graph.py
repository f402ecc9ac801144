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

    def weight_shapes(self) -> dict[str, Shape]:
        """``"<node id>/<weight name>"`` -> shape of every array the network built from
        this graph holds (what a weights file for it contains), without allocating any."""
        return {f"{n}/{spec.name}": tuple(spec.shape) for n in self.order
                for spec in self.layers[n].weight_specs(
                    [self.shapes[i] for i in self.inputs[n]])}

    @property
    def trainable_params(self) -> int:
        return sum(t for t, _ in self.params.values())


@dataclass
class _Topology:
    """The graph as the stages of :func:`analyze` see it: every uniquely named node, even
    one whose layer could not be built (so its connections still count and it causes no
    follow-on errors such as "not connected" or "no output" elsewhere)."""

    #: node id -> type name, for every uniquely named node.
    known: dict[str, str] = field(default_factory=dict)
    #: node id -> layer class, for nodes of a registered type.
    classes: dict[str, type[Layer]] = field(default_factory=dict)
    inputs: dict[str, list[str]] = field(default_factory=dict)
    consumers: dict[str, list[str]] = field(default_factory=dict)
    #: Kahn's order of every node that is on no cycle and behind none.
    order_all: list[str] = field(default_factory=list)
    #: The nodes Kahn's algorithm could not order (on a cycle or behind one).
    left: list[str] = field(default_factory=list)

    def is_input(self, n: str) -> bool:
        return n in self.classes and self.classes[n].max_inputs == 0

    def owner(self, a: GraphAnalysis, n: str) -> str:
        """How messages name node ``n``, whether or not its layer was built."""
        layer = a.layers.get(n)
        return layer.owner if layer else f"{self.known[n]} '{n}'"


def analyze(graph: GraphSpec) -> GraphAnalysis:
    """Validate ``graph`` and infer what it can, stage by stage, collecting every problem
    (see the module docstring); never raises."""
    a = GraphAnalysis()
    if not graph.nodes:
        a.errors.append(ConnectionError_("the network is empty: add an Input layer and the "
                                         "layers after it"))
        return a
    t = _Topology()
    _build_nodes(graph, a, t)
    _connect(graph, a, t)
    _order(a, t)
    bad_count = _check_connections(a, t)
    _check_ends(a, t)
    _infer_shapes(a, t, bad_count)
    return a


def new_errors(before: GraphSpec, after: GraphSpec) -> list[SpecError]:
    """The problems of ``after`` that ``before`` did not have: an error counts as old only
    when one of the same kind, about the same node and in the same words was there (so a
    shape error whose shapes changed is new). How an edit is judged by what it breaks."""
    def key(e: SpecError) -> tuple[str, str | None, str]:
        return (type(e).__name__, e.node_id, str(e))

    known = {key(e) for e in analyze(before).errors}
    return [e for e in analyze(after).errors if key(e) not in known]


def _build_nodes(graph: GraphSpec, a: GraphAnalysis, t: _Topology) -> None:
    """1. Nodes: unique ids, known types, valid parameters. A node whose type or parameters
    are bad gets no layer but stays in the topology (``t.known``)."""
    err = a.errors.append
    for node in graph.nodes:
        if not isinstance(node.id, str) or not node.id.strip():
            err(SpecError(f"a {node.type} node has an empty name", node_id=node.id))
            continue
        if node.id in t.known:
            err(SpecError(f"two nodes are named {node.id!r}; names must be unique",
                          node_id=node.id))
            continue
        t.known[node.id] = node.type
        try:
            cls = layer_class(node.type)
            t.classes[node.id] = cls
            layer = cls(node.id, **node.params)
        except NetCanvasError as e:
            msg = str(e)
            if not msg.startswith(f"{node.type} '{node.id}'"):
                msg = f"{node.type} '{node.id}': {msg}"
            err(SpecError(msg, node_id=node.id))
            continue
        layer.trainable = not node.frozen
        a.layers[node.id] = layer


def _connect(graph: GraphSpec, a: GraphAnalysis, t: _Topology) -> None:
    """2. Edges: known endpoints, no duplicates, no self-loops."""
    err = a.errors.append
    t.inputs = {n: [] for n in t.known}
    t.consumers = {n: [] for n in t.known}
    pairs: set[tuple[str, str]] = set()
    for e in graph.edges:
        if e.source not in t.known or e.target not in t.known:
            missing = e.source if e.source not in t.known else e.target
            near = (e.target if e.target in t.known
                    else e.source if e.source in t.known else None)
            err(SpecError(f"connection {e.source!r} -> {e.target!r} refers to a missing node "
                          f"{missing!r}", node_id=near))
            continue
        if e.source == e.target:
            err(CycleError(f"{t.owner(a, e.target)}: is connected to itself",
                           node_id=e.target))
            continue
        if (e.source, e.target) in pairs:
            err(SpecError(f"{t.owner(a, e.target)}: connected twice from {e.source!r}",
                          node_id=e.target))
            continue
        pairs.add((e.source, e.target))
        t.inputs[e.target].append(e.source)
        t.consumers[e.source].append(e.target)
    a.inputs = {n: t.inputs[n] for n in a.layers}


def _order(a: GraphAnalysis, t: _Topology) -> None:
    """3. Topological order (Kahn); whatever is left is on a cycle or behind one."""
    indeg = {n: len(t.inputs[n]) for n in t.known}
    ready = deque(n for n in t.known if indeg[n] == 0)
    while ready:
        n = ready.popleft()
        t.order_all.append(n)
        for c in t.consumers[n]:
            indeg[c] -= 1
            if indeg[c] == 0:
                ready.append(c)
    a.order = [n for n in t.order_all if n in a.layers]
    placed = set(t.order_all)
    t.left = [n for n in t.known if n not in placed]
    for cycle in _cycles(t.left, t.consumers):
        names = ", ".join(repr(n) for n in cycle)
        for n in cycle:
            a.errors.append(CycleError(f"{t.owner(a, n)}: is part of a cycle ({names}); a "
                                       "network must flow one way from inputs to the output",
                                       node_id=n))


def _check_connections(a: GraphAnalysis, t: _Topology) -> set[str]:
    """4. Inputs, input counts and reachability from an Input. Returns the nodes with a
    problem here (they get no shape)."""
    err = a.errors.append
    a.input_ids = [n for n in a.order if a.layers[n].max_inputs == 0]
    if t.known and not any(t.is_input(n) for n in t.known):
        err(ConnectionError_("the network has no Input layer"))
    reachable: set[str] = set()
    stack = [n for n in t.known if t.is_input(n)]
    while stack:
        n = stack.pop()
        if n not in reachable:
            reachable.add(n)
            stack.extend(t.consumers[n])
    bad_count: set[str] = set()
    for n in [*t.order_all, *t.left]:
        if n not in a.layers:
            continue
        problem = _connection_problem(a.layers[n], len(t.inputs[n]), n in reachable)
        if problem is not None:
            err(ConnectionError_(f"{a.layers[n].owner}: {problem}", node_id=n))
            bad_count.add(n)
    return bad_count


def _connection_problem(layer: Layer, k: int, reachable: bool) -> str | None:
    """What is wrong with a layer's ``k`` connections, or None."""
    lo, hi = layer.min_inputs, layer.max_inputs
    if hi == 0 and k:
        return "an Input layer cannot receive connections"
    if k == 0 and lo > 0:
        return "has no input connected"
    if k < lo:
        return f"needs at least {lo} inputs, has {k}"
    if hi is not None and k > hi:
        return f"takes {hi} input{'s' if hi > 1 else ''}, has {k}"
    if not reachable:
        return "is not connected to an Input"
    return None


def _check_ends(a: GraphAnalysis, t: _Topology) -> None:
    """5. Exactly one output; every Input feeds some layer."""
    err = a.errors.append
    outputs = [n for n in [*t.order_all, *t.left] if not t.consumers[n] and not t.is_input(n)]
    if len(outputs) == 1:
        a.output_id = outputs[0] if outputs[0] in a.layers else None
    elif len(outputs) > 1:
        names = ", ".join(repr(n) for n in outputs)
        for n in outputs:
            err(ConnectionError_(f"{t.owner(a, n)}: the network has {len(outputs)} outputs "
                                 f"({names}); it must end in exactly one layer", node_id=n))
    elif t.known and any(t.is_input(n) for n in t.known) and not t.left:
        err(ConnectionError_("the network has no layer after its Input"))
    for n in t.known:
        if t.is_input(n) and not t.consumers[n]:
            err(ConnectionError_(f"{t.owner(a, n)}: is not connected to any layer", node_id=n))


def _infer_shapes(a: GraphAnalysis, t: _Topology, bad_count: set[str]) -> None:
    """6. Shapes and parameter counts, in order; a node behind an error gets no shape."""
    for n in a.order:
        if n in bad_count or any(i not in a.shapes for i in t.inputs[n]):
            continue
        layer = a.layers[n]
        in_shapes = [a.shapes[i] for i in t.inputs[n]]
        try:
            a.shapes[n] = layer.compute_output_shape(in_shapes)
            a.params[n] = layer.count_params(in_shapes)
        except SpecError as e:
            if e.node_id is None:
                e.node_id = n
            a.errors.append(e)


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
