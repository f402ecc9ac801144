"""The training worker: a ``QObject`` moved to a ``QThread`` that runs one nncore training
run on a snapshot of the project, through the engine's pipeline
(:func:`nncore.run.run_project`) with the window's hooks: it posts :class:`DataReady` once
the data is prepared (and on new data waits for ``data_taken``), keeps the network for its
analyses once it is built, and pauses on a divergence.

Only the training thread touches the network while the run lasts. Progress is coalesced:
the trainer's callback (on the training thread) puts events in a queue (a
``collections.deque``: appends and pops are thread-safe); the GUI's timer takes everything
at once with :meth:`TrainingWorker.drain` a few times a second, and ``eventsReady`` asks for
a drain at once for what must show without delay (new data, the start, pauses,
divergences, the end), only when the GUI has drained what was there before. The trainer
reports batches in bulk (``batch_seconds``), so the callback runs about 50 times a second
of training and at each epoch's end, not once per batch; it queues the reported losses as
one :class:`LossChunk` with a :class:`GradSample` of the per-layer norms, and publishes a copy
of the weights every quarter of a second (and at pauses, divergences and the end). Between
two batches it also computes the analyses the visible panels want (activations, decision
grid, validation predictions; :class:`app.training.probe.Analyzer`) on its own network,
within ``ANALYSIS_SHARE`` of the training time, so the GUI thread never runs large matrix
products while the trainer does. Both threads share the interpreter lock, so per-batch
Python work on either side would slow a fast network down. The GUI never reads the live
network during a run.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, Signal, Slot

from app.training.probe import ANALYSIS_SHARE, INTERVALS, KINDS, Analyzer, input_is_2d
from nncore.checkpoint import capture, resume
from nncore.errors import NetCanvasError
from nncore.events import (
    BatchEnd,
    Diverged,
    EpochEnd,
    Paused,
    RunControl,
    TrainingFinished,
)
from nncore.network import Network
from nncore.project import Project
from nncore.run import CheckedRun, PreparedData, RunHooks, RunRequest, run_project
from nncore.trainer import Trainer

log = logging.getLogger(__name__)

#: Seconds of training between two published weight copies.
SNAPSHOT_SECONDS = 0.25
#: Longest wait (seconds) for the window to take the prepared data in before training
#: starts (see ``TrainingWorker.data_taken``).
DATA_TAKEN_TIMEOUT = 2.0
#: Training time between two gradient-norm samples (and between periodic checks).
GRAD_SAMPLE_SECONDS = 0.02


@dataclass
class TrainingJob:
    """What one run trains: a project snapshot, and what the window keeps between runs."""

    run_id: int
    project: Project
    base_dir: Path | None
    #: The network to continue training (None: build a fresh one from the project).
    network: Network | None = None
    #: Prepared data to reuse (None: load and split the project's data).
    data: PreparedData | None = None
    #: node id -> frozen, applied to a reused network before training.
    frozen: dict[str, bool] = field(default_factory=dict)
    #: A run to continue (:class:`nncore.checkpoint.Checkpoint`: a fork), or None.
    resume: Any = None
    #: What the trainer does on a divergence: "pause" (and ask), or "stop" (a sweep).
    on_divergence: str = "pause"


@dataclass
class DataReady:
    """Posted (as an event) once the data is prepared."""

    data: PreparedData


@dataclass
class SettingsRejected:
    """A live setting change the trainer refused."""

    message: str


@dataclass
class RunOutcome:
    run_id: int
    network: Network | None = None
    data: PreparedData | None = None
    finished: TrainingFinished | None = None
    #: A NetCanvasError (bad data, settings or network) or an unexpected exception.
    error: BaseException | None = None
    #: Traceback text of an unexpected exception (a bug), for the log.
    details: str = ""
    #: Where the run ended (:class:`nncore.checkpoint.Checkpoint`), to save or fork it.
    checkpoint: Any = None


@dataclass
class Analysis:
    """A result of :class:`app.training.probe.Analyzer` computed between two batches."""

    kind: str
    result: Any


@dataclass
class LossChunk:
    """Losses of consecutive batches; the last one ended at fractional epoch ``x_end``, and
    batches are ``1 / batches`` of an epoch apart."""

    x_end: float
    batches: int
    losses: list[float]

    def xs(self) -> np.ndarray:
        k = len(self.losses)
        return self.x_end - np.arange(k - 1, -1, -1) / self.batches


@dataclass
class GradSample:
    """Per-layer gradient and weight norms at fractional epoch ``x`` of the run, taken after
    ``t`` seconds of training."""

    x: float
    t: float
    grad_norms: dict[str, float]
    weight_norms: dict[str, float]


class TrainingWorker(QObject):
    #: New progress is waiting in :meth:`drain` (coalesced; never one per batch).
    eventsReady = Signal()
    #: The run is over (RunOutcome); emitted from the training thread as its last act.
    done = Signal(object)

    def __init__(self, job: TrainingJob, control: RunControl) -> None:
        super().__init__()
        self.job = job
        self.control = control
        self.outcome: RunOutcome | None = None
        self.trainer: Trainer | None = None
        #: [(key, start, stop, shape)] of the network's flat weights, once it is built.
        self.layout: list[tuple[str, int, int, tuple[int, ...]]] | None = None
        self._queue: deque[Any] = deque()
        self._losses: list[float] = []
        self._last_batch: BatchEnd | None = None
        self._signalled = False
        self._t_next = 0.0  # training time of the next periodic check
        self._t_snap = -1.0
        self._snapshot: tuple[int, np.ndarray] | None = None
        self._snap_version = 0
        self._net: Network | None = None
        self._data: PreparedData | None = None
        #: Analyses the GUI wants (replaced as a whole by :meth:`set_wanted`).
        self.wanted: frozenset[str] = frozenset({"activations"})
        self._analyzer: Analyzer | None = None
        self._analysis_time = 0.0
        self._analysis_last = {k: -1e9 for k in INTERVALS}
        #: Set by the GUI once it has taken newly prepared data in (data points drawn) or
        #: when the run stops: training on new data starts after that (at most
        #: DATA_TAKEN_TIMEOUT later), so the window's one-off work for the data does not
        #: compete with the first batches for the interpreter lock.
        self.data_taken = threading.Event()

    # -- GUI thread ---------------------------------------------------------------------
    def drain(self) -> list[Any]:
        """Everything queued since the last drain, in order (events, GradSamples, ...)."""
        q = self._queue
        self._signalled = False
        return [q.popleft() for _ in range(len(q))]

    def set_wanted(self, kinds: set[str]) -> None:
        """Which analyses (probe kinds) to compute between batches."""
        self.wanted = frozenset(kinds)

    def latest_weights(self) -> tuple[int, np.ndarray] | None:
        """(version, flat copy of the weights) most recently published, or None."""
        return self._snapshot

    def apply_settings(self, changes: dict[str, Any]) -> None:
        """Hand live setting changes (nncore.config.LIVE_SETTINGS) to the run; they take effect
        at the next batch (or when a pause ends)."""
        changes = dict(changes)
        self.control.call_in_run(lambda: self._apply(changes))

    # -- training thread ----------------------------------------------------------------
    def _apply(self, changes: dict[str, Any]) -> None:
        try:
            if self.trainer is not None:
                self.trainer.update_settings(**changes)
        except NetCanvasError as e:
            self._post(SettingsRejected(str(e)), urgent=True)

    def _signal(self) -> None:
        if not self._signalled:
            self._signalled = True
            self.eventsReady.emit()

    def _post(self, item: Any, urgent: bool = False) -> None:
        self._queue.append(item)
        if urgent:
            self._signal()

    def _publish_weights(self, t: float) -> None:
        net = self._net
        if net is None:
            return
        self._t_snap = t
        self._snap_version += 1
        self._snapshot = (self._snap_version, net.snapshot())

    def _on_event(self, ev: Any) -> None:
        if ev.__class__ is BatchEnd:
            # At most every GRAD_SAMPLE_SECONDS (the trainer reports batches in bulk).
            self._losses.extend(ev.losses)
            self._last_batch = ev
            if ev.elapsed >= self._t_next:
                self._periodic(ev)
            return
        if isinstance(ev, (Paused, Diverged, TrainingFinished)):
            self._flush_losses()
            self._publish_weights(self._t_snap)
        self._queue.append(ev)
        if not isinstance(ev, EpochEnd):
            self._signal()

    def _flush_losses(self) -> None:
        b = self._last_batch
        if self._losses and b is not None:
            self._queue.append(LossChunk(b.epoch - 1 + b.batch / b.batches, b.batches,
                                         self._losses))
            self._losses = []

    def _periodic(self, ev: BatchEnd) -> None:
        """About every GRAD_SAMPLE_SECONDS of training: the batch losses so far, a
        gradient-norm sample, the weights now and then, an analysis when one is due."""
        t = ev.elapsed
        self._t_next = t + GRAD_SAMPLE_SECONDS
        self._flush_losses()
        self._queue.append(GradSample(ev.epoch - 1 + ev.batch / ev.batches, t, ev.grad_norms,
                                      ev.weight_norms))
        if t - self._t_snap >= SNAPSHOT_SECONDS:
            self._publish_weights(t)
        if self.wanted and self._analysis_time <= ANALYSIS_SHARE * t:
            self._analyze(t)

    def _analyze(self, t: float) -> None:
        """One due analysis of the current weights (on this thread, between batches)."""
        net, data = self._net, self._data
        if net is None or data is None:
            return
        for kind in KINDS:
            if kind not in self.wanted or t - self._analysis_last[kind] < INTERVALS[kind]:
                continue
            if kind == "grid" and not input_is_2d(net, data):
                continue
            t0 = time.perf_counter()
            if self._analyzer is None:
                self._analyzer = Analyzer(net, data)
            version = ("live", self.job.run_id, self._snap_version)
            weights = net.get_weights() if kind == "activations" else None
            try:
                result = self._analyzer.run(kind, version, weights)
            except (NetCanvasError, ValueError, FloatingPointError):
                result = None
            self._analysis_last[kind] = t
            self._analysis_time += time.perf_counter() - t0
            if result is not None:
                self._queue.append(Analysis(kind, result))
            return

    def _take_data(self, out: RunOutcome, data: PreparedData) -> None:
        """The pipeline's data is ready: show it, and on new data let the window draw its
        points before training starts."""
        out.data = data
        self._data = data
        self._post(DataReady(data), urgent=True)
        if self.job.data is None:
            self.data_taken.wait(DATA_TAKEN_TIMEOUT)

    def _take_network(self, out: RunOutcome, net: Network) -> None:
        out.network = net
        self.layout = [(s.key, s.start, s.stop, tuple(s.spec.shape)) for s in net.slots]
        self._net = net

    def _take_run(self, run: CheckedRun) -> None:
        if self.job.resume is not None:  # a fork: the parent's weights, state and epoch
            resume(run.trainer, self.job.resume)
        self.trainer = run.trainer

    @Slot()
    def run(self) -> None:
        job = self.job
        out = RunOutcome(job.run_id, network=job.network, data=job.data)
        request = RunRequest(job.project, job.base_dir, data=job.data, network=job.network,
                             frozen=job.frozen, on_divergence=job.on_divergence,
                             batch_seconds=GRAD_SAMPLE_SECONDS, check_memory=False)
        hooks = RunHooks(data_ready=lambda data: self._take_data(out, data),
                         network_ready=lambda net: self._take_network(out, net),
                         fit_starting=self._take_run)
        try:
            result = run_project(request, self.control, self._on_event, hooks)
            out.finished = result.finished
            if result.trainer is not None:
                settings = {**job.project.to_dict(),
                            "training": result.trainer.config.to_dict()}
                out.checkpoint = capture(result.trainer, settings)
        except NetCanvasError as e:
            out.error = e
        except MemoryError:
            out.error = MemoryError("not enough memory for this network or data set; use "
                                    "fewer units, a smaller batch or less data")
        except Exception as e:  # a bug: say so without a traceback in the window
            out.error = e
            out.details = traceback.format_exc()
            log.error("training failed unexpectedly:\n%s", out.details)
        finally:
            self.trainer = None
            self._net = None
            self._data = None
            self._analyzer = None
            self.outcome = out
            # Hand the worker back to the GUI thread, which deletes it.
            app = QCoreApplication.instance()
            if app is not None:
                self.moveToThread(app.thread())
            self.done.emit(out)
