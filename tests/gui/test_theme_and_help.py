"""The window title, View > Theme (System, Light, Dark) and the Help menu: the guide and
the keyboard-shortcuts sheet."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction, QColor, QImage, QKeySequence

from app.theme import apply_theme, colors, set_theme
from app.window.help import guide_dir, guide_pages, shortcut_rows


def _commonest(image: QImage, x0: int, y0: int, size: int = 24) -> QColor:
    """The most frequent colour of a square of ``image`` (logical pixels)."""
    dpr = image.devicePixelRatio()
    counts = Counter(image.pixel(round((x0 + dx) * dpr), round((y0 + dy) * dpr))
                     for dx in range(size) for dy in range(size))
    return QColor.fromRgb(counts.most_common(1)[0][0])


def _same(a: QColor, b: QColor) -> bool:
    return max(abs(a.red() - b.red()), abs(a.green() - b.green()),
               abs(a.blue() - b.blue())) <= 2


@pytest.fixture
def restore_theme(qapp):
    yield
    set_theme(qapp, "system")
    apply_theme(qapp, dark=False)


def test_title_names_the_project_once_with_a_modified_marker(window):
    shown = window.windowHandle().title  # what Qt hands the window system
    assert shown() == "Spiral"
    # The window system adds the application's name once: "Spiral — NetCanvas".
    assert "NetCanvas" not in shown()
    window.editor.set_param("dense1", "units", 8)
    assert shown() == "Spiral*"
    assert window.isWindowModified()
    window.undo_stack.undo()
    assert shown() == "Spiral"


def _theme_action(window, choice: str) -> QAction:
    act = window.findChild(QAction, f"actionTheme{choice.capitalize()}")
    assert act is not None and act.isCheckable()
    return act


def test_view_theme_switches_every_view_live_and_is_remembered(make_window, qtbot,
                                                               settings_path, restore_theme):
    w = make_window()
    menu = w.theme_actions.menu
    assert [a.text().replace("&", "") for a in menu.actions()] == ["System", "Light", "Dark"]
    assert _theme_action(w, "system").isChecked()
    w.data_dock.raise_()
    qtbot.waitUntil(lambda: w.data_panel.preview.kind == "scatter")
    w.plot_docks.curves.ensure_built()

    _theme_action(w, "dark").trigger()
    assert _theme_action(w, "dark").isChecked() and not _theme_action(w, "system").isChecked()
    c = colors()
    assert c.dark
    # The canvas, a data plot, a training plot and a panel are all drawn dark now.
    assert _same(_commonest(w.view.viewport().grab().toImage(), 4, 4), c.canvas)
    preview = w.data_panel.preview._plot
    assert _same(_commonest(preview.grab().toImage(), 2, 2, 6), c.node_fill)
    loss = w.plot_docks.curves.loss_plot
    w.plot_docks.curves_dock.raise_()
    assert _commonest(loss.grab().toImage(), loss.width() - 30, 30, 8).lightness() < 60
    # Qt hands the new palette to the widgets through the event loop.
    qtbot.waitUntil(lambda: _commonest(w.data_panel.grab().toImage(), 1, 1, 3).lightness()
                    < 80)
    assert QSettings(str(settings_path), QSettings.Format.IniFormat).value("view/theme") == \
        "dark"

    w.close()
    w2 = make_window()  # the choice is remembered (the fixture set Light before it)
    assert _theme_action(w2, "dark").isChecked()
    assert colors().dark

    _theme_action(w2, "light").trigger()
    assert not colors().dark
    assert _same(_commonest(w2.view.viewport().grab().toImage(), 4, 4), colors().canvas)
    assert QSettings(str(settings_path), QSettings.Format.IniFormat).value("view/theme") == \
        "light"


def _plain_keys(rows):
    return {(r.menu, r.command): r.keys for r in rows}


def test_shortcut_sheet_is_generated_from_the_actions(window, qtbot):
    window.help.act_shortcuts.trigger()
    sheet = window.help.sheet
    qtbot.waitUntil(sheet.isVisible)
    keys = _plain_keys(sheet.rows)
    native = QKeySequence.SequenceFormat.NativeText
    assert keys[("File", "Save")] == QKeySequence("Ctrl+S").toString(native)
    assert keys[("Edit", "Undo")] == QKeySequence("Ctrl+Z").toString(native)
    assert keys[("Run", "Train")] == "F5"
    assert keys[("View", "Fit to Window")] == "F"
    assert keys[("Help", "Keyboard Shortcuts")] == QKeySequence("Ctrl+/").toString(native)
    text = sheet.browser.toPlainText()
    for row in sheet.rows:
        assert row.command in text and row.keys in text
    # Every visible menu command with a shortcut is listed.
    listed = {r.command for r in sheet.rows}
    for act in window.findChildren(QAction):
        menus = [w for w in act.associatedObjects() if type(w).__name__ == "QMenu"]
        if menus and act.shortcuts() and act.isVisible():
            assert act.text().replace("&", "").rstrip("…") in listed, act.objectName()
    # Generated, not written down: a changed shortcut shows the next time.
    save = window.files.act_save
    old = save.shortcuts()
    save.setShortcuts([QKeySequence("Ctrl+Alt+S")])
    try:
        window.help.act_shortcuts.trigger()
        assert QKeySequence("Ctrl+Alt+S").toString(native) in sheet.browser.toPlainText()
    finally:
        save.setShortcuts(old)


def test_guide_opens_from_help_with_its_pages(window, qtbot):
    assert sorted(p.name for p in guide_dir().glob("*.md")) == [
        "1-build.md", "2-data.md", "3-train.md", "4-plots.md"]
    window.help.act_guide.trigger()
    guide = window.help.guide
    qtbot.waitUntil(guide.isVisible)
    titles = [guide.contents.item(i).text() for i in range(guide.contents.count())]
    assert titles == ["Build a network", "Choose the data", "Train", "Read the plots"]
    assert "Layers" in guide.browser.toPlainText()
    assert not guide.back.isEnabled()
    guide.next.click()
    assert guide.contents.currentRow() == 1
    assert "Preprocessing and split" in guide.browser.toPlainText()
    guide.contents.setCurrentRow(3)
    assert "Confusion matrix" in guide.browser.toPlainText()
    assert not guide.next.isEnabled()


def test_guide_names_real_shortcuts(window):
    """A key the guide gives for a command, "**Stop** (Shift+F5)", is one of the window's
    shortcuts."""
    portable = QKeySequence.SequenceFormat.PortableText
    real = {k.toString(portable) for a in window.findChildren(QAction) for k in a.shortcuts()}
    mentioned = [m for page in guide_pages()
                 for m in re.findall(r"\*\*[^*]+\*\* \(([^)]+)\)", page.markdown)]
    assert len(mentioned) >= 4
    for keys in mentioned:
        assert keys in real, keys


def test_shortcut_sheet_lists_only_commands_shown(window):
    """Resume is hidden (and has no key) until a run pauses; F5 is Train's."""
    rows = _plain_keys(shortcut_rows(window.menuBar()))
    assert rows[("Run", "Train")] == "F5"
    assert ("Run", "Resume") not in rows
