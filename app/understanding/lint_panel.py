"""The Checks panel: every current lint finding as a card (what, why, the fix in words)
with a Fix button where the engine offers edits and a Show button that reveals the node or
the settings field; clicking a card reveals it too. It only displays and asks: the lint
part applies fixes and reveals."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.panels.forms import label_for
from app.theme import colors
from app.understanding.lint_marks import MARK_COLORS
from nncore.lint import Finding

SECTION_TITLES = {"training": "Training", "data": "Data"}


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def where_text(f: Finding) -> str:
    """Where a finding is, as the window names it: the node id and/or "Training ▸ Learning
    rate"."""
    parts = [f"layer “{f.node_id}”"] if f.node_id else []
    if f.setting:
        section, _, name = f.setting.partition(".")
        title = SECTION_TITLES.get(section, label_for(section))
        parts.append(f"{title} ▸ {label_for(name)}" if name else title)
    return ", ".join(parts) or "project"


def counts_text(findings: list[Finding]) -> str:
    """"1 error, 2 warnings" (notes are not counted: they say what was not checked)."""
    n = {s: sum(f.severity == s for f in findings) for s in ("error", "warning")}
    words = [f"{k} {s}{'s' * (k != 1)}" for s, k in n.items() if k]
    return ", ".join(words)


def fix_tooltip(f: Finding) -> str:
    steps = "".join(f"<li>{_esc(e.describe())}</li>" for e in f.edits)
    return (f"<b>{_esc(f.fix[:1].upper() + f.fix[1:])}</b><ul style='margin:0'>"
            f"{steps}</ul>One step: Undo (Ctrl+Z) takes it back.")


class FindingCard(QFrame):
    """One finding; ``clicked`` when the card itself is clicked."""

    clicked = Signal()

    def __init__(self, finding: Finding, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.finding = f = finding
        self.setObjectName("lintCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setAccessibleName(f"{f.severity.capitalize()}: {f.what}")
        self.setToolTip("Click to show where")
        c = colors()
        color = MARK_COLORS.get(f.severity, c.subtext.name())
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 6, 8, 6)
        lay.setSpacing(8)
        sub = c.subtext.name()
        what = f.what[:1].upper() + f.what[1:]
        self.text = QLabel(
            f"<span style='color:{color}; font-weight:600'>"
            f"{'⚠' if f.severity != 'note' else 'ⓘ'} {f.severity.capitalize()}</span>"
            f"<span style='color:{sub}'> · {_esc(where_text(f))}</span><br>{_esc(what)}."
            f"<br><span style='color:{sub}'><b>Why:</b> {_esc(f.why)}.<br>"
            f"<b>Fix:</b> {_esc(f.fix)}.</span>")
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        lay.addWidget(self.text, 1)
        buttons = QVBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.setSpacing(4)
        self.show_button = QPushButton("Show")
        self.show_button.setAccessibleName(f"Show {where_text(f)}")
        self.show_button.setToolTip("Select the layer or the settings field this is about")
        self.show_button.setVisible(bool(f.node_id or (f.setting and "." in f.setting)))
        buttons.addWidget(self.show_button)
        self.fix_button = QPushButton("Fix")
        self.fix_button.setAccessibleName(f"Fix: {f.what}")
        self.fix_button.setVisible(bool(f.edits))
        if f.edits:
            self.fix_button.setToolTip(fix_tooltip(f))
        buttons.addWidget(self.fix_button)
        buttons.addStretch(1)
        lay.addLayout(buttons)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mouseReleaseEvent(event)


class ChecksPanel(QWidget):
    """The list of findings. Signals carry the :class:`~nncore.lint.Finding`."""

    fixRequested = Signal(object)
    revealRequested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cards: list[FindingCard] = []
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        lay.setSpacing(6)
        self.summary = QLabel()
        self.summary.setObjectName("lintSummary")
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Checks summary")
        lay.addWidget(self.summary)
        self.message = QLabel()
        self.message.setObjectName("hint")
        self.message.setWordWrap(True)
        lay.addWidget(self.message)
        scroll = QScrollArea()
        scroll.setAccessibleName("Findings")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        self._list = QVBoxLayout(body)
        self._list.setContentsMargins(0, 0, 0, 0)
        self._list.setSpacing(6)
        self._list.addStretch(1)
        scroll.setWidget(body)
        lay.addWidget(scroll, 1)
        self.set_findings([])

    def set_findings(self, findings: list[Finding]) -> None:
        for card in self.cards:
            self._list.removeWidget(card)
            card.deleteLater()
        self.cards = []
        for f in findings:
            card = FindingCard(f)
            card.clicked.connect(lambda f=f: self.revealRequested.emit(f))
            card.show_button.clicked.connect(lambda _c=False, f=f: self.revealRequested.emit(f))
            card.fix_button.clicked.connect(lambda _c=False, f=f: self.fixRequested.emit(f))
            self._list.insertWidget(self._list.count() - 1, card)
            self.cards.append(card)
        counted = counts_text(findings)
        if counted:
            self.summary.setText(f"<b>{counted}</b> about what this network and its "
                                 "settings mean for training.")
        else:
            self.summary.setText("<b>✓ No problems found:</b> the network, its loss and the "
                                 "training settings fit together.")
        self.summary.setToolTip("Checked after every change, before training: the same "
                                "checks as “netcanvas lint PROJECT.json”")

    def show_message(self, text: str, error: bool = False) -> None:
        """A line under the summary (a refused fix, in the error colour)."""
        self.message.setText(text)
        self.message.setStyleSheet(f"color: {colors().error.name()};" if error else "")
        self.message.setVisible(bool(text))
