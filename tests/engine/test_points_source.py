"""The "points" data source (project format version 2): points stored in the project file
round-trip through save and load and train with ``netcanvas train``; version-1 files still
load (and may not use points); newer versions are refused; bad points are refused with the
field's path."""

from __future__ import annotations

import copy
import csv
import json
from pathlib import Path

import numpy as np
import pytest

from nncore import points as points_module
from nncore.errors import DataError, FormatError
from nncore.points import points_dataset, points_to_json
from nncore.project import (
    FORMAT_VERSION,
    DataSpec,
    Project,
    load_project,
    project_from_dict,
    save_project,
)
from nncore.run import load_dataset, prepare_data
from nncore.spec import GraphSpec

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def two_clusters(n=120, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    x = rng.normal(size=(n, 2)) * 0.5 + np.where(y[:, None] == 1, 1.5, -1.5)
    return {"task": "classification", "x": x.round(4).tolist(), "y": y.tolist(),
            "class_names": ["blue", "orange"]}


def points_project(points=None, loss="categorical_crossentropy", units=2, out="softmax"):
    graph = GraphSpec.sequential([("Input", {"shape": [2]}),
                                  ("Dense", {"units": 6, "activation": "tanh"}),
                                  ("Dense", {"units": units, "activation": out})])
    p = Project("Points", "hand-placed points", graph,
                DataSpec(source="points", name="", points=points or two_clusters()))
    p.training = p.training.replace(loss=loss, learning_rate=0.05, epochs=30, batch_size=16)
    return p


def test_a_points_project_round_trips_and_trains_with_the_cli(tmp_path):
    from nncore.cli import main

    project = points_project()
    path = tmp_path / "points.json"
    save_project(project, path)
    raw = json.loads(path.read_text())
    assert raw["version"] == FORMAT_VERSION == 2
    assert raw["data"]["source"] == "points"
    assert raw["data"]["points"]["class_names"] == ["blue", "orange"]
    loaded = load_project(path)
    assert loaded.to_dict() == project.to_dict()
    assert loaded.data == project.data
    assert DataSpec(**loaded.data.to_dict()) == loaded.data  # as the window rebuilds it
    ds = load_dataset(loaded.data)
    np.testing.assert_allclose(ds.X, np.array(project.data.points["x"]), rtol=1e-6)
    np.testing.assert_array_equal(ds.y, project.data.points["y"])
    assert ds.class_names == ["blue", "orange"] and ds.task == "classification"
    metrics, weights = tmp_path / "m.csv", tmp_path / "w.npz"
    assert main(["train", str(path), "--quiet", "--metrics", str(metrics),
                 "--out-weights", str(weights)]) == 0
    rows = list(csv.DictReader(metrics.open()))
    assert len(rows) == 30 and float(rows[-1]["val_accuracy"]) >= 0.95
    # Normalization and the stratified split apply as for any data.
    data = prepare_data(loaded.data)
    assert len(data.val.y) == 24 and abs(float(data.train.X.mean())) < 1e-6


def test_regression_points_with_one_or_several_targets(tmp_path):
    from nncore.cli import main

    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, size=(80, 2))
    one = {"task": "regression", "x": x.tolist(), "y": (x[:, 0] - x[:, 1]).tolist(),
           "feature_names": ["a", "b"]}
    ds = points_dataset(one)
    assert ds.y.shape == (80, 1) and ds.feature_names == ["a", "b"]
    back = points_to_json(ds)
    np.testing.assert_array_equal(np.array(back["x"], np.float32), ds.X)
    np.testing.assert_array_equal(np.array(back["y"], np.float32), ds.y[:, 0])
    assert back["feature_names"] == ["a", "b"] and back["task"] == "regression"
    assert points_to_json(points_dataset({"task": "regression", "x": [[0.1, 2]],
                                          "y": [0.3]})) == {
        "task": "regression", "x": [[0.1, 2.0]], "y": [0.3]}
    again = points_dataset(points_to_json(points_dataset(two_clusters())))
    assert again.class_names == ["blue", "orange"]
    two = {"task": "regression", "x": x.tolist(), "y": np.c_[x.sum(1), x[:, 0]].tolist()}
    assert points_dataset(two).y.shape == (80, 2)
    path = tmp_path / "r.json"
    save_project(points_project(two, "mse", 2, "linear"), path)
    assert main(["train", str(path), "--quiet", "--epochs", "3"]) == 0


def test_every_example_version_1_file_still_loads_and_saves_as_version_2(tmp_path):
    for path in sorted(EXAMPLES.glob("*.json")):
        raw = json.loads(path.read_text())
        assert raw["version"] == 1
        project = load_project(path)
        # It reads as the same content would under version 2.
        assert project.to_dict() == project_from_dict({**raw, "version": 2}).to_dict()
        save_project(project, tmp_path / path.name)
        assert load_project(tmp_path / path.name).to_dict() == project.to_dict()


def test_a_version_1_file_cannot_use_points():
    d = points_project().to_dict()
    d["version"] = 1
    with pytest.raises(FormatError, match="needs format version 2.*says version 1"):
        project_from_dict(d)


def test_a_newer_version_is_refused(tmp_path):
    d = points_project().to_dict()
    d["version"] = FORMAT_VERSION + 1
    path = tmp_path / "new.json"
    path.write_text(json.dumps(d))
    with pytest.raises(FormatError, match=r"newer NetCanvas \(format version 3\).*up to 2"):
        load_project(path)


def _edit(**changes):
    points = two_clusters(6)
    points.update(changes)
    return points


BAD_POINTS = [
    (_edit(task="clustering"), "data.points.task"),
    (_edit(x=[]), "data.points.x: expected a non-empty list"),
    (_edit(x=[[0, 1]] * 5 + [[0, 1, 2]]), r"data.points.x\[5\]: expected 2 numbers, got 3"),
    (_edit(x=[[0, 1]] * 5 + [[0, "1"]]), r"data.points.x\[5\]\[1\]: expected a number"),
    (_edit(x=[[0, 1]] * 5 + [[True, 1]]), r"data.points.x\[5\]\[0\]"),
    (_edit(y=[0, 1]), "data.points.y: expected a list of 6 targets"),
    (_edit(y=[0, 1, 0, 1, -1, 0]), r"data.points.y\[4\]: expected a class index"),
    (_edit(y=[0, 1, 0, 1, 0.5, 0]), r"data.points.y\[4\]"),
    (_edit(y=[0, 1, 0, 1, 2, 0]), "class index 2 but only 2 class names"),
    (_edit(class_names=["a", "a"]), "data.points.class_names: expected a list of different"),
    (_edit(task="regression"), "data.points.class_names: regression targets have no"),
    (_edit(feature_names=["only one"]), "data.points.feature_names: 1 names for 2"),
    (_edit(colour="red"), "data.points.colour: unknown field"),
    ([1, 2], "data.points: expected an object"),
]


@pytest.mark.parametrize("points, message", BAD_POINTS)
def test_bad_points_are_refused_naming_the_field(points, message):
    with pytest.raises(DataError, match=message):
        points_dataset(points)
    d = points_project().to_dict()
    d["data"]["points"] = points
    with pytest.raises(FormatError, match=message):
        project_from_dict(d)


def test_points_belong_to_the_points_source_only(monkeypatch):
    d = points_project().to_dict()
    other = copy.deepcopy(d)
    other["data"]["source"] = "synthetic"
    with pytest.raises(FormatError, match="only of it"):
        project_from_dict(other)
    missing = copy.deepcopy(d)
    del missing["data"]["points"]
    with pytest.raises(FormatError, match="data.points"):
        project_from_dict(missing)
    with pytest.raises(DataError, match="none given"):
        load_dataset(DataSpec(source="points"))
    params = copy.deepcopy(d)
    params["data"]["params"] = {"n_samples": 3}
    with pytest.raises(FormatError, match="takes no parameters"):
        project_from_dict(params)
    monkeypatch.setattr(points_module, "MAX_POINTS", 120)  # as many as the limit: fine
    project_from_dict(d)
    monkeypatch.setattr(points_module, "MAX_POINTS", 119)
    with pytest.raises(FormatError) as info:
        project_from_dict(d)
    assert str(info.value) == ("data.points.x: 120 points is more than the 119 a project "
                               "holds; save them as a CSV file and use the file source")


def _c(**changes):  # a one-feature classification of two points, changed
    return {"task": "classification", "x": [[1.0], [2.0]], "y": [0, 1], **changes}


WORDS = [  # whole messages: what is wrong, where, and the value quoted as in the file
    (5, "data.points: expected an object, got 5"),
    (_c(zz=1), "data.points.zz: unknown field (allowed: class_names, feature_names, task, "
               "x, y)"),
    (_c(task="clustering"), "data.points.task: expected \"classification\" or "
                            "\"regression\", got 'clustering'"),
    (_c(x="abc"), "data.points.x: expected a non-empty list, got 'abc'"),
    (_c(x=[[1.0], 3]), "data.points.x[1]: expected a list of numbers, got 3"),
    (_c(x=[[1.0], []]), "data.points.x[1]: expected a list of numbers, got []"),
    (_c(x=[[1.0], [2.0, 3.0]]), "data.points.x[1]: expected 1 number, got 2"),
    (_c(x=[[1.0], ["a" * 70]]), "data.points.x[1][0]: expected a number, got '"
                                + "a" * 56 + "..."),
    (_c(x=[[1.0], ["a" * 58]]), "data.points.x[1][0]: expected a number, got '"
                                + "a" * 58 + "'"),  # 60 characters quoted: kept whole
    (_c(x=[[1.0], ["a" * 59]]), "data.points.x[1][0]: expected a number, got '"
                                + "a" * 56 + "..."),  # 61: cut to 60
    (_c(y="abc"), "data.points.y: expected a list of 2 targets (one per point), got 'abc'"),
    (_c(y=[0]), "data.points.y: expected a list of 2 targets (one per point), got 1"),
    (_c(x=[[1.0]]), "data.points.y: expected a list of 1 target (one per point), got 2"),
    (_c(y=[0, 1.5]), "data.points.y[1]: expected a class index (0, 1, ...), got 1.5"),
    (_c(task="regression", y=[1.0, "a"]), "data.points.y[1]: expected a number, got 'a'"),
    (_c(task="regression", y=[[1.0], [2.0, 3.0]]),
     "data.points.y[1]: expected 1 number, got 2"),
    (_c(class_names="ab"), "data.points.class_names: expected a list of different texts, "
                           "got 'ab'"),
]


@pytest.mark.parametrize("points, words", WORDS)
def test_bad_points_are_refused_in_whole_words(points, words):
    with pytest.raises(DataError) as info:
        points_dataset(points)
    assert str(info.value) == words


def test_points_with_whole_numbers_are_float_data_with_their_names():
    ds = points_dataset({"task": "regression", "x": [[1, 2], [3, 4]], "y": [5, 6]})
    assert ds.X.dtype == ds.y.dtype == np.float32
    np.testing.assert_array_equal(ds.X, [[1, 2], [3, 4]])
    np.testing.assert_array_equal(ds.y.ravel(), [5, 6])
    assert (ds.name, ds.description) == ("points", "points stored in the project")
    c = points_dataset(_c())
    assert c.y.dtype.kind == "i" and c.y.tolist() == [0, 1]
