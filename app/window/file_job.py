"""File work too long for the GUI thread (converting a model, preparing and writing a data
set), run on a ``QThread`` of its own with a busy progress dialog and a Cancel button.

:class:`FileJob` runs one function ``work(cancel) -> result`` at a time. ``cancel`` is a
``threading.Event`` the function may check between its stages (an export checks it before
it writes anything); work that cannot stop half way runs to its end and its result is
dropped. The outcome comes back on the GUI thread as exactly one of ``finished(result)``,
``failed(exception)`` or ``cancelled()``. :meth:`FileJob.shutdown` (the window closing)
cancels and waits for the thread, so no thread outlives the window.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtWidgets import QProgressDialog, QPushButton, QWidget

log = logging.getLogger(__name__)

#: The progress dialog shows only for work that lasts longer than this (milliseconds).
SHOW_AFTER_MSEC = 300


class _Runner(QObject):
    """Lives on the job's thread; calls the work and reports (result, exception)."""

    done = Signal(object, object)

    def __init__(self, work: Callable[[threading.Event], Any], cancel: threading.Event
                 ) -> None:
        super().__init__()
        self._work = work
        self._cancel = cancel

    @Slot()
    def run(self) -> None:
        try:
            result, error = self._work(self._cancel), None
        except Exception as e:  # noqa: BLE001 - reported to the GUI thread, never lost
            if not isinstance(e, (OSError, MemoryError, ValueError)) and \
                    type(e).__module__.split(".")[0] != "nncore":
                log.exception("file work failed")
            result, error = None, e
        self.done.emit(result, error)


class FileJob(QObject):
    """Runs one piece of file work at a time off the GUI thread (see the module docstring)."""

    finished = Signal(object)
    failed = Signal(object)
    cancelled = Signal()

    def __init__(self, dialog_parent: QWidget, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._dialog_parent = dialog_parent
        self._thread: QThread | None = None
        self._runner: _Runner | None = None
        self._cancel = threading.Event()
        self._progress: QProgressDialog | None = None

    @property
    def busy(self) -> bool:
        return self._thread is not None

    def start(self, label: str, work: Callable[[threading.Event], Any]) -> bool:
        """Run ``work`` with a progress dialog saying ``label``; False when a job runs."""
        if self.busy:
            return False
        self._cancel = threading.Event()
        thread = QThread(self)
        runner = _Runner(work, self._cancel)
        runner.moveToThread(thread)
        thread.started.connect(runner.run)
        runner.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        runner.done.connect(self._on_done, Qt.ConnectionType.QueuedConnection)
        self._thread, self._runner = thread, runner
        self._progress = self._make_progress(label)
        thread.start()
        return True

    def _make_progress(self, label: str) -> QProgressDialog:
        box = QProgressDialog(label, "Cancel", 0, 0, self._dialog_parent)
        box.setObjectName("fileJobProgress")
        box.setWindowTitle("Working…")
        box.setAccessibleName("Progress of the file work")
        cancel = QPushButton("Cancel")
        cancel.setAccessibleName("Cancel")
        cancel.setToolTip("Stop: nothing is written, nothing changes")
        box.setCancelButton(cancel)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.setMinimumDuration(SHOW_AFTER_MSEC)
        box.setAutoClose(False)
        box.setAutoReset(False)
        box.canceled.connect(self.cancel)
        return box

    def cancel(self) -> None:
        """Ask the work to stop; its outcome is reported as ``cancelled``."""
        self._cancel.set()
        if self._progress is not None:
            self._progress.setLabelText("Cancelling…")

    @Slot(object, object)
    def _on_done(self, result: Any, error: Any) -> None:
        if self._thread is None:  # shut down meanwhile: nobody waits for the outcome
            return
        cancelled = self._cancel.is_set()
        self._end()
        if error is not None:
            self.failed.emit(error)
        elif cancelled or result is None:
            self.cancelled.emit()
        else:
            self.finished.emit(result)

    def _end(self) -> None:
        thread, runner, progress = self._thread, self._runner, self._progress
        self._thread = self._runner = self._progress = None
        if thread is not None:
            thread.wait()
            thread.deleteLater()
        if runner is not None:
            runner.deleteLater()
        if progress is not None:
            progress.canceled.disconnect(self.cancel)
            progress.close()
            progress.deleteLater()

    def shutdown(self) -> None:
        """Cancel and wait for the work (the window is closing); nothing is reported."""
        if self._thread is None:
            return
        self._cancel.set()
        self._end()
