"""The window part behind Run ▸ Check Gradients: it runs :func:`nncore.gradcheck.gradcheck`
on a :class:`~app.understanding.background.BackgroundJob` (at the window's trained weights
when it has weights for this network, else at the project's initial ones), shows the
table in a :class:`~app.understanding.gradcheck_dialog.GradcheckDialog` and marks every
checked node pass or fail on the canvas until the project or the weights change.

Built from a :class:`~app.window.context.WindowContext` and the run controller; exposes
``act_check`` for the Run menu.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QObject

from app import dialogs
from app.training.controller import RunController
from app.training.lock import LOCK_REASON
from app.training.probe import structure_key
from app.understanding.background import BackgroundJob, CloseWatcher, Progress
from app.understanding.gradcheck_dialog import GradcheckDialog, row_result
from app.understanding.lint_marks import Mark, set_mark
from app.window.context import WindowContext
from nncore.gradcheck import GradCheck, gradcheck
from nncore.weights import WeightsFile

#: Samples of the training split the check runs on (the command line's default).
SAMPLES = 8


def node_marks(check: GradCheck) -> dict[str, Mark]:
    """Per checked node: pass (every array within the tolerance), fail, or not compared;
    the text shows the node's largest relative error."""
    rows: dict[str, list] = {}
    for r in check.rows:
        rows.setdefault(r.node_id, []).append(r)
    marks = {}
    for node, found in rows.items():
        results = [row_result(r, check.tolerance) for r in found]
        errors = [r.max_rel_error for r in found if r.max_rel_error is not None]
        worst = f" {max(errors):.0e}" if errors else ""
        level = ("fail" if "FAIL" in results else "pass" if errors else "unseen")
        symbol = {"fail": "✗", "pass": "✓", "unseen": "–"}[level]
        lines = "".join(f"<br>{html.escape(r.array)}: {res}"
                        + (f" ({r.max_rel_error:.2e})" if r.max_rel_error is not None else "")
                        for r, res in zip(found, results))
        said = {"fail": "failed", "pass": "passed", "unseen": "not compared"}[level]
        tip = (f"<b>Gradient check: {said}</b> (relative error between back-propagation "
               f"and numerical differences, tolerance {check.tolerance:g}){lines}")
        marks[node] = Mark(level, f"∂ {symbol}{worst}", tip)
    return marks


class GradcheckPart(QObject):
    """Run ▸ Check Gradients: the job, its dialog and the marks on the nodes."""

    def __init__(self, context: WindowContext, training: RunController,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self.training = training
        self.job: BackgroundJob | None = None
        self.dialog: GradcheckDialog | None = None
        self.result: GradCheck | None = None
        #: The project or the weights changed since the running check started.
        self._stale = False
        self.act_check = context.parts.action(
            "actionCheckGradients", "Check &Gradients…", self.check, [], None,
            "Compare back-propagation with numerical differences (float64) on a few "
            "samples, per layer and parameter")
        d = context.document
        for signal in (d.analysisChanged, d.trainingChanged, d.dataChanged, d.projectReset,
                       training.networkChanged, training.runFinished):
            signal.connect(lambda *_: self._on_changed())
        training.stateChanged.connect(self._update_action)
        CloseWatcher(context.dialog_parent, self.stop)
        self._update_action()

    def _update_action(self) -> None:
        self.act_check.setEnabled(not self.training.active)

    def check(self) -> bool:
        """Start a check (False, with the reason shown, when it cannot start)."""
        parent = self._context.dialog_parent
        if self.training.active:
            self._context.status(f"Gradients not checked: {LOCK_REASON}", 8000)
            return False
        errors = self._context.document.analysis.errors
        if errors:
            dialogs.show_error(parent, "Check gradients", "The network has problems, so its "
                               "gradients cannot be checked.", str(errors[0]))
            return False
        if self.job is not None:
            self.job.stop()
        doc = self._context.document
        project, base_dir = doc.snapshot(), doc.base_dir
        weights, where = self._weights(project)
        self.clear_marks()
        self._stale = False
        if self.dialog is None:
            self.dialog = GradcheckDialog(parent)
            self.dialog.checkAgain.connect(self.check)
            self.dialog.cancelRequested.connect(self.cancel)
            self.dialog.nodeActivated.connect(self._reveal)
        self.dialog.start(f"Back-propagation against float64 central differences on "
                          f"{SAMPLES} samples of the training split, at {where}. An array "
                          f"fails when its largest relative error exceeds 1e-05.")
        self.dialog.show()
        self.dialog.raise_()

        def work(progress: Progress) -> GradCheck:
            return gradcheck(project, base_dir, weights=weights, samples=SAMPLES,
                             progress=progress)

        job = BackgroundJob(work, "NetCanvas gradient check", self)
        dialog = self.dialog
        # Only the current job reaches the dialog: one replaced by Check Again still
        # reports its cancellation.
        job.progressed.connect(lambda done, total: self.job is job
                               and dialog.set_progress(done, total))
        job.succeeded.connect(lambda check: self.job is job and self._on_result(check))
        job.failed.connect(lambda msg: self.job is job
                           and dialog.show_error(f"Not checked: {msg}"))
        job.cancelled.connect(lambda: self.job is job and dialog.show_cancelled())
        job.finished.connect(lambda: self._on_finished(job))
        self.job = job
        job.start()
        return True

    def _weights(self, project) -> tuple[WeightsFile | None, str]:
        trained = self.training.trained
        if trained.network is None or trained.structure != structure_key(project.graph):
            return None, f"the initial weights (seed {project.training.seed})"
        arrays = {k: v.copy() for k, v in trained.network.get_weights().items()}
        return WeightsFile(arrays, source="the trained weights"), "the current trained weights"

    def _on_changed(self) -> None:
        self._stale = True
        self.clear_marks()

    def _on_result(self, check: GradCheck) -> None:
        if self.dialog is not None:
            self.dialog.show_result(check)
        if self._stale:  # the nodes are no longer what was checked: no marks
            if self.dialog is not None:
                self.dialog.verdict.setText(self.dialog.verdict.text() + " (The project "
                                            "changed while it ran: Check Again to mark the "
                                            "layers.)")
            return
        self.result = check
        marks = node_marks(check)
        for node_id, item in self._context.scene.nodes.items():
            set_mark(item, "gradcheck", marks.get(node_id))

    def _on_finished(self, job: BackgroundJob) -> None:
        if self.job is job:
            self.job = None
        job.deleteLater()

    def _reveal(self, node_id: str) -> None:
        if node_id in self._context.scene.nodes:
            self._context.reveal_node(node_id)

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def stop(self) -> None:
        """Cancel a running check and wait for its thread (the window closes)."""
        if self.job is not None:
            self.job.stop()

    def clear_marks(self) -> None:
        self.result = None
        for item in self._context.scene.nodes.values():
            set_mark(item, "gradcheck", None)
