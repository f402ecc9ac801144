"""After a crash: the recovered project takes Ctrl+S at once, its recovered changes are one
undo step over the saved file, and a restored window layout keeps the summary readable."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox, QStyle

from app import dialogs
from app.examples import default_project
from app.recovery import RecoveryStore
from nncore.project import Project, load_project, save_project

#: The real question box (the ``dialog_log`` fixture replaces it with a recorder).
REAL_MESSAGE_BOX = dialogs.message_box
DEAD_PID = 2**22 + 12345


def _crash_left(rec_dir: Path, project: Project, original: Path | None) -> None:
    """The recovery files a crashed NetCanvas (a process no longer running) left."""
    store = RecoveryStore(rec_dir)
    store.pid = DEAD_PID
    store.save(project, original)


def _saved_and_edited(tmp_path: Path) -> tuple[Path, Project]:
    """A saved spiral (dense2 has 16 units) and the autosaved edit of it (5 units)."""
    saved = tmp_path / "spiral.json"
    save_project(default_project(), saved)
    edited = default_project()
    edited.graph.node("dense2").params["units"] = 5
    return saved, edited


def _click_when_asked(button: QMessageBox.StandardButton) -> None:
    """Click ``button`` of the next question box, as a person would."""
    def answer() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox) and box.isVisible():
            box.button(button).click()
        else:
            QTimer.singleShot(20, answer)
    QTimer.singleShot(20, answer)


def _key(window, sequence: str) -> None:
    """Type ``sequence`` where the keyboard is (the focused widget of the active window)."""
    combo = QKeySequence(sequence)[0]
    target = QApplication.focusWidget() or window
    QTest.keyClick(target, combo.key(), combo.keyboardModifiers())


def test_ctrl_s_saves_right_after_recovering(make_window, dialog_log, tmp_path, qtbot,
                                             monkeypatch):
    saved, edited = _saved_and_edited(tmp_path)
    _crash_left(tmp_path / "recovery", edited, saved)
    w = make_window()
    with qtbot.waitActive(w):
        w.activateWindow()
    monkeypatch.setattr(dialogs, "message_box", REAL_MESSAGE_BOX)
    _click_when_asked(QMessageBox.StandardButton.Yes)
    try:
        assert w.offer_recovery()
    finally:  # closing the window must not ask a real question
        monkeypatch.setattr(dialogs, "message_box", dialog_log.message_box)
    assert w.files.is_modified()
    # The question was answered: the keyboard is back in the window, Ctrl+S saves.
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w)
    _key(w, "Ctrl+S")
    assert not w.files.is_modified()
    assert load_project(saved).graph.node("dense2").params["units"] == 5
    _key(w, "Ctrl+S")  # and again: still the same file, nothing asked
    assert load_project(saved).graph.node("dense2").params["units"] == 5


def test_undo_after_recovery_shows_the_saved_file(make_window, dialog_log, tmp_path, qtbot):
    saved, edited = _saved_and_edited(tmp_path)
    _crash_left(tmp_path / "recovery", edited, saved)
    w = make_window()
    dialog_log.answers.append(QMessageBox.StandardButton.Yes)
    assert w.offer_recovery()
    doc = w.document
    assert doc.node("dense2").params["units"] == 5
    assert doc.path == saved
    assert w.files.is_modified()
    assert w.edit.act_undo.isEnabled()
    assert "Recover autosaved changes" in w.edit.act_undo.text()
    assert "Undo shows spiral.json" in w.statusBar().currentMessage()

    with qtbot.waitActive(w):
        w.activateWindow()
    assert QApplication.focusWidget() is w.view  # the keyboard starts on the canvas
    _key(w, "Ctrl+Z")
    assert doc.node("dense2").params["units"] == 16  # the file as last saved
    assert not w.files.is_modified()
    assert w.scene.nodes["dense2"].isVisible()
    _key(w, "Ctrl+Y")
    assert doc.node("dense2").params["units"] == 5
    assert w.files.is_modified()
    assert set(w.scene.nodes) == set(doc.graph.ids())


def test_recovered_project_never_saved_has_no_undo_and_is_unsaved(make_window, dialog_log,
                                                                  tmp_path):
    _saved, edited = _saved_and_edited(tmp_path)
    _crash_left(tmp_path / "recovery", edited, None)
    w = make_window()
    dialog_log.answers.append(QMessageBox.StandardButton.Yes)
    assert w.offer_recovery()
    assert w.document.node("dense2").params["units"] == 5
    assert not w.edit.act_undo.isEnabled()
    assert w.files.is_modified()
    assert "no saved file to go back to" in w.statusBar().currentMessage()


def test_recovery_over_a_file_that_no_longer_loads(make_window, dialog_log, tmp_path):
    saved, edited = _saved_and_edited(tmp_path)
    saved.unlink()
    _crash_left(tmp_path / "recovery", edited, saved)
    w = make_window()
    dialog_log.answers.append(QMessageBox.StandardButton.Yes)
    assert w.offer_recovery()
    assert w.document.node("dense2").params["units"] == 5
    assert w.document.path == saved  # Save writes it back where it was
    assert not w.edit.act_undo.isEnabled()
    assert w.files.is_modified()


def test_summary_names_stay_readable_in_a_restored_narrow_layout(make_window, qtbot):
    w = make_window()
    w.resizeDocks([w.inspector_dock], [240], Qt.Orientation.Horizontal)
    w.close()  # saves the window state
    w2 = make_window()  # restores it
    w2.summary_dock.show()
    w2.summary_dock.raise_()
    table = w2.summary.table
    qtbot.waitUntil(lambda: table.isVisible())
    assert w2.summary_dock.width() < 260  # the narrow layout came back
    header = table.header()
    fm = table.fontMetrics()
    icon = table.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
    for row in range(table.topLevelItemCount()):
        name = table.topLevelItem(row).text(0)
        # The name and its icon fit in the first column.
        assert header.sectionSize(0) >= fm.horizontalAdvance(name) + icon
    # The table scrolls sideways instead of squeezing the names.
    assert table.horizontalScrollBar().maximum() > 0
