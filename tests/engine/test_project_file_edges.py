"""Project files at their edges: a refused nested training setting is named by its own
path whichever nested settings come before it and whether or not its owner is given, and
a saved project is indented JSON ending in a newline that refuses NaN. Written against
mutation-testing survivors (issue 19)."""

from __future__ import annotations

import json
import math

import pytest

from nncore.errors import FormatError
from nncore.project import Project, project_from_dict, save_project


def with_training(training: dict) -> dict:
    """A project file whose training settings are ``training`` alone (the rest default)."""
    d = Project().to_dict()
    d["training"] = dict(training)
    return d


@pytest.mark.parametrize("training, words", [
    # a later nested setting refused while the ones before it are absent
    ({"schedule": "exponential", "schedule_params": {"gamma": 5.0}},
     "training.schedule_params.gamma: "),
    # a nested parameter whose owner (the optimizer) is left at its default
    ({"optimizer_params": {"momentum": 0.5}},
     "training.optimizer_params.momentum: optimizer adam: unknown parameter 'momentum' "
     "(allowed: beta1, beta2, epsilon)"),
    ({"optimizer_params": 3}, "training.optimizer_params: optimizer_params must be an "
                              "object, got 3"),
])
def test_a_refused_nested_setting_is_named_by_its_path(training, words):
    with pytest.raises(FormatError) as info:
        project_from_dict(with_training(training))
    assert str(info.value).startswith(words)
    if words.endswith(": "):  # the words after the path are the setting's own
        assert "gamma" in str(info.value)[len(words):]


def test_a_saved_project_is_indented_json_with_a_final_newline(tmp_path):
    path = tmp_path / "p.json"
    save_project(Project(name="Indented"), path)
    text = path.read_text(encoding="utf-8")
    assert text.endswith("}\n") and text.splitlines()[1] == '  "format": "netcanvas-project",'
    assert json.loads(text)["name"] == "Indented"


def test_a_project_holding_nan_is_not_written(tmp_path):
    project = Project()
    project.description = "x"
    project.training.learning_rate = math.nan  # (set behind the validation's back)
    path = tmp_path / "p.json"
    with pytest.raises(ValueError):
        save_project(project, path)
    assert not path.exists() and list(tmp_path.iterdir()) == []
