"""What the document layer says: each undo step's text (the Edit menu reads it), each
refusal of a connection, a parameter or a name, word for word; and merged steps that
redo to the last value. Written against mutation-testing survivors of ``app/document``
(issue 19); no window needed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.document import GraphEditor, ProjectDocument
from app.document.naming import id_problem, subgraph_from_text
from app.examples import builtin_spiral
from app.understanding.points_model import PointSet, SetPoints
from nncore.edits import InsertAfter, ReplaceType, SetFrozen, SetNodeParams, SetTraining, applied
from nncore.errors import FormatError
from nncore.project import load_project
from nncore.spec import EdgeSpec, NodeSpec


@pytest.fixture
def editor(qapp) -> GraphEditor:
    return GraphEditor(ProjectDocument(builtin_spiral()))


def last_text(editor: GraphEditor) -> str:
    stack = editor.undo_stack
    return stack.text(stack.index() - 1)


def test_each_graph_edit_names_its_undo_step(editor) -> None:
    doc = editor.document
    assert editor.add_node("Dense", (5, 5)) == "dense4"
    assert last_text(editor) == "Add dense4"
    editor.connect("dense3", "dense4")
    assert last_text(editor) == "Connect dense3 to dense4"
    editor.set_param("dense4", "units", 5)
    assert last_text(editor) == "Set dense4 units to 5"
    editor.move_nodes({"dense4": (doc.node("dense4").position, (50.0, 60.0))})
    assert last_text(editor) == "Move dense4"
    editor.move_nodes({n: (doc.node(n).position, (1.0 + i, 2.0)) for i, n in
                       enumerate(["dense1", "dense2"])})
    assert last_text(editor) == "Move 2 nodes"
    editor.remove([], [EdgeSpec("dense3", "dense4")])
    assert last_text(editor) == "Disconnect dense3 from dense4"
    editor.remove(["dense4"])
    assert last_text(editor) == "Delete dense4"
    editor.remove(["dense1"], [EdgeSpec("dense2", "dense3")])
    assert last_text(editor) == "Delete 2 items"


def test_moves_that_change_nothing_make_no_step(editor) -> None:
    doc = editor.document
    p = doc.node("dense1").position
    editor.move_nodes({"dense1": (p, p), "nope": ((0, 0), (1, 1))})
    assert editor.undo_stack.count() == 0


def test_adding_connected_to_a_missing_node_adds_it_unconnected(editor) -> None:
    new = editor.add_node("Dense", (0, 0), connect_from="nope")
    assert editor.document.edges_of(new) == []


def test_engine_edits_without_a_text_are_named_by_what_they_do(editor) -> None:
    edits = [SetNodeParams("dense1", {"units": 3}), SetFrozen(("dense2",))]
    assert editor.apply_edits(edits) is None
    assert last_text(editor) == "; ".join(e.describe() for e in edits)


@pytest.mark.parametrize("source, target, words", [
    ("nope", "dense1", "both ends of a connection must be layers on the canvas"),
    ("dense1", "nope", "both ends of a connection must be layers on the canvas"),
    ("dense1", "dense1", "'dense1' cannot be connected to itself"),
    ("input1", "dense1", "'input1' is already connected to 'dense1'"),
    ("dense1", "input1", "Input 'input1' is an Input layer: it takes no inputs"),
    ("input1", "dense2", "Dense 'dense2' takes 1 input and already has 1; use a merge "
                         "layer (Add, Concatenate) to combine branches"),
])
def test_refused_connections_say_why(editor, source, target, words) -> None:
    assert editor.connect(source, target) == words
    assert editor.undo_stack.count() == 0


def test_a_connection_making_a_cycle_is_refused_in_words(editor) -> None:
    editor.add_node("Add", (0, 0))
    editor.connect("dense3", "add1")
    assert editor.connect("add1", "dense1").startswith("Dense 'dense1' takes 1 input")
    editor.connect("dense1", "add1")
    assert editor.connect("add1", "dense1") is not None
    editor.remove([], [EdgeSpec("input1", "dense1")])
    assert editor.connect("add1", "dense1") == (
        "connecting 'add1' to 'dense1' would make a cycle; a network must flow one way "
        "from inputs to the output")


def test_parameter_refusals_name_the_layer_and_the_default_counts_as_set(editor) -> None:
    assert editor.set_param("dense1", "colour", 1) == "Dense has no parameter 'colour'"
    refusal = editor.set_param("dense1", "units", "many")
    assert refusal.startswith("Dense 'dense1': ")
    # Setting a parameter the node leaves at its default to that default changes nothing.
    assert "use_bias" not in editor.document.node("dense1").params
    assert editor.set_param("dense1", "use_bias", True) is None
    assert editor.undo_stack.count() == 0


def test_a_parameter_first_set_then_set_again_is_one_step_that_redoes_to_the_last(editor):
    doc, stack = editor.document, editor.undo_stack
    assert "use_bias" not in doc.node("dense2").params
    editor.set_param("dense2", "use_bias", False)
    assert stack.count() == 1
    editor.set_param("dense2", "kernel_initializer", "he_normal")  # another parameter
    assert stack.count() == 2
    editor.set_param("dense2", "kernel_initializer", "zeros")      # the same again: merges
    assert stack.count() == 2
    stack.undo()
    stack.undo()
    stack.redo()
    stack.redo()
    assert doc.node("dense2").params["kernel_initializer"] == "zeros"


def test_merged_settings_redo_to_their_last_value(editor) -> None:
    doc, stack = editor.document, editor.undo_stack
    editor.set_training(epochs=7)
    editor.set_training(epochs=9)
    editor.set_info(name="A")
    editor.set_info(name="AB")
    stack.undo()
    stack.undo()
    stack.redo()
    stack.redo()
    assert doc.training.epochs == 9 and doc.project.name == "AB"


def test_undone_data_parameters_are_the_steps_own_copy(editor) -> None:
    doc, stack = editor.document, editor.undo_stack
    old = dict(doc.data.params)
    editor.set_data(params={**old, "noise": 0.3})
    stack.undo()
    doc.data.params["noise"] = 42.0  # a view writing into the restored mapping...
    stack.redo()
    stack.undo()
    assert doc.data.params == old     # ...does not change what undo restores


def test_a_replaced_type_keeps_its_place_and_edges_and_undoes_exactly(editor) -> None:
    doc = editor.document
    before = doc.project.to_dict()
    assert editor.apply_edits([ReplaceType("dense2", "Dropout", {"rate": 0.3}),
                               SetFrozen(("dense1",))]) is None
    assert [n.id for n in doc.graph.nodes] == ["input1", "dense1", "dense2", "dense3"]
    assert (doc.node("dense2").type, doc.node("dense2").params) == ("Dropout", {"rate": 0.3})
    assert EdgeSpec("dense1", "dense2") in doc.graph.edges
    assert EdgeSpec("dense2", "dense3") in doc.graph.edges
    assert doc.node("dense1").frozen
    editor.undo_stack.undo()
    assert doc.project.to_dict() == before
    assert not doc.node("dense1").frozen


def test_name_and_clipboard_refusals_word_for_word() -> None:
    assert id_problem("9x", []) == (
        "'9x' is not a valid node name: use letters, digits, '_', '-' or '.', starting "
        "with a letter or '_' (at most 64 characters)")
    with pytest.raises(FormatError, match=r"^the clipboard does not hold NetCanvas layers$"):
        subgraph_from_text("not json")


def test_the_documents_own_refusals_name_the_node(editor) -> None:
    doc = editor.document
    with pytest.raises(KeyError, match="nope"):
        doc.node_index("nope")
    with pytest.raises(ValueError, match=r"^a node named 'dense1' already exists$"):
        doc.insert_node(NodeSpec("dense1", "Dense", {"units": 2}), 0)
    with pytest.raises(ValueError, match=r"^node 'dense1' still has connections$"):
        doc.remove_node("dense1")
    with pytest.raises(ValueError, match=r"^a node named 'dense2' already exists$"):
        doc.rename_node("dense1", "dense2")


def test_paths_and_the_data_folder(editor, tmp_path) -> None:
    doc = editor.document
    doc.set_project(builtin_spiral(), None, tmp_path)
    assert doc.path is None and doc.base_dir == tmp_path
    doc.set_path(tmp_path / "p" / "x.json")
    assert doc.path == tmp_path / "p" / "x.json" and doc.base_dir == tmp_path / "p"
    doc.set_path(None)
    assert doc.path is None and doc.base_dir == tmp_path
    doc.set_project(builtin_spiral(), str(tmp_path / "y.json"))
    assert doc.path == Path(tmp_path / "y.json") and doc.base_dir == tmp_path


def test_training_steps_are_named_after_the_settings_they_change(editor) -> None:
    editor.set_training(batch_size=16)
    assert last_text(editor) == "Change batch size"
    editor.set_training(epochs=3, learning_rate=0.5)
    assert last_text(editor) == "Change epochs,learning rate"
    editor.set_training(epochs=4, text="Fewer epochs")
    assert last_text(editor) == "Fewer epochs"
    refusal = editor.set_training(epochs=-1)
    assert refusal.startswith("training: epochs") and editor.undo_stack.count() == 3


def test_data_steps_refusals_and_points_kept_by_other_settings(editor) -> None:
    assert editor.set_data(val_fraction="lots").startswith("data: val_fraction")
    editor.set_data(split_seed=3, val_fraction=0.25)
    assert last_text(editor) == "Change data split seed,val fraction"
    ps = PointSet("classification", np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([0, 1]))
    editor.apply_edits([SetPoints(ps.to_json())])
    points = editor.document.data.points
    editor.set_data(val_fraction=0.3)  # still the points source: the points stay
    assert editor.document.data.points == points


def test_a_list_value_is_named_as_a_list(editor) -> None:
    editor.apply_edits([ReplaceType("dense1", "Dense", {"units": 4})])
    node = editor.add_node("Reshape", (0, 0), connect_from="dense1")
    assert editor.set_param(node, "target_shape", [2, 2]) is None
    assert last_text(editor) == f"Set {node} target_shape to [2, 2]"


def test_a_layer_taking_two_inputs_refuses_a_third_in_the_plural(qapp) -> None:
    examples = Path(__file__).resolve().parents[2] / "resources" / "examples"
    editor = GraphEditor(ProjectDocument(load_project(examples / "recommender.json")))
    dot = next(n.id for n in editor.document.graph.nodes if n.type == "Dot")
    source = next(n.id for n in editor.document.graph.nodes if n.type == "Input")
    assert editor.connect(source, dot) == (
        f"Dot '{dot}' takes 2 inputs and already has 2; use a merge layer (Add, "
        "Concatenate) to combine branches")


def test_arranging_keeps_the_top_left_corner(editor) -> None:
    doc = editor.document
    for i, n in enumerate(doc.graph.nodes):
        n.position = (300.0 + 7 * i, 90.0 + 50 * i)
    sizes = {n.id: (120.0, 60.0) for n in doc.graph.nodes}
    editor.auto_layout(sizes)
    assert min(n.position[0] for n in doc.graph.nodes) == 300.0
    assert min(n.position[1] for n in doc.graph.nodes) == 90.0
    assert last_text(editor) == "Arrange layers"


def test_a_cycle_elsewhere_does_not_refuse_an_unrelated_connection(editor) -> None:
    """Only errors the connection itself would add refuse it: a cycle already in the
    graph (two Activation layers feeding each other) does not."""
    doc = editor.document
    for node_id in ("a1", "a2"):
        doc.insert_node(NodeSpec(node_id, "Activation", {}), len(doc.graph.nodes))
    doc.insert_edge(EdgeSpec("a1", "a2"), 0)
    doc.insert_edge(EdgeSpec("a2", "a1"), 0)
    assert any("cycle" in str(e) for e in doc.analysis.errors)
    new = editor.add_node("Dense", (0, 0))
    assert editor.connect("dense3", new) is None



def test_an_inserted_layer_moves_the_layers_right_of_it_and_only_those(editor) -> None:
    doc = editor.document
    before = {n.id: tuple(n.position) for n in doc.graph.nodes}
    moved: list[str] = []
    doc.nodeMoved.connect(moved.append)
    edit = InsertAfter("dense1", "Dropout", {"rate": 0.2})
    want = applied(doc.snapshot(), [edit])
    assert editor.apply_edits([edit]) is None
    for n in want.graph.nodes:
        assert tuple(doc.node(n.id).position) == tuple(n.position)
    shifted = {n.id for n in want.graph.nodes
               if n.id in before and tuple(n.position) != before[n.id]}
    assert shifted and set(moved) == shifted


def test_a_settings_only_edit_does_not_reanalyse_the_graph(editor) -> None:
    doc = editor.document
    editor.set_param("dense1", "units", 7)  # a graph change first: its analysis runs once
    seen: list[int] = []
    doc.analysisChanged.connect(lambda: seen.append(1))
    assert editor.apply_edits([SetTraining({"epochs": 3})]) is None
    assert editor.apply_edits([SetTraining({"epochs": 4})]) is None
    assert seen == []
