"""Work that must not hold the GUI thread (a gradient check, a learning-rate sweep, loading
the data lint reads), run on a ``QThread`` of its own with progress and cancellation.

A :class:`BackgroundJob` runs ``work(progress)`` once on its thread; ``work`` calls
``progress(done, total)`` as it goes, and that call raises :class:`Cancelled` once
:meth:`BackgroundJob.cancel` was asked (the engine functions take such a callback and let
its exception end them). The result, the error or the cancellation arrives on the GUI
thread as a signal (queued: the job lives on the GUI thread, its ``run`` on the other).
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, QThread, Signal

from nncore.errors import NetCanvasError

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


class Cancelled(Exception):
    """Raised inside the work by its progress callback once the job was cancelled."""


class BackgroundJob(QThread):
    """One run of ``work`` off the GUI thread. Signals: ``progressed(done, total)``,
    ``succeeded(result)``, ``failed(message)`` (a NetCanvasError's message; an unexpected
    exception is logged with its traceback and reported as such), ``cancelled()``."""

    progressed = Signal(int, int)
    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, work: Callable[[Progress], Any], name: str,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self._work = work
        self._stop = threading.Event()
        self._last: tuple[int, int] | None = None

    def cancel(self) -> None:
        """Ask the work to end at its next progress call."""
        self._stop.set()

    @property
    def cancel_requested(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        """Cancel and wait until the thread has ended (closing a dialog or the window)."""
        self.cancel()
        self.wait()

    def _progress(self, done: int, total: int) -> None:
        if self._stop.is_set():
            raise Cancelled
        # Only whole percents reach the GUI thread: a signal per step of a fast sweep
        # would cost more than the step.
        key = (done * 100 // max(total, 1), total)
        if key != self._last:
            self._last = key
            self.progressed.emit(done, total)

    def run(self) -> None:  # on the job's thread
        try:
            result = self._work(self._progress)
        except Cancelled:
            self.cancelled.emit()
            return
        except NetCanvasError as e:
            self.failed.emit(str(e))
            return
        except MemoryError:
            self.failed.emit("not enough memory")
            return
        except Exception as e:  # a bug: logged, and reported instead of a traceback
            log.error("%s failed:\n%s", self.objectName(), traceback.format_exc())
            self.failed.emit(f"an unexpected error: {type(e).__name__}: {e}")
            return
        if self._stop.is_set():
            self.cancelled.emit()
        else:
            self.succeeded.emit(result)


class CloseWatcher(QObject):
    """Calls ``on_close`` when ``window`` receives its close event, before the window
    handles it: work of a closing window ends before its threads' objects are deleted."""

    def __init__(self, window: QObject, on_close: Callable[[], None]) -> None:
        super().__init__(window)
        self._on_close = on_close
        window.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Close:
            self._on_close()
        return False
