"""When the window's GUI thread works while runs train: one timer, a CPU budget, and turns.

:class:`FrameScheduler` knows nothing about runs: it is given callables (is a run
training, is one active, drain its progress, and the background work of the probe) and
emits ``redraw(slot)`` for one part of the window at a time.

The timer ticks every ``TICK_MSEC`` (about 30 Hz), every ``TICK_MSEC_RUNNING`` while a run
trains; then ticks take turns: drain the worker, then redraw one part or do background
work. Redraws and background work spend a CPU budget measured with ``time.thread_time`` on
the GUI thread: while a run trains at most ``RUNNING_BUDGET`` of a core (the GUI thread
competes with the training thread for the interpreter lock and the CPU; every Python call
on the GUI thread makes the training thread hand the lock over), but a part redraws at
least every ``MAX_REDRAW_GAP`` seconds; otherwise ``IDLE_BUDGET``.

:class:`AfterPending` runs a function once the events already posted (repaints, layouts)
are handled: one-off work then happens before the training thread competes for the lock.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal

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


class FrameScheduler(QObject):
    """The GUI thread's timer: drains, redraws and background work, within a budget.

    ``training()`` says whether a run trains now (running budget, alternating turns);
    ``busy()`` whether a run is active (its progress is drained, the timer keeps going);
    ``drain()`` takes in the run's progress; ``background_pending()`` and
    ``background_work(deadline)`` are the probe's work, done in slices until ``deadline``
    (a ``time.perf_counter()`` time).
    """

    #: Part ``slot`` of the window (CURVES_SLOT, INSIDE_SLOT, RESULTS_SLOT, WINDOW_SLOT)
    #: should redraw from its buffers now (throttled; one part per tick).
    redraw = Signal(int)

    def __init__(self, training: Callable[[], bool], busy: Callable[[], bool],
                 drain: Callable[[], None], background_pending: Callable[[], bool],
                 background_work: Callable[[float], object],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._training = training
        self._busy = busy
        self._drain = drain
        self._background_pending = background_pending
        self._background_work = background_work
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MSEC)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self._tokens = 0.0
        self._t_wall = time.perf_counter()
        self._t_cpu = time.thread_time()
        self._redraw_turn = True
        self._drain_turn = True
        self._t_redraw = 0.0
        self._dirty = False
        self._pending: list[int] = []
        #: GUI-thread CPU seconds spent in ticks (for the benchmark).
        self.gui_busy = 0.0
        self.ticks = 0
        #: Redraws of the first part (the curves): the benchmark's redraw rate.
        self.redraws = 0

    @property
    def tick_msec(self) -> int:
        return self._timer.interval()

    def set_training(self, training: bool) -> None:
        """Tick at the slower, alternating pace while a run trains."""
        self._timer.setInterval(TICK_MSEC_RUNNING if training else TICK_MSEC)

    def wake(self) -> None:
        """Start ticking (it stops by itself when nothing is left to do)."""
        if not self._timer.isActive():
            self._t_wall = time.perf_counter()
            self._t_cpu = time.thread_time()
            self._tokens = MAX_SLICE
            self._timer.start()

    def mark_dirty(self) -> None:
        """Every part should redraw at its next turn (the timer runs already)."""
        self._dirty = True

    def request_redraw(self) -> None:
        """Every part should redraw at its next turn."""
        self._dirty = True
        self.wake()

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
        running = self._training()
        busy = self._busy()
        budget = RUNNING_BUDGET if running else IDLE_BUDGET
        self._tokens = min(max(self._tokens + wall * budget - used, -MAX_DEBT), 4 * MAX_SLICE)
        # While a run trains, ticks take turns: drain the worker, then redraw a part, so
        # the two stretches of work do not add up (the event loop would wait that long).
        drain_turn = not running or self._drain_turn
        self._drain_turn = not drain_turn
        if busy and drain_turn:
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
            background = self._background_pending()
            if self._pending and (self._redraw_turn or not background or overdue):
                slot = self._pending.pop(0)
                self._t_redraw = now
                if slot == 0:
                    self.redraws += 1
                self.redraw.emit(slot)
                self._redraw_turn = False
            elif background and self._tokens > 0:
                self._background_work(time.perf_counter() + min(MAX_SLICE, self._tokens))
                self._redraw_turn = True
        if not busy and not self._pending and not self._dirty \
                and not self._background_pending():
            self._timer.stop()
        self._t_wall = now
        self._t_cpu = cpu


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
