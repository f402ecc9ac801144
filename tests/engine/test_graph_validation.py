"""Graph validation: every kind of mistake is found, named and attached to its node; a valid
branching network compiles with the shapes and parameter counts worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from nncore.errors import (
    ConnectionError_,
    CycleError,
    ParameterError,
    ShapeError,
    SpecError,
)
from nncore.graph import analyze, check, new_errors
from nncore.network import Network
from nncore.spec import EdgeSpec, GraphSpec, NodeSpec


def graph(nodes, edges):
    return GraphSpec([NodeSpec(i, t, dict(p)) for i, t, p in nodes],
                     [EdgeSpec(s, t) for s, t in edges])


def inp(node_id="in", shape=(2,)):
    return (node_id, "Input", {"shape": list(shape)})


def dense(node_id, units=3, **kw):
    return (node_id, "Dense", {"units": units, **kw})


def only_error(g, cls, node_id=None):
    """The analysis has exactly one error, of type ``cls``, about ``node_id``; check() and
    Network raise it."""
    a = analyze(g)
    assert len(a.errors) == 1, [str(e) for e in a.errors]
    (e,) = a.errors
    assert type(e) is cls
    assert e.node_id == node_id
    with pytest.raises(cls) as info:
        check(g)
    assert str(info.value) == str(e)
    with pytest.raises(cls):
        Network(g)
    return str(e)


# -- structural errors --------------------------------------------------------------------
def test_cycle_names_the_nodes_on_it():
    g = graph([inp(), dense("a"), dense("b"), dense("c"), ("m", "Add", {}), dense("out", 1)],
              [("in", "a"), ("a", "m"), ("m", "b"), ("b", "c"), ("c", "m"), ("m", "out")])
    a = analyze(g)
    cycles = [e for e in a.errors if isinstance(e, CycleError)]
    assert {e.node_id for e in cycles} == {"m", "b", "c"}  # 'out' is behind it, not on it
    for e in cycles:
        for name in ("'m'", "'b'", "'c'"):
            assert name in str(e)
        assert "cycle" in str(e) and "'a'" not in str(e).split(":")[1]
    assert len(a.errors) == len(cycles)  # nothing spurious ("no output", "not connected")
    assert "out" not in a.shapes and "a" in a.shapes
    with pytest.raises(CycleError, match="is part of a cycle"):
        Network(g)


def test_two_node_cycle_and_self_loop():
    g = graph([inp(), ("m", "Add", {}), dense("b", 2)],
              [("in", "m"), ("m", "b"), ("b", "m")])
    a = analyze(g)  # both nodes of the cycle are reported, nothing else
    assert {e.node_id for e in a.errors} == {"m", "b"}
    assert all(isinstance(e, CycleError) and "('m', 'b')" in str(e) for e in a.errors)
    loop = graph([inp(), dense("a")], [("in", "a"), ("a", "a")])
    assert only_error(loop, CycleError, "a") == "Dense 'a': is connected to itself"


def test_node_not_connected_to_the_input():
    g = graph([inp(), dense("a", 4), dense("x", 4), dense("y", 4), ("sum", "Add", {})],
              [("in", "a"), ("x", "y"), ("a", "sum"), ("y", "sum")])
    a = analyze(g)
    msgs = {e.node_id: str(e) for e in a.errors}
    assert msgs == {"x": "Dense 'x': has no input connected",
                    "y": "Dense 'y': is not connected to an Input"}
    assert all(isinstance(e, ConnectionError_) for e in a.errors)
    assert "sum" not in a.shapes  # nothing is inferred behind a bad node


def test_missing_input_layer_and_unconnected_input():
    g = graph([dense("a"), dense("b")], [("a", "b")])
    a = analyze(g)
    assert "the network has no Input layer" in [str(e) for e in a.errors]
    lonely = graph([inp(), inp("in2"), dense("a")], [("in", "a")])
    assert only_error(lonely, ConnectionError_, "in2") == \
        "Input 'in2': is not connected to any layer"
    into_input = graph([inp(), dense("a"), inp("in2"), dense("b")],
                       [("in", "a"), ("a", "in2"), ("in2", "b")])
    msg = only_error(into_input, ConnectionError_, "in2")
    assert msg == "Input 'in2': an Input layer cannot receive connections"


def test_merge_with_one_input():
    g = graph([inp(), dense("a"), ("sum", "Add", {}), dense("out", 1)],
              [("in", "a"), ("a", "sum"), ("sum", "out")])
    assert only_error(g, ConnectionError_, "sum") == "Add 'sum': needs at least 2 inputs, has 1"


def test_dense_with_two_inputs():
    g = graph([inp(), dense("a"), dense("b"), dense("out", 1)],
              [("in", "a"), ("in", "b"), ("a", "out"), ("b", "out")])
    assert only_error(g, ConnectionError_, "out") == "Dense 'out': takes 1 input, has 2"


def test_dense_after_an_image_input():
    g = graph([inp("img", (1, 8, 8)), dense("fc", 10)], [("img", "fc")])
    msg = only_error(g, ShapeError, "fc")
    assert msg.startswith("Dense 'fc': expects a flat input, got shape (1, 8, 8)")
    # With a Flatten in between it compiles: 64 -> 10.
    ok = graph([inp("img", (1, 8, 8)), ("flat", "Flatten", {}), dense("fc", 10)],
               [("img", "flat"), ("flat", "fc")])
    a = check(ok)
    assert a.shapes == {"img": (1, 8, 8), "flat": (64,), "fc": (10,)}
    assert a.params["fc"] == (650, 650)


def test_add_of_different_shapes():
    g = graph([inp(), dense("a", 4), dense("b", 5), ("sum", "Add", {})],
              [("in", "a"), ("in", "b"), ("a", "sum"), ("b", "sum")])
    msg = only_error(g, ShapeError, "sum")
    assert msg == "Add 'sum': inputs must have the same shape, got (4,) and (5,)"


def test_concatenate_mismatch():
    g = graph([inp("i1", (2, 3)), inp("i2", (2, 4)), ("cat", "Concatenate", {"axis": 0})],
              [("i1", "cat"), ("i2", "cat")])
    msg = only_error(g, ShapeError, "cat")
    assert "(2, 3)" in msg and "(2, 4)" in msg and "axis 0" in msg


def test_bad_parameter_wording():
    g = graph([inp(), dense("h1", -3), dense("out", 1)], [("in", "h1"), ("h1", "out")])
    a = analyze(g)
    assert [str(e) for e in a.errors] == ["Dense 'h1': units must be a positive integer, "
                                          "received -3"]
    assert a.errors[0].node_id == "h1"
    assert a.shapes == {"in": (2,)}
    with pytest.raises(SpecError, match="received -3"):
        Network(g)


@pytest.mark.parametrize("params, words", [
    ({"units": 3, "activation": "relux"}, ["activation", "'relux'"]),
    ({"units": 2.5}, ["units", "2.5"]),
    ({"units": 3, "colour": "red"}, ["unknown parameter 'colour'"]),
])
def test_other_bad_parameters(params, words):
    a = analyze(graph([inp(), ("h", "Dense", params)], [("in", "h")]))
    assert len(a.errors) == 1 and a.errors[0].node_id == "h"
    msg = str(a.errors[0])
    assert msg.startswith("Dense 'h': ")
    for w in words:
        assert w in msg


def test_layer_constructor_raises_parameter_error_directly():
    from nncore.registry import layer_class

    with pytest.raises(ParameterError, match="received -3"):
        layer_class("Dense")("h1", units=-3)


def test_unknown_layer_type():
    g = graph([inp(), ("x", "Danse", {"units": 3}), dense("out", 1)],
              [("in", "x"), ("x", "out")])
    msg = only_error(g, SpecError, "x")
    assert "unknown layer type 'Danse'" in msg and "Dense" in msg and msg.startswith("Danse 'x'")


def test_duplicate_ids():
    g = graph([inp(), dense("h"), dense("h", 5), dense("out", 1)],
              [("in", "h"), ("h", "out")])
    msg = only_error(g, SpecError, "h")
    assert msg == "two nodes are named 'h'; names must be unique"


def test_several_outputs():
    g = graph([inp(), dense("a"), dense("b"), dense("c")],
              [("in", "a"), ("in", "b"), ("a", "c")])
    a = analyze(g)
    assert {e.node_id for e in a.errors} == {"b", "c"}
    for e in a.errors:
        assert isinstance(e, ConnectionError_)
        assert "2 outputs ('b', 'c')" in str(e) or "2 outputs ('c', 'b')" in str(e)
    assert a.output_id is None


def test_edge_to_a_missing_node_and_duplicate_edge():
    g = graph([inp(), dense("a")], [("in", "a"), ("a", "ghost")])
    msg = only_error(g, SpecError, "a")
    assert msg == "connection 'a' -> 'ghost' refers to a missing node 'ghost'"
    g = graph([inp(), dense("a")], [("in", "a"), ("in", "a")])
    assert only_error(g, SpecError, "a") == "Dense 'a': connected twice from 'in'"


def test_analyze_collects_every_error():
    g = graph([inp(), dense("h1", -3), ("x", "Nope", {}), dense("a", 4), dense("b", 5),
               ("sum", "Add", {})],
              [("in", "h1"), ("h1", "x"), ("x", "a"), ("in", "a"), ("in", "b"),
               ("a", "sum"), ("b", "sum")])
    a = analyze(g)
    by_node = {e.node_id for e in a.errors}
    assert {"h1", "x", "a"} <= by_node
    assert a.errors_for("a") == ["Dense 'a': takes 1 input, has 2"]
    assert a.errors_for("b") == [] and a.shapes["b"] == (5,)


def test_empty_graph_is_not_a_network():
    (e,) = analyze(GraphSpec()).errors
    assert isinstance(e, ConnectionError_) and "empty" in str(e)
    with pytest.raises(ConnectionError_, match="empty"):
        Network(GraphSpec())


# -- a valid branching network ------------------------------------------------------------
def branching_graph():
    """in(4) -> b1 Dense 8 (tanh), b2 Dense 6 (relu) -> cat (14) -> bn -> h Dense 4 (linear)
    -> res = h + in -> out Dense 3 (linear)."""
    return graph(
        [inp("in", (4,)), dense("b1", 8, activation="tanh"), dense("b2", 6, activation="relu"),
         ("cat", "Concatenate", {}), ("bn", "BatchNormalization", {}),
         dense("h", 4, activation="linear"), ("res", "Add", {}),
         dense("out", 3, activation="linear")],
        [("in", "b1"), ("in", "b2"), ("b1", "cat"), ("b2", "cat"), ("cat", "bn"),
         ("bn", "h"), ("h", "res"), ("in", "res"), ("res", "out")])


def test_branching_network_shapes_and_parameter_counts():
    a = check(branching_graph())
    assert a.shapes == {"in": (4,), "b1": (8,), "b2": (6,), "cat": (14,), "bn": (14,),
                        "h": (4,), "res": (4,), "out": (3,)}
    by_hand = {
        "in": (0, 0),
        "b1": (4 * 8 + 8,) * 2,
        "b2": (4 * 6 + 6,) * 2,
        "cat": (0, 0),
        "bn": (2 * 14, 4 * 14),  # gamma, beta trainable; moving mean/var are state
        "h": (14 * 4 + 4,) * 2,
        "res": (0, 0),
        "out": (4 * 3 + 3,) * 2,
    }
    assert a.params == by_hand
    assert a.trainable_params == 40 + 30 + 28 + 60 + 15 == 173
    assert a.total_params == 173 + 28
    assert a.input_ids == ["in"] and a.output_id == "out"
    pos = {n: i for i, n in enumerate(a.order)}
    for s, t in [("in", "b1"), ("b1", "cat"), ("b2", "cat"), ("bn", "h"), ("h", "res"),
                 ("in", "res"), ("res", "out")]:
        assert pos[s] < pos[t]


def test_branching_network_compiles_and_computes_the_graph():
    net = Network(branching_graph(), dtype=np.float64, seed=3)
    assert net.total_params == 201 and net.trainable_params == 173
    assert net.output_shape == (3,)
    w = net.get_weights()
    assert w["b1/W"].shape == (4, 8) and not any(k.startswith("cat/") for k in w)
    # Independent forward pass in inference mode (BatchNorm uses its moving statistics).
    x = np.random.default_rng(0).normal(size=(5, 4))
    b1 = np.tanh(x @ w["b1/W"] + w["b1/b"])
    b2 = np.maximum(x @ w["b2/W"] + w["b2/b"], 0)
    cat = np.concatenate([b1, b2], axis=1)
    bn = (cat - w["bn/moving_mean"]) / np.sqrt(w["bn/moving_var"] + 1e-3) * w["bn/gamma"] \
        + w["bn/beta"]
    h = bn @ w["h/W"] + w["h/b"]
    out = (h + x) @ w["out/W"] + w["out/b"]
    np.testing.assert_allclose(net.predict(x), out, rtol=1e-12, atol=1e-12)


def test_frozen_node_counts_as_non_trainable():
    g = branching_graph()
    g.node("b1").frozen = True
    a = check(g)
    assert a.params["b1"] == (0, 40)
    assert a.trainable_params == 173 - 40
    assert Network(g).trainable_params == 133


def test_weight_shapes_of_an_analysis_are_the_built_networks():
    """Every example's analysis names exactly the arrays (and shapes) its network holds."""
    from pathlib import Path

    from nncore.graph import analyze
    from nncore.network import Network
    from nncore.project import load_project

    examples = Path(__file__).resolve().parents[2] / "resources" / "examples"
    for path in sorted(examples.glob("*.json")):
        graph = load_project(path).graph
        assert analyze(graph).weight_shapes() == Network(graph).weight_shapes(), path.name


# -- what an edit breaks ---------------------------------------------------------------------
def test_new_errors_are_those_an_edit_adds_judged_by_kind_node_and_words():
    def adder(b_units: int, a_position=(0.0, 0.0)) -> GraphSpec:
        g = graph([inp(), dense("a", 4), dense("b", b_units), ("sum", "Add", {})],
                  [("in", "a"), ("in", "b"), ("a", "sum"), ("b", "sum")])
        g.node("a").position = a_position
        return g

    before = adder(5)
    assert [str(e) for e in analyze(before).errors] == [
        "Add 'sum': inputs must have the same shape, got (4,) and (5,)"]
    # the same error, only a layer moved: nothing new
    assert new_errors(before, adder(5, a_position=(40.0, 0.0))) == []
    # the same kind of error about the same node in other words is new
    (e,) = new_errors(before, adder(6))
    assert type(e) is ShapeError and e.node_id == "sum"
    assert str(e) == "Add 'sum': inputs must have the same shape, got (4,) and (6,)"
    # fixed: nothing new; broken from a clean graph: the error itself
    assert new_errors(before, adder(4)) == []
    assert [str(e) for e in new_errors(adder(4), before)] == [
        "Add 'sum': inputs must have the same shape, got (4,) and (5,)"]

