"""Some classes only, and fewer training samples: the data options ``classes`` and
``train_samples`` of a project, from the file to the prepared splits."""

from __future__ import annotations

import numpy as np
import pytest

from nncore.data import load_bundled
from nncore.data.subsets import keep_classes, limit_samples
from nncore.errors import DataError, FormatError
from nncore.project import project_from_dict
from nncore.run import prepare_data


def _project(**data):
    return project_from_dict({
        "format": "netcanvas-project", "version": 2, "name": "t",
        "network": {"nodes": [{"id": "input1", "type": "Input", "params": {"shape": [64]}},
                              {"id": "dense1", "type": "Dense",
                               "params": {"units": 5, "activation": "softmax"}}],
                    "edges": [{"source": "input1", "target": "dense1"}]},
        "data": {"source": "bundled", "name": "digits", "val_fraction": 0.3, **data},
        "training": {"loss": "categorical_crossentropy"}})


def test_kept_classes_are_relabelled_in_the_order_given():
    digits = load_bundled("digits")
    five = keep_classes(digits, [9, "5", 7])
    assert five.class_names == ["9", "5", "7"]
    assert set(five.y.tolist()) == {0, 1, 2}
    assert five.n_samples == int(np.sum(np.isin(digits.y, [9, 5, 7])))
    # Every sample keeps its picture: the first kept 9 is the first 9 of the data.
    assert np.array_equal(five.X[np.flatnonzero(five.y == 0)[0]],
                          digits.X[np.flatnonzero(digits.y == 9)[0]])


@pytest.mark.parametrize("classes, message", [
    ([3, 3], "twice"), ([3, 12], "no class 12"), ([3], "at least two"),
    (["3", "seven"], "no class 'seven'")])
def test_bad_classes_are_named(classes, message):
    with pytest.raises(DataError, match=message):
        keep_classes(load_bundled("digits"), classes)


def test_regression_data_has_no_classes_to_keep():
    from nncore.data import GENERATORS
    with pytest.raises(DataError, match="regression"):
        keep_classes(GENERATORS["plane"].generate({}), [0, 1])


def test_a_limit_draws_evenly_over_the_classes():
    digits = load_bundled("digits")
    few = limit_samples(digits, 25, seed=3)
    assert few.n_samples == 25
    assert sorted(np.bincount(few.y, minlength=10).tolist()) == [2] * 5 + [3] * 5
    assert limit_samples(digits, 0) is digits and limit_samples(digits, 5000) is digits


def test_the_project_keeps_classes_and_limits_only_the_training_split():
    project = _project(classes=[5, 6, 7, 8, 9], train_samples=50)
    assert project.data.classes == [5, 6, 7, 8, 9] and project.data.train_samples == 50
    assert project.copy().data == project.data  # written and read back the same
    data = prepare_data(project.data)
    assert data.class_names == ["5", "6", "7", "8", "9"]
    assert data.train.n_samples == 50
    assert np.bincount(data.train.y).tolist() == [10] * 5
    whole = prepare_data(_project(classes=[5, 6, 7, 8, 9]).data)
    assert data.val.n_samples == whole.val.n_samples  # validation keeps its size
    assert np.array_equal(data.val.y, whole.val.y)


def test_files_without_the_options_are_written_as_before():
    assert not {"classes", "train_samples"} & set(_project().to_dict()["data"])


@pytest.mark.parametrize("data, field", [({"classes": [1]}, "data.classes"),
                                         ({"classes": "1,2"}, "data.classes"),
                                         ({"train_samples": -3}, "data.train_samples")])
def test_bad_options_in_a_file_are_named(data, field):
    with pytest.raises(FormatError, match=field):
        _project(**data)
