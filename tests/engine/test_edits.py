"""Project edits as data (nncore.edits): each changes exactly what it says, travels as JSON,
and a list of edits gives a valid project or the engine's error."""

from __future__ import annotations

from pathlib import Path

import pytest

from nncore.edits import (
    EDITS,
    InsertAfter,
    RemoveNode,
    ReplaceType,
    SetData,
    SetFrozen,
    SetHiddenActivation,
    SetNodeParams,
    SetTraining,
    SetTypeParams,
    applied,
    edit_from_dict,
    hidden_nodes,
)
from nncore.errors import FormatError, ParameterError, SpecError
from nncore.graph import analyze
from nncore.project import load_project

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


@pytest.fixture
def spiral():
    return load_project(EXAMPLES / "spiral.json")


def _edges(project):
    return sorted((e.source, e.target) for e in project.graph.edges)


def test_set_training_validates_and_leaves_the_original(spiral):
    out = applied(spiral, [SetTraining({"learning_rate": 3.0, "optimizer": "sgd"})])
    assert (out.training.learning_rate, out.training.optimizer) == (3.0, "sgd")
    assert spiral.training.learning_rate != 3.0
    with pytest.raises(ParameterError, match="learning_rate"):
        applied(spiral, [SetTraining({"learning_rate": -1.0})])


def test_set_data_fields_and_params(spiral):
    out = applied(spiral, [SetData({"val_fraction": 0.5}, {"noise": 0.3})])
    assert out.data.val_fraction == 0.5 and out.data.params["noise"] == 0.3
    with pytest.raises(FormatError, match="no setting 'colour'"):
        applied(spiral, [SetData({"colour": 1})])


def test_hidden_activation_spares_the_output(spiral):
    out_id = next(n.id for n in spiral.graph.nodes
                  if n.id not in {e.source for e in spiral.graph.edges})
    before = spiral.graph.node(out_id).params.get("activation")
    out = applied(spiral, [SetHiddenActivation("relu")])
    hidden = hidden_nodes(out)
    assert hidden and all(n.params["activation"] == "relu" for n in hidden)
    assert out.graph.node(out_id).params.get("activation") == before
    assert out_id not in {n.id for n in hidden}


def test_node_and_type_params(spiral):
    dense = [n.id for n in spiral.graph.nodes if n.type == "Dense"]
    out = applied(spiral, [SetNodeParams(dense[0], {"units": 5})])
    assert out.graph.node(dense[0]).params["units"] == 5
    out = applied(spiral, [SetTypeParams("Dense", {"kernel_initializer": "he_uniform"})])
    assert all(out.graph.node(d).params["kernel_initializer"] == "he_uniform" for d in dense)
    with pytest.raises(SpecError, match="no node named 'nope'"):
        applied(spiral, [SetNodeParams("nope", {"units": 5})])


def test_insert_after_rewires_and_makes_room(spiral):
    first = next(n.id for n in spiral.graph.nodes if n.type == "Dense")
    fed = spiral.graph.outputs_of(first)
    out = applied(spiral, [InsertAfter(first, "Dropout", {"rate": 0.5})])
    new = out.graph.node("dropout1")
    assert new.params == {"rate": 0.5}
    assert out.graph.inputs_of("dropout1") == [first]
    assert out.graph.outputs_of(first) == ["dropout1"]
    assert sorted(out.graph.outputs_of("dropout1")) == sorted(fed)
    assert new.position[0] > out.graph.node(first).position[0]
    for nid in fed:  # the layers after it moved right, out of the new node's way
        assert out.graph.node(nid).position[0] > new.position[0]
    twice = applied(spiral, [InsertAfter(first, "Dropout"), InsertAfter(first, "Dropout")])
    assert {"dropout1", "dropout2"} <= set(twice.graph.ids())
    assert analyze(twice.graph).ok


def test_replace_type_keeps_id_edges_and_shared_params():
    sine = load_project(EXAMPLES / "sine_lstm.json")
    rnn = next(n.id for n in sine.graph.nodes if n.type == "LSTM")
    units = sine.graph.node(rnn).params.get("units")
    out = applied(sine, [ReplaceType(rnn, "SimpleRNN", {"activation": "tanh"})])
    node = out.graph.node(rnn)
    assert node.type == "SimpleRNN" and node.params.get("units") == units
    assert node.params["activation"] == "tanh"
    assert _edges(out) == _edges(sine)


def test_remove_node_reconnects(spiral):
    first = next(n.id for n in spiral.graph.nodes if n.type == "Dense")
    with_dropout = applied(spiral, [InsertAfter(first, "Dropout")])
    back = applied(with_dropout, [RemoveNode("dropout1")])
    assert _edges(back) == _edges(spiral)
    with pytest.raises(SpecError, match="only a layer with one input"):
        applied(spiral, [RemoveNode(spiral.graph.nodes[0].id)])


def test_freezing_sets_and_clears_the_flag_of_each_named_layer(spiral):
    frozen = applied(spiral, [SetFrozen(("dense1", "dense2"))])
    assert [n.frozen for n in frozen.graph.nodes if n.type == "Dense"][:2] == [True, True]
    thawed = applied(frozen, [SetFrozen(("dense2",), False)])
    assert (thawed.graph.node("dense1").frozen, thawed.graph.node("dense2").frozen) == (
        True, False)
    with pytest.raises(SpecError, match="nope"):
        applied(spiral, [SetFrozen(("nope",))])


def test_an_invalid_result_raises_the_engines_error(spiral):
    first = next(n.id for n in spiral.graph.nodes if n.type == "Dense")
    with pytest.raises(SpecError):
        applied(spiral, [InsertAfter(first, "Conv2D")])  # a flat input cannot feed Conv2D


@pytest.mark.parametrize("edit", [
    SetTraining({"learning_rate": 0.5}), SetData({"val_fraction": 0.3}, {"noise": 0.1}),
    SetNodeParams("dense1", {"units": 3}), SetHiddenActivation("tanh"),
    SetTypeParams("Dense", {"use_bias": False}), InsertAfter("dense1", "Dropout", {"rate": 0.2}),
    ReplaceType("dense1", "Dense"), RemoveNode("dense2"), SetFrozen(("dense1", "dense2")),
    SetFrozen(("dense1",), False)])
def test_every_edit_round_trips_through_json_and_says_what_it_does(edit):
    assert edit_from_dict(edit.to_dict()) == edit
    assert edit.describe() and "{" not in edit.describe()
    assert set(EDITS) >= {edit.kind}


@pytest.mark.parametrize("bad", [{"edit": "paint"}, {}, {"edit": "set_training"},
                                 {"edit": "remove_node", "node": "x", "extra": 1}, "text"])
def test_bad_edit_json_is_a_format_error(bad):
    with pytest.raises(FormatError):
        edit_from_dict(bad)
