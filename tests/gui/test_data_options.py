"""The data panel's loader options: every option of the format with its help, before and
after an import; a failed load names the option that fixes it, filled in; "Detected"
shows how the file was read; warnings clear when what they warn about changes; every
class shows in an image preview; the IDX import says it needs the labels file next."""

from __future__ import annotations

import html
import struct

import numpy as np
import pytest
from PySide6.QtGui import QAction

from app.panels.data_import import file_filter
from nncore.data import data_format, load_data
from nncore.project import DataSpec, Project


@pytest.fixture
def panel(window):
    window.data_dock.raise_()
    window.data_dock.show()
    window.data_panel.refresh_preview()
    return window.data_panel


def _file_page(panel):
    return panel.sources.file


def test_options_are_offered_before_an_import_and_used_by_it(window, panel, qtbot, tmp_path,
                                                             dialog_log):
    panel.sources.source.setCurrentIndex(panel.sources.source.findData("file"))  # no file
    page = _file_page(panel)
    assert [*page.options.fields] == [p.name for p in data_format("csv").options]
    assert "next CSV file" in page.file_label.text()
    page.options.fields["drop_incomplete"].setChecked(True)
    page.apply_options()
    path = tmp_path / "holes.csv"
    path.write_text("a,b,t\n1,2,x\n3,?,y\n5,6,x\n7,8,y\n")
    dialog_log.open_paths.append(str(path))
    page.import_file.click()
    assert window.document.data.params == {"drop_incomplete": True}
    assert panel.dataset.n_samples == 3
    np.testing.assert_array_equal(panel.dataset.X, load_data(path, drop_incomplete=True).X)


def _field_value(page, option):
    field = page.options.fields[option]
    if option == "drop_incomplete":
        return field.isChecked()
    if option in ("decimal",):
        return field.currentData()
    if option == "skip_rows":
        return field.value()
    return field.text()


@pytest.mark.parametrize("text, preset, option, value, label", [
    ("a,b,t\n1,2,x\n3,,y\n5,6,x\n", {}, "drop_incomplete", True, "Drop incomplete rows"),
    ("a,b,t\n1,2,x\n3,-,y\n5,6,x\n", {}, "missing_values",
     "NA, N/A, NaN, null, None, ?, -", "Missing markers"),
    ("a\tb\tt\n1,5\t2\tx\n3\t4\ty\n", {"decimal": "."}, "decimal", ",", "Decimal mark"),
    ("a,b,t\n1,2,x\n# note, here\n3,4,y\n", {"comment": ""}, "comment", "#",
     "Comment mark"),
    ("My title\na,b,t\n1,2,x\n3,4,y\n", {"skip_rows": 0}, "skip_rows", 1, "Lines to skip"),
])
def test_a_failed_import_shows_the_fix_filled_in(window, panel, tmp_path, dialog_log, text,
                                                 preset, option, value, label):
    page = _file_page(panel)
    page.options.show_params(preset)  # options chosen before the import
    page.apply_options()
    assert page.next_params == preset
    path = tmp_path / "bad.csv"
    path.write_text(text)
    before = window.document.data
    dialog_log.open_paths.append(str(path))
    page.import_file.click()
    assert window.document.data == before and not dialog_log.messages
    assert panel.sources.source.currentData() == "file"
    assert page.problem.isVisibleTo(panel)
    assert "(not loaded)" in page.file_label.text()
    assert f"set {label}" in page.fix.text().replace("<b>", "").replace("</b>", "")
    assert _field_value(page, option) == value
    assert "bold" in page.options.labels[option].styleSheet()
    page.retry.click()
    if page.problem.isVisibleTo(panel):  # '-' is now missing: the next fix drops the row
        assert _field_value(page, "drop_incomplete") is True
        page.retry.click()
    assert not page.problem.isVisibleTo(panel)
    assert window.undo_stack.undoText() == "Import bad.csv"
    params = page.options.params({})
    assert params[option] == (value if option != "missing_values" else value.split(", "))
    assert window.document.data.params == params
    expected = load_data(path, **params)
    np.testing.assert_array_equal(panel.dataset.X, expected.X)
    np.testing.assert_array_equal(panel.dataset.y, expected.y)
    window.undo_stack.undo()
    assert window.document.data == before


def test_a_skip_rows_fix_from_the_error(window, panel, tmp_path, dialog_log):
    path = tmp_path / "titled.csv"
    path.write_text("Measurements of 2024, station 4\n1,2,a\n3,4,b\n5,6,a\n7,8,b\n")
    expected_error = None
    try:
        load_data(path)
    except Exception as e:  # noqa: BLE001 - which message the engine gives decides the fix
        expected_error = str(e)
    dialog_log.open_paths.append(str(path))
    panel.sources.file.import_file.click()
    page = _file_page(panel)
    if expected_error is None:  # detection skips the title by itself
        assert panel.dataset.n_samples == 4
        assert "Lines skipped" in page.detected.text.text()
        return
    assert "skip_rows" in expected_error
    assert page.options.fields["skip_rows"].value() == 1


def test_detected_box_says_how_the_file_was_read(window, panel, tmp_path, dialog_log):
    path = tmp_path / "messwerte.csv"
    path.write_text("# Labor 3\nLänge;Breite;Klasse\n1,5;NA;A\n3;4,75;B\n0,5;1;A\n2;2;B\n")
    dialog_log.open_paths.append(str(path))
    page = _file_page(panel)
    page.options.fields["drop_incomplete"].setChecked(True)
    page.apply_options()
    page.import_file.click()
    assert window.document.data.path.endswith("messwerte.csv")
    text = html.unescape(page.detected.text.text())
    assert page.detected.isVisibleTo(panel)
    for expected in ("Delimiter", "semicolon ;", "Decimal mark", "comma ,", "yes (line 2)",
                     "Comment mark", "'#'", "NA ×1", "Rows dropped", "1 (incomplete)",
                     "Länge: number", "Klasse: text (target)"):
        assert expected in text, (expected, text)
    # A setting given as an option is marked "(set)"; a detected one is not.
    page.options.fields["delimiter"].setText(";")
    page.options.fields["delimiter"].setModified(True)
    page.options.fields["delimiter"].editingFinished.emit()
    page.apply_options()
    assert window.document.data.params["delimiter"] == ";"
    assert "semicolon ;</td>" not in page.detected.text.text()
    assert "(set)" in page.detected.text.text()


def test_fit_warning_clears_when_the_network_changes_while_hidden(window, panel):
    window.editor.set_data(source="bundled", name="iris", params={})
    assert panel.preview.fit.text().startswith("⚠ Does not fit the network")
    window.inspector_dock.raise_()
    window.editor.set_param("input1", "shape", [4])
    window.editor.set_param("dense3", "units", 3)
    window.data_dock.raise_()
    panel.set_active(True)
    assert panel.preview.fit.text().startswith("✓ Fits the network")


def test_image_folder_preview_shows_every_class(window, panel, tmp_path, dialog_log):
    from PIL import Image

    root = tmp_path / "shapes"
    for k, cls in enumerate(("a_dark", "b_mid", "c_light")):
        (root / cls).mkdir(parents=True)
        for i in range(30):
            Image.fromarray(np.full((6, 5), 20 + 90 * k + i, np.uint8)).save(
                root / cls / f"{i:02d}.png")
    dialog_log.folders.append(str(root))
    panel.sources.file.import_folder.click()
    grid = panel.preview.image_grid
    assert [label for label, _idx in grid.rows] == ["a_dark", "b_mid", "c_light"]
    y = panel.dataset.y
    for k, (_label, idx) in enumerate(grid.rows):
        assert idx and all(int(y[i]) == k for i in idx)
    assert "showing" in panel.preview.sampled.text()
    assert "every class" in panel.preview.sampled.text()
    # The middle class's first thumbnail is drawn in its row, with its grey level.
    image = grid.pixmap().toImage()
    x, top, row = grid.cells[len(grid.rows[0][1])]
    assert row == grid.rows[1][1][0]
    dpr = image.devicePixelRatio()
    grey = image.pixelColor(int((x + 20) * dpr), int((top + 20) * dpr)).red()
    shown = panel.dataset.X[[i for _x, _y, i in grid.cells]]  # scaled to what is shown
    lo, hi = float(shown.min()), float(shown.max())
    assert grey == pytest.approx((panel.dataset.X[row].mean() - lo) / (hi - lo) * 255, abs=2)


def _idx(path, arr: np.ndarray) -> None:
    header = struct.pack(">BBBB", 0, 0, 0x08, arr.ndim) + b"".join(
        struct.pack(">I", d) for d in arr.shape)
    path.write_bytes(header + arr.astype(np.uint8).tobytes())


def test_idx_import_says_it_needs_the_labels_file(window, panel, tmp_path, monkeypatch):
    from app import dialogs

    images = tmp_path / "train-images-idx3-ubyte"
    _idx(images, np.arange(4 * 3 * 3).reshape(4, 3, 3) % 256)
    titles, answers = [], [str(images), ""]

    def ask(parent, title, folder, filters):
        titles.append((title, filters))
        return answers.pop(0)

    monkeypatch.setattr(dialogs, "get_open_path", ask)
    assert not panel.sources.file.choose_file()
    assert "labels file" in titles[1][0] and "train-images-idx3-ubyte" in titles[1][0]
    assert "needs its labels file" in window.statusBar().currentMessage()


def test_import_dialog_filter_lists_every_format():
    text = file_filter()
    first = text.split(";;")[0]
    for pattern in ("*.csv", "*.tsv", "*.txt", "*.dat", "*.data", "*.csv.gz", "*.xlsx",
                    "*.npz", "*-ubyte"):
        assert pattern in first
    assert "Excel" in text or "xlsx" in text


def test_points_source_shows_counts_and_edit_button(make_window, tmp_path):
    points = {"task": "classification", "x": [[0.0, 0.0], [1.0, 1.0], [0.2, 0.8]],
              "y": [0, 1, 1], "class_names": ["red", "blue"]}
    w = make_window(project=Project(name="p", data=DataSpec(source="points", name="",
                                                            points=points)),
                    path=tmp_path / "p.json")
    w.data_dock.raise_()
    panel = w.data_panel
    panel.refresh_preview()
    page = panel.sources.points
    assert panel.sources.source.currentData() == "points"
    assert page.isVisibleTo(panel)
    assert page.summary.text() == "3 points stored in the project · red: 1, blue: 2"
    assert not page.edit.isVisibleTo(panel)  # no editor in this window: no button
    triggered = []
    action = QAction("Edit points", w)
    action.setObjectName("actionEditPoints")
    action.triggered.connect(lambda: triggered.append(True))
    w.addAction(action)
    panel.refresh_controls()
    assert page.edit.isVisibleTo(panel)
    page.edit.click()
    assert triggered == [True]
    # Another source: the points entry leaves the list.
    panel.sources.source.setCurrentIndex(panel.sources.source.findData("synthetic"))
    assert panel.sources.source.findData("points") == -1
