"""Long computations of the explain tools, off the GUI thread.

:class:`BackgroundJob` runs one function at a time on a fresh ``QThread`` (as the training
worker does). The function receives ``stop`` (a callable answering whether to stop: the
engine's ``stop`` flags take it) and ``progress(done, total)``; its result, its error or
its cancellation come back on the GUI thread as signals. Starting a job while one runs
cancels the old one, whose result is then dropped; :meth:`BackgroundJob.shutdown` (the
window closing) cancels and waits.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal, Slot

from nncore.attribution import Stopped
from nncore.errors import NetCanvasError

log = logging.getLogger(__name__)

StopFlag = Callable[[], bool]
Progress = Callable[[int, int], None]
Work = Callable[[StopFlag, Progress], Any]


class _Runner(QObject):
    """Lives on the job's thread: runs the work once and reports (queued to the GUI)."""

    progressed = Signal(int, int, int)
    done = Signal(int, str, object)

    def __init__(self, number: int, work: Work, stop: threading.Event) -> None:
        super().__init__()
        self.number = number
        self.work = work
        self.stop = stop

    @Slot()
    def run(self) -> None:
        n = self.number
        try:
            result = self.work(self.stop.is_set, lambda a, b: self.progressed.emit(n, a, b))
            kind = "cancelled" if self.stop.is_set() else "finished"
        except Stopped:
            kind, result = "cancelled", None
        except NetCanvasError as e:
            kind, result = "failed", str(e)
        except MemoryError:
            kind, result = "failed", "not enough memory for this computation"
        except Exception as e:  # a bug: say so without a traceback dialog, log it
            log.error("explain job failed:\n%s", traceback.format_exc())
            kind, result = "failed", f"unexpected error: {e}"
        app = QCoreApplication.instance()
        if app is not None:  # hand the runner back to the GUI thread, which deletes it
            self.moveToThread(app.thread())
        self.done.emit(n, kind, result)


class BackgroundJob(QObject):
    """One computation at a time on a worker thread, with progress and Cancel."""

    #: (done, total) of the running job.
    progressed = Signal(int, int)
    #: The job's result.
    finished = Signal(object)
    #: A message saying why the job failed.
    failed = Signal(str)
    cancelled = Signal()
    #: The job started or ended (any way).
    runningChanged = Signal(bool)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._name = name
        self._number = 0
        self._thread: QThread | None = None
        self._runner: _Runner | None = None
        self._stop = threading.Event()
        #: Threads of cancelled jobs that have not ended yet.
        self._old: list[tuple[QThread, _Runner]] = []

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self, work: Work) -> None:
        """Run ``work(stop, progress)`` on a new thread (cancelling a running job)."""
        self._drop_current()
        self._number += 1
        self._stop = threading.Event()
        thread = QThread()
        thread.setObjectName(f"NetCanvas {self._name}")
        runner = _Runner(self._number, work, self._stop)
        runner.moveToThread(thread)
        thread.started.connect(runner.run)
        runner.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        runner.progressed.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)
        runner.done.connect(self._on_done, Qt.ConnectionType.QueuedConnection)
        self._thread, self._runner = thread, runner
        thread.start()
        self.runningChanged.emit(True)

    def cancel(self) -> None:
        """Ask the running job to stop; ``cancelled`` follows when it has."""
        self._stop.set()

    def shutdown(self) -> None:
        """Stop every job and wait for its thread (the window is closing)."""
        self._stop.set()
        self._drop_current()
        for thread, _runner in self._old:
            thread.wait()
        self._old.clear()

    def _drop_current(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._old.append((self._thread, self._runner))
            self._thread = self._runner = None
            self.runningChanged.emit(False)
        self._old = [(t, r) for t, r in self._old if not t.isFinished()]

    def _on_progress(self, number: int, done: int, total: int) -> None:
        if number == self._number and self._thread is not None:
            self.progressed.emit(done, total)

    def _on_done(self, number: int, kind: str, result: object) -> None:
        if number != self._number or self._thread is None:
            return  # a job replaced or shut down: its result is dropped
        thread = self._thread
        thread.wait()
        self._thread = self._runner = None
        self.runningChanged.emit(False)
        if kind == "finished":
            self.finished.emit(result)
        elif kind == "failed":
            self.failed.emit(str(result))
        else:
            self.cancelled.emit()
