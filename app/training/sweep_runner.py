"""Sweeps in the window: Run ▸ Sweep… (:mod:`app.training.sweep_dialog`) lays one out and
:class:`SweepRunner` trains its combinations one after another, each as an ordinary run
of the run controller (its worker thread and the engine's run pipeline), so each joins the
Runs table while it trains. A run's project is :func:`nncore.sweep.build_variant` of the
project as it was when the sweep started, with the sweep's epochs and seed: the same
computation as ``netcanvas sweep`` and ``nncore.sweep.run_sweep``. A run that diverges
stops (and the sweep goes on); Stop (the Run menu's, or the Runs dock's Stop Sweep) ends
the running run and the sweep; a new project ends it too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction

from app.models.comparison import best_run, short_name, show_value
from app.models.runs import RunRecord
from app.training.controller import RunController
from app.training.runs_dock import RunsPanel
from app.training.sweep_dialog import SweepDialog
from app.window.context import WindowContext
from nncore.project import Project
from nncore.sweep import build_variant


def combo_text(combo: dict[str, Any]) -> str:
    """"learning_rate=0.01, dense1.units=8"."""
    return ", ".join(f"{short_name(path)}={show_value(v)}" for path, v in combo.items())


class SweepRunner(QObject):
    """Trains a sweep's combinations one after another through the run controller;
    ``report(text | None)`` shows its progress (None: no sweep runs); ``changed`` says a
    sweep began or ended."""

    changed = Signal()

    def __init__(self, training: RunController, report: Callable[[str | None], None],
                 status: Callable[[str], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.training = training
        self._report = report
        self._status = status
        self.number = 0
        self.base: dict[str, Any] | None = None
        self.combos: list[dict[str, Any]] = []
        self.epochs = self.seed = 0
        self.next_index = 0
        self.runs: list[RunRecord] = []
        self.stopped = False
        self._stops = 0
        training.stateChanged.connect(self._on_state)

    @property
    def running(self) -> bool:
        return self.base is not None

    def start(self, project: Project, combos: list[dict[str, Any]], epochs: int,
              seed: int) -> bool:
        """Begin a sweep of ``project``; False when a run or sweep is active."""
        if self.running or self.training.active or not combos:
            return False
        self.number += 1
        self.base, self.combos = project.to_dict(), list(combos)
        self.epochs, self.seed = epochs, seed
        self.next_index, self.runs, self.stopped = 0, [], False
        self.changed.emit()
        self._start_next()
        return True

    def variant(self, combo: dict[str, Any]) -> Project:
        """The project of one combination, with the sweep's epochs and seed."""
        project = build_variant(self.base, combo)
        project.training = project.training.replace(epochs=self.epochs, seed=self.seed)
        return project

    def _start_next(self) -> None:
        if not self.running:
            return
        self.stopped |= self.training.stops != self._stops
        if self.stopped or self.next_index >= len(self.combos) or self.training.active:
            self._end()
            return
        i = self.next_index
        self.next_index += 1
        combo = self.combos[i]
        label = f"Sweep {self.number}, run {i + 1} of {len(self.combos)}: {combo_text(combo)}"
        run = self.training.start_run(self.variant(combo), sweep=(label, combo))
        if run is None:
            self._end()
            return
        self._stops = self.training.stops
        self.runs.append(run)
        self._report(f"<b>{label}</b>")
        self._status(f"{label} (Stop ends the sweep)")

    def _on_state(self) -> None:
        if not self.running:
            return
        if self.training.stops != self._stops:
            self.stopped = True  # Stop (or a new project, or closing) ends the sweep
        if not self.training.active:
            # After the controller has finished with the run that ended.
            QTimer.singleShot(0, self, self._start_next)

    def stop(self) -> None:
        """End the sweep (and its running run)."""
        if self.running:
            self.stopped = True
            self.training.stop()

    def _end(self) -> None:
        done = [r for r in self.runs if r in self.training.history.runs]
        total = len(self.combos)
        best = best_run(done)
        what = "stopped" if self.stopped and len(done) < total else "done"
        text = f"Sweep {self.number} {what}: {len(done)} of {total} runs"
        if best is not None:
            text += f"; best {best.name} ({combo_text(best.sweep_settings or {})})"
        self.base = None
        self._report(None)
        self._status(text)
        self.changed.emit()


class SweepActions(QObject):
    """Run ▸ Sweep…: the dialog, then the runner; exposes ``act_sweep``."""

    def __init__(self, context: WindowContext, training: RunController, panel: RunsPanel,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self.training = training
        self.runner = SweepRunner(training, panel.set_sweep_text,
                                  lambda text: context.status(text, 20000), self)
        self.dialog: SweepDialog | None = None
        self.act_sweep = context.parts.action(
            "actionSweep", "S&weep…", self.sweep_dialog, [], None,
            "Train once per combination of chosen settings and values, one run after "
            "another, and compare them in the Runs table")
        training.stateChanged.connect(self.update_actions)
        self.runner.changed.connect(self.update_actions)
        self.update_actions()

    def update_actions(self) -> None:
        self.act_sweep.setEnabled(not self.training.active and not self.runner.running)

    @property
    def menu_actions(self) -> list[QAction]:
        return [self.act_sweep]

    def sweep_dialog(self) -> SweepDialog | None:
        """Open the sweep dialog (non-blocking); Start Sweep starts the runs."""
        if self.training.active or self.runner.running:
            self._context.status("Sweep: wait until the current run ends", 8000)
            return None
        project = self._context.document.snapshot()
        dialog = SweepDialog(project, self._context.dialog_parent)
        dialog.accepted.connect(lambda: self.runner.start(
            project, dialog.combos, dialog.epochs.value(), dialog.seed.value()))
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()
        return dialog
