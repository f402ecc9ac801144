"""Every modal question the program asks goes through the few functions here.

When a question is answered, the keyboard goes back to the window that asked: Qt leaves
that to the window system, and some (offscreen, or a window manager that prevents focus
stealing) give it to no window or to the one that was active before the program started,
so the window's shortcuts (Ctrl+S) did nothing until it was clicked.

Tests replace :func:`message_box` and the file-dialog functions with ``monkeypatch`` so no
modal dialog ever blocks a headless run.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

Button = QMessageBox.StandardButton
Icon = QMessageBox.Icon


def message_box(parent: QWidget | None, icon: QMessageBox.Icon, title: str, text: str,
                buttons: QMessageBox.StandardButton = Button.Ok,
                default: QMessageBox.StandardButton = Button.NoButton,
                informative: str = "") -> QMessageBox.StandardButton:
    """Show a message box and return the button pressed."""
    box = QMessageBox(icon, title, text, buttons, parent)
    if informative:
        box.setInformativeText(informative)
    if default != Button.NoButton:
        box.setDefaultButton(default)
    answer = Button(box.exec())
    _return_keyboard(parent)
    return answer


def show_error(parent: QWidget | None, title: str, text: str, informative: str = "") -> None:
    message_box(parent, Icon.Warning, title, text, Button.Ok, Button.Ok, informative)


def ask_save_changes(parent: QWidget | None, name: str) -> QMessageBox.StandardButton:
    """Save / Discard / Cancel for unsaved changes to project ``name``."""
    return message_box(parent, Icon.Question, "Unsaved changes",
                       f"The project “{name}” has unsaved changes.",
                       Button.Save | Button.Discard | Button.Cancel, Button.Save,
                       "Save them before continuing?")


def ask_yes_no(parent: QWidget | None, title: str, text: str, informative: str = "") -> bool:
    return message_box(parent, Icon.Question, title, text, Button.Yes | Button.No,
                       Button.Yes, informative) == Button.Yes


def get_open_path(parent: QWidget | None, title: str, folder: str, filters: str) -> str:
    path, _ = QFileDialog.getOpenFileName(parent, title, folder, filters)
    _return_keyboard(parent)
    return path


def get_save_path(parent: QWidget | None, title: str, path: str, filters: str) -> str:
    out, _ = QFileDialog.getSaveFileName(parent, title, path, filters)
    _return_keyboard(parent)
    return out


def get_folder(parent: QWidget | None, title: str, folder: str) -> str:
    folder = QFileDialog.getExistingDirectory(parent, title, folder)
    _return_keyboard(parent)
    return folder


def _return_keyboard(parent: QWidget | None) -> None:
    """Make the window that asked the active one again (see the module docstring)."""
    window = parent.window() if parent is not None else None
    if window is not None and window.isVisible():
        window.activateWindow()
