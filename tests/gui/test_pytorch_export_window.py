"""File ▸ Export ▸ PyTorch Project… driven through the menu: the folder the window writes
equals, file by file, what ``netcanvas export --pytorch`` writes for the same project and
weights (the .npz files compared by their arrays: zip entries carry write times); a folder
holding other files is refused, an earlier export is replaced only when confirmed."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMenu, QMessageBox

from app.window import pytorch_export
from nncore.cli import main
from nncore.weights import save_weights

TIMEOUT = 60_000


def _export_action(w):
    menu = w.menuBar().findChild(QMenu, "menuExport")
    return next(a for a in menu.actions() if a.objectName() == "actionExportPyTorch")


def _open_dialog(w):
    _export_action(w).trigger()
    dialog = w.pytorch_export.dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def _export(qtbot, w, dialog):
    part = w.pytorch_export
    before = part.report
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: part.report is not before and part.report.isVisible(),
                    timeout=TIMEOUT)
    return part.report


def _npz(raw: bytes) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(raw), allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def assert_same_folder(got: Path, want: Path) -> None:
    names = sorted(p.name for p in want.iterdir())
    assert sorted(p.name for p in got.iterdir()) == names
    for name in names:
        a, b = (got / name).read_bytes(), (want / name).read_bytes()
        if name.endswith(".npz"):
            x, y = _npz(a), _npz(b)
            assert sorted(x) == sorted(y), name
            for k in x:
                np.testing.assert_array_equal(x[k], y[k], err_msg=f"{name}: {k}")
            assert [i.filename for i in zipfile.ZipFile(io.BytesIO(a)).infolist()] == \
                [i.filename for i in zipfile.ZipFile(io.BytesIO(b)).infolist()]
        else:
            assert a == b, name
    assert (got / "train.py").stat().st_mode & 0o777 == (want / "train.py").stat().st_mode & 0o777


def test_export_with_trained_weights_equals_the_cli_export(window, qtbot, tmp_path,
                                                           dialog_log, monkeypatch):
    w = window
    w.editor.set_training(epochs=3)
    with qtbot.waitSignal(w.training.runFinished, timeout=TIMEOUT):
        assert w.training.train()
    assert w.files.save_to(tmp_path / "spiral.json")
    weights = w.training.current_network().get_weights()
    save_weights(tmp_path / "trained.npz", w.training.current_network())

    dialog = _open_dialog(w)
    assert dialog.folder == tmp_path / "spiral_pytorch"  # beside the project file
    assert dialog.weights_box.isEnabled() and dialog.weights_box.isChecked()
    (tmp_path / "out").mkdir()
    dialog_log.folders.append(str(tmp_path / "out"))
    qtbot.mouseClick(dialog.browse, Qt.MouseButton.LeftButton)
    assert dialog.folder == tmp_path / "out"
    report = _export(qtbot, w, dialog)

    assert main(["export", str(tmp_path / "spiral.json"), "--pytorch", str(tmp_path / "cli"),
                 "--weights", str(tmp_path / "trained.npz")]) == 0
    assert_same_folder(tmp_path / "out", tmp_path / "cli")
    init = _npz((tmp_path / "out" / "init_weights.npz").read_bytes())
    for k, a in weights.items():
        np.testing.assert_array_equal(init[k], a)

    # What the person reads: what was written, how to run it, and the folder.
    text = report.headline.text()
    assert "model.py, init_weights.npz, train.py, data.npz, README.md" in text
    assert str(tmp_path / "out") in text and "python train.py" in text
    assert "torchrun --nproc_per_node" in report.body.toPlainText()
    opened = []
    monkeypatch.setattr(pytorch_export.QDesktopServices, "openUrl",
                        lambda url: opened.append(url.toLocalFile()) or True)
    qtbot.mouseClick(report.buttons["Open Folder"], Qt.MouseButton.LeftButton)
    assert opened == [str(tmp_path / "out")]


def test_export_without_weights_equals_the_cli_export(window, qtbot, tmp_path, dialog_log):
    w = window
    assert w.files.save_to(tmp_path / "p.json")
    dialog = _open_dialog(w)
    assert not dialog.weights_box.isEnabled() and not dialog.weights_box.isChecked()
    note = dialog.findChild(QLabel, "noWeightsNote")
    assert note.isVisible() and "No trained weights yet" in note.text()
    dialog.folder_edit.setText(str(tmp_path / "new_folder"))  # created by the export
    _export(qtbot, w, dialog)
    assert main(["export", str(tmp_path / "p.json"), "--pytorch", str(tmp_path / "cli")]) == 0
    assert_same_folder(tmp_path / "new_folder", tmp_path / "cli")
    assert not (tmp_path / "new_folder" / "init_weights.npz").exists()


def test_a_folder_with_other_files_is_refused_an_earlier_export_replaced_on_request(
        window, qtbot, tmp_path, dialog_log):
    w = window
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    dialog = _open_dialog(w)
    dialog.folder_edit.setText(str(other))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.problem.isVisible()
    assert "already holds other files (notes.txt)" in dialog.problem.text()
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"]
    dialog.folder_edit.setText(str(tmp_path / "missing" / "deeper"))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert "does not exist" in dialog.problem.text()

    earlier = tmp_path / "earlier"
    dialog.folder_edit.setText(str(earlier))
    _export(qtbot, w, dialog)
    (earlier / "README.md").write_text("old")
    (earlier / "trained.npz").write_bytes(b"the person's own")
    dialog = _open_dialog(w)
    dialog.folder_edit.setText(str(earlier))
    dialog_log.answers.append(QMessageBox.StandardButton.No)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert dialog_log.last[0] == "Replace the earlier export?"
    assert "model.py, train.py, data.npz, README.md" in dialog_log.last[1]
    assert dialog.isVisible() and "Not replaced" in dialog.problem.text()
    assert (earlier / "README.md").read_text() == "old"
    dialog_log.answers.append(QMessageBox.StandardButton.Yes)
    _export(qtbot, w, dialog)
    assert (earlier / "README.md").read_text().startswith("# Spiral")
    assert (earlier / "trained.npz").read_bytes() == b"the person's own"


def test_a_project_that_cannot_train_is_not_exported(window, qtbot, tmp_path, dialog_log):
    w = window
    output = next(n.id for n in w.document.project.graph.nodes if n.type == "Dense"
                  and not any(e.source == n.id for e in w.document.project.graph.edges))
    w.editor.remove([output])
    dialog = _open_dialog(w)
    dialog.folder_edit.setText(str(tmp_path / "out"))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(dialog_log.messages), timeout=TIMEOUT)
    title, text, detail = dialog_log.last
    assert title == "Cannot export the PyTorch project"
    assert "Nothing was written" in text and detail
    assert not (tmp_path / "out").exists()
    assert _export_action(w).isEnabled()


def _gated(monkeypatch):
    """Hold the export's work until the returned event is set (the test acts meanwhile)."""
    import threading

    gate = threading.Event()
    real = pytorch_export.pytorch_project_files

    def held(*args, **kwargs):
        gate.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(pytorch_export, "pytorch_project_files", held)
    return gate


def test_cancel_in_the_progress_dialog_writes_nothing(window, qtbot, tmp_path, dialog_log,
                                                      monkeypatch):
    from PySide6.QtWidgets import QProgressDialog, QPushButton

    w = window
    gate = _gated(monkeypatch)
    dialog = _open_dialog(w)
    dialog.folder_edit.setText(str(tmp_path / "out"))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert not _export_action(w).isEnabled()  # one export at a time
    progress = w.findChild(QProgressDialog, "fileJobProgress")
    qtbot.waitUntil(progress.isVisible, timeout=TIMEOUT)
    assert "writing the PyTorch project into out" in progress.labelText()
    w.statusBar().clearMessage()
    cancel = next(b for b in progress.findChildren(QPushButton) if b.text() == "Cancel")
    assert cancel.accessibleName() == "Cancel"
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    assert progress.labelText() == "Cancelling…"
    gate.set()
    qtbot.waitUntil(lambda: "Export cancelled" in w.statusBar().currentMessage(),
                    timeout=TIMEOUT)
    assert not (tmp_path / "out").exists() and w.pytorch_export.report is None
    assert _export_action(w).isEnabled()


def test_closing_the_window_waits_for_the_export_and_reports_nothing(
        window, qtbot, tmp_path, dialog_log, monkeypatch):
    import threading

    w = window
    gate = _gated(monkeypatch)
    dialog = _open_dialog(w)
    dialog.folder_edit.setText(str(tmp_path / "out"))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert w.pytorch_export.job.busy
    threading.Timer(0.2, gate.set).start()
    assert w.close()
    assert not w.pytorch_export.job.busy
    assert not (tmp_path / "out").exists()  # cancelled before writing
    qtbot.wait(50)
    assert w.pytorch_export.report is None and dialog_log.messages == []
