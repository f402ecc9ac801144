"""View > Show Unit Responses and View > Show Weights on Edges: the pictures under the
nodes are each unit's response over the input plane (computed here with
nncore.responses from the same weights), drawn blue where positive and orange where
negative; the links are as wide as their layer's mean |weight|."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QImage, QPainter

from app.understanding.unit_colors import diverging_rgb
from app.understanding.unit_responses import GRID
from nncore.project import load_project
from nncore.responses import ResponseGrid, plane_ranges
from nncore.run import build_network, prepare_data

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
TIMEOUT = 60_000


def _window(make_window, tmp_path, name: str, epochs: int | None = None):
    project = load_project(EXAMPLES / f"{name}.json")
    if epochs is not None:
        project.training.epochs = epochs
    return make_window(project=project, path=tmp_path / f"{name}.json")


def _expected(net, data) -> dict[str, np.ndarray]:
    xr, yr = plane_ranges(data.dataset.X)
    return ResponseGrid(xr, yr, GRID, data.normalizer).responses(net)


def _render(scene, item) -> tuple[QImage, QPointF]:
    """The item as drawn on the canvas, at scale 1, and the scene point of pixel (0, 0)."""
    rect = item.sceneBoundingRect()
    img = QImage(int(rect.width()), int(rect.height()), QImage.Format.Format_ARGB32)
    img.fill(0)
    painter = QPainter(img)
    scene.render(painter, QRectF(0, 0, rect.width(), rect.height()), rect)
    painter.end()
    return img, rect.topLeft()


def _check_corner_colours(scene, strip, responses: np.ndarray) -> int:
    """Every picture's corners are blue where the unit is clearly positive and orange where
    clearly negative; returns how many corners were checked."""
    img, origin = _render(scene, strip)
    scale = np.abs(responses).max()
    checked = 0
    for k in range(len(strip.images)):
        r = strip.mapRectToScene(strip.image_rect(k))
        # near each corner: the centre of grid cell (row r, column j) of the picture, whose
        # value is responses[k][n - 1 - r, j] (the picture has y up, the grid's rows go up)
        n = responses.shape[1]
        cell = r.width() / n
        corners = {}
        for row in (1, n - 2):
            for col in (1, n - 2):
                at = (r.left() + (col + 0.5) * cell, r.top() + (row + 0.5) * cell)
                corners[at] = responses[k][n - 1 - row, col]
        for (x, y), v in corners.items():
            c = img.pixelColor(int(x - origin.x()), int(y - origin.y()))
            want = diverging_rgb(np.array([v]), scale)[0]
            got = np.array([c.red(), c.green(), c.blue()])
            assert np.abs(got - want).max() <= 40, (k, v, c.name(), want)
            if v > 0.4 * scale:
                assert c.blue() > c.red() + 30, (k, v, c.name())
                checked += 1
            elif v < -0.4 * scale:
                assert c.red() > c.blue() + 30, (k, v, c.name())
                checked += 1
    return checked


def test_unit_pictures_follow_the_responses_before_and_after_training(make_window, qtbot,
                                                                     tmp_path):
    w = _window(make_window, tmp_path, "xor", epochs=15)
    part = w.unit_responses
    assert part.act_show.isEnabled() and not part.strips
    part.act_show.trigger()
    project = w.document.snapshot()
    data = prepare_data(project.data, w.document.base_dir)
    initial = _expected(build_network(project), data)["dense1"]
    np.testing.assert_allclose(part.responses["dense1"], initial, rtol=1e-6, atol=1e-6)
    assert set(part.responses) == {"dense1"}  # hidden units only
    strip = part.strips["dense1"]
    assert len(strip.images) == 8 and strip.more == 0
    assert _check_corner_colours(w.scene, strip, initial) >= 8
    w.view.grab().save(str(tmp_path / "units_initial.png"))

    with qtbot.waitSignal(w.training.runFinished, timeout=TIMEOUT):
        assert w.training.train()
    qtbot.waitUntil(lambda: not w.training.active, timeout=TIMEOUT)
    trained = _expected(w.training.trained.network, w.training.history.runs[-1].data)
    np.testing.assert_allclose(part.responses["dense1"], trained["dense1"], rtol=1e-5,
                               atol=1e-6)
    assert np.abs(trained["dense1"] - initial).max() > 0.05  # training moved them
    assert _check_corner_colours(w.scene, part.strips["dense1"], trained["dense1"]) >= 8

    part.act_show.trigger()  # off: the pictures go
    assert not part.strips and not [i for i in w.scene.items()
                                    if type(i).__name__ == "UnitStrip"]


def test_wide_layers_show_nine_pictures_and_the_rest_as_a_count(make_window, tmp_path):
    w = _window(make_window, tmp_path, "spiral")
    w.unit_responses.act_show.trigger()
    strip = w.unit_responses.strips["dense1"]
    assert len(strip.images) == 9 and strip.more == 16 - 9
    assert "+7" in strip.toolTip() or "9 to 15" in strip.toolTip()


def test_unit_responses_need_a_plane_input(make_window, tmp_path):
    w = _window(make_window, tmp_path, "digits_mlp")
    assert not w.unit_responses.act_show.isEnabled()


def test_edge_widths_follow_the_mean_absolute_weights(make_window, tmp_path):
    w = _window(make_window, tmp_path, "spiral")
    part = w.edge_weights
    part.act_show.trigger()
    weights = build_network(w.document.snapshot()).get_weights()
    means = {(e.source, e.target): np.abs(weights[f"{e.target}/W"]).mean()
             for e in w.document.graph.edges}
    links = w.scene.links
    widths = {k: links[k].weight_style[0] for k in means}
    assert sorted(means, key=means.get) == sorted(widths, key=widths.get)
    assert max(widths.values()) == 7.0
    for k, link in links.items():
        mean = weights[f"{k[1]}/W"].mean()
        color = link.weight_style[1]
        assert (color.blue() > color.red()) == (mean >= 0)
        assert f"mean |weight| {means[k]:.3g}" in link.toolTip()
    w.view.grab().save(str(tmp_path / "edges.png"))
    part.act_show.trigger()
    assert all(link.weight_style is None for link in links.values())
