"""Run ▸ Sweep…: the dialog that lays out a sweep. Each row picks a setting (any training
setting, the chosen optimizer's, schedule's and loss's parameters, any layer parameter or
frozen flag, any data setting: the list comes from the schemas) and its values, written as
a list ("0.001, 0.01, 0.1") or a range ("0.001 .. 0.1 x 3 log": 3 values, evenly spaced,
on a log scale with "log"). The runs are the grid of all combinations or a number of them
drawn at random; the epochs and seed apply to every run. Every value and combination is
checked by :func:`nncore.sweep.plan` before the dialog closes, with the problem shown in
the dialog."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.theme import colors
from nncore.config import TRAINING_SCHEMA
from nncore.errors import NetCanvasError
from nncore.losses import LOSSES
from nncore.optimizers import OPTIMIZERS
from nncore.params import Param
from nncore.project import DATA_SCHEMA, Project
from nncore.registry import layer_class
from nncore.schedules import SCHEDULES
from nncore.sweep import SweepAxis, build_variant, parse_set, plan

RANGE = re.compile(r"^\s*(\S+)\s*\.\.\s*(\S+)\s*[x×]\s*(\d+)\s*(log)?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Setting:
    """A setting a sweep may vary: its path in the project file, how the list names it,
    its schema and its value in the project now."""

    path: str
    label: str
    param: Param | None
    current: Any


def sweep_settings(project: Project) -> list[Setting]:
    """Every setting of ``project`` a sweep may vary, in the order the list shows them."""
    cfg = project.training
    out = [Setting(f"training.{p.name}", f"Training: {p.name.replace('_', ' ')}", p,
                   getattr(cfg, p.name)) for p in TRAINING_SCHEMA]
    for name, choice, schema, values in (
            ("optimizer_params", cfg.optimizer, OPTIMIZERS[cfg.optimizer].schema,
             cfg.optimizer_params),
            ("schedule_params", cfg.schedule, SCHEDULES[cfg.schedule].schema,
             cfg.schedule_params),
            ("loss_params", cfg.loss, LOSSES[cfg.loss].schema, cfg.loss_params)):
        out += [Setting(f"training.{name}.{p.name}", f"Training: {choice} "
                        f"{p.name.replace('_', ' ')}", p, values.get(p.name, p.default))
                for p in schema]
    for node in project.graph.nodes:
        cls = layer_class(node.type)
        out += [Setting(f"network.nodes.{node.id}.params.{p.name}",
                        f"Layer {node.id}: {p.name.replace('_', ' ')}", p,
                        node.params.get(p.name, p.default)) for p in cls.schema]
        out.append(Setting(f"network.nodes.{node.id}.frozen", f"Layer {node.id}: frozen",
                           None, bool(node.frozen)))
    data = project.data.to_dict()
    out += [Setting(f"data.{p.name}", f"Data: {p.name.replace('_', ' ')}", p,
                    data.get(p.name)) for p in DATA_SCHEMA if p.name != "source"]
    return out


def suggested_values(setting: Setting) -> str:
    """Values to start from: every choice, both truth values, or around the current."""
    p, v = setting.param, setting.current
    if p is None or p.kind == "bool" or isinstance(v, bool):
        return "false, true"
    if p.choices:
        return ", ".join(p.choices)
    if isinstance(v, float) and v > 0:
        return f"{v / 10:g}, {v:g}, {v * 10:g}"
    if isinstance(v, int) and v > 0:
        return f"{v}, {2 * v}"
    return "" if v is None else json.dumps(v)


def parse_values(path: str, text: str, param: Param | None) -> SweepAxis:
    """The axis of ``path`` from a list or a range ("a .. b x n [log]"); raises
    NetCanvasError with what is wrong."""
    m = RANGE.match(text)
    if m is None:
        return parse_set(f"{path}={text}")
    try:
        lo, hi, n = float(m.group(1)), float(m.group(2)), int(m.group(3))
    except ValueError:
        raise NetCanvasError(f"{text!r}: a range is FROM .. TO x COUNT, such as "
                             "0.001 .. 0.1 x 3 log") from None
    if n < 1:
        raise NetCanvasError(f"{text!r}: the count must be at least 1")
    if m.group(4):
        if lo <= 0 or hi <= 0:
            raise NetCanvasError(f"{text!r}: a log range needs positive ends")
        values = np.geomspace(lo, hi, n)
    else:
        values = np.linspace(lo, hi, n)
    if param is not None and param.kind == "int":
        ints = list(dict.fromkeys(int(round(v)) for v in values))
        return SweepAxis(path, tuple(ints))
    return SweepAxis(path, tuple(float(f"{v:.6g}") for v in values))


class _AxisRow:
    """One row: the setting, its values, a Remove button."""

    def __init__(self, settings: list[Setting], on_change: Any, on_remove: Any) -> None:
        self.settings = settings
        self.combo = QComboBox()
        self.combo.setAccessibleName("Setting to sweep")
        self.combo.setToolTip("The setting this row varies")
        for s in settings:
            self.combo.addItem(s.label, s.path)
        self.values = QLineEdit()
        self.values.setAccessibleName("Values")
        self.values.setToolTip("A list (0.001, 0.01, 0.1) or a range: FROM .. TO x COUNT, "
                               "with log for a log scale (0.001 .. 0.1 x 3 log)")
        self.remove = QPushButton("Remove")
        self.remove.setAccessibleName("Remove this setting")
        self.remove.setToolTip("Sweep without this setting")
        self.combo.currentIndexChanged.connect(self._on_setting)
        self.combo.currentIndexChanged.connect(on_change)
        self.values.textChanged.connect(on_change)
        self.remove.clicked.connect(lambda: on_remove(self))

    @property
    def setting(self) -> Setting:
        return self.settings[self.combo.currentIndex()]

    def choose(self, path: str, values: str | None = None) -> None:
        """Pick the setting at ``path`` with ``values`` (None: suggested ones)."""
        self.combo.setCurrentIndex(max(0, self.combo.findData(path)))
        self.values.setText(suggested_values(self.setting) if values is None else values)

    def _on_setting(self) -> None:
        self.values.setText(suggested_values(self.setting))

    def axis(self) -> SweepAxis:
        return parse_values(self.setting.path, self.values.text(), self.setting.param)


class SweepDialog(QDialog):
    """Lays out a sweep of ``project``; after ``accept`` :attr:`combos`, :attr:`epochs`
    and :attr:`seed` hold it."""

    def __init__(self, project: Project, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sweepDialog")
        self.setWindowTitle("Sweep")
        self.project = project
        self.settings = sweep_settings(project)
        self._base = project.to_dict()
        self.rows: list[_AxisRow] = []
        self.combos: list[dict[str, Any]] = []
        self.grid = QGridLayout()
        self.grid.setColumnStretch(1, 1)
        add = QPushButton("Add Setting")
        add.setAccessibleName("Add a setting to sweep")
        add.setToolTip("Vary one more setting (the runs multiply)")
        add.clicked.connect(lambda: self.add_row())
        self.grid_mode = QRadioButton("Every combination (grid)")
        self.grid_mode.setAccessibleName("Grid sweep")
        self.random_mode = QRadioButton("Random combinations:")
        self.random_mode.setAccessibleName("Random sweep")
        self.random_mode.setToolTip("Draw this many combinations of the grid, without "
                                    "repetition (seeded by Seed)")
        self.count = _spin(1, 10_000, 8, "Random combinations to run")
        self.grid_mode.setChecked(True)
        for w in (self.grid_mode, self.random_mode, self.count):
            (w.toggled if isinstance(w, QRadioButton) else w.valueChanged).connect(
                self._update)
        mode = QHBoxLayout()
        mode.addWidget(self.grid_mode)
        mode.addWidget(self.random_mode)
        mode.addWidget(self.count)
        mode.addStretch(1)
        self.epochs = _spin(1, 1_000_000, project.training.epochs, "Epochs of every run")
        self.seed = _spin(0, 2**31 - 1, project.training.seed,
                          "Seed of every run (and of the random choice of combinations)")
        form = QFormLayout()
        self.epochs.setToolTip("Epochs of every run (replaces the project's Epochs)")
        form.addRow("Epochs per run:", self.epochs)
        form.addRow("Seed:", self.seed)
        self.preview = QLabel()
        self.preview.setObjectName("sweepPreview")
        self.preview.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.start_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.start_button.setText("Start Sweep")
        self.start_button.setAccessibleName("Start sweep")
        self.start_button.setToolTip("Train the combinations one after another")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setAccessibleName("Cancel")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("Settings to vary, each with its values: a list "
                             "(0.001, 0.01, 0.1) or a range (0.001 .. 0.1 x 3 log)."))
        lay.addLayout(self.grid)
        lay.addWidget(add)
        lay.addLayout(mode)
        lay.addLayout(form)
        lay.addWidget(self.preview)
        lay.addWidget(self.buttons)
        self.add_row("training.learning_rate")
        self.resize(640, self.sizeHint().height())

    def add_row(self, path: str | None = None, values: str | None = None) -> _AxisRow:
        row = _AxisRow(self.settings, self._update, self._remove)
        used = {r.setting.path for r in self.rows}
        free = path or next((s.path for s in self.settings if s.path not in used
                             and s.path.startswith("training.")), self.settings[0].path)
        row.choose(free, values)
        n = len(self.rows)
        self.grid.addWidget(row.combo, n, 0)
        self.grid.addWidget(row.values, n, 1)
        self.grid.addWidget(row.remove, n, 2)
        self.rows.append(row)
        self._update()
        return row

    def _remove(self, row: _AxisRow) -> None:
        for w in (row.combo, row.values, row.remove):
            self.grid.removeWidget(w)
            w.deleteLater()
        self.rows.remove(row)
        self._update()

    def axes(self) -> list[SweepAxis]:
        return [r.axis() for r in self.rows]

    def _update(self, *_args: object) -> None:
        """The number of runs, or what is wrong (the Start button follows)."""
        try:
            axes = self.axes()
            if not axes:
                raise NetCanvasError("add a setting to sweep")
            for axis in axes:  # each value alone (the combinations on Start)
                for v in axis.values[:50]:
                    build_variant(self._base, {axis.path: v})
            size = math.prod(len(a.values) for a in axes)
            runs = min(self.count.value(), size) if self.random_mode.isChecked() else size
            parts = " × ".join(f"{len(a.values)} {a.path.rsplit('.', 1)[-1]}" for a in axes)
            self._say(f"{runs} run{'s' if runs != 1 else ''} ({parts})", False)
        except NetCanvasError as e:
            self._say(str(e), True)

    def _say(self, text: str, bad: bool) -> None:
        self.preview.setText(text)
        self.preview.setStyleSheet(f"color: {colors().error.name()};" if bad else "")
        self.start_button.setEnabled(not bad)

    def accept(self) -> None:
        """Check every value and combination (nncore.sweep.plan); stay open on a problem."""
        try:
            axes = self.axes()
            size = math.prod(len(a.values) for a in axes)
            random = min(self.count.value(), size) if self.random_mode.isChecked() else None
            self.combos = plan(self.project, axes, random, self.seed.value())
        except NetCanvasError as e:
            self._say(str(e), True)
            return
        super().accept()


def _spin(lo: int, hi: int, value: int, name: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(lo, hi)
    box.setValue(value)
    box.setAccessibleName(name)
    box.setToolTip(name)
    return box
