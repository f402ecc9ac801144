"""The data panel: sources, previews, class balance, split settings, import errors."""

from __future__ import annotations

import re
import struct

import numpy as np
import pytest
from PySide6.QtTest import QTest

from nncore.data import GENERATORS, load_bundled
from nncore.project import DataSpec, Project


@pytest.fixture
def panel(window):
    window.data_dock.raise_()
    window.data_dock.show()
    p = window.data_panel
    p.refresh_preview()
    return p


def _plain(html: str) -> str:
    return html.replace("&nbsp;", " ")


def _scatter_points(panel) -> int:
    import pyqtgraph as pg

    items = [i for i in panel.preview._plot.getPlotItem().items
             if isinstance(i, pg.ScatterPlotItem)]
    return sum(len(i.data) for i in items)


def test_spiral_preview_is_a_scatter_coloured_by_class(panel):
    assert panel.preview.kind == "scatter"
    assert _scatter_points(panel) == 500
    assert "500" in panel.preview.summary.text() and "2 classes" in panel.preview.summary.text()
    text = _plain(panel.preview.balance.text())
    assert "250 (50%)" in text
    assert panel.split_sizes.text().startswith("Training 400 · validation 100")


def test_generator_change_and_parameters_are_undoable(window, panel):
    doc = window.document
    combo = panel.sources.generated.choice
    combo.setCurrentIndex(combo.findData("circle"))
    assert doc.data.name == "circle" and doc.data.source == "synthetic"
    # Parameters the two generators share are kept.
    assert doc.data.params == {"n_samples": 500, "noise": 0.1, "seed": 0}
    assert panel.sources.generated.description.text() == GENERATORS["circle"].description
    n = panel.sources.generated.form.widget("n_samples")
    n.setValue(200)
    assert doc.data.params["n_samples"] == 200
    assert panel.dataset.n_samples == 200
    assert _scatter_points(panel) == 200
    window.undo_stack.undo()
    window.undo_stack.undo()
    assert doc.data.name == "spiral"
    assert panel.sources.generated.choice.currentData() == "spiral"


def test_regenerate_draws_new_data_with_a_recorded_seed(window, panel):
    x0 = panel.dataset.X.copy()
    panel.sources.generated.regenerate.click()
    seed = window.document.data.params["seed"]
    assert seed != 0
    assert not np.array_equal(panel.dataset.X, x0)
    # The recorded seed reproduces the data exactly.
    again = GENERATORS["spiral"].generate(window.document.data.params)
    assert np.array_equal(again.X, panel.dataset.X)
    window.undo_stack.undo()
    assert np.array_equal(panel.dataset.X, x0)


def test_bundled_digits_as_images_and_iris_as_table(window, panel):
    src = panel.sources.source
    src.setCurrentIndex(src.findData("bundled"))
    panel.sources.bundled.choice.setCurrentIndex(panel.sources.bundled.choice.findData("iris"))
    assert window.document.data.name == "iris"
    assert panel.preview.kind == "table"
    ref = load_bundled("iris")
    assert panel.preview.table.rowCount() == 150
    assert panel.preview.table.columnCount() == 5
    assert panel.preview.table.model_.text(0, 0) == f"{float(ref.X[0, 0]):.4g}"
    assert panel.preview.table.model_.text(0, 4) == ref.class_names[int(ref.y[0])]
    assert "3 classes" in panel.preview.summary.text()
    panel.sources.bundled.choice.setCurrentIndex(panel.sources.bundled.choice.findData("digits"))
    assert panel.sources.bundled.as_images.isVisibleTo(panel)
    panel.sources.bundled.as_images.setCurrentIndex(1)
    assert window.document.data.params == {"as_images": True}
    assert panel.preview.kind == "images"
    assert not panel.preview.image_grid.pixmap().isNull()
    assert "1×8×8" in panel.preview.summary.text()


def test_split_settings_and_refusal(window, panel):
    doc = window.document
    val = panel.split_form.widget("val_fraction")
    val.setValue(0.3)
    assert doc.data.val_fraction == 0.3
    assert panel.split_sizes.text().startswith("Training 350 · validation 150")
    test = panel.split_form.widget("test_fraction")
    test.setValue(0.7)
    assert doc.data.test_fraction == 0.0
    assert "too little training data" in panel.split_form.error_text()
    assert test.value() == 0.0
    window.undo_stack.undo()
    assert doc.data.val_fraction == 0.2


def test_import_csv_shows_table(window, panel, tmp_path, dialog_log, qtbot):
    path = tmp_path / "pts.csv"
    rows = ["x,y,z,kind"] + [f"{i},{i * 2},{i % 3},{'ab'[i % 2]}" for i in range(20)]
    path.write_text("\n".join(rows) + "\n")
    dialog_log.open_paths.append(str(path))
    assert panel.sources.file.choose_file()
    spec = window.document.data
    assert spec.source == "file" and spec.path == path.resolve().as_posix()
    assert panel.preview.kind == "table"
    assert panel.preview.table.rowCount() == 20
    assert [panel.preview.table.header(j) for j in range(4)] == \
        ["x", "y", "z", "class"]
    # Loaded: the options fold away, one click shows them.
    assert not panel.sources.file.options.isVisibleTo(panel)
    panel.sources.file.options_toggle.click()
    assert panel.sources.file.options.isVisibleTo(panel)
    # Choose another target column: the data reloads (after a short pause).
    target = panel.sources.file.options.fields["target"]
    target.setText("z")
    target.setModified(True)
    target.editingFinished.emit()
    qtbot.waitUntil(lambda: window.document.data.params == {"target": "z"}, timeout=3000)
    window.undo_stack.undo()
    window.undo_stack.undo()
    assert window.document.data.source == "synthetic"


def test_broken_import_is_a_clear_message_and_changes_nothing(window, panel, tmp_path,
                                                              dialog_log):
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,2\n3,oops\n4,5\n")
    before = window.document.data
    dialog_log.open_paths.append(str(path))
    assert not panel.sources.file.choose_file()
    shown = panel.sources.file.error.text()
    assert "bad.csv line 3, column 'b': expected a number, got 'oops'" in shown
    assert panel.sources.file.problem.isVisibleTo(panel)
    assert "Traceback" not in shown and not dialog_log.messages
    assert window.document.data == before
    assert not window.undo_stack.canUndo()


def test_unreadable_data_in_project_shows_error_not_traceback(make_window, tmp_path):
    p = Project(name="x", data=DataSpec(source="file", path=str(tmp_path / "nope.csv")))
    w = make_window(project=p, path=tmp_path / "x.json")
    w.data_dock.raise_()
    w.data_panel.refresh_preview()
    assert not w.data_panel.preview.error.isHidden()
    assert "not found" in w.data_panel.preview.error.text()
    assert "Traceback" not in w.data_panel.preview.error.text()
    assert w.data_panel.preview.kind == "none"


def test_image_folder_import(window, panel, tmp_path, dialog_log):
    from PIL import Image

    root = tmp_path / "shapes"
    for cls, value in (("dark", 20), ("light", 230)):
        (root / cls).mkdir(parents=True)
        for i in range(3):
            Image.fromarray(np.full((6, 5), value + i, np.uint8)).save(root / cls / f"{i}.png")
    dialog_log.folders.append(str(root))
    assert panel.sources.file.choose_folder()
    assert panel.preview.kind == "images"
    assert panel.dataset.X.shape == (6, 1, 6, 5)
    assert "dark: 3 (50%)" in _plain(panel.preview.balance.text())


def _idx(path, arr: np.ndarray) -> None:
    header = struct.pack(">BBBB", 0, 0, 0x08, arr.ndim) + b"".join(
        struct.pack(">I", d) for d in arr.shape)
    path.write_bytes(header + arr.astype(np.uint8).tobytes())


def test_idx_import_asks_for_labels(window, panel, tmp_path, dialog_log):
    images = tmp_path / "train-images-idx3-ubyte"
    labels = tmp_path / "train-labels-idx1-ubyte"
    _idx(images, np.arange(4 * 3 * 3).reshape(4, 3, 3) % 256)
    _idx(labels, np.array([0, 1, 1, 0]))
    dialog_log.open_paths += [str(images), str(labels)]
    assert panel.sources.file.choose_file()
    assert window.document.data.params["labels_path"] == labels.resolve().as_posix()
    assert panel.preview.kind == "images"
    assert panel.dataset.n_samples == 4


def test_switching_source_to_file_without_choosing_keeps_data(window, panel):
    before = window.document.data
    panel.sources.source.setCurrentIndex(panel.sources.source.findData("file"))
    assert window.document.data == before
    assert panel.sources.source.currentData() == "synthetic"


def test_preview_waits_until_panel_is_shown(make_window, qtbot):
    w = make_window()
    w.inspector_dock.raise_()
    QTest.qWait(10)
    assert w.data_panel.preview._plot is None  # pyqtgraph is not needed before the panel shows
    w.editor.set_data(params={"n_samples": 100, "noise": 0.1, "seed": 0})
    assert w.data_panel._dirty
    w.data_dock.raise_()
    qtbot.waitUntil(lambda: not w.data_panel._dirty, timeout=2000)
    assert w.data_panel.dataset.n_samples == 100


def test_data_panel_says_whether_data_fits_the_network(window, panel):
    assert panel.preview.fit.text().startswith("✓ Fits the network")
    panel.sources.source.setCurrentIndex(panel.sources.source.findData("bundled"))
    panel.sources.bundled.choice.setCurrentIndex(panel.sources.bundled.choice.findData("iris"))
    assert "expects samples of shape (2,)" in panel.preview.fit.text()
    window.editor.set_param("input1", "shape", [4])
    assert "3 classes" in panel.preview.fit.text()  # now the output layer is the problem
    window.editor.set_param("dense3", "units", 3)
    assert panel.preview.fit.text().startswith("✓ Fits the network")


def test_csv_options_come_from_the_csv_format_schema(panel):
    from nncore.data import data_format

    csv = data_format("csv")
    options = panel.sources.file.options
    assert list(options.fields) == [p.name for p in csv.options]
    task = options.fields["task"]
    assert [task.itemData(i) for i in range(task.count())] == \
        [None, *csv.option("task").choices]
    assert [task.itemText(i) for i in range(task.count())] == \
        ["Automatic", "Classification", "Regression"]
    for p in csv.options:
        assert options.fields[p.name].toolTip() == p.help
        assert options.labels[p.name].toolTip() == p.help
    options.fields["target"].setText("3")
    task.setCurrentIndex(task.findData("regression"))
    assert options.params({"delimiter": ";", "task": "classification"}) == \
        {"target": 3, "task": "regression"}
    options.fields["target"].setText("")
    task.setCurrentIndex(0)
    assert options.params({"target": "x", "task": "regression"}) == {}


@pytest.mark.parametrize("name", ["moons", "spiral", "circle", "plane"])
def test_two_d_previews_keep_equal_scales(window, panel, qtbot, tmp_path, name):
    """A unit is as long across as up: the moons are not squashed."""
    window.editor.set_data(source="synthetic", name=name, params={})
    assert panel.preview.kind == "scatter"
    view = panel.preview._plot.getPlotItem().getViewBox()
    qtbot.waitUntil(lambda: view.width() > 50 and view.height() > 50)
    across, up = view.viewPixelSize()
    assert across == pytest.approx(up, rel=0.01)
    panel.preview.grab().save(str(tmp_path / f"{name}.png"))


def _developer_words(text: str) -> list[str]:
    """Option names (as_images), assignments (x=1), array shapes ((n, 1, 8, 8)) and
    statistics shorthand (std) in ``text``."""
    found = re.findall(r"\b[a-z]+_[a-z_]+\b|\w+=\w+|\(n,|\bstd\b|\bnp\.|\bTrue\b|"
                          r"\bFalse\b|Playground", text)
    return found


def test_data_descriptions_speak_the_users_language(window, panel):
    from nncore.data import BUNDLED

    sources = panel.sources
    for name, gen in GENERATORS.items():
        window.editor.set_data(source="synthetic", name=name, params={})
        shown = [sources.generated.description.text(), panel.preview.summary.text()]
        shown += [p.help for p in gen.params]
        for text in shown:
            assert not _developer_words(text), (name, text)
        assert "one sample:" in panel.preview.summary.text()
    for name, info in BUNDLED.items():
        window.editor.set_data(source="bundled", name=name, params={})
        description = sources.bundled.description.text()
        assert not _developer_words(description), (name, description)
        assert f"{info.n_samples:,}" in description  # how many samples
        assert "one sample:" in panel.preview.summary.text()
    normalization = panel.split_form.widget("normalization")
    for i in range(normalization.count()):
        assert not _developer_words(normalization.itemText(i)), normalization.itemText(i)
