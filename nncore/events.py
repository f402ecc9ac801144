"""Progress events the trainer emits, and the control object that steers a run.

Events are plain dataclasses so any listener (the CLI's progress bar, the GUI worker, a
test) can consume them. :class:`RunControl` is how another thread stops, pauses, resumes or
single-steps a run and hands it setting changes; all of it takes effect at the next batch
boundary, through ``threading.Event`` objects, never by killing a thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class TrainingStarted:
    epochs: int
    steps_per_epoch: int
    n_train: int
    n_val: int
    start_epoch: int = 0


@dataclass
class BatchEnd:
    epoch: int  # 1-based
    batch: int  # 1-based
    batches: int
    step: int  # global step, 1-based
    loss: float
    lr: float
    #: Per-layer L2 norms of this batch's gradients, and of the weights (refreshed at most
    #: every ``training_parts.WEIGHT_NORMS_PERIOD`` seconds: a full pass over big networks).
    #: Treat both dicts as read-only: events may share them.
    grad_norms: dict[str, float]
    weight_norms: dict[str, float]
    elapsed: float
    #: Losses of the batches this event reports, in order, ``loss`` last: one batch, or
    #: every batch since the previous BatchEnd when ``Trainer.fit`` was asked to report
    #: batches at most every ``batch_seconds`` (norms and ``lr`` are the last batch's).
    losses: list[float]


@dataclass
class EpochEnd:
    epoch: int  # 1-based
    epochs: int
    train_loss: float
    val_loss: float | None
    train_metrics: dict[str, float]
    val_metrics: dict[str, float]
    lr: float
    #: Per-layer gradient norms averaged over the epoch's batches; weight norms at its end.
    grad_norms: dict[str, float]
    weight_norms: dict[str, float]
    elapsed: float
    best_epoch: int
    best_loss: float


@dataclass
class Paused:
    epoch: int
    reason: str  # "user", "step", "diverged"
    message: str = ""


@dataclass
class Diverged:
    epoch: int
    batch: int
    layer: str | None
    message: str
    restored_epoch: int


@dataclass
class History:
    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float | None] = field(default_factory=list)
    train_metrics: list[dict[str, float]] = field(default_factory=list)
    val_metrics: list[dict[str, float]] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)

    def add(self, e: EpochEnd) -> None:
        self.epoch.append(e.epoch)
        self.train_loss.append(e.train_loss)
        self.val_loss.append(e.val_loss)
        self.train_metrics.append(dict(e.train_metrics))
        self.val_metrics.append(dict(e.val_metrics))
        self.lr.append(e.lr)

    def __len__(self) -> int:
        return len(self.epoch)


@dataclass
class TrainingFinished:
    #: "completed", "stopped", "early_stopping" or "diverged"
    reason: str
    epochs_run: int
    best_epoch: int
    best_loss: float
    elapsed: float
    history: History
    restored_best: bool = False
    message: str = ""


class RunControl:
    """Thread-safe steering of a running trainer.

    Any thread may stop, pause, resume, step one epoch or hand in a call. The trainer looks
    at :attr:`requested` before each batch (one attribute read: the cost of steering on the
    hot path) and, when it is set, calls :meth:`checkpoint`; at the end of an epoch it asks
    :meth:`take_pause_after_epoch`; where it pauses it calls :meth:`hold`."""

    def __init__(self) -> None:
        self.stop_event = threading.Event()
        #: Set when a stop, a pause or a call waits for the trainer's next checkpoint.
        self.requested = False
        self._running = threading.Event()  # cleared while paused
        self._running.set()
        self._lock = threading.Lock()
        self._pending: list[Callable[[], Any]] = []
        self._pause_after_epoch = False

    # -- called from any thread --------------------------------------------------------
    # Each request changes the state first and sets ``requested`` last, and checkpoint()
    # clears ``requested`` before it reads the state: no request can go unnoticed.
    def request_stop(self) -> None:
        self.stop_event.set()
        self._running.set()
        self.requested = True

    def pause(self) -> None:
        self._running.clear()
        self.requested = True

    def resume(self) -> None:
        self._running.set()

    def step_epoch(self) -> None:
        """Run (or resume) until the end of the current epoch, then pause."""
        # Under the lock so the trainer cannot take the flag (and pause) in between and then
        # be resumed at once by the set() below, running on without the requested pause.
        with self._lock:
            self._pause_after_epoch = True
            self._running.set()

    def call_in_run(self, fn: Callable[[], Any]) -> None:
        """Run ``fn`` on the training thread at the next batch boundary (for setting
        changes such as a new learning rate while paused)."""
        with self._lock:
            self._pending.append(fn)
        self.requested = True

    @property
    def stopped(self) -> bool:
        return self.stop_event.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    # -- called by the trainer ---------------------------------------------------------
    def checkpoint(self, on_pause: Callable[[], None]) -> bool:
        """At a batch boundary, when :attr:`requested`: run the calls handed in; if paused,
        :meth:`hold` (``on_pause`` reports the pause). True when the run must stop."""
        self.requested = False
        self.run_pending()
        if not self._running.is_set():
            self.hold(on_pause)
        if self.stop_event.is_set():
            self.requested = True  # a stop is for good: every later check sees it
            return True
        return False

    def hold(self, on_paused: Callable[[], None]) -> bool:
        """The trainer stands still here while paused: ``on_paused()`` reports the pause,
        then wait until resumed or stopped and run the calls handed in meanwhile. True when
        the run must stop."""
        on_paused()
        self.wait_while_paused()
        self.run_pending()
        return self.stop_event.is_set()

    def take_pause_after_epoch(self) -> bool:
        """True (and paused) when :meth:`step_epoch` asked for a pause at this epoch's end."""
        with self._lock:
            if self._pause_after_epoch:
                self._pause_after_epoch = False
                self._running.clear()
                return True
            return False

    def wait_while_paused(self) -> None:
        while not self._running.wait(0.05):
            if self.stop_event.is_set():
                return

    def run_pending(self) -> None:
        """Run the calls handed in through :meth:`call_in_run`, in order."""
        if self._pending:
            with self._lock:
                pending, self._pending = self._pending, []
            for fn in pending:
                fn()
