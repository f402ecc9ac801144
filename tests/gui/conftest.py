"""GUI test fixtures: a main window with its own settings file and recovery folder, and
every modal dialog replaced by a recorder (no test ever blocks on a dialog)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from app import dialogs


class DialogRecorder:
    """Stands in for app.dialogs: records every message and answers from a queue."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str, str]] = []
        self.answers: list[QMessageBox.StandardButton] = []
        self.open_paths: list[str] = []
        self.save_paths: list[str] = []
        self.folders: list[str] = []

    def message_box(self, parent, icon, title, text, buttons=QMessageBox.StandardButton.Ok,
                    default=QMessageBox.StandardButton.NoButton, informative=""):
        self.messages.append((title, text, informative))
        if self.answers:
            return self.answers.pop(0)
        return default if default != QMessageBox.StandardButton.NoButton else \
            QMessageBox.StandardButton.Ok

    def get_open_path(self, parent, title, folder, filters):
        return self.open_paths.pop(0) if self.open_paths else ""

    def get_save_path(self, parent, title, path, filters):
        return self.save_paths.pop(0) if self.save_paths else ""

    def get_folder(self, parent, title, folder):
        return self.folders.pop(0) if self.folders else ""

    @property
    def last(self) -> tuple[str, str, str]:
        return self.messages[-1]

    def all_text(self) -> str:
        return "\n".join(" ".join(m) for m in self.messages)


@pytest.fixture(scope="session", autouse=True)
def _isolated_user_settings(tmp_path_factory):
    """Nothing a test does reaches the person's real settings or data folders."""
    from PySide6.QtCore import QStandardPaths

    folder = tmp_path_factory.mktemp("user-settings")
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(folder))
    QStandardPaths.setTestModeEnabled(True)
    yield folder


@pytest.fixture(scope="session", autouse=True)
def _collect_garbage_safely(qapp):
    """As in the application (app.launcher.create_application): no automatic garbage
    collection, which could run inside a Qt call holding a Qt mutex and deadlock; the event
    loop's timer collects, and so does every test's teardown."""
    from app import gc_guard

    guard = gc_guard.install(qapp)
    yield
    guard.uninstall()


@pytest.fixture(scope="session", autouse=True)
def _guard_fields_from_the_wheel(qapp):
    """As in the application: fields take the mouse wheel only when focused."""
    from app import wheel_guard

    wheel_guard.install(qapp)


@pytest.fixture(autouse=True)
def _collect_after_test(_collect_garbage_safely, qapp):
    yield
    from app import gc_guard

    # A window a test left on screen would take the focus and activation of the next
    # tests' windows (a keyboard test then waits for focus that never comes).
    for widget in qapp.topLevelWidgets():
        if widget.isVisible():
            widget.close()
    gc_guard.collect_due()


@pytest.fixture
def dialog_log(monkeypatch) -> DialogRecorder:
    rec = DialogRecorder()
    monkeypatch.setattr(dialogs, "message_box", rec.message_box)
    monkeypatch.setattr(dialogs, "get_open_path", rec.get_open_path)
    monkeypatch.setattr(dialogs, "get_save_path", rec.get_save_path)
    monkeypatch.setattr(dialogs, "get_folder", rec.get_folder)
    return rec


@pytest.fixture
def settings_path(tmp_path) -> Path:
    return tmp_path / "settings.ini"


@pytest.fixture
def make_window(qtbot, qapp, tmp_path, settings_path, dialog_log):
    """Factory: a shown MainWindow (1280 x 800) with isolated settings and recovery."""
    from app.mainwindow import MainWindow
    from app.theme import apply_theme

    apply_theme(qapp, dark=False)
    windows = []

    def make(**kwargs):
        settings = QSettings(str(settings_path), QSettings.Format.IniFormat)
        kwargs.setdefault("recovery_dir", tmp_path / "recovery")
        w = MainWindow(settings=settings, **kwargs)
        qtbot.addWidget(w)
        w.resize(1280, 800)
        w.show()
        qtbot.waitExposed(w)
        windows.append(w)
        return w

    yield make
    for w in windows:
        # Leave without the unsaved-changes prompt.
        w.files.marked_modified = False
        w.undo_stack.setClean()
        w.close()


@pytest.fixture
def window(make_window):
    return make_window()


@pytest.fixture(scope="session", autouse=True)
def _clipboard_cleared_at_exit(qapp):
    """Qt's offscreen platform crashes when the process exits with data on the clipboard
    (a test that copies layers leaves some; the X11 platform does not crash): the session
    clears it at its end."""
    yield
    from PySide6.QtGui import QGuiApplication

    QGuiApplication.clipboard().clear()
