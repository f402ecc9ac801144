"""Edit > Edit Data Points…: clicks on the plot place points where they were clicked, the
right button erases, a drag paints; Apply stores them in the project as one undo step; the
saved file holds them and ``netcanvas train`` trains on them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from nncore.cli import main as cli_main
from nncore.data.synthetic import GENERATORS
from nncore.project import load_project
from nncore.run import prepare_data
from nncore.weights import read_weights

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def _open_editor(make_window, tmp_path, name: str):
    path = tmp_path / f"{name}.json"
    w = make_window(project=load_project(EXAMPLES / f"{name}.json"), path=path)
    assert w.data_points.act_edit.isEnabled()
    w.data_points.act_edit.trigger()
    d = w.data_points.dialog
    assert d is not None and d.isVisible()
    return w, d, path


def _data_at(d, at: QPoint) -> tuple[float, float]:
    """The data point under viewport pixel ``at``, from the plot area's place on the
    screen and its axis ranges (x grows to the right, y upwards)."""
    box = d.plot.box
    scene = d.plot.plot.mapToScene(at)
    rect = box.sceneBoundingRect()
    (x0, x1), (y0, y1) = box.viewRange()
    return (x0 + (scene.x() - rect.left()) / rect.width() * (x1 - x0),
            y1 - (scene.y() - rect.top()) / rect.height() * (y1 - y0))


def _click(d, at: QPoint, button=Qt.MouseButton.LeftButton) -> tuple[float, float]:
    """Click the plot at viewport pixel ``at``; the data point there."""
    QTest.mouseClick(d.plot.plot.viewport(), button, Qt.KeyboardModifier.NoModifier, at)
    return _data_at(d, at)


def _move(d, at: QPoint) -> None:
    vp = d.plot.plot.viewport()
    QApplication.sendEvent(vp, QMouseEvent(
        QEvent.Type.MouseMove, QPointF(at), QPointF(vp.mapToGlobal(at)),
        Qt.MouseButton.NoButton, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))


def test_clicked_points_are_stored_saved_and_trained_on(make_window, qtbot, tmp_path,
                                                        dialog_log):
    w, d, path = _open_editor(make_window, tmp_path, "xor")
    assert "Turn the xor generator's" in dialog_log.last[1]  # asked before converting
    qtbot.mouseClick(d.clear_button, Qt.MouseButton.LeftButton)
    assert len(d.points) == 0 and d.info.text() == "0 points"
    d.resize(900, 600)
    qtbot.waitUntil(lambda: d.plot.plot.viewport().width() > 300)
    vp = d.plot.plot.viewport().rect()
    cx, cy = vp.center().x(), vp.center().y()
    placed = []
    for dx, dy in [(-120, -90), (-60, -110), (-100, 40)]:
        placed.append((_click(d, QPoint(cx + dx, cy + dy)), 0))
    d.class_box.setCurrentIndex(1)
    for dx, dy in [(90, 80), (110, -30)]:
        placed.append((_click(d, QPoint(cx + dx, cy + dy)), 1))
    # A drag paints: a point where it starts and one where it has moved far enough.
    vpw = d.plot.plot.viewport()
    start, end = QPoint(cx + 40, cy + 120), QPoint(cx + 140, cy + 120)
    QTest.mousePress(vpw, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    _move(d, QPoint(cx + 44, cy + 120))  # too close to paint another
    _move(d, end)
    QTest.mouseRelease(vpw, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    placed += [(_data_at(d, start), 1), (_data_at(d, end), 1)]
    assert len(d.points) == 7
    # The right button erases the point under it.
    _click(d, QPoint(cx - 60, cy - 110), Qt.MouseButton.RightButton)
    del placed[1]
    assert len(d.points) == 6 and "6 points" in d.info.text()
    d.grab().save(str(tmp_path / "points_editor.png"))

    steps = w.undo_stack.count()
    qtbot.mouseClick(d.buttons.button(QDialogButtonBox.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)
    assert not d.isVisible() and w.undo_stack.count() == steps + 1
    data = w.document.data
    assert data.source == "points" and data.params == {}
    want_x = np.array([p for p, _ in placed], np.float32)
    pixel = max(d.plot.pixel_size())  # (within the pixel clicked)
    np.testing.assert_allclose(np.array(data.points["x"], np.float32), want_x, rtol=0,
                               atol=pixel)
    assert data.points["y"] == [k for _, k in placed]

    w.undo_stack.undo()  # one step back to the generator
    assert w.document.data.source == "synthetic" and w.document.data.name == "xor"
    w.undo_stack.redo()
    assert w.document.data.source == "points"

    dialog_log.save_paths.append(str(path))
    assert w.files.save()
    saved = json.loads(path.read_text())
    assert saved["version"] == 2 and saved["data"]["source"] == "points"
    reloaded = load_project(path)
    assert reloaded.data.points == data.points

    weights = tmp_path / "w.npz"
    assert cli_main(["train", str(path), "--epochs", "2", "--quiet",
                     "--out-weights", str(weights)]) == 0
    # It trained on these points: the normalizer it saved is fitted on their training split.
    expected = prepare_data(reloaded.data, tmp_path).normalizer
    got = read_weights(weights).normalizer()
    np.testing.assert_allclose(got.to_dict()["mean"], expected.to_dict()["mean"], rtol=1e-6)
    assert got.to_dict()["mean"] != prepare_data(load_project(EXAMPLES / "xor.json").data,
                                                 EXAMPLES).normalizer.to_dict()["mean"]


def test_regression_points_take_the_target_value(make_window, qtbot, tmp_path):
    w, d, _ = _open_editor(make_window, tmp_path, "regression")
    assert not hasattr(d, "class_box")
    d.clear()
    vp = d.plot.plot.viewport().rect()
    d.target_box.setValue(0.75)
    a = _click(d, vp.center() + QPoint(-30, 10))
    d.target_box.setValue(-1.5)
    b = _click(d, vp.center() + QPoint(50, -20))
    assert d.apply()
    pts = w.document.data.points
    assert pts["task"] == "regression" and pts["y"] == [0.75, -1.5]
    np.testing.assert_allclose(np.array(pts["x"], np.float32), np.array([a, b], np.float32),
                               rtol=0, atol=max(d.plot.pixel_size()))


def test_regenerate_draws_from_the_generator_with_the_chosen_noise(make_window, qtbot,
                                                                   tmp_path):
    w, d, _ = _open_editor(make_window, tmp_path, "xor")
    d.noise.setValue(0)
    d.count.setValue(60)
    qtbot.mouseClick(d.regenerate_button, Qt.MouseButton.LeftButton)
    project = load_project(EXAMPLES / "xor.json")
    seed = int(project.data.params.get("seed", 0)) + 1
    ds = GENERATORS["xor"].generate({"n_samples": 60, "noise": 0.0, "seed": seed})
    np.testing.assert_array_equal(d.points.x, ds.X.astype(np.float64))
    np.testing.assert_array_equal(d.points.y, ds.y)
    assert d.info.text().startswith("60 points")
    # An edit the engine refuses (too few points) is said inline, nothing is applied.
    d.clear()
    _click(d, d.plot.plot.viewport().rect().center())
    steps = w.undo_stack.count()
    assert not d.apply() and "at least 2" in d.error.text()
    assert w.undo_stack.count() == steps


def test_the_editor_needs_points_in_a_plane(make_window, tmp_path):
    w = make_window(project=load_project(EXAMPLES / "digits_mlp.json"),
                    path=tmp_path / "d.json")
    assert not w.data_points.act_edit.isEnabled()
