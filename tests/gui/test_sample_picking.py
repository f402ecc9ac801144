"""Clicking a sample reports it: ``samplePicked(split, row)`` from the data preview (a point
of the 2-D scatter, an image) and from the results dock (a dot of the decision boundary, a
misclassified image); and big data is drawn as a bounded, stratified sample that says so."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from app.paths import examples_dir
from nncore.data import load_data

TIMEOUT = 60_000


def _click_data_point(qtbot, plot, x: float, y: float) -> None:
    vb = plot.getPlotItem().getViewBox()
    pos = plot.mapFromScene(vb.mapViewToScene(QPointF(x, y)))
    QTest.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def _isolated(points: np.ndarray) -> int:
    """The index of the point farthest from its nearest neighbour."""
    d = np.linalg.norm(points[:, None, :] - points[None, :, :], axis=-1)
    np.fill_diagonal(d, np.inf)
    return int(np.argmax(d.min(axis=1)))


def test_clicking_a_preview_point_picks_its_row(window, qtbot, tmp_path, dialog_log):
    window.data_dock.raise_()
    panel = window.data_panel
    path = tmp_path / "pts.csv"
    rows = [(0, 0, "a"), (4, 1, "b"), (1, 5, "a"), (5, 5, "b"), (2.5, 9, "a"), (9, 2, "b")]
    path.write_text("x,y,c\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows))
    dialog_log.open_paths.append(str(path))
    panel.sources.file.import_file.click()
    assert panel.preview.kind == "scatter"
    plot = panel.preview._plot
    vb = plot.getPlotItem().getViewBox()
    qtbot.waitUntil(lambda: vb.width() > 50 and vb.height() > 50)
    with qtbot.waitSignal(panel.preview.samplePicked, timeout=3000) as blocker:
        _click_data_point(qtbot, plot, 2.5, 9)
    assert blocker.args == ["all", 4]
    ds = load_data(path)
    assert ds.X[4].tolist() == [2.5, 9]


def test_clicking_a_preview_image_picks_its_row(window, tmp_path, dialog_log, qtbot):
    from PIL import Image

    window.data_dock.raise_()
    panel = window.data_panel
    root = tmp_path / "imgs"
    for k, cls in enumerate(("one", "two")):
        (root / cls).mkdir(parents=True)
        for i in range(5):
            Image.fromarray(np.full((4, 4), 40 * k + i, np.uint8)).save(root / cls / f"{i}.png")
    dialog_log.folders.append(str(root))
    panel.sources.file.import_folder.click()
    grid = panel.preview.image_grid
    x, y, row = grid.cells[-1]  # the last image of class "two"
    w, _h = grid._pixmap_size
    pos = QPoint(int((grid.width() - w) / 2 + x + 10), int(y + 10))
    with qtbot.waitSignal(panel.preview.samplePicked, timeout=3000) as blocker:
        QTest.mouseClick(grid, Qt.MouseButton.LeftButton, pos=pos)
    assert blocker.args == ["all", row]
    assert panel.dataset.class_names[int(panel.dataset.y[row])] == "two"


def test_a_big_scatter_is_a_stratified_sample_that_says_so(window):
    from nncore.data import Dataset

    window.data_dock.raise_()
    panel = window.data_panel
    rng = np.random.default_rng(1)
    y = (rng.random(60_000) < 0.02).astype(np.int64)  # a rare class of ~2 %
    ds = Dataset(rng.normal(size=(60_000, 2)).astype(np.float32), y, task="classification")
    panel.preview.show_dataset(ds, 400)
    import pyqtgraph as pg

    items = [i for i in panel.preview._plot.getPlotItem().items
             if isinstance(i, pg.ScatterPlotItem)]
    counts = [len(i.data) for i in items]
    assert sum(counts) == 5000
    assert counts[1] == pytest.approx(5000 * y.mean(), abs=1)  # its share, not fewer
    assert panel.preview.sampled.text().startswith("showing 5,000 of 60,000 points")


def _open_example(w, name: str) -> None:
    w.files.marked_modified = False
    w.undo_stack.setClean()
    assert w.files.open_project(examples_dir() / f"{name}.json", as_copy=True)


def _train(qtbot, w, epochs: int):
    w.editor.set_training(epochs=epochs)
    with qtbot.waitSignal(w.training.runFinished, timeout=TIMEOUT) as blocker:
        assert w.training.train()
    return blocker.args[0]


def _wait_probe(qtbot, w, kind: str, run) -> None:
    probe = w.training.probe
    qtbot.waitUntil(lambda: kind in probe.results
                    and probe.results[kind].version == ("run", run.number), timeout=TIMEOUT)
    qtbot.wait(30)
    w.training.frames.redraw_all()


def test_results_dock_reports_a_clicked_boundary_dot(make_window, qtbot):
    w = make_window()
    _open_example(w, "xor")
    run = _train(qtbot, w, 1)
    results = w.plot_docks.results
    results.tabs.setCurrentIndex(results.i_boundary)
    _wait_probe(qtbot, w, "grid", run)
    results.refresh_probe_views()
    x, y, rows = results.boundary.point_data()
    xy = np.column_stack([x, y])
    k = _isolated(xy)
    plot = results.boundary.plot
    vb = plot.getPlotItem().getViewBox()
    qtbot.waitUntil(lambda: vb.width() > 50 and vb.height() > 50, timeout=5000)
    with qtbot.waitSignal(results.samplePicked, timeout=3000) as blocker:
        _click_data_point(qtbot, plot, xy[k, 0], xy[k, 1])
    split, row = blocker.args
    assert split == "all" and row == int(rows[k])
    np.testing.assert_allclose(w.training.probe.data.dataset.X[row], xy[k], rtol=1e-6)


def test_results_dock_reports_a_clicked_misclassified_image(make_window, qtbot):
    w = make_window()
    _open_example(w, "digits_cnn")
    run = _train(qtbot, w, 1)
    results = w.plot_docks.results
    results.tabs.setCurrentIndex(results.i_gallery)
    _wait_probe(qtbot, w, "val", run)
    results.refresh_probe_views()
    gallery = results.gallery
    assert gallery.items, "one epoch leaves some digits misclassified"
    gallery.grab()  # paint: the images' places are known
    res = w.training.probe.results["val"]
    split, rows = results._gallery_rows
    assert split == "val" and len(rows) == len(gallery.items) <= gallery.MAX
    i = len(gallery.rects) - 1
    with qtbot.waitSignal(results.samplePicked, timeout=3000) as blocker:
        QTest.mouseClick(gallery, Qt.MouseButton.LeftButton,
                         pos=gallery.rects[i].center().toPoint())
    assert blocker.args == ["val", rows[i]]
    val = w.training.probe.data.val
    j = int(np.flatnonzero(res.index == rows[i])[0])
    assert int(np.argmax(res.outputs[j])) != int(val.y[rows[i]])  # it is misclassified
