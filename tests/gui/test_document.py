"""The document, its undo commands, naming and the layered layout (no window needed)."""

from __future__ import annotations

import itertools
import random

import pytest

from app.document import GraphEditor, ProjectDocument
from app.document.naming import id_problem, subgraph_from_text, subgraph_to_text
from app.examples import builtin_spiral
from nncore.errors import FormatError
from nncore.layout import layered_layout
from nncore.spec import EdgeSpec, GraphSpec, NodeSpec, new_node_id


@pytest.fixture
def editor(qapp):
    doc = ProjectDocument(builtin_spiral())
    return GraphEditor(doc)


def _state(doc: ProjectDocument) -> dict:
    return doc.project.to_dict()


def test_random_edit_sequences_undo_and_redo_exactly(editor):
    """Any sequence of edits undoes back to the start and redoes to the same end state."""
    doc = editor.document
    rng = random.Random(7)
    start = _state(doc)
    for _ in range(120):
        ids = doc.graph.ids()
        op = rng.choice(["add", "remove", "connect", "disconnect", "move", "param", "rename",
                         "freeze", "paste", "training", "data"])
        if op == "add":
            editor.add_node(rng.choice(["Dense", "Dropout", "Add", "Activation"]),
                            (rng.uniform(0, 900), rng.uniform(0, 600)),
                            connect_from=rng.choice(ids) if ids else None)
        elif op == "remove" and ids:
            editor.remove(rng.sample(ids, k=min(len(ids), rng.randint(1, 2))),
                          rng.sample(doc.graph.edges, k=min(1, len(doc.graph.edges))))
        elif op == "connect" and len(ids) > 1:
            editor.connect(*rng.sample(ids, 2))
        elif op == "disconnect" and doc.graph.edges:
            editor.remove([], [rng.choice(doc.graph.edges)])
        elif op == "move" and ids:
            n = rng.choice(ids)
            editor.move_nodes({n: (doc.node(n).position, (rng.uniform(0, 900), 5.0))})
        elif op == "param":
            dense = [n.id for n in doc.graph.nodes if n.type == "Dense"]
            if dense:
                editor.set_param(rng.choice(dense), "units", rng.randint(1, 64))
        elif op == "rename" and ids:
            editor.rename_node(rng.choice(ids), f"n{rng.randint(0, 99)}")
        elif op == "freeze" and ids:
            n = rng.choice(ids)
            editor.set_frozen(n, not doc.node(n).frozen)
        elif op == "paste" and ids:
            sub = GraphSpec([doc.node(i) for i in ids[:2]],
                            [e for e in doc.graph.edges if {e.source, e.target} <= set(ids[:2])])
            editor.paste(sub.copy(), (30, 30))
        elif op == "training":
            editor.set_training(epochs=rng.randint(1, 500),
                                optimizer=rng.choice(["sgd", "adam", "rmsprop"]))
        elif op == "data":
            editor.set_data(val_fraction=rng.choice([0.1, 0.2, 0.3]))
        assert doc.analysis.order is not None
    end = _state(doc)
    stack = editor.undo_stack
    while stack.canUndo():
        stack.undo()
    assert _state(doc) == start
    while stack.canRedo():
        stack.redo()
    assert _state(doc) == end


def test_signals_keep_a_mirror_in_step(editor):
    """A listener that only follows signals ends with the document's graph."""
    doc = editor.document
    nodes = set(doc.graph.ids())
    edges = {(e.source, e.target) for e in doc.graph.edges}
    doc.nodeAdded.connect(nodes.add)
    doc.nodeRemoved.connect(nodes.discard)
    doc.edgeAdded.connect(lambda s, t: edges.add((s, t)))
    doc.edgeRemoved.connect(lambda s, t: edges.discard((s, t)))

    def renamed(old, new):
        nodes.discard(old)
        nodes.add(new)
        for s, t in list(edges):
            if old in (s, t):
                edges.discard((s, t))
                edges.add((new if s == old else s, new if t == old else t))
    doc.nodeRenamed.connect(renamed)
    editor.add_node("Dense", (0, 0), connect_from="dense3")
    editor.rename_node("dense2", "middle")
    editor.remove(["dense1"], [])
    editor.undo_stack.undo()
    editor.undo_stack.undo()
    assert nodes == set(doc.graph.ids())
    assert edges == {(e.source, e.target) for e in doc.graph.edges}


def test_new_node_id_and_id_rules():
    assert new_node_id("Dense", []) == "dense1"
    assert new_node_id("Dense", ["dense1", "dense3"]) == "dense2"
    assert new_node_id("BatchNormalization", []) == "batchnormalization1"
    assert id_problem("", []) is not None
    assert id_problem("a/b", []) is not None  # "/" separates node and weight names
    assert id_problem("1abc", []) is not None
    assert id_problem("dense1", ["dense1"]) is not None
    assert id_problem("hidden_1.b-2", ["dense1"]) is None
    assert id_problem("x" * 65, []) is not None


def test_clipboard_text_round_trip_and_rejection():
    g = builtin_spiral().graph
    sub = subgraph_from_text(subgraph_to_text(g, ["dense1", "dense2"]))
    assert [n.id for n in sub.nodes] == ["dense1", "dense2"]
    assert sub.edges == [EdgeSpec("dense1", "dense2")]
    with pytest.raises(FormatError):
        subgraph_from_text("hello")
    with pytest.raises(FormatError):
        subgraph_from_text('{"format": "netcanvas-project", "version": 1, "network": '
                           '{"nodes": [{"id": "a", "type": "Nope"}]}}')


def _longest_path_layers(graph: GraphSpec) -> dict[str, int]:
    """Reference: the longest path to each node by enumerating every path (tiny graphs)."""
    succ = {n.id: [] for n in graph.nodes}
    for e in graph.edges:
        succ[e.source].append(e.target)
    sources = [n.id for n in graph.nodes if not graph.inputs_of(n.id)]
    best = {n.id: 0 for n in graph.nodes}

    def walk(node, depth):
        best[node] = max(best[node], depth)
        for s in succ[node]:
            walk(s, depth + 1)
    for s in sources:
        walk(s, 0)
    return best


@pytest.mark.parametrize("seed", range(6))
def test_layout_columns_are_longest_paths_and_nodes_do_not_overlap(seed):
    rng = random.Random(seed)
    n = rng.randint(3, 9)
    ids = [f"n{i}" for i in range(n)]
    edges = [EdgeSpec(a, b) for a, b in itertools.combinations(ids, 2) if rng.random() < 0.35]
    g = GraphSpec([NodeSpec(i, "Dense", {}, (rng.uniform(-50, 50), 0.0)) for i in ids], edges)
    sizes = {i: (150.0, 80.0) for i in ids}
    pos = layered_layout(g, sizes)
    ref = _longest_path_layers(g)
    xs = sorted({p[0] for p in pos.values()})
    for node in ids:
        assert xs.index(pos[node][0]) == ref[node]
    for a, b in itertools.combinations(ids, 2):
        (ax, ay), (bx, by) = pos[a], pos[b]
        overlap = abs(ax - bx) < 150 and abs(ay - by) < 80
        assert not overlap, (a, b)
    for e in edges:
        assert pos[e.source][0] < pos[e.target][0]


def test_layout_tolerates_cycles():
    g = GraphSpec([NodeSpec("a", "Dense"), NodeSpec("b", "Dense"), NodeSpec("c", "Dense")],
                  [EdgeSpec("a", "b"), EdgeSpec("b", "c"), EdgeSpec("c", "b")])
    pos = layered_layout(g, {})
    assert set(pos) == {"a", "b", "c"}
