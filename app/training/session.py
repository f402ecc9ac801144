"""The training session of one window: it starts runs on a worker thread, steers them
(pause, resume, step, stop), keeps the network between runs and the history of runs, and
turns the worker's coalesced progress into plot buffers on the GUI thread.

Threads: each run gets a fresh ``QThread`` with a :class:`~app.training.worker.
TrainingWorker` moved to it, started once the window has taken the new run in
(:class:`AfterPending`). The network belongs to the worker while the run lasts; the
session takes it back when the worker reports ``done`` (after ``QThread.wait``). Stopping
goes through :class:`nncore.events.RunControl` (the trainer returns at the next batch), so
:meth:`shutdown` ends a run within a batch.

The GUI side runs on one timer (``TICK_MSEC``, about 30 Hz; ``TICK_MSEC_RUNNING`` while a
run trains, when ticks take turns draining and redrawing) that drains the worker (which
also signals ``eventsReady`` for what must show at once: new data, the start, pauses,
divergences, the end) and, within a CPU budget measured with ``time.thread_time`` on the
GUI thread, asks the panels to redraw (``redraw``) or lets the probe evaluate the network.
While a run is training the GUI thread may use at most ``RUNNING_BUDGET`` of a core (it
competes with the training thread for the interpreter lock and the CPU; every Python call
on the GUI thread makes the training thread hand the lock over), but it redraws at least
every ``MAX_REDRAW_GAP`` seconds; otherwise ``IDLE_BUDGET``.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QThread, QTimer, Signal

from app.document.document import ProjectDocument
from app.training.lock import live_changes
from app.training.probe import Probe, structure_key
from app.training.runs import RUN_COLORS, RunRecord, run_label
from app.training.worker import (
    Analysis,
    DataReady,
    GradSample,
    LossChunk,
    RunOutcome,
    SettingsRejected,
    TrainingJob,
    TrainingWorker,
)
from nncore.config import TrainingConfig
from nncore.errors import NetCanvasError, SpecError
from nncore.events import (
    Diverged,
    EpochEnd,
    Paused,
    RunControl,
    TrainingFinished,
    TrainingStarted,
)
from nncore.losses import LOSSES
from nncore.network import Network
from nncore.run import PreparedData, build_network

TICK_MSEC = 33
#: The timer's period while a run trains: ticks take turns draining the worker and
#: redrawing one part of the window (each 4 times a second). Every tick is Python on the
#: GUI thread, which makes the training thread hand over the interpreter lock: a few
#: larger ticks a second cost a fast network's training less than many small ones.
TICK_MSEC_RUNNING = 125
#: Share of one core the GUI thread may spend on redraws and analysis while training runs
#: (each redraw holds the interpreter lock: a small network's training waits that long).
RUNNING_BUDGET = 0.06
IDLE_BUDGET = 0.5
#: Longest stretch of GUI work (redraw or analysis) in one tick, in seconds.
MAX_SLICE = 0.004
#: Largest CPU debt carried over (one-off work such as building the plots is forgiven).
MAX_DEBT = 0.05
#: Whatever the budget, redraw at least this often (seconds) while there is new data.
MAX_REDRAW_GAP = 1.0
#: The parts of the window that redraw in turn.
CURVES_SLOT, INSIDE_SLOT, RESULTS_SLOT, WINDOW_SLOT = range(4)
REDRAW_SLOTS = 4

#: Least training time between two gradient samples taken from epoch averages.
EPOCH_GRAD_SECONDS = 0.005

IDLE, RUNNING, PAUSED, STOPPING = "idle", "running", "paused", "stopping"


@dataclass
class Notice:
    """A message for the banner above the canvas."""

    kind: str  # "error", "warning", "info"
    text: str
    node_id: str | None = None
    #: "diverged", "failed", "early_stopping", "settings", ...
    topic: str = ""
    run: RunRecord | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def data_key(project_data: Any, base_dir: Path | None) -> str:
    d = project_data.to_dict()
    stamp = None
    if d.get("source") == "file" and d.get("path"):
        p = Path(d["path"])
        if not p.is_absolute() and base_dir is not None:
            p = base_dir / p
        try:
            stamp = p.stat().st_mtime_ns
        except OSError:
            stamp = None
    return json.dumps([d, str(base_dir), stamp], sort_keys=True, default=str)


class TrainingSession(QObject):
    stateChanged = Signal()
    #: A run was added to (or removed from) the history.
    runsChanged = Signal()
    #: A run's status, summary or final weights changed.
    runChanged = Signal(object)
    #: The run shown in the plots changed (the active run, or the one chosen in the list).
    displayChanged = Signal()
    #: Overlaid runs changed.
    overlayChanged = Signal()
    #: Part ``slot`` of the window (CURVES_SLOT, INSIDE_SLOT, RESULTS_SLOT, WINDOW_SLOT)
    #: should redraw from the buffers now (throttled; one part per tick).
    redraw = Signal(int)
    #: New progress was drained from the worker (epochs, losses): cheap text and bars follow
    #: it outside the redraw budget.
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
        self.runs: list[RunRecord] = []
        self.network: Network | None = None
        self._net_structure: str | None = None
        self.epochs_trained = 0
        self.weights_origin = ""
        self._data_cache: tuple[str, PreparedData] | None = None
        self._thread: QThread | None = None
        self._worker: TrainingWorker | None = None
        self.control: RunControl | None = None
        self.active_run: RunRecord | None = None
        self._sent: TrainingConfig | None = None
        self._selected: RunRecord | None = None
        self.overlay: set[int] = set()
        self._next_number = 1
        self._dirty = False
        self.probe = Probe(self)
        self._after_pending = AfterPending(self)
        self.probe.updated.connect(self._on_probe_updated)
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MSEC)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self._tokens = 0.0
        self._t_wall = time.perf_counter()
        self._t_cpu = time.thread_time()
        self._running_since: float | None = None
        self._redraw_turn = True
        self._drain_turn = True
        self._t_redraw = 0.0
        self._pending: list[int] = []
        #: GUI-thread CPU seconds spent in ticks (for the benchmark).
        self.gui_busy = 0.0
        self.ticks = 0
        self.redraws = 0
        document.trainingChanged.connect(self._on_training_changed)

    # -- state -----------------------------------------------------------------------------
    @property
    def state(self) -> str:
        if self._thread is None or self.control is None:
            return IDLE
        if self.control.stopped:
            return STOPPING
        return PAUSED if self.control.paused else RUNNING

    @property
    def active(self) -> bool:
        return self._thread is not None

    @property
    def thread(self) -> QThread | None:
        return self._thread

    @property
    def worker(self) -> TrainingWorker | None:
        return self._worker

    def display_run(self) -> RunRecord | None:
        if self.active_run is not None:
            return self.active_run
        if self._selected is not None and self._selected in self.runs:
            return self._selected
        return self.runs[-1] if self.runs else None

    def selected_run(self) -> RunRecord | None:
        """The run exports use: the one chosen in the history, else the latest finished."""
        if self._selected is not None and self._selected in self.runs \
                and self._selected.weights is not None:
            return self._selected
        done = [r for r in self.runs if r.weights is not None]
        return done[-1] if done else None

    def select_run(self, run: RunRecord | None) -> None:
        if run is self._selected:
            return
        self._selected = run
        self.displayChanged.emit()
        self._feed_probe()
        self._dirty = True
        self._ensure_timer()

    def want(self, kinds: set[str]) -> None:
        """The analyses the visible panels need (see app.training.probe)."""
        self.probe.want(kinds)
        if self._worker is not None:
            self._worker.set_wanted(kinds)

    def set_overlay(self, number: int, on: bool) -> None:
        if on:
            self.overlay.add(number)
        else:
            self.overlay.discard(number)
        self.overlayChanged.emit()

    def overlay_runs(self) -> list[RunRecord]:
        shown = self.display_run()
        return [r for r in self.runs if r.number in self.overlay and r is not shown]

    def _emit_state(self) -> None:
        s = self.state
        self.probe.remote = s == RUNNING
        self._timer.setInterval(TICK_MSEC_RUNNING if s == RUNNING else TICK_MSEC)
        run = self.active_run
        if run is not None and run.status in ("running", "paused"):
            status = "paused" if s == PAUSED else "running"
            if status != run.status:
                run.status = status
                self.runChanged.emit(run)
        self.stateChanged.emit()

    # -- commands --------------------------------------------------------------------------
    def train(self, step: bool = False) -> bool:
        """Start a run on a snapshot of the project (continuing from the current weights
        when the network did not change). False, with a notice, when it cannot start."""
        if self.active:
            return False
        a = self.doc.analysis
        if a.errors:
            e = a.errors[0]
            more = f" ({len(a.errors) - 1} more problem{'s' if len(a.errors) > 2 else ''})" \
                if len(a.errors) > 1 else ""
            self._notify(Notice("error", f"Cannot train: {e}{more}",
                                getattr(e, "node_id", None), "failed"))
            return False
        project = self.doc.snapshot()
        base_dir = self.doc.base_dir
        structure = structure_key(project.graph)
        network = None
        frozen: dict[str, bool] = {}
        if self.network is not None and structure == self._net_structure:
            network = self.network
            frozen = {n.id: bool(n.frozen) for n in project.graph.nodes}
        else:
            self.epochs_trained = 0
            self.weights_origin = ""
        dkey = data_key(project.data, base_dir)
        data = self._data_cache[1] if self._data_cache and self._data_cache[0] == dkey \
            else None
        cfg = project.training
        run = RunRecord(self._next_number, RUN_COLORS[(self._next_number - 1) % len(RUN_COLORS)],
                        run_label(project), project, cfg,
                        start_epoch=self.epochs_trained if network is not None else 0,
                        continued=network is not None and (self.epochs_trained > 0
                                                           or bool(self.weights_origin)),
                        task=LOSSES[cfg.loss].task, epochs_planned=cfg.epochs)
        self._next_number += 1
        self.runs.append(run)
        self.active_run = run
        self._sent = cfg
        self.network = None  # the worker owns it until the run ends
        self.noticeCleared.emit()

        control = RunControl()
        if step:
            control.step_epoch()
        job = TrainingJob(run.number, project, base_dir, network, data, frozen)
        thread = QThread()
        thread.setObjectName(f"NetCanvas training run {run.number}")
        worker = TrainingWorker(job, control)
        worker.set_wanted(self.probe.wanted)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        queued = Qt.ConnectionType.QueuedConnection
        worker.done.connect(self._on_worker_done, queued)
        worker.eventsReady.connect(self._drain, queued)
        self._thread, self._worker, self.control = thread, worker, control
        self._run_structure = structure
        self._run_data_key = dkey
        self.probe.set_network(project.graph)
        self.probe.set_data(data)
        run.data = data
        self.runsChanged.emit()
        self.displayChanged.emit()
        self._emit_state()
        self._ensure_timer()
        # The thread starts once the window has taken the new run in (panels rebuilt,
        # repainted): done while the trainer runs, that work and the first batches would
        # take turns with the interpreter lock and both would wait.
        self._after_pending.call(lambda: self._start_thread(thread))
        return True

    def _start_thread(self, thread: QThread) -> None:
        if thread is not self._thread or thread.isRunning() or thread.isFinished():
            return
        if self.control is not None and self.control.stopped:
            self._finish_unstarted()  # stopped before it began
            return
        self._account_active(running=self.state == RUNNING)
        thread.start()

    def _finish_unstarted(self) -> None:
        """End a run whose thread never started: nothing ran, the network is unchanged."""
        job = self._worker.job
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
            if self.active_run is not None and self.active_run.status == "paused":
                self.active_run.status = "running"
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
        """Ask the run to end: the trainer at its next batch, a worker waiting for the
        window to draw new data at once."""
        if self.control is not None:
            self.control.request_stop()
        if self._worker is not None:
            self._worker.data_taken.set()

    def reset_weights(self) -> bool:
        """Forget the trained weights: the next Train starts from fresh initial weights."""
        if self.active:
            return False
        self.network = None
        self._net_structure = None
        self.epochs_trained = 0
        self.weights_origin = ""
        self.networkChanged.emit()
        self.stateChanged.emit()
        return True

    @property
    def has_weights(self) -> bool:
        return self.network is not None

    def shutdown(self) -> None:
        """Stop any run and wait for its thread (the trainer stops at the next batch)."""
        worker, thread = self._worker, self._thread
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
        self.runs.clear()
        self.overlay.clear()
        self._selected = None
        self._next_number = 1
        self._data_cache = None
        self.probe.clear()
        self.reset_weights()
        self.noticeCleared.emit()
        self.runsChanged.emit()
        self.displayChanged.emit()

    # -- network for import / export (idle only) -------------------------------------------
    def current_network(self) -> Network:
        """The network of the current graph with the current weights (built with fresh
        weights if there are none). Only while no run is active."""
        if self.active:
            raise RuntimeError("the network belongs to the running training")
        project = self.doc.snapshot()
        structure = structure_key(project.graph)
        if self.network is None or structure != self._net_structure:
            self.network = build_network(project)
            self._net_structure = structure
            self.epochs_trained = 0
            self.weights_origin = ""
        for n in project.graph.nodes:
            layer = self.network.layers.get(n.id)
            if layer is not None and layer.trainable == bool(n.frozen):
                self.network.set_frozen(n.id, bool(n.frozen))
        return self.network

    def weights_loaded(self, origin: str) -> None:
        self.weights_origin = origin
        self.networkChanged.emit()
        self.stateChanged.emit()

    # -- live settings ---------------------------------------------------------------------
    def _on_training_changed(self) -> None:
        if self._worker is None or self._sent is None:
            return
        changes = live_changes(self._sent, self.doc.training)
        if not changes:
            return
        self._worker.apply_settings(changes)
        self._sent = self._sent.replace(**changes)
        run = self.active_run
        if run is not None:
            text = ", ".join(f"{k.replace('_', ' ')} {_fmt(v)}" for k, v in changes.items())
            when = "on Resume" if self.state == PAUSED else "from the next batch"
            self.statusMessage.emit(f"{run.name}: {text} (applies {when})")

    # -- progress from the worker ----------------------------------------------------------
    def _drain(self) -> None:
        worker, run = self._worker, self.active_run
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
        """Apply drained items in order. Losses, epochs and gradient samples are collected
        and added to the buffers in bulk (a few NumPy calls per drain, not per item)."""
        c = run.curves
        xs: list[np.ndarray] = []
        losses: list[list[float]] = []
        epochs: list[EpochEnd] = []
        grads: list[GradSample] = []
        state_changed = False

        def flush() -> None:
            if xs:
                c.add_batches(np.concatenate(xs), np.concatenate(losses))
                xs.clear()
                losses.clear()
            if epochs:
                c.add_epochs(epochs)
                run.last_lr = epochs[-1].lr
                epochs.clear()
            if grads:
                c.add_grad_samples(grads)
                grads.clear()

        for ev in items:
            cls = ev.__class__
            if cls is LossChunk:
                xs.append(ev.xs())
                losses.append(ev.losses)
            elif cls is GradSample:
                grads.append(ev)
            elif cls is EpochEnd:
                epochs.append(ev)
                # Short epochs: their averaged gradient norms are samples too (at most one
                # every EPOCH_GRAD_SECONDS of training).
                last_t = grads[-1].t if grads else c.last_grad_t
                if ev.elapsed - last_t >= EPOCH_GRAD_SECONDS and ev.grad_norms:
                    grads.append(GradSample(float(ev.epoch), ev.elapsed, ev.grad_norms,
                                            ev.weight_norms))
            elif cls is Analysis:
                self.probe.accept(ev.kind, ev.result)
            else:
                flush()
                state_changed |= self._handle(run, ev)
        flush()
        self._dirty = True
        self.progressed.emit()
        if state_changed:
            self._emit_state()

    def _handle(self, run: RunRecord, ev: Any) -> bool:
        """Apply one event; True when the run's state changed."""
        if isinstance(ev, DataReady):
            run.data = ev.data
            self._data_cache = (self._run_data_key, ev.data)
            self.probe.set_data(ev.data)
            self.dataReady.emit()
            worker = self._worker
            if worker is not None:
                # Training starts once the data points are drawn (see the worker).
                self._after_pending.call(worker.data_taken.set)
            return False
        if isinstance(ev, TrainingStarted):
            run.status = "running"
            run.epochs_planned = ev.epochs
            run.steps_per_epoch = ev.steps_per_epoch
            run.n_train, run.n_val = ev.n_train, ev.n_val
            run.curves.started(ev)
            self.runChanged.emit(run)
            return True
        if isinstance(ev, Diverged):
            run.curves.diverged(ev)
            run.diverged = ev
            return False
        if isinstance(ev, Paused):
            self._account_active()
            run.status = "paused"
            if ev.reason == "diverged" and run.diverged is not None:
                self._notify(Notice("error", divergence_text(run, run.diverged),
                                    run.diverged.layer, "diverged", run,
                                    {"lr": self._sent.learning_rate if self._sent else None,
                                     "clip": self._sent.clip_norm if self._sent else None}))
            self.runChanged.emit(run)
            return True
        if isinstance(ev, TrainingFinished):
            run.finished = ev
            return True
        if isinstance(ev, SettingsRejected):
            self._notify(Notice("warning", f"Setting not applied: {ev.message}",
                                topic="settings", run=run))
            return False
        return False

    def _account_active(self, running: bool = False) -> None:
        """Add the time since the run last (re)started to its active time; ``running``
        says whether it trains from now on."""
        run = self.active_run
        now = time.perf_counter()
        if run is not None and self._running_since is not None:
            run.active_time += now - self._running_since
        self._running_since = now if running and run is not None else None

    def elapsed(self, run: RunRecord) -> float:
        """Seconds ``run`` has been training (pauses excluded)."""
        t = run.active_time
        if run is self.active_run and self._running_since is not None:
            t += time.perf_counter() - self._running_since
        return t

    def _on_worker_done(self, outcome: RunOutcome) -> None:
        # Only the current worker's own outcome: a run ended by shutdown() was finished
        # then, and its queued signal may arrive after the next run started (run numbers
        # start again at 1 in a new project).
        if self.active_run is None or self._worker is None \
                or outcome is not self._worker.outcome:
            return
        self._finish(outcome)

    def _finish(self, outcome: RunOutcome) -> None:
        thread, worker, run = self._thread, self._worker, self.active_run
        if thread is None or worker is None or run is None:
            return
        self._account_active()
        thread.wait()
        self._drain()
        self._thread = self._worker = self.control = None
        self.active_run = None
        self._sent = None
        if outcome.network is not None:
            self.network = outcome.network
            self._net_structure = self._run_structure
        if outcome.data is not None:
            self._data_cache = (self._run_data_key, outcome.data)
            run.data = outcome.data
        fin = outcome.finished or run.finished
        started = run.steps_per_epoch > 0
        if outcome.error is not None:
            msg = error_text(outcome.error)
            node = outcome.error.node_id if isinstance(outcome.error, SpecError) else None
            if not started:
                self.runs.remove(run)
                self._next_number -= 1
                self.runsChanged.emit()
            else:
                run.status, run.error, run.error_node = "failed", msg, node
                self.epochs_trained += run.epochs_done
            what = "go on" if started else "start"
            self._notify(Notice("error", f"Training could not {what}: {msg}", node, "failed",
                                run if started else None))
        else:
            if fin is not None:
                run.status = fin.reason
                self.epochs_trained += fin.epochs_run
            else:
                run.status = "stopped"
            if started and self.network is not None:
                run.weights = self.network.get_weights()
                self.probe.offer_weights(("run", run.number), run.weights)
            if fin is not None and fin.reason == "early_stopping":
                self._notify(Notice("info", f"{run.name} stopped early: {fin.message}.",
                                    topic="early_stopping", run=run))
        if not started and outcome.error is None:
            self.runs.remove(run)
            self._next_number -= 1
            self.runsChanged.emit()
        self._dirty = True
        self.runChanged.emit(run)
        self.displayChanged.emit()
        self.networkChanged.emit()
        self._emit_state()
        if run in self.runs:
            self.runFinished.emit(run)
        self._feed_probe()
        self._ensure_timer()

    # -- notices ---------------------------------------------------------------------------
    def _notify(self, notice: Notice) -> None:
        self.last_notice = notice
        self.notice.emit(notice)

    # -- ticks -----------------------------------------------------------------------------
    def _ensure_timer(self) -> None:
        if not self._timer.isActive():
            self._t_wall = time.perf_counter()
            self._t_cpu = time.thread_time()
            self._tokens = MAX_SLICE
            self._timer.start()

    def _feed_probe(self) -> None:
        """When idle, evaluate the displayed run's final weights."""
        if self.active:
            return
        run = self.display_run()
        if run is None or run.weights is None or run.data is None:
            return
        self.probe.set_network(run.project.graph)
        self.probe.set_data(run.data)
        self.probe.offer_weights(("run", run.number), run.weights)

    def request_redraw(self) -> None:
        self._dirty = True
        self._ensure_timer()

    def redraw_all(self) -> None:
        """Redraw every part now, whatever the budget (screenshots, tests)."""
        self._dirty = False
        self._pending = []
        for slot in range(REDRAW_SLOTS):
            self.redraw.emit(slot)

    def _tick(self) -> None:
        now = time.perf_counter()
        cpu = time.thread_time()
        wall = now - self._t_wall
        used = cpu - self._t_cpu
        self.gui_busy += used
        self.ticks += 1
        running = self.state == RUNNING
        budget = RUNNING_BUDGET if running else IDLE_BUDGET
        self._tokens = min(max(self._tokens + wall * budget - used, -MAX_DEBT), 4 * MAX_SLICE)
        # While a run trains, ticks take turns: drain the worker, then redraw a part, so
        # the two stretches of work do not add up (the event loop would wait that long).
        drain_turn = not running or self._drain_turn
        self._drain_turn = not drain_turn
        if self._worker is not None and drain_turn:
            self._drain()
        if self._dirty:
            self._dirty = False
            self._pending += [k for k in range(REDRAW_SLOTS) if k not in self._pending]
        # One part per tick (curves, insides, results, the rest), so no single stretch of
        # drawing keeps the event loop busy for long.
        # A part is overdue MAX_REDRAW_GAP / REDRAW_SLOTS after the last redraw of any part
        # (half a running tick early, so the timer's jitter does not skip a tick).
        overdue = bool(self._pending) and now - self._t_redraw >= \
            MAX_REDRAW_GAP / REDRAW_SLOTS - TICK_MSEC_RUNNING / 2000
        if (self._tokens > 0 or overdue) and not (running and drain_turn):
            probe_wants = self.probe.pending()
            if self._pending and (self._redraw_turn or not probe_wants or overdue):
                slot = self._pending.pop(0)
                self._t_redraw = now
                if slot == 0:
                    self.redraws += 1
                self.redraw.emit(slot)
                self._redraw_turn = False
            elif probe_wants and self._tokens > 0:
                self.probe.work(time.perf_counter() + min(MAX_SLICE, self._tokens))
                self._redraw_turn = True
        if not self.active and not self._pending and not self._dirty \
                and not self.probe.pending():
            self._timer.stop()
        self._t_wall = now
        self._t_cpu = cpu

    def _on_probe_updated(self, _kind: str) -> None:
        self._dirty = True


class AfterPending(QObject):
    """Calls functions once the events waiting now are handled: a posted event of low
    priority, delivered after the repaints and layouts already requested (Qt posts those
    with low priority too, and events of one priority arrive in order)."""

    _TYPE = QEvent.Type(QEvent.registerEventType())

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._calls: deque[Callable[[], None]] = deque()

    def call(self, fn: Callable[[], None]) -> None:
        self._calls.append(fn)
        QCoreApplication.postEvent(self, QEvent(self._TYPE),
                                   Qt.EventPriority.LowEventPriority.value)

    def event(self, e: QEvent) -> bool:  # noqa: N802
        if e.type() == self._TYPE:
            if self._calls:
                self._calls.popleft()()
            return True
        return super().event(e)


def divergence_text(run: RunRecord, ev: Diverged) -> str:
    msg = ev.message
    prefix = "training diverged: "
    if msg.startswith(prefix):
        msg = msg[len(prefix):]
    return f"{run.name} paused: {msg[:1].upper()}{msg[1:]} Then press Resume (F5)."


def error_text(e: BaseException) -> str:
    if isinstance(e, NetCanvasError) or isinstance(e, MemoryError):
        return str(e)
    return f"an unexpected error ({type(e).__name__}: {e}); please report it"


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    if v is None:
        return "off"
    return str(v)


