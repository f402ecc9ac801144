"""Every undoable edit of the document layer, one undo step at a time: how many steps an
edit makes, what each undo restores exactly, which consecutive edits merge into one step,
what a refusal says. Written against mutation-testing survivors of ``app/document``
(issue 19); no window needed."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from app.document import GraphEditor, ProjectDocument
from app.document.naming import subgraph_from_text, subgraph_to_text, with_fresh_ids
from app.examples import builtin_spiral
from app.understanding.points_model import PointSet, SetPoints
from nncore.edits import InsertAfter, RemoveNode, ReplaceType, SetData, SetNodeParams
from nncore.spec import EdgeSpec, GraphSpec, NodeSpec


@pytest.fixture
def editor(qapp) -> GraphEditor:
    return GraphEditor(ProjectDocument(builtin_spiral()))


def state(editor: GraphEditor) -> dict:
    return editor.document.project.to_dict()


def steps(editor: GraphEditor, edit) -> list[dict]:
    """Run ``edit``; return the states before and after each undo step it made."""
    stack = editor.undo_stack
    n0 = stack.count()
    edit()
    states = [state(editor)]
    for _ in range(stack.count() - n0):
        stack.undo()
        states.append(state(editor))
    return states


# -- data settings ----------------------------------------------------------------------------
def test_each_data_setting_is_one_step_and_repeats_of_it_merge(editor) -> None:
    doc, stack = editor.document, editor.undo_stack
    start = doc.data
    assert editor.set_data(val_fraction=0.3) is None
    assert editor.set_data(val_fraction=0.25) is None   # same setting: merges
    assert stack.count() == 1 and doc.data.val_fraction == 0.25
    assert stack.text(0) == "Change data val fraction"
    assert editor.set_data(split_seed=4) is None        # another setting: a new step
    assert stack.count() == 2
    stack.undo()
    assert doc.data == dataclasses.replace(start, val_fraction=0.25)
    stack.undo()
    assert doc.data == start
    stack.redo()
    assert doc.data.val_fraction == 0.25 and doc.data.split_seed == start.split_seed


def test_data_parameters_are_one_step_whose_undo_restores_the_old_mapping(editor) -> None:
    doc = editor.document
    old = dict(doc.data.params)
    assert editor.set_data(params={**old, "noise": 0.3}, text="More noise") is None
    assert editor.undo_stack.text(0) == "More noise"
    doc.data.params["noise"] = 99.0  # a view writing into the live mapping by mistake...
    editor.undo_stack.undo()
    assert doc.data.params == old    # ...does not reach the step's saved copy
    editor.undo_stack.redo()
    assert doc.data.params == {**old, "noise": 0.3}


@pytest.mark.parametrize("changes, words", [
    ({"colour": 1}, "unknown data setting 'colour'"),
    ({"params": [1, 2]}, "data parameters must be a mapping"),
    ({"val_fraction": 0.5, "test_fraction": 0.45},
     "validation (0.5) and test (0.45) fractions leave too little training data"),
])
def test_refused_data_settings_say_why_and_make_no_step(editor, changes, words) -> None:
    before = state(editor)
    assert editor.set_data(**changes) == words
    assert editor.undo_stack.count() == 0 and state(editor) == before


def test_an_unchanged_data_setting_makes_no_step(editor) -> None:
    assert editor.set_data(val_fraction=editor.document.data.val_fraction) is None
    assert editor.undo_stack.count() == 0


def test_points_go_with_their_source_in_the_same_step(editor) -> None:
    doc = editor.document
    ps = PointSet("classification", np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([0, 1]))
    assert editor.apply_edits([SetPoints(ps.to_json())]) is None
    assert doc.data.points is not None
    with_points = doc.data
    assert editor.set_data(source="synthetic", name="spiral") is None
    assert doc.data.points is None
    editor.undo_stack.undo()
    assert doc.data == with_points


# -- name, description, frozen flags, renames ----------------------------------------------------
def test_name_edits_merge_and_a_description_edit_is_its_own_step(editor) -> None:
    p, stack = editor.document.project, editor.undo_stack
    name0, desc0 = p.name, p.description
    editor.set_info(name="A")
    editor.set_info(name="AB")
    editor.set_info(description="words")
    assert stack.count() == 2
    assert [stack.text(i) for i in range(2)] == ["Change project name",
                                                  "Change project description"]
    stack.undo()
    assert (p.name, p.description) == ("AB", desc0)
    stack.undo()
    assert (p.name, p.description) == (name0, desc0)
    editor.set_info(name=name0)
    assert (stack.count(), stack.index()) == (2, 0)  # unchanged: no step pushed


def test_freezing_is_one_step_each_way(editor) -> None:
    doc, stack = editor.document, editor.undo_stack
    editor.set_frozen("dense1", True)
    editor.set_frozen("dense1", True)  # already frozen: nothing
    assert stack.count() == 1 and stack.text(0) == "Freeze dense1"
    editor.set_frozen("dense1", False)
    assert stack.text(1) == "Unfreeze dense1"
    stack.undo()
    assert doc.node("dense1").frozen
    stack.undo()
    assert not doc.node("dense1").frozen


def test_a_rename_carries_its_edges_and_undoes_in_one_step(editor) -> None:
    doc, stack = editor.document, editor.undo_stack
    before = state(editor)
    assert editor.rename_node("dense2", "  middle ") is None  # (spaces trimmed)
    assert stack.count() == 1 and stack.text(0) == "Rename dense2 to middle"
    assert EdgeSpec("dense1", "middle") in doc.graph.edges
    assert EdgeSpec("middle", "dense3") in doc.graph.edges
    assert editor.rename_node("middle", "dense1") == "another node is already named 'dense1'"
    assert editor.rename_node("middle", "middle") is None and stack.count() == 1
    stack.undo()
    assert state(editor) == before


# -- layer parameters -------------------------------------------------------------------------
def test_repeats_of_one_parameter_merge_and_another_parameter_does_not(editor) -> None:
    doc, stack = editor.document, editor.undo_stack
    units0 = doc.node("dense1").params.get("units")
    editor.set_param("dense1", "units", 5)
    editor.set_param("dense1", "units", 6)
    assert stack.count() == 1
    editor.set_param("dense1", "activation", "relu")
    editor.set_param("dense2", "units", 7)
    assert stack.count() == 3
    stack.undo()
    stack.undo()
    assert doc.node("dense1").params["units"] == 6
    stack.undo()
    assert doc.node("dense1").params.get("units") == units0


# -- duplicate, paste, clipboard text ------------------------------------------------------------
def test_duplicate_copies_the_chosen_layers_and_their_own_edges_in_one_step(editor) -> None:
    doc = editor.document
    editor.set_frozen("dense1", True)
    editor.set_param("dense2", "units", 9)
    before = state(editor)
    new = editor.duplicate(["dense1", "dense2"], offset=(10.0, -5.0))
    assert new == ["dense4", "dense5"]
    for src, dst in zip(["dense1", "dense2"], new):
        a, b = doc.node(src), doc.node(dst)
        assert (b.type, b.params, b.frozen) == (a.type, a.params, a.frozen)
        assert tuple(b.position) == (a.position[0] + 10.0, a.position[1] - 5.0)
    assert EdgeSpec("dense4", "dense5") in doc.graph.edges
    assert not [e for e in doc.graph.edges if e.target == "dense4"]  # input1 not chosen
    assert editor.undo_stack.text(editor.undo_stack.count() - 1) == "Duplicate"
    editor.undo_stack.undo()
    assert state(editor) == before
    assert editor.duplicate([]) == [] and state(editor) == before


def test_clipboard_text_keeps_only_edges_inside_the_selection(editor) -> None:
    g = editor.document.graph
    sub = subgraph_from_text(subgraph_to_text(g, ["input1", "dense2", "dense3"]))
    assert [n.id for n in sub.nodes] == ["input1", "dense2", "dense3"]
    assert sub.edges == [EdgeSpec("dense2", "dense3")]


def test_fresh_ids_rename_edges_and_move_positions() -> None:
    sub = GraphSpec([NodeSpec("a", "Dense", {"units": 2}, (1.0, 2.0), True),
                     NodeSpec("b", "Dense", {}, (3.0, 4.0))], [EdgeSpec("a", "b")])
    fresh = with_fresh_ids(sub, ["dense1", "dense3"], (10.0, 20.0))
    assert [(n.id, n.position, n.frozen, n.params) for n in fresh.nodes] == [
        ("dense2", (11.0, 22.0), True, {"units": 2}), ("dense4", (13.0, 24.0), False, {})]
    assert fresh.edges == [EdgeSpec("dense2", "dense4")]
    assert sub.nodes[0].id == "a"  # the source is left as it was


# -- engine edits as one step ----------------------------------------------------------------------
def test_several_engine_edits_are_one_step_that_undoes_exactly(editor) -> None:
    before = state(editor)
    refusal = editor.apply_edits([
        InsertAfter("dense1", "Dropout", {"rate": 0.25}),
        ReplaceType("dense2", "Dense", {"units": 3, "activation": "relu"}),
        SetNodeParams("dense3", {"units": 2}),
        SetData({"val_fraction": 0.3}),
    ], text="Lesson step")
    assert refusal is None
    after = state(editor)
    assert editor.undo_stack.count() == 1 and editor.undo_stack.text(0) == "Lesson step"
    doc = editor.document
    assert [n.id for n in doc.graph.nodes][:3] == ["input1", "dense1", "dropout1"]
    assert doc.node("dense2").params == {"units": 3, "activation": "relu"}
    assert doc.data.val_fraction == 0.3
    editor.undo_stack.undo()
    assert state(editor) == before  # nodes, edges, their order, settings
    editor.undo_stack.redo()
    assert state(editor) == after


def test_removing_a_layer_by_edit_reconnects_its_neighbours_in_one_step(editor) -> None:
    before = state(editor)
    assert editor.apply_edits([RemoveNode("dense2")]) is None
    assert EdgeSpec("dense1", "dense3") in editor.document.graph.edges
    editor.undo_stack.undo()
    assert state(editor) == before


def test_a_refused_engine_edit_says_why_and_makes_no_step(editor) -> None:
    before = state(editor)
    refusal = editor.apply_edits([SetNodeParams("nope", {"units": 2})])
    assert refusal is not None and "nope" in refusal
    assert editor.undo_stack.count() == 0 and state(editor) == before
    assert editor.apply_edits([SetNodeParams("dense1", {})]) is None
    assert editor.undo_stack.count() == 0  # nothing changed: no step
