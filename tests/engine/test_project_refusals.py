"""Project files refused word for word where the other tests check only that they are
refused: edges, the data and training sections, and a version-1 file that uses the points
source by either of its two marks. Also the classes option as saved. Written against
mutation-testing survivors (issue 19)."""

from __future__ import annotations

import pytest

from nncore.config import TrainingConfig
from nncore.errors import FormatError
from nncore.project import DataSpec, Project, project_from_dict
from nncore.spec import GraphSpec


def two_nodes() -> dict:
    d = Project(graph=GraphSpec.sequential([("Input", {"shape": [2]}),
                                            ("Dense", {"units": 1})])).to_dict()
    return d


def refusal(d: dict) -> str:
    with pytest.raises(FormatError) as err:
        project_from_dict(d)
    return str(err.value)


@pytest.mark.parametrize("edge, words", [
    (5, "network.edges[0]: expected an object, got 5"),
    ({"source": "input1", "target": "dense1", "x": 1},
     "network.edges[0].x: unknown field (allowed: source, target)"),
    ({"source": 3, "target": "dense1"}, "network.edges[0].source: expected a text, got 3"),
    ({"source": "input1", "target": 3}, "network.edges[0].target: expected a text, got 3"),
    ({"target": "dense1"}, "network.edges[0].source: missing"),
    ({"source": "zz", "target": "dense1"}, "network.edges[0].source: no node is named 'zz'"),
    ({"source": "input1", "target": "zz"}, "network.edges[0].target: no node is named 'zz'"),
])
def test_edge_refusals_word_for_word(edge, words):
    d = two_nodes()
    d["network"]["edges"] = [edge]
    assert refusal(d) == words


def test_section_refusals_word_for_word():
    d = two_nodes()
    d["data"] = 5
    assert refusal(d) == "data: expected an object, got 5"
    d["data"] = {"zzz": 1}
    assert refusal(d).startswith("data.zzz: unknown field (allowed: classes, ")
    d = two_nodes()
    d["training"] = [1]
    assert refusal(d) == "training: expected an object, got [1]"


@pytest.mark.parametrize("data", [
    {"source": "points"},                    # the source alone
    {"source": "synthetic", "points": {}},   # the points alone
])
def test_a_version_1_file_is_refused_points_by_either_mark(data):
    d = two_nodes()
    d["version"] = 1
    d["data"] = data
    assert refusal(d) == ('data.source: the "points" source needs format version 2 or '
                          'later; this file says version 1')


def test_classes_are_saved_as_given_with_merged_groups_copied():
    spec = DataSpec(classes=[0, "cat", [1, 2]])
    saved = spec.to_dict()["classes"]
    assert saved == [0, "cat", [1, 2]]
    saved[2].append(9)  # the saved dict's group is its own list
    assert spec.classes[2] == [1, 2]


def with_data(**fields) -> dict:
    d = two_nodes()
    d["data"].update(fields)
    return d


@pytest.mark.parametrize("val, test, refused", [
    (0.5, 0.45, True),    # exactly 0.95 left out: refused
    (0.75, 0.2, True),
    (0.5, 0.44, False),
    (0.9, 0.0, False),
])
def test_validation_and_test_shares_must_leave_training_data(val, test, refused):
    d = with_data(val_fraction=val, test_fraction=test)
    if refused:
        assert refusal(d) == ("data: val_fraction + test_fraction leave too little training "
                              f"data ({val} + {test})")
    else:
        assert project_from_dict(d).data.val_fraction == val


def test_data_params_must_be_an_object():
    assert refusal(with_data(params=[1])) == "data.params: expected an object, got [1]"


@pytest.mark.parametrize("index, node, words", [
    (0, 5, "network.nodes[0]: expected an object, got 5"),
    (0, {"id": "a", "type": "Input", "x": 1},
     "network.nodes[0].x: unknown field (allowed: frozen, id, params, position, type)"),
    (0, {"id": 3, "type": "Input"}, "network.nodes[0].id: expected a text, got 3"),
    (0, {"id": "  ", "type": "Input"}, "network.nodes[0].id: must not be empty"),
    (1, {"id": "input1", "type": "Dense"},
     "network.nodes[1].id: 'input1' is used by another node"),
    (0, {"id": "a", "type": 3}, "network.nodes[0].type: expected a text, got 3"),
    (0, {"id": "a", "type": "Input", "position": [1, "b"]},
     'network.nodes[0].position: expected [x, y] numbers, got [1, "b"]'),
    (0, {"id": "a", "type": "Input", "position": [1, 2, 3]},
     "network.nodes[0].position: expected [x, y] numbers, got [1, 2, 3]"),
    (0, {"id": "a", "type": "Input", "position": 5},
     "network.nodes[0].position: expected [x, y] numbers, got 5"),
    # the constructor's own check names the node by its id
    (0, {"id": "conv", "type": "Conv2D", "params": {"filters": 2, "kernel_size": [1, 2, 3]}},
     "network.nodes[0].params: Conv2D 'conv': kernel_size must be one number or two "
     "(height, width), received [1, 2, 3]"),
])
def test_node_refusals_word_for_word(index, node, words):
    d = two_nodes()
    d["network"]["nodes"][index] = node
    d["network"]["edges"] = []
    assert refusal(d) == words


def test_a_node_without_params_or_position_takes_the_defaults():
    d = two_nodes()
    d["network"]["nodes"] = [{"id": "a", "type": "Input"}]
    d["network"]["edges"] = []
    (node,) = project_from_dict(d).graph.nodes
    assert node.params == {} and node.position == (0.0, 0.0) and node.frozen is False


@pytest.mark.parametrize("change, words", [
    ({"format": "other"}, "format: expected 'netcanvas-project', got 'other' (not a NetCanvas "
                          "project file)"),
    ({"version": True}, "version: expected a positive integer, got True"),
    ({"version": "2"}, "version: expected a positive integer, got '2'"),
    ({"version": 0}, "version: expected a positive integer, got 0"),
    ({"version": 3}, "version: this file was written by a newer NetCanvas (format version 3); "
                     "this program reads versions up to 2"),
    ({"zzz": 1}, "zzz: unknown field (allowed: data, description, format, name, network, "
                 "training, version)"),
    ({"name": 5}, "name: expected a text, got 5"),
    ({"description": [1]}, "description: expected a text, got [1]"),
    ({"network": 5}, "network: expected an object with nodes and edges, got 5"),
    ({"network": {"nodes": [], "x": 1}}, "network.x: unknown field (allowed: edges, nodes)"),
    ({"network": {"edges": []}}, "network.nodes: expected a list, got null"),
    ({"network": {"nodes": 5}}, "network.nodes: expected a list, got 5"),
    ({"network": {"nodes": [], "edges": 5}}, "network.edges: expected a list, got 5"),
])
def test_top_level_refusals_word_for_word(change, words):
    d = two_nodes()
    d.update(change)
    assert refusal(d) == words


def test_not_an_object_and_too_many_nodes():
    assert refusal([1]) == "the file must hold a JSON object"
    from nncore.project import MAX_NODES

    d = two_nodes()
    d["network"] = {"nodes": [{"id": f"n{i}", "type": "Dense"} for i in range(MAX_NODES + 1)],
                    "edges": []}
    assert refusal(d) == (f"network.nodes: {MAX_NODES + 1} nodes is more than the "
                          f"{MAX_NODES} allowed")
    d["network"]["nodes"].pop()  # exactly the limit loads
    assert len(project_from_dict(d).graph.nodes) == MAX_NODES


def test_data_and_training_take_their_defaults_when_absent():
    d = two_nodes()
    del d["data"], d["training"]
    p = project_from_dict(d)
    assert p.data == DataSpec() and p.training.to_dict() == TrainingConfig().to_dict()


def test_name_description_and_edges_default_when_absent():
    d = two_nodes()
    for key in ("name", "description"):
        del d[key]
    del d["network"]["edges"]
    p = project_from_dict(d)
    assert (p.name, p.description, p.graph.edges) == ("", "", [])


@pytest.mark.parametrize("node, words", [
    ({"id": "a", "type": "Nope"}, "network.nodes[0].type: unknown layer type 'Nope'"),
    ({"id": "a", "type": "Dense", "params": 5},
     "network.nodes[0].params: expected an object, got 5"),
    ({"id": "a", "type": "Dropout", "params": {"units": 2}},
     "network.nodes[0].params.units: Dropout has no parameter 'units' (allowed: rate)"),
    ({"id": "a", "type": "Flatten", "params": {"x": 1}},
     "network.nodes[0].params.x: Flatten has no parameter 'x' (allowed: none)"),
    ({"id": "a", "type": "Dropout", "params": {"rate": 2}},
     "network.nodes[0].params.rate: expected a number between 0 and 0.95, got 2"),
    ({"id": "a", "type": "Dense", "frozen": 1},
     "network.nodes[0].frozen: expected true or false, got 1"),
])
def test_layer_parameter_refusals_word_for_word(node, words):
    d = two_nodes()
    d["network"] = {"nodes": [node], "edges": []}
    assert refusal(d).startswith(words)


@pytest.mark.parametrize("params, words", [
    ({"zz": 1}, "network.nodes[0].params.zz: Dense has no parameter 'zz' (allowed: units, "
                "activation, use_bias, kernel_initializer, bias_initializer)"),
    # the phrase names the bound the value broke
    ({"units": 10**9}, "network.nodes[0].params.units: expected an integer of at most "
                       "1000000, got 1000000000"),
])
def test_dense_parameter_refusals_word_for_word(params, words):
    d = two_nodes()
    d["network"] = {"nodes": [{"id": "a", "type": "Dense", "params": params}], "edges": []}
    assert refusal(d) == words


def test_data_settings_refused_by_their_path():
    assert refusal(with_data(val_fraction="x")) == ("data.val_fraction: expected a number "
                                                    "between 0 and 0.9, got 'x'")
    points = {"task": "classification", "x": [[0.0, 1.0], [1.0, 0.0]], "y": [0, 1]}
    assert refusal(with_data(source="points", points=points, params={"n": 2})) == (
        "data.params: the points source takes no parameters")
