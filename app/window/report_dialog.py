"""A dialog that reports the outcome of a file operation too rich for a message box: a
headline, a scrollable document (Markdown: what was written and how to run it, or the
table of what a model holds that NetCanvas cannot take) and a row of buttons.

It is not modal (the window stays usable while it is open) and closes itself when a
button is pressed; the caller passes what each button does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

#: A button: its text, what it does, its tooltip.
Button = tuple[str, Callable[[], object], str]


class ReportDialog(QDialog):
    """Headline, Markdown document, buttons; ``buttons`` come before Close."""

    def __init__(self, parent: QWidget, name: str, title: str, headline: str,
                 markdown: str, buttons: Sequence[Button] = ()) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowModality(Qt.WindowModality.NonModal)
        layout = QVBoxLayout(self)
        self.headline = QLabel(headline)
        self.headline.setObjectName("reportHeadline")
        self.headline.setWordWrap(True)
        self.headline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.headline.setAccessibleName("Summary")
        layout.addWidget(self.headline)
        self.body = QTextBrowser()
        self.body.setObjectName("reportBody")
        self.body.setOpenExternalLinks(True)
        self.body.setMarkdown(markdown)
        self.body.setAccessibleName("Details")
        self.body.setAccessibleDescription(f"{title}: the details, to read or copy")
        layout.addWidget(self.body, 1)
        box = QDialogButtonBox()
        self.buttons: dict[str, QPushButton] = {}
        for text, action, tip in buttons:
            button = box.addButton(text, QDialogButtonBox.ButtonRole.ActionRole)
            button.setToolTip(tip)
            button.setAccessibleName(text.replace("&", "").rstrip("…"))
            button.clicked.connect(lambda _c=False, a=action: self._press(a))
            self.buttons[text.replace("&", "")] = button
        close = box.addButton(QDialogButtonBox.StandardButton.Close)
        close.setAccessibleName("Close")
        close.setToolTip("Close this report")
        close.clicked.connect(self.close)
        self.buttons["Close"] = close
        layout.addWidget(box)
        # As tall as the document needs, up to 480 pixels (it scrolls beyond).
        self.body.document().setTextWidth(600)
        height = int(self.body.document().size().height()) + 40
        self.resize(640, max(240, min(480, height + self.sizeHint().height()
                                      - self.body.sizeHint().height())))

    def _press(self, action: Callable[[], object]) -> None:
        self.close()
        action()
