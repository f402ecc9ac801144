"""The window part for the Help menu: the guide (a few pages, Markdown files in
``resources/help/guide``, read offline), the keyboard-shortcuts sheet and About.

The shortcuts sheet is generated each time it is shown from the menus' actions and the
shortcuts they have at that moment (Train's F5 moves to Resume while a run is paused), so
it never disagrees with the keys.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QListWidget,
    QMenu,
    QMenuBar,
    QMessageBox,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app import dialogs
from app.paths import resources_dir
from app.window.context import WindowContext


def guide_dir() -> Path:
    return resources_dir() / "help" / "guide"


@dataclass(frozen=True)
class GuidePage:
    title: str
    markdown: str


def guide_pages(folder: Path | None = None) -> list[GuidePage]:
    """The guide's pages in order (``*.md`` sorted by name); a page's title is its first
    ``# `` heading."""
    pages = []
    for path in sorted((folder or guide_dir()).glob("*.md")):
        text = path.read_text(encoding="utf-8")
        title = next((line[2:].strip() for line in text.splitlines()
                      if line.startswith("# ")), path.stem)
        pages.append(GuidePage(title, text))
    return pages


@dataclass(frozen=True)
class ShortcutRow:
    menu: str
    command: str
    keys: str


def shortcut_rows(menu_bar: QMenuBar) -> list[ShortcutRow]:
    """Every visible menu command that has a keyboard shortcut, menu by menu, with its
    shortcuts as this platform writes them."""
    rows: list[ShortcutRow] = []
    for top in menu_bar.actions():
        if top.menu() is not None and top.isVisible():
            _collect(top.menu(), _plain(top.text()), rows)
    return rows


def _collect(menu: QMenu, path: str, rows: list[ShortcutRow]) -> None:
    for act in menu.actions():
        if act.isSeparator() or not act.isVisible():
            continue
        if act.menu() is not None:
            _collect(act.menu(), f"{path} ▸ {_plain(act.text())}", rows)
        elif act.shortcuts():
            keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText)
                             for k in act.shortcuts())
            rows.append(ShortcutRow(path, _plain(act.text()), keys))


def _plain(text: str) -> str:
    """A menu text without its mnemonic marker and trailing dots."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").strip()


def shortcuts_html(rows: list[ShortcutRow]) -> str:
    parts = ["<table cellspacing='0' cellpadding='3'>"]
    menu = None
    for row in rows:
        if row.menu != menu:
            menu = row.menu
            parts.append(f"<tr><td colspan='2'><br><b>{html.escape(menu)}</b></td></tr>")
        parts.append(f"<tr><td>{html.escape(row.command)}</td>"
                     f"<td>&nbsp;&nbsp;<b>{html.escape(row.keys)}</b></td></tr>")
    parts.append("</table>")
    return "".join(parts)


class ShortcutSheet(QDialog):
    """The keyboard shortcuts of the menus (refreshed every time it is shown)."""

    def __init__(self, menu_bar: QMenuBar, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutSheet")
        self.setWindowTitle("Keyboard Shortcuts")
        self._menu_bar = menu_bar
        self.browser = QTextBrowser()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        lay = QVBoxLayout(self)
        lay.addWidget(self.browser)
        lay.addWidget(buttons)
        self.resize(420, 560)

    def refresh(self) -> None:
        self.rows = shortcut_rows(self._menu_bar)
        self.browser.setHtml(shortcuts_html(self.rows))


class GuideWindow(QDialog):
    """The guide: its pages listed on the left, one page shown, Back and Next."""

    def __init__(self, pages: list[GuidePage], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("guide")
        self.setWindowTitle("NetCanvas Guide")
        self.pages = pages
        self.contents = QListWidget()
        self.contents.addItems([p.title for p in pages])
        self.contents.setFixedWidth(170)
        self.contents.currentRowChanged.connect(self._show)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.back = QPushButton("Back")
        self.next = QPushButton("Next")
        self.back.clicked.connect(lambda: self.show_page(self.contents.currentRow() - 1))
        self.next.clicked.connect(lambda: self.show_page(self.contents.currentRow() + 1))
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.close)
        row = QHBoxLayout()
        row.addWidget(self.back)
        row.addWidget(self.next)
        row.addStretch(1)
        row.addWidget(close)
        body = QHBoxLayout()
        body.addWidget(self.contents)
        body.addWidget(self.browser, 1)
        lay = QVBoxLayout(self)
        lay.addLayout(body, 1)
        lay.addLayout(row)
        self.resize(760, 560)
        self.show_page(0)

    def show_page(self, index: int) -> None:
        if 0 <= index < len(self.pages):
            self.contents.setCurrentRow(index)

    def _show(self, index: int) -> None:
        if not 0 <= index < len(self.pages):
            return
        self.browser.setMarkdown(self.pages[index].markdown)
        self.back.setEnabled(index > 0)
        self.next.setEnabled(index < len(self.pages) - 1)


class HelpActions(QObject):
    """Help > Guide (F1), Keyboard Shortcuts (Ctrl+/) and About NetCanvas. The guide and
    the sheet are windows of their own that stay open beside the main window."""

    def __init__(self, context: WindowContext, menu_bar: QMenuBar,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._parent = context.dialog_parent
        self._menu_bar = menu_bar
        self.guide: GuideWindow | None = None
        self.sheet: ShortcutSheet | None = None
        a = context.parts.action
        self.act_guide = a("actionGuide", "NetCanvas &Guide", self.show_guide,
                           [QKeySequence.StandardKey.HelpContents], None,
                           "Build, data, train, read the plots: a short guide")
        self.act_shortcuts = a("actionShortcuts", "&Keyboard Shortcuts",
                               self.show_shortcuts, ["Ctrl+/"], None,
                               "Every keyboard shortcut of the menus")
        self.act_about = a("actionAbout", "&About NetCanvas", self.about)

    @property
    def menu_actions(self) -> list[QAction | None]:
        return [self.act_guide, self.act_shortcuts, None, self.act_about]

    def show_guide(self) -> GuideWindow:
        if self.guide is None:
            self.guide = GuideWindow(guide_pages(), self._parent)
        _present(self.guide)
        return self.guide

    def show_shortcuts(self) -> ShortcutSheet:
        if self.sheet is None:
            self.sheet = ShortcutSheet(self._menu_bar, self._parent)
        self.sheet.refresh()
        _present(self.sheet)
        return self.sheet

    def about(self) -> None:
        dialogs.message_box(self._parent, QMessageBox.Icon.Information, "About NetCanvas",
                            "NetCanvas: build, train and understand neural networks on a "
                            "canvas.", informative="A pure-NumPy engine with a PySide6 "
                            "window. Project files train headless with the netcanvas "
                            "command.")


def _present(window: QDialog) -> None:
    window.setWindowModality(Qt.WindowModality.NonModal)
    window.show()
    window.raise_()
    window.activateWindow()
