"""The window part that steers runs: the Run menu's and toolbar's actions (their shortcuts,
icons and enabled states), the run's progress in the toolbar, the notice banner above the
canvas, Space on the canvas to pause and resume, and the edit lock while a run is active.

Built from a :class:`~app.window.context.WindowContext` and the run controller; the window
places what it exposes: ``menu_actions`` (the Run menu), ``toolbar_actions`` and
``progress`` (the toolbar) and ``banner`` (above the canvas).
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence

from app.models.runs import STATUS_TEXT, RunRecord, format_duration
from app.theme import theme_notifier
from app.training.controller import PAUSED, RUNNING, STOPPING, RunController
from app.training.frames import WINDOW_SLOT
from app.training.health_review import HealthReview
from app.training.lock import LOCK_REASON
from app.training.notices import Notice
from app.training.widgets import NoticeBanner, RunProgress, TrainButtonAction, run_icon
from app.window.context import WindowContext

#: While training runs: least seconds between progress-text updates.
PROGRESS_SECONDS = 0.2


class _SpaceToggle(QObject):
    """Space on the canvas pauses or resumes a run: on release, if Space was not used to
    pan (Space + drag). Text fields keep their Space: only the canvas is watched."""

    def __init__(self, training: RunController, parent: QObject) -> None:
        super().__init__(parent)
        self.training = training
        self.down = False
        self.panned = False

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        t = event.type()
        if t == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Space \
                and not event.isAutoRepeat():
            self.down, self.panned = True, False
        elif t == QEvent.Type.MouseButtonPress and self.down:
            self.panned = True
        elif t == QEvent.Type.KeyRelease and event.key() == Qt.Key.Key_Space \
                and not event.isAutoRepeat():
            if self.down and not self.panned and self.training.state in (RUNNING, PAUSED):
                self.training.toggle_pause()
            self.down = False
        return False


class RunControls(QObject):
    """Train, Pause, Resume, Step, Stop and Reset Weights; the progress display; notices;
    the lock of the network and data while a run is active (refusals go to the status
    bar)."""

    def __init__(self, context: WindowContext, training: RunController,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self.training = training
        self.banner = NoticeBanner()
        self.progress = RunProgress()
        self._space = _SpaceToggle(training, self)
        context.view.installEventFilter(self._space)
        context.view.viewport().installEventFilter(self._space)
        self._t_progress = 0.0
        a = context.parts.action
        # Its texts and tooltip say whether it continues from the trained weights.
        self.act_train = a("actionTrain", "&Train", training.train, ["F5"])
        self.act_scratch = a("actionTrainFromScratch", "Train from &Scratch",
                             self.train_from_scratch, ["Ctrl+F5"], None,
                             "Discard the trained weights and train from new initial "
                             "weights (Ctrl+F5)")
        self.act_resume = a("actionResume", "&Resume", training.resume, [], None,
                            "Resume the paused run (F5, or Space on the canvas)")
        self.act_pause = a("actionPause", "&Pause", training.pause, ["F6"], None,
                           "Pause training (F6, or Space on the canvas)")
        self.act_step = a("actionStep", "&Step One Epoch", training.step, ["F10"], None,
                          "Train one epoch, then pause (F10)")
        self.act_stop = a("actionStop", "St&op", training.stop, ["Shift+F5"], None,
                          "Stop the run (Shift+F5); its weights are kept")
        self.act_reset = a("actionResetWeights", "Reset &Weights", self.reset_weights,
                           ["Ctrl+Shift+R"], None,
                           "Forget the trained weights: the next run starts afresh")
        self.train_button = TrainButtonAction(self.act_train, self.act_scratch,
                                              context.dialog_parent)
        # Layers that stopped learning are named, with advice, when a run ends or pauses.
        self.health_review = HealthReview(training, self)
        self.update_actions_icons()
        self._connect()
        self._on_state()

    @property
    def menu_actions(self) -> list[QAction | None]:
        """The Run menu (None: a separator)."""
        return [self.act_train, self.act_scratch, self.act_pause, self.act_resume,
                self.act_step, self.act_stop, None, self.act_reset]

    @property
    def toolbar_actions(self) -> list[QAction]:
        """The Train button (with Continue Training and Train from Scratch in its menu),
        then pause, resume, step, stop and reset."""
        return [self.train_button, self.act_pause, self.act_resume, self.act_step,
                self.act_stop, self.act_reset]

    def _connect(self) -> None:
        t = self.training
        t.stateChanged.connect(self._on_state)
        t.history.runs_changed.connect(self.update_actions)
        t.networkChanged.connect(self.update_actions)
        t.frames.redraw.connect(self._on_redraw)
        t.progressed.connect(self._on_progressed)
        t.history.run_changed.connect(self._on_run_changed)
        t.notice.connect(self._on_notice)
        self.health_review.notice.connect(self._on_notice)
        t.noticeCleared.connect(self.banner.dismiss)
        t.statusMessage.connect(self._status)
        t.runFinished.connect(self._on_finished)
        # Continue or train afresh depends on the graph too (another structure: afresh).
        self._context.document.analysisChanged.connect(self.update_actions)
        theme_notifier().changed.connect(self.banner.apply_theme)
        theme_notifier().changed.connect(self.update_actions_icons)
        self._context.editor.refused.connect(lambda reason: self._status(
            f"Not changed: {reason}"))

    # -- state -----------------------------------------------------------------------------
    def _on_state(self) -> None:
        # The panels that edit the network or the data follow the editor's lock.
        self._context.editor.set_locked(LOCK_REASON if self.training.active else None)
        self.update_actions()
        self._update_progress()

    def update_actions_icons(self) -> None:
        for act, name in ((self.act_train, "train"), (self.act_scratch, "train"),
                          (self.act_resume, "resume"),
                          (self.act_pause, "pause"), (self.act_step, "step"),
                          (self.act_stop, "stop"), (self.act_reset, "reset")):
            act.setIcon(run_icon(name))

    def update_actions(self) -> None:
        state = self.training.state
        idle = not self.training.active
        self.act_train.setEnabled(idle)
        self.act_pause.setEnabled(state == RUNNING)
        self.act_resume.setEnabled(state == PAUSED)
        self.act_step.setEnabled(idle or state == PAUSED)
        self.act_stop.setEnabled(state in (RUNNING, PAUSED))
        self.act_reset.setEnabled(idle and self.training.has_weights)
        f5 = [QKeySequence("F5")]
        self.act_train.setShortcuts(f5 if state != PAUSED else [])
        self.act_resume.setShortcuts(f5 if state == PAUSED else [])
        self.act_pause.setVisible(state != PAUSED)
        self.act_resume.setVisible(state == PAUSED)
        if idle:  # while a run is active the texts stay as they were when it started
            self._update_train_texts()
        else:
            self.act_scratch.setEnabled(False)

    def _update_train_texts(self) -> None:
        """"Continue" when the next run continues from trained weights, else "Train"."""
        start = self.training.continue_from()
        self.act_scratch.setEnabled(start is not None)
        if start is None:
            self.act_train.setText("&Train")
            self.act_train.setIconText("Train")
            tip = "Train the network from new initial weights (F5)"
        else:
            self.act_train.setText("&Continue Training")
            self.act_train.setIconText("Continue")
            origin = self.training.trained.weights_origin
            since = f"epoch {start}" if start or not origin else f"the weights {origin}"
            tip = (f"Continue training from {since} (F5); Train from Scratch (Ctrl+F5) "
                   "starts again from new initial weights")
        self.act_train.setToolTip(tip)
        self.act_train.setStatusTip(tip)

    def _status(self, text: str, msec: int = 8000) -> None:
        self._context.status(text, msec)

    # -- progress --------------------------------------------------------------------------
    def _on_progressed(self) -> None:
        # The epoch counter and ETA follow every drain (a few times a second while a run
        # trains), not the plots' redraw budget: the bar and its label paint natively,
        # without the interpreter lock.
        now = time.perf_counter()
        if self.training.state != RUNNING or now - self._t_progress >= PROGRESS_SECONDS:
            self._t_progress = now
            self._update_progress()

    def _on_redraw(self, slot: int) -> None:
        if slot == WINDOW_SLOT and self.training.state != RUNNING:
            self._t_progress = time.perf_counter()
            self._update_progress()

    def _on_run_changed(self, _run: RunRecord) -> None:
        self._update_progress()

    def _update_progress(self) -> None:
        run = self.training.history.display_run()
        if run is None:
            self.progress.clear()
            return
        # This run's epochs (its curves count on from where a continued run started).
        done, total = run.epochs_done, max(run.epochs_planned, 1)
        elapsed = self.training.elapsed(run)
        bar = f"Epoch {done}/{total}"
        if run.active:
            state = self.training.state
            if run.status == "preparing":
                text = "preparing data…"
            else:
                eta = elapsed / done * (total - done) if done else None
                text = f"{format_duration(elapsed)} · ETA " + (
                    format_duration(eta) if eta is not None else "…")
                if state == PAUSED:
                    text += " · paused"
                elif state == STOPPING:
                    text += " · stopping"
        else:
            text = f"{STATUS_TEXT.get(run.status, run.status)} in {format_duration(elapsed)}"
        note = f"continued from epoch {run.start_epoch}" if run.continued else ""
        self.progress.set_progress(done, total, text, bar, note)

    # -- notices ---------------------------------------------------------------------------
    def _on_notice(self, n: Notice) -> None:
        actions = []
        if n.topic == "diverged":
            lr = n.extra.get("lr")
            if lr:
                new = float(f"{min(lr / 10, 0.01):.3g}")
                actions.append((f"Lower learning rate to {new:g}",
                                lambda new=new: self._set_live(learning_rate=new)))
            if n.extra.get("clip") is None:
                actions.append(("Clip gradients at 1",
                                lambda: self._set_live(clip_norm=1.0)))
            actions.append(("Resume", self.training.resume))
        scene = self._context.scene
        if n.node_id and n.node_id in scene.nodes:
            actions.append(("Show layer",
                            lambda node=n.node_id: self._context.reveal_node(node)))
            if n.kind == "error":
                scene.select_nodes([n.node_id])
        self.banner.show_message(n.kind, n.text, actions)
        self._status(n.text, 15000)

    def _set_live(self, **changes: object) -> None:
        reason = self._context.editor.set_training(**changes)
        if reason:
            self._status(reason)

    def _on_finished(self, run: RunRecord) -> None:
        self._status(f"{run.title}: {run.summary()}", 20000)
        self._update_progress()

    # -- commands --------------------------------------------------------------------------
    def train_from_scratch(self) -> None:
        """Discard the trained weights and train from new initial weights."""
        discards = self.training.continue_from() is not None
        if self.training.train(fresh=True) and discards:
            self._status("Training from scratch: the weights were reset to new initial "
                         "weights")

    def reset_weights(self) -> None:
        if self.training.reset_weights():
            self._status("Weights reset: the next run starts from fresh initial weights")
