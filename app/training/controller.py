"""The run controller of one window: it starts runs on worker threads, steers them (pause,
resume, step, stop), hands live setting changes to the running trainer, keeps the network
and the prepared data between runs, and applies the worker's progress to the active run's
record in the :class:`~app.models.history.RunHistory`.

Threads: each run gets a fresh ``QThread`` with a :class:`~app.training.worker.
TrainingWorker` moved to it, started once the window has taken the new run in
(:class:`~app.training.frames.AfterPending`). The network belongs to the worker while the
run lasts; the controller takes it back when the worker reports ``done`` (after
``QThread.wait``). Stopping goes through :class:`nncore.events.RunControl` (the trainer
returns at the next batch), so :meth:`RunController.shutdown` ends a run within a batch.

The worker's progress is drained by the window's :class:`~app.training.frames.
FrameScheduler` (its timer) and whenever the worker signals ``eventsReady`` for what must
show at once: new data, the start, pauses, divergences, the end.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal

from app.document.document import ProjectDocument
from app.models.history import RunHistory
from app.models.runs import RunRecord
from app.training.frames import AfterPending, FrameScheduler
from app.training.lock import live_changes
from app.training.notices import (
    Notice,
    changes_text,
    divergence_text,
    invalid_network_notice,
    memory_notice,
)
from app.training.probe import Probe
from app.training.progress import apply_progress, record_outcome
from app.training.run_clock import RunClock
from app.training.trained_network import TrainedNetwork
from app.training.worker import (
    DataReady,
    RunOutcome,
    SettingsRejected,
    TrainingJob,
    TrainingWorker,
)
from nncore.config import TrainingConfig
from nncore.events import Diverged, Paused, RunControl, TrainingFinished, TrainingStarted
from nncore.network import Network
from nncore.project import Project

IDLE, RUNNING, PAUSED, STOPPING = "idle", "running", "paused", "stopping"


def worker_thread(job: TrainingJob, control: RunControl, wanted: set[str],
                  on_done: Any = None, on_events: Any = None
                  ) -> tuple[QThread, TrainingWorker]:
    """A worker for ``job`` moved to a new thread that runs it once started; the thread
    quits when the worker is done. ``on_done``/``on_events`` receive its ``done`` and
    ``eventsReady`` on the GUI thread."""
    thread = QThread()
    thread.setObjectName(f"NetCanvas training run {job.run_id}")
    worker = TrainingWorker(job, control)
    worker.set_wanted(wanted)
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    worker.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)
    queued = Qt.ConnectionType.QueuedConnection
    if on_done is not None:
        worker.done.connect(on_done, queued)
    if on_events is not None:
        worker.eventsReady.connect(on_events, queued)
    return thread, worker


def divergence_notice(run: RunRecord, sent: TrainingConfig | None) -> Notice:
    """The banner of a run paused by a divergence, offering a lower rate or clipping."""
    return Notice("error", divergence_text(run, run.diverged), run.diverged.layer,
                  "diverged", run, {"lr": sent.learning_rate if sent else None,
                                    "clip": sent.clip_norm if sent else None})


class RunController(QObject):
    """Runs of the window's project, one at a time, on a worker thread. ``history``: the
    runs; ``trained``: the network and data kept between runs; ``probe``: the analyses
    the plots show; ``frames``: the GUI thread's timer."""

    stateChanged = Signal()
    #: New progress was drained (cheap text and bars follow it outside the redraw budget).
    progressed = Signal()
    #: Something to tell the person (banner); ``noticeCleared`` removes it.
    notice = Signal(object)
    noticeCleared = Signal()
    #: A run ended (RunRecord).
    runFinished = Signal(object)
    #: The shown run's prepared data arrived (plots of data points can be drawn).
    dataReady = Signal()
    #: The current weights were replaced or cleared (import, reset): badges, exports.
    networkChanged = Signal()
    #: A short message for the status bar.
    statusMessage = Signal(str)

    def __init__(self, document: ProjectDocument, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc = document
        self.history = RunHistory()
        self.trained = TrainedNetwork()
        self.thread: QThread | None = None  # the active run's (None while idle)
        self.worker: TrainingWorker | None = None
        self.control: RunControl | None = None
        #: The settings the running trainer has (live changes are sent as differences).
        self._sent: TrainingConfig | None = None
        self.stops = 0  # stop requests so far (a sweep ends at one)
        self.clock = RunClock()
        self.probe = Probe(self)
        self._after_pending = AfterPending(self)
        self.frames = FrameScheduler(self._training_now, self._busy, self.drain,
                                     self.probe.pending, self.probe.work, self)
        self.probe.updated.connect(self._on_probe_updated)
        document.trainingChanged.connect(self._on_training_changed)

    # -- state -----------------------------------------------------------------------------
    @property
    def state(self) -> str:
        if self.thread is None or self.control is None:
            return IDLE
        if self.control.stopped:
            return STOPPING
        return PAUSED if self.control.paused else RUNNING

    @property
    def active(self) -> bool:
        return self.thread is not None

    @property
    def has_weights(self) -> bool:
        return self.trained.network is not None

    def continue_from(self) -> int | None:
        """The epoch the next run continues from (None: it starts from fresh weights)."""
        return None if self.active else self.trained.continues_from(self.doc.graph)

    def _training_now(self) -> bool:
        return self.state == RUNNING

    def _busy(self) -> bool:
        return self.thread is not None

    def select_run(self, run: RunRecord | None) -> None:
        """Show ``run`` in the plots (when none is active) and use it for exports."""
        if self.history.select(run):
            self._feed_probe()
            self.frames.request_redraw()

    def want(self, kinds: set[str]) -> None:
        """The analyses the visible panels need (see app.training.probe)."""
        self.probe.want(kinds)
        if self.worker is not None:
            self.worker.set_wanted(kinds)

    def _emit_state(self) -> None:
        s = self.state
        self.probe.remote = s == RUNNING
        self.frames.set_training(s == RUNNING)
        run = self.history.active_run
        if run is not None and run.status in ("running", "paused"):
            status = "paused" if s == PAUSED else "running"
            if status != run.status:
                run.status = status
                self.history.run_updated(run)
        self.stateChanged.emit()

    # -- commands --------------------------------------------------------------------------
    def train(self, step: bool = False, fresh: bool = False) -> bool:
        """Start a run on a snapshot of the project, from fresh weights (``fresh``) or on
        from the current ones (same network). False, with a notice, when it cannot."""
        if self.active or not self._network_is_valid():
            return False
        if fresh:
            self.trained.reset()
        project = self.doc.snapshot()
        if not self.trained.waits_for_data(project, self.doc.base_dir, lambda: self.train(step)):
            start = self.trained.continues_from(project.graph)
            network, frozen = self.trained.lend(project)
            run = self.history.next_run(project, start or 0, start is not None)
            self._launch(run, TrainingJob(run.number, project, self.doc.base_dir, network,
                                          frozen=frozen), step)
        return True

    def start_run(self, project: Project, parent: RunRecord | None = None,
                  sweep: tuple[str, dict] | None = None) -> RunRecord | None:
        """Run ``project`` from new weights, or ``parent``'s checkpoint (a fork); ``sweep``:
        its label and settings (such a run stops on a divergence). None while one runs."""
        if self.active:
            return None
        checkpoint = parent.checkpoint if parent is not None else None
        self.trained.reset()
        self.trained.lend(project)  # no network: the run builds its own
        run = self.history.next_run(project, 0, False) if checkpoint is None else \
            self.history.next_fork(project, parent)
        self.trained.epochs_trained = run.start_epoch
        job = TrainingJob(run.number, project, self.doc.base_dir, resume=checkpoint)
        if sweep is not None:
            run.sweep, run.sweep_settings = sweep
            job.on_divergence = "stop"
        self._launch(run, job)
        return run

    def _launch(self, run: RunRecord, job: TrainingJob, step: bool = False) -> None:
        project = job.project
        job.data = data = self.trained.cached_data(project, job.base_dir)
        self._sent = project.training
        self.noticeCleared.emit()
        warning = memory_notice(self.doc.analysis, project.training, data)
        if warning is not None:  # the window warns and trains; the command line refuses
            self.notice.emit(warning)
        control = RunControl()
        if step:
            control.step_epoch()
        thread, worker = worker_thread(job, control, self.probe.wanted,
                                       self._on_worker_done, self.drain)
        self.thread, self.worker, self.control = thread, worker, control
        self.probe.set_network(project.graph)
        self.probe.set_data(data)
        run.data = data
        self.history.begin(run)
        self._emit_state()
        self.frames.wake()
        # The thread starts once the window has taken the new run in (panels rebuilt,
        # repainted), so that work and the first batches do not take turns with the GIL.
        self._after_pending.call(lambda: self._start_thread(thread))

    def _network_is_valid(self) -> bool:
        """True when the graph has no problems; otherwise a notice names the first."""
        refusal = invalid_network_notice(self.doc.analysis.errors)
        if refusal is not None:
            self.notice.emit(refusal)
        return refusal is None

    def _start_thread(self, thread: QThread) -> None:
        if thread is not self.thread or thread.isRunning() or thread.isFinished():
            return
        if self.control is not None and self.control.stopped:
            self._finish_unstarted()  # stopped before it began
            return
        self._account_active(running=self.state == RUNNING)
        thread.start()

    def _finish_unstarted(self) -> None:
        """End a run whose thread never started: nothing ran, the network is unchanged."""
        job = self.worker.job
        self._finish(RunOutcome(job.run_id, network=job.network, data=job.data))

    def pause(self) -> None:
        if self.control is not None and self.state == RUNNING:
            self._account_active()
            self.control.pause()
            self._emit_state()

    def resume(self) -> None:
        if self.control is not None and self.state == PAUSED:
            self.control.resume()
            self._account_active(running=True)
            run = self.history.active_run
            if run is not None and run.status == "paused":
                run.status = "running"
            self.noticeCleared.emit()
            self._emit_state()

    def toggle_pause(self) -> None:
        if self.state == RUNNING:
            self.pause()
        elif self.state == PAUSED:
            self.resume()

    def step(self) -> None:
        """One epoch: start a run that pauses after its first epoch, or run the paused run
        to the end of its current epoch."""
        if not self.active:
            self.train(step=True)
        elif self.control is not None and self.state in (PAUSED, RUNNING):
            if self.state == PAUSED:
                self._account_active(running=True)
                self.noticeCleared.emit()
            self.control.step_epoch()
            self._emit_state()

    def stop(self) -> None:
        if self.control is not None and not self.control.stopped:
            self._account_active()
            self._request_stop()
            self._emit_state()

    def _request_stop(self) -> None:
        """End the run: the trainer at its next batch, a worker waiting for data at once."""
        self.stops += 1
        if self.control is not None:
            self.control.request_stop()
        if self.worker is not None:
            self.worker.data_taken.set()

    def reset_weights(self) -> bool:
        """Forget the trained weights: the next Train starts from fresh initial weights."""
        if self.active:
            return False
        self.trained.reset()
        self.networkChanged.emit()
        self.stateChanged.emit()
        return True

    def shutdown(self) -> None:
        """Stop any run (and a sweep between runs) and wait for the run's thread."""
        worker, thread = self.worker, self.thread
        self.stops += 1
        if thread is None or worker is None:
            return
        self._request_stop()
        if not thread.isRunning() and not thread.isFinished():
            self._finish_unstarted()
            return
        thread.wait()
        if worker.outcome is not None:
            self._finish(worker.outcome)

    def reset(self) -> None:
        """A new project: stop, and forget the network, the data and the history."""
        self.shutdown()
        self.trained.forget_data()
        self.probe.clear()
        self.history.clear()
        self.reset_weights()
        self.noticeCleared.emit()

    # -- network for import / export (idle only) -------------------------------------------
    def current_network(self) -> Network:
        """The network of the current graph with the current weights (built with fresh
        weights if there are none). Only while no run is active."""
        if self.active:
            raise RuntimeError("the network belongs to the running training")
        return self.trained.current(self.doc.snapshot())

    def weights_loaded(self, origin: str) -> None:
        self.trained.weights_origin = origin
        self.networkChanged.emit()
        self.stateChanged.emit()
    # -- live settings ---------------------------------------------------------------------
    def _on_training_changed(self) -> None:
        if self.worker is None or self._sent is None:
            return
        changes = live_changes(self._sent, self.doc.training)
        if not changes:
            return
        self.worker.apply_settings(changes)
        self._sent = self._sent.replace(**changes)
        run = self.history.active_run
        if run is not None:
            run.settings = self._sent  # its label and the history follow the change
            self.history.run_updated(run)
            when = "on Resume" if self.state == PAUSED else "from the next batch"
            self.statusMessage.emit(f"{run.name}: {changes_text(changes)} (applies {when})")

    # -- progress from the worker ----------------------------------------------------------
    def drain(self) -> None:
        """Take in everything the worker reported since the last drain."""
        worker, run = self.worker, self.history.active_run
        if worker is None or run is None:
            return
        items = worker.drain()
        if items:
            self._apply(run, items)
        weights = worker.latest_weights()
        if weights is not None and worker.layout is not None:
            version = ("live", run.number, weights[0])
            if self.probe.weights_version != version:
                flat = weights[1]
                self.probe.offer_weights(version, {k: flat[a:b].reshape(shape)
                                                   for k, a, b, shape in worker.layout})

    def _apply(self, run: RunRecord, items: list) -> None:
        state_changed = apply_progress(run, items, self.probe.accept, self._handle)
        self.frames.mark_dirty()
        self.progressed.emit()
        if state_changed:
            self._emit_state()

    def _handle(self, run: RunRecord, ev: Any) -> bool:
        """Apply one event; True when the run's state changed."""
        if isinstance(ev, DataReady):
            run.data = ev.data
            self.trained.keep_data(ev.data)
            self.probe.set_data(ev.data)
            self.dataReady.emit()
            worker = self.worker
            if worker is not None:
                # Training starts once the data points are drawn (see the worker).
                self._after_pending.call(worker.data_taken.set)
            return False
        if isinstance(ev, TrainingStarted):
            run.started(ev)
            self.history.run_updated(run)
            return True
        if isinstance(ev, Diverged):
            run.curves.diverged(ev)
            run.diverged = ev
            return False
        if isinstance(ev, Paused):
            self._account_active()
            run.status = "paused"
            if ev.reason == "diverged" and run.diverged is not None:
                self.notice.emit(divergence_notice(run, self._sent))
            self.history.run_updated(run)
            return True
        if isinstance(ev, TrainingFinished):
            run.finished = ev
            return True
        if isinstance(ev, SettingsRejected):
            self.notice.emit(Notice("warning", f"Setting not applied: {ev.message}",
                                    topic="settings", run=run))
            return False
        return False

    def _account_active(self, running: bool = False) -> None:
        self.clock.account(self.history.active_run, running)

    def elapsed(self, run: RunRecord) -> float:
        """Seconds ``run`` has been training (pauses excluded)."""
        return self.clock.elapsed(run, run is self.history.active_run)

    def _on_worker_done(self, outcome: RunOutcome) -> None:
        # Only the current worker's own outcome: a run ended by shutdown() was finished
        # then; its queued signal may arrive after the next run (numbered 1 again) began.
        if self.history.active_run is None or self.worker is None \
                or outcome is not self.worker.outcome:
            return
        self._finish(outcome)

    def _finish(self, outcome: RunOutcome) -> None:
        thread, worker, run = self.thread, self.worker, self.history.active_run
        if thread is None or worker is None or run is None:
            return
        self._account_active()
        thread.wait()
        self.drain()
        self.thread = self.worker = self.control = None
        self._sent = None
        if outcome.network is not None:
            self.trained.take_back(outcome.network)
        if outcome.data is not None:
            self.trained.keep_data(outcome.data)
            run.data = outcome.data
        started = run.steps_per_epoch > 0
        notice, epochs = record_outcome(run, outcome, self.trained.network)
        run.checkpoint = outcome.checkpoint
        self.trained.epochs_trained += epochs
        if run.weights is not None:
            self.probe.offer_weights(("run", run.number), run.weights)
        if notice is not None:
            self.notice.emit(notice)
        self.frames.mark_dirty()
        # A run that never trained leaves the history (its number is used again).
        self.history.end(run, keep=started)
        self.networkChanged.emit()
        self._emit_state()
        if run in self.history.runs:
            self.runFinished.emit(run)
        self._feed_probe()
        self.frames.wake()

    # -- the probe -------------------------------------------------------------------------
    def _feed_probe(self) -> None:
        """When idle, evaluate the displayed run's final weights."""
        if self.active:
            return
        run = self.history.display_run()
        if run is None or run.weights is None or run.data is None:
            return
        self.probe.set_network(run.project.graph)
        self.probe.set_data(run.data)
        self.probe.offer_weights(("run", run.number), run.weights)

    def _on_probe_updated(self, _kind: str) -> None:
        self.frames.mark_dirty()
