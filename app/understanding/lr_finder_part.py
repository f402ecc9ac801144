"""The window part behind Run ▸ Find Learning Rate: the range test
(:func:`nncore.lr_finder.lr_range_test`, as ``netcanvas lr-find`` runs it: a copy of the
network at the project's initial weights, the project's loss, optimizer and batch size) on
a :class:`~app.understanding.background.BackgroundJob`, its curve in a
:class:`~app.understanding.lr_finder_dialog.LrFinderDialog`, and "Use This Rate" as one
undo step. The network in the window, its trained weights and the project are untouched
until the rate is applied. Refused while a run is active or the network has problems.

Built from a :class:`~app.window.context.WindowContext` and the run controller; exposes
``act_find`` for the Run menu.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from app import dialogs
from app.training.controller import RunController
from app.training.lock import LOCK_REASON
from app.understanding.background import BackgroundJob, CloseWatcher, Progress
from app.understanding.lr_finder_dialog import LrFinderDialog, result_text
from app.window.context import WindowContext
from nncore.edits import SetTraining
from nncore.lr_finder import DEFAULT_END, DEFAULT_START, DEFAULT_STEPS, RangeTest
from nncore.project import Project


def sweep(project: Project, base_dir, progress: Progress | None = None) -> RangeTest:
    """The range test of ``project`` as the command line runs it."""
    from nncore.lr_finder import lr_range_test
    from nncore.run import build_network, check_run, prepare_data

    data = prepare_data(project.data, base_dir)
    net = build_network(project)
    run = check_run(net, data, project.training)
    return lr_range_test(net, project.training, run.x, run.y, progress=progress)


def rounded(rate: float) -> float:
    """The rate as the dialog shows it (three significant digits)."""
    return float(f"{rate:.3g}")


class LrFinderPart(QObject):
    """Run ▸ Find Learning Rate: the sweep, its dialog and applying the rate."""

    def __init__(self, context: WindowContext, training: RunController,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self.training = training
        self.job: BackgroundJob | None = None
        self.dialog: LrFinderDialog | None = None
        self.result: RangeTest | None = None
        self.act_find = context.parts.action(
            "actionFindLearningRate", "Find &Learning Rate…", self.find, [], None,
            "Sweep the learning rate on a copy of the network and suggest one (the "
            "network is not changed)")
        training.stateChanged.connect(self._update_action)
        CloseWatcher(context.dialog_parent, self.stop)
        self._update_action()

    def _update_action(self) -> None:
        self.act_find.setEnabled(not self.training.active)
        if self.dialog is not None and self.result is not None:
            self.dialog.use_button.setEnabled(not self.training.active
                                              and self.result.suggestion is not None)

    def _refusal(self) -> str | None:
        if self.training.active:
            return LOCK_REASON
        errors = self._context.document.analysis.errors
        if errors:
            return f"the network has problems: {errors[0]}"
        return None

    def find(self) -> bool:
        """Start a sweep (False, with the reason shown, when it cannot start)."""
        reason = self._refusal()
        if reason is not None:
            self._context.status(f"Learning rate not searched: {reason}", 10000)
            dialogs.show_error(self._context.dialog_parent, "Find learning rate",
                               "The learning-rate range test cannot run now.", reason)
            return False
        if self.job is not None:
            self.job.stop()
        doc = self._context.document
        project, base_dir = doc.snapshot(), doc.base_dir
        self.result = None
        if self.dialog is None:
            self.dialog = LrFinderDialog(self._context.dialog_parent)
            self.dialog.useRate.connect(self.use_rate)
            self.dialog.runAgain.connect(self.find)
            self.dialog.cancelRequested.connect(self.cancel)
        dialog = self.dialog
        dialog.start(f"Trains a copy of the network from its initial weights (seed "
                     f"{project.training.seed}) for up to {DEFAULT_STEPS} batches while the "
                     f"learning rate grows from {DEFAULT_START:g} to {DEFAULT_END:g}, with "
                     f"the project's loss, optimizer ({project.training.optimizer}) and "
                     "batch size. The network in the window is not changed.", DEFAULT_STEPS,
                     (DEFAULT_START, DEFAULT_END))
        dialog.show()
        dialog.raise_()
        job = BackgroundJob(lambda progress: sweep(project, base_dir, progress),
                            "NetCanvas learning-rate sweep", self)
        own = project.training.learning_rate
        job.progressed.connect(lambda done, total: self.job is job
                               and dialog.set_progress(done, total))
        job.succeeded.connect(lambda result: self.job is job and self._on_result(result, own))
        job.failed.connect(lambda msg: self.job is job
                           and dialog.show_error(f"The sweep could not run: {msg}"))
        job.cancelled.connect(lambda: self.job is job and dialog.show_cancelled())
        job.finished.connect(lambda: self._on_finished(job))
        self.job = job
        job.start()
        return True

    def _on_result(self, result: RangeTest, own: float) -> None:
        self.result = result
        if self.dialog is not None:
            self.dialog.show_result(result, result_text(result, DEFAULT_STEPS,
                                                        DEFAULT_START, own))
        self._update_action()

    def _on_finished(self, job: BackgroundJob) -> None:
        if self.job is job:
            self.job = None
        job.deleteLater()

    def use_rate(self) -> str | None:
        """Set the suggested rate (rounded as shown) as one undo step; the refusal or None."""
        if self.result is None or self.result.suggestion is None:
            return "there is no suggested rate"
        rate = rounded(self.result.suggestion)
        reason = self._context.editor.apply_edits(
            [SetTraining({"learning_rate": rate})],
            text=f"Use the learning rate {rate:g} from the range test")
        if reason:
            if self.dialog is not None:
                self.dialog.show_error(f"Not applied: {reason}")
            self._context.status(f"Not applied: {reason}", 8000)
        else:
            self._context.status(f"Learning rate set to {rate:g} (Undo takes it back)", 6000)
        return reason

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def stop(self) -> None:
        """Cancel a running sweep and wait for its thread (the window closes)."""
        if self.job is not None:
            self.job.stop()
