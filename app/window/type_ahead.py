"""A small type-ahead chooser: a search field above a list; typing filters the list, Up
and Down move in it, Enter takes the highlighted entry, Escape gives up.

Used for the layer type to add or insert and for the layer to connect to. It opens
window-modal without blocking (``open``), and reports the choice through :attr:`chosen`,
so the keyboard, the mouse and the tests drive it the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

_VALUE = Qt.ItemDataRole.UserRole


@dataclass(frozen=True)
class Choice:
    """One entry: what the list shows, what choosing it gives, and a longer description
    (the tooltip, also searched)."""

    text: str
    value: Any
    detail: str = ""


class TypeAheadChooser(QDialog):
    """Pick one of ``choices`` by typing a part of its name."""

    #: The value of the entry taken (not emitted when the chooser is cancelled).
    chosen = Signal(object)

    def __init__(self, parent: QWidget, title: str, prompt: str,
                 choices: list[Choice]) -> None:
        super().__init__(parent)
        self.setObjectName("typeAheadChooser")
        self.setWindowTitle(title)
        self._choices = list(choices)
        self.prompt = QLabel(prompt)
        self.prompt.setWordWrap(True)
        self.search = QLineEdit()
        self.search.setObjectName("typeAheadSearch")
        self.search.setPlaceholderText("Type to filter…")
        self.search.setAccessibleName(f"{title}: filter")
        self.search.setAccessibleDescription("Type part of a name; Up and Down choose, "
                                             "Enter takes it, Escape cancels")
        self.prompt.setBuddy(self.search)
        self.list = QListWidget()
        self.list.setObjectName("typeAheadList")
        self.list.setAccessibleName(f"{title}: matches")
        self.empty = QLabel("Nothing matches.")
        self.empty.setObjectName("hint")
        self.empty.hide()
        lay = QVBoxLayout(self)
        lay.addWidget(self.prompt)
        lay.addWidget(self.search)
        lay.addWidget(self.list, 1)
        lay.addWidget(self.empty)
        self.search.textChanged.connect(self._filter)
        self.search.installEventFilter(self)
        self.list.itemActivated.connect(lambda _item: self.take())
        self.resize(340, 380)
        self._filter("")

    def visible_values(self) -> list[Any]:
        """The values of the entries the list shows now, in order."""
        return [self.list.item(i).data(_VALUE) for i in range(self.list.count())]

    def _filter(self, text: str) -> None:
        q = text.strip().lower()
        matches = [c for c in self._choices
                   if not q or q in c.text.lower() or q in c.detail.lower()]
        # Names that start with what was typed first, then names containing it, then the
        # entries found through their description.
        matches.sort(key=lambda c: (not c.text.lower().startswith(q), q not in c.text.lower()))
        self.list.clear()
        for c in matches:
            item = QListWidgetItem(c.text)
            item.setData(_VALUE, c.value)
            if c.detail:
                item.setToolTip(c.detail)
            self.list.addItem(item)
        if matches:
            self.list.setCurrentRow(0)
        self.empty.setVisible(not matches)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.search and event.type() == QEvent.Type.KeyPress:
            key = event.key()
            step = {Qt.Key.Key_Down: 1, Qt.Key.Key_Up: -1}.get(Qt.Key(key))
            if step is not None and self.list.count():
                row = min(max(self.list.currentRow() + step, 0), self.list.count() - 1)
                self.list.setCurrentRow(row)
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.take()
                return True
        return super().eventFilter(watched, event)

    def take(self) -> None:
        """Choose the highlighted entry (nothing happens while nothing matches)."""
        item = self.list.currentItem()
        if item is None:
            return
        value = item.data(_VALUE)
        self.accept()
        self.chosen.emit(value)


def open_chooser(parent: QWidget, title: str, prompt: str, choices: list[Choice],
                 on_chosen) -> TypeAheadChooser:
    """Show a chooser (window-modal, not blocking) that calls ``on_chosen(value)``; it
    deletes itself when closed."""
    dialog = TypeAheadChooser(parent, title, prompt, choices)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.chosen.connect(on_chosen)
    dialog.open()
    dialog.search.setFocus(Qt.FocusReason.OtherFocusReason)
    return dialog
