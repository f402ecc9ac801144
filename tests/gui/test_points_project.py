"""A project whose data is stored in it (the "points" source) opens in the window, shows
its points, and is saved with them (the window's editing of points comes on top of this)."""

from __future__ import annotations

import json

from nncore.project import DataSpec, Project
from nncore.spec import GraphSpec


def test_a_points_project_opens_previews_and_saves_its_points(make_window, tmp_path,
                                                               dialog_log):
    points = {"task": "classification", "x": [[0.0, 0.0], [1.0, 1.0], [0.1, 0.9],
                                             [0.9, 0.2], [0.5, 0.5], [0.2, 0.3]],
              "y": [0, 1, 1, 0, 1, 0], "class_names": ["a", "b"]}
    graph = GraphSpec.sequential([("Input", {"shape": [2]}),
                                  ("Dense", {"units": 2, "activation": "softmax"})])
    project = Project("pts", "", graph, DataSpec(source="points", name="", points=points,
                                                 val_fraction=0.34))
    path = tmp_path / "pts.json"
    w = make_window(project=project, path=path)
    w.data_dock.raise_()
    w.data_panel.refresh_preview()
    assert w.data_panel.preview.error.isHidden(), w.data_panel.preview.error.text()
    assert w.data_panel.preview.kind == "scatter"
    dialog_log.save_paths.append(str(path))
    w.files.save()
    saved = json.loads(path.read_text())
    assert saved["version"] == 2 and saved["data"]["points"] == points
