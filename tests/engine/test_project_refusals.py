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
