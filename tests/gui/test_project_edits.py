"""Engine edits (lint fixes, lesson steps) applied in the window: one undo step each, undone
exactly, refused with the engine's reason when the result is not a valid project."""

from __future__ import annotations

from app.document.document import ProjectDocument
from app.document.editor import GraphEditor
from app.training.lock import LockingEditor
from nncore.edits import (
    InsertAfter,
    RemoveNode,
    ReplaceType,
    SetNodeParams,
    SetTraining,
    applied,
)
from nncore.project import Project, project_from_dict
from nncore.spec import GraphSpec


def _project() -> Project:
    graph = GraphSpec.sequential([("Input", {"shape": [2]}),
                                  ("Dense", {"units": 8, "activation": "tanh"}),
                                  ("Dense", {"units": 1, "activation": "sigmoid"})])
    return Project("p", "", graph)


def _editor(cls=GraphEditor):
    doc = ProjectDocument(_project())
    return doc, cls(doc)


def test_edits_are_one_undo_step_and_undo_restores_the_project_exactly(qapp):
    doc, editor = _editor()
    before = doc.project.to_dict()
    dense = doc.graph.nodes[1].id
    edits = [InsertAfter(dense, "Dropout", {"rate": 0.5}), SetTraining({"learning_rate": 0.5}),
             SetNodeParams(dense, {"units": 4})]
    assert editor.apply_edits(edits) is None
    assert editor.undo_stack.count() == 1
    after = doc.project.to_dict()
    types = [n.type for n in doc.graph.nodes]
    assert types.count("Dropout") == 1 and doc.training.learning_rate == 0.5
    assert doc.node(dense).params["units"] == 4
    # The document equals what the engine makes of the same edits.
    assert after == applied(project_from_dict(before), edits).to_dict()
    editor.undo_stack.undo()
    assert doc.project.to_dict() == before
    editor.undo_stack.redo()
    assert doc.project.to_dict() == after


def test_remove_and_replace_keep_the_order_of_nodes_and_edges(qapp):
    doc, editor = _editor()
    before = doc.project.to_dict()
    dense = doc.graph.nodes[1].id
    assert editor.apply_edits([InsertAfter(dense, "Dropout", {"rate": 0.2}, id="drop")]) is None
    assert editor.apply_edits([RemoveNode("drop")]) is None
    assert doc.project.to_dict()["network"] == before["network"]
    assert editor.apply_edits([ReplaceType(dense, "Dense", {"units": 3})]) is None
    assert doc.node(dense).params["units"] == 3
    editor.undo_stack.undo()
    editor.undo_stack.undo()
    editor.undo_stack.undo()
    assert doc.project.to_dict() == before


def test_an_invalid_result_is_refused_with_the_engines_reason_and_nothing_is_pushed(qapp):
    doc, editor = _editor()
    before = doc.project.to_dict()
    reason = editor.apply_edits([SetTraining({"learning_rate": -1.0})])
    assert reason and "learning" in reason
    reason = editor.apply_edits([RemoveNode("nope")])
    assert reason and "nope" in reason
    assert editor.undo_stack.count() == 0 and doc.project.to_dict() == before
    assert editor.apply_edits([SetTraining({"learning_rate": doc.training.learning_rate})]) \
        is None
    assert editor.undo_stack.count() == 0


def test_the_locked_editor_refuses_edits_during_a_run(qapp):
    doc, editor = _editor(LockingEditor)
    editor.set_locked("training is running")
    reasons = []
    editor.refused.connect(reasons.append)
    assert editor.apply_edits([SetTraining({"epochs": 3})]) == "training is running"
    assert reasons == ["training is running"] and editor.undo_stack.count() == 0
