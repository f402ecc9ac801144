"""The look at a run's health when it ends or pauses: layers whose gradients vanished or
exploded, or whose units are mostly saturated or dead, are named in a notice with what it
means and what to try (:func:`~app.training.health_advice.review_text`), instead of a
silent "completed".

It waits for the analysis of the weights the run stopped with (the probe's activations,
which give the dead and saturated units) when one is coming; a pause for a divergence keeps
its own notice.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from app.models.runs import RunRecord
from app.training.controller import PAUSED, RunController
from app.training.health_advice import findings, review_text
from app.training.notices import Notice

#: How the runs whose health is looked at ended.
REVIEWED = ("completed", "stopped", "early_stopping")


class HealthReview(QObject):
    """Emits ``notice`` when the run that ended or paused has layers that do not learn."""

    notice = Signal(object)

    def __init__(self, training: RunController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.training = training
        #: The run whose weights' analysis is awaited.
        self._pending: RunRecord | None = None
        #: A divergence notice shows (until resumed): it is not replaced.
        self._diverged = False
        #: (run number, epochs) of the last look, so a pause is looked at once.
        self._looked: tuple[int, int] | None = None
        training.runFinished.connect(self._on_finished)
        training.stateChanged.connect(self._on_state)
        training.probe.updated.connect(self._on_probe)
        training.notice.connect(self._on_notice)
        training.noticeCleared.connect(self._on_notice_cleared)
        training.history.runs_changed.connect(self._on_runs_changed)

    def _on_notice(self, n: Notice) -> None:
        if n.topic == "diverged":
            self._diverged = True

    def _on_notice_cleared(self) -> None:
        self._diverged = False

    def _on_runs_changed(self) -> None:
        if self._pending is not None and self._pending not in self.training.history.runs:
            self._pending = None

    def _on_finished(self, run: RunRecord) -> None:
        if run.status in REVIEWED:
            self._expect(run)

    def _on_state(self) -> None:
        run = self.training.history.active_run
        if self.training.state == PAUSED and run is not None and run.status == "paused":
            if run is not self._pending and self._looked != (run.number, run.epochs_done):
                self._expect(run)
        elif self._pending is not None and self._pending.active:
            self._pending = None  # resumed or stopping: the run goes on

    def _expect(self, run: RunRecord) -> None:
        """Look at ``run`` once the analysis of its weights arrives (now if none is
        coming)."""
        self._pending = run
        if not self.training.probe.pending():
            self._review()

    def _on_probe(self, kind: str) -> None:
        run = self._pending
        if kind == "activations" and run is not None and self._activity_of(run) is not None:
            self._review()

    def _activity_of(self, run: RunRecord) -> dict | None:
        res = self.training.probe.results.get("activations")
        version = getattr(res, "version", None)
        if isinstance(version, tuple) and len(version) > 1 and version[1] == run.number:
            return res.activity
        return None

    def _review(self) -> None:
        run, self._pending = self._pending, None
        if run is None or self._diverged or run.steps_per_epoch == 0:
            return
        self._looked = (run.number, run.epochs_done)
        c = run.curves
        found = findings(c.grad_now, c.weight_now, self._activity_of(run) or {})
        if not found:
            return
        lr = run.settings.learning_rate if run.settings is not None else None
        layer = found[0].layers[0][0]
        self.notice.emit(Notice("warning", review_text(run, found, lr), layer, "health",
                                run))
