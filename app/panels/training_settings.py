"""Training settings: loss, optimizer (and its parameters), learning rate and schedule,
warm-up, batch size, epochs, regularisation, clipping, seed, early stopping.

Every field comes from ``nncore.config.TRAINING_SCHEMA`` or from the chosen optimizer's,
schedule's or loss's own schema (rebuilt when the choice changes). A setting the schema
adds later lands in "Other" without a change here. Every change is one undo command.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QFrame, QGroupBox, QLabel, QScrollArea, QVBoxLayout, QWidget

from app.document.editor import GraphEditor
from app.panels.forms import SchemaForm, help_tooltip, label_for
from app.panels.tab_order import apply_tab_order
from app.theme import colors
from nncore.config import LIVE_SETTINGS, TRAINING_SCHEMA, live_settings_text, setting_label
from nncore.losses import LOSSES
from nncore.optimizers import OPTIMIZERS
from nncore.schedules import SCHEDULES

GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Loss", ("loss",)),
    ("Optimizer", ("optimizer", "learning_rate")),
    ("Learning-rate schedule", ("schedule", "warmup_epochs")),
    ("Run", ("epochs", "batch_size", "shuffle", "seed")),
    ("Regularization", ("l1", "l2", "clip_norm")),
    ("Early stopping", ("early_stopping", "patience", "min_delta", "restore_best")),
)

#: choice name -> (its table, the nested parameters key)
NESTED = {"loss": (LOSSES, "loss_params"), "optimizer": (OPTIMIZERS, "optimizer_params"),
          "schedule": (SCHEDULES, "schedule_params")}


def _in_sentence(name: str) -> str:
    """A setting as the form labels it, for the middle of a sentence ('learning rate',
    'L1 penalty'); nested parameters as the engine names them ('optimizer parameters')."""
    if name not in {p.name for p in TRAINING_SCHEMA}:
        return setting_label(name)
    text = label_for(name)
    return text if text[1:2].isupper() or text[1:2].isdigit() else text[:1].lower() + text[1:]


def _labels(table: dict) -> dict[str, tuple[str, str]]:
    return {k: (getattr(v, "label", "") or k, getattr(v, "help", "")) for k, v in table.items()}


class TrainingSettingsPanel(QScrollArea):
    """The training settings form: one group of fields per topic, the chosen optimizer's,
    schedule's and loss's own parameters under their choice."""

    def __init__(self, editor: GraphEditor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.doc = editor.document
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(8, 8, 8, 8)
        lay.setSpacing(8)
        self.setWidget(body)

        by_name = {p.name: p for p in TRAINING_SCHEMA}
        placed: set[str] = set()
        groups = [(title, [n for n in names if n in by_name]) for title, names in GROUPS]
        rest = [p.name for p in TRAINING_SCHEMA
                if p.name not in {n for _, names in groups for n in names}]
        if rest:
            groups.append(("Other", rest))
        choice_labels = {k: _labels(table) for k, (table, _) in NESTED.items()}

        self.forms: dict[str, SchemaForm] = {}
        self.nested: dict[str, SchemaForm] = {}
        self._nested_owner: dict[str, str] = {}
        for title, names in groups:
            if not names:
                continue
            box = QGroupBox(title)
            bl = QVBoxLayout(box)
            bl.setContentsMargins(8, 6, 8, 8)
            form = SchemaForm([by_name[n] for n in names], choice_labels=choice_labels)
            form.edited.connect(self._on_edited)
            bl.addWidget(form)
            for n in names:
                self.forms[n] = form
                placed.add(n)
                if n in NESTED:
                    sub = SchemaForm()
                    sub.edited.connect(lambda name, value, key=n: self._on_nested(key, name,
                                                                                   value))
                    bl.addWidget(sub)
                    self.nested[n] = sub
                    self._nested_owner[n] = ""
            lay.addWidget(box)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.hide()
        lay.addWidget(self.error)
        self._run_active = False
        self.run_note = QLabel(f"Training is running: the {live_settings_text(_in_sentence)} "
                               "apply to the run from its next batch; the other settings "
                               "are fixed until it stops.")
        self.run_note.setWordWrap(True)
        self.run_note.setObjectName("hint")
        self.run_note.hide()
        lay.insertWidget(0, self.run_note)
        lay.addStretch(1)
        self.doc.trainingChanged.connect(self.refresh)
        self.doc.projectReset.connect(self.refresh)
        self.refresh()

    def set_run_active(self, active: bool) -> None:
        """During a run only the live settings (``nncore.config.LIVE_SETTINGS``) stay
        editable; they reach the running trainer at the next batch."""
        self._run_active = bool(active)
        for name, form in self.forms.items():
            live = name in LIVE_SETTINGS
            field = form.fields.get(name)
            if field is not None:
                field.widget.setEnabled(live or not active)
                field.widget.setToolTip(help_tooltip(field.param.help + (
                    "\n(Fixed while training runs.)" if active and not live else "")))
        for key, sub in self.nested.items():
            sub.setEnabled(NESTED[key][1] in LIVE_SETTINGS or not active)
        self.run_note.setVisible(active)
        self.refresh()

    def form_for(self, name: str) -> SchemaForm:
        return self.forms[name]

    def refresh(self) -> None:
        cfg = self.doc.training
        values = cfg.to_dict()
        rebuilt = False
        for form in set(self.forms.values()):
            form.set_values(values)
        for key, sub in self.nested.items():
            table, params_key = NESTED[key]
            owner = values[key]
            if self._nested_owner[key] != owner:
                sub.set_schema(table[owner].schema)
                self._nested_owner[key] = owner
                rebuilt = True
            sub.set_values(values[params_key])
            sub.setVisible(bool(table[owner].schema))
        stopping = bool(values.get("early_stopping"))
        form = self.forms.get("early_stopping")
        if form is not None:
            for n in ("patience", "min_delta", "restore_best"):
                if n in form.fields:
                    form.fields[n].widget.setEnabled(
                        stopping and (n in LIVE_SETTINGS or not self._run_active))
        if rebuilt:  # new fields: Tab still goes down the panel as it reads
            apply_tab_order(self)
        self._show_error(None)

    def _show_error(self, text: str | None) -> None:
        if text:
            self.error.setText(text)
            self.error.setStyleSheet(f"color: {colors().error.name()};")
            self.error.show()
        else:
            self.error.hide()

    def _on_edited(self, name: str, value: Any) -> None:
        reason = self.editor.set_training(**{name: value})
        if reason:
            self.refresh()
            self._show_error(reason)

    def _on_nested(self, key: str, name: str, value: Any) -> None:
        params_key = NESTED[key][1]
        params = dict(getattr(self.doc.training, params_key))
        params[name] = value
        reason = self.editor.set_training(text=f"Change {key} {name.replace('_', ' ')}",
                                          merge_key=f"{params_key}.{name}",
                                          **{params_key: params})
        if reason:
            self.refresh()
            self._show_error(reason)
