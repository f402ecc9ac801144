"""The window part that shows lint (:mod:`nncore.lint`) where the person works: a "!" mark
on each node a finding is about, a warning icon beside each settings field one is about
(learning rate, loss, batch size, early stopping, validation fraction, normalization), and
the Checks dock listing them all with a one-click Fix (the engine's edits as one undo step)
and a click that reveals the node or the field.

Built from a :class:`~app.window.context.WindowContext` and the public forms of the
training and data panels; exposes ``dock``. Errors of the graph analysis are left out of
the marks: the node already shows them in red.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDockWidget, QScrollArea, QToolButton, QWidget

from app.panels.forms import SchemaForm
from app.theme import theme_notifier
from app.understanding.background import CloseWatcher
from app.understanding.lint_checker import LintChecker
from app.understanding.lint_marks import MARK_COLORS, Mark, set_mark
from app.understanding.lint_panel import ChecksPanel, counts_text
from app.window.context import WindowContext
from nncore.lint import Finding

MARKED = ("error", "warning")


def finding_html(f: Finding) -> str:
    what = f.what[:1].upper() + f.what[1:]
    return (f"<b>{html.escape(what, False)}.</b><br>Why: {html.escape(f.why, False)}.<br>"
            f"Fix: {html.escape(f.fix, False)}.")


def mark_tooltip(findings: list[Finding]) -> str:
    fixable = any(f.edits for f in findings)
    tail = ("<br><i>Checks panel: one click fixes it.</i>" if fixable
            else "<br><i>More in the Checks panel.</i>")
    return "<hr>".join(finding_html(f) for f in findings) + tail


class LintPart(QObject):
    """Lint marks on the canvas and the settings forms, and the Checks dock."""

    def __init__(self, context: WindowContext, training_forms: Mapping[str, SchemaForm],
                 data_form: SchemaForm, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._forms: dict[str, tuple[SchemaForm, str]] = {
            f"training.{name}": (form, name) for name, form in training_forms.items()}
        self._forms.update({f"data.{name}": (data_form, name) for name in data_form.fields})
        self._warned: set[str] = set()
        self.checker = LintChecker(context.document, self)
        self.panel = ChecksPanel()
        self.panel.setObjectName("checksPanel")
        self.dock = context.parts.dock("Checks", "checksDock", self.panel,
                                       Qt.DockWidgetArea.BottomDockWidgetArea)
        #: For the status bar: the count of findings; a click shows the Checks dock.
        self.status_button = QToolButton()
        self.status_button.setObjectName("checksButton")
        self.status_button.setAutoRaise(True)
        self.status_button.setAccessibleName("Show the checks")
        self.status_button.setToolTip("Problems of meaning found before training: click "
                                      "to see them, with one-click fixes")
        self.status_button.clicked.connect(self.show_dock)
        self.status_button.hide()
        self.checker.changed.connect(self.update)
        theme_notifier().changed.connect(self.update)  # the cards' colours
        self.panel.fixRequested.connect(self.fix)
        self.panel.revealRequested.connect(self.reveal)
        CloseWatcher(context.dialog_parent, self.checker.wait)

    @property
    def findings(self) -> list[Finding]:
        return self.checker.findings

    def update(self) -> None:
        """Show the checker's findings on the nodes, the fields and in the dock."""
        findings = self.checker.findings
        self.panel.set_findings(findings)
        self.panel.show_message("")
        n = sum(f.severity in MARKED for f in findings)
        self.dock.setWindowTitle(f"Checks ({n})" if n else "Checks")
        errors = any(f.severity == "error" for f in findings)
        self.status_button.setText(f"⚠ {counts_text(findings)}")
        self.status_button.setStyleSheet(
            f"color: {MARK_COLORS['error' if errors else 'warning']}; border: none;")
        self.status_button.setVisible(n > 0)
        self._mark_nodes(findings)
        self._mark_fields(findings)

    def show_dock(self) -> None:
        self.dock.show()
        self.dock.raise_()

    def _mark_nodes(self, findings: list[Finding]) -> None:
        by_node: dict[str, list[Finding]] = {}
        for f in findings:
            if f.node_id and f.severity in MARKED and f.rule != "graph":
                by_node.setdefault(f.node_id, []).append(f)
        for node_id, item in self._context.scene.nodes.items():
            found = by_node.get(node_id)
            mark = None
            if found:
                level = "error" if any(f.severity == "error" for f in found) else "warning"
                mark = Mark(level, "", mark_tooltip(found))
            set_mark(item, "lint", mark)

    def _mark_fields(self, findings: list[Finding]) -> None:
        by_setting: dict[str, list[Finding]] = {}
        for f in findings:
            if f.setting in self._forms and f.severity in MARKED:
                by_setting.setdefault(f.setting, []).append(f)
        for setting in self._warned - set(by_setting):
            form, name = self._forms[setting]
            form.set_warning(name, "")
        for setting, found in by_setting.items():
            form, name = self._forms[setting]
            form.set_warning(name, "\n\n".join(
                f"{f.what[:1].upper() + f.what[1:]}. Why: {f.why}. Fix: {f.fix}."
                for f in found))
        self._warned = set(by_setting)

    def fix(self, finding: Finding) -> str | None:
        """Apply the finding's edits as one undo step; the refusal (also shown) or None."""
        if not finding.edits:
            return "this finding has no automatic fix"
        text = f"Fix: {finding.fix}"
        reason = self._context.editor.apply_edits(list(finding.edits), text=text)
        if reason:
            self.panel.show_message(f"Not fixed: {reason}", error=True)
            self._context.status(f"Not fixed: {reason}", 8000)
        else:
            self._context.status(f"{text} (Undo takes it back)", 6000)
        return reason

    def reveal(self, finding: Finding) -> None:
        """Show the node the finding is about, or else its settings field."""
        if finding.node_id and finding.node_id in self._context.scene.nodes:
            self._context.reveal_node(finding.node_id)
            return
        if finding.setting in self._forms:
            form, name = self._forms[finding.setting]
            reveal_widget(form.widget(name))


def reveal_widget(widget: QWidget) -> None:
    """Bring ``widget`` on screen: raise the dock holding it, scroll to it, focus it."""
    scrolls = []
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QScrollArea):
            scrolls.append(parent)
        if isinstance(parent, QDockWidget):
            parent.show()
            parent.raise_()
            break
        parent = parent.parentWidget()
    for scroll in scrolls:
        scroll.ensureWidgetVisible(widget)
    widget.setFocus(Qt.FocusReason.OtherFocusReason)
