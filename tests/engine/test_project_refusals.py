"""Project files refused word for word where the other tests check only that they are
refused: edges, the data and training sections, and a version-1 file that uses the points
source by either of its two marks. Also the classes option as saved. Written against
mutation-testing survivors (issue 19)."""

from __future__ import annotations

import pytest

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
