"""Loading data off the GUI thread: :class:`DataLoader` reads a data set on a ``QThread``
(as the training worker does) with a :class:`~nncore.data.formats.files.LoadControl`, so the
window stays responsive, shows the bytes read and can cancel; :class:`LoadProgress` is the
bar, the text and the Cancel button that follow a load.

Small data (generated, bundled, stored in the project, files under :data:`INLINE_BYTES`)
loads at once on the GUI thread: it takes less time than starting a thread.
"""

from __future__ import annotations

import itertools
import logging
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.data_source import load_spec
from nncore.data import Dataset
from nncore.data.chunked import paced
from nncore.data.formats.files import LoadCancelled, LoadControl
from nncore.errors import NetCanvasError
from nncore.project import DataSpec
from nncore.run import PreparedData, prepare_data

log = logging.getLogger(__name__)

#: Files smaller than this load on the GUI thread (well under 100 ms).
INLINE_BYTES = 2 << 20
#: Seconds between two progress reports of a load.
PROGRESS_INTERVAL_S = 0.1
#: The interpreter's switch interval while a load runs (Python's default is 5 ms). The
#: event loop enters Python for nearly every event (event filters, paint overrides, the
#: slots), and each entry waits for the interpreter lock, which the loading thread holds
#: while NumPy parses a chunk: a thread waiting for the lock asks for it after a switch
#: interval, so at 5 ms a repaint of twenty entries waited 100 ms.
LOAD_SWITCH_INTERVAL_S = 0.0005
_ids = itertools.count(1)
_switch_lock = threading.Lock()
_switch_users = [0, 0.0]  # loads running, the interval before the first of them


@contextmanager
def prompt_lock_hand_off() -> Iterator[None]:
    """While it lasts (and any other load's), the interpreter's switch interval is
    :data:`LOAD_SWITCH_INTERVAL_S`; the interval in force before comes back after."""
    with _switch_lock:
        if _switch_users[0] == 0:
            _switch_users[1] = sys.getswitchinterval()
            sys.setswitchinterval(min(_switch_users[1], LOAD_SWITCH_INTERVAL_S))
        _switch_users[0] += 1
    try:
        yield
    finally:
        with _switch_lock:
            _switch_users[0] -= 1
            if _switch_users[0] == 0:
                sys.setswitchinterval(_switch_users[1])


@dataclass
class LoadRequest:
    """One load: the settings to load, their folder, and why (``"preview"`` or
    ``"import"``, with the undo text of the import)."""

    spec: DataSpec
    base_dir: Path | None
    purpose: str = "preview"
    text: str = ""
    #: Also split and normalize it for training (:func:`nncore.run.prepare_data`), on the
    #: loading thread: a big data set's preparation takes seconds.
    prepare: bool = False
    #: The raw data set when it is already loaded (only the preparation is left to do).
    dataset: Dataset | None = None
    id: int = field(default_factory=lambda: next(_ids))

    @property
    def name(self) -> str:
        return Path(self.spec.path or "data").name


@dataclass
class LoadOutcome:
    """What a load ended with: a data set, an error message, or cancelled."""

    request: LoadRequest
    dataset: Dataset | None = None
    error: str = ""
    cancelled: bool = False
    #: The data prepared for training, when asked for and possible.
    prepared: PreparedData | None = None


def load_now(request: LoadRequest, control: LoadControl | None = None) -> LoadOutcome:
    """Load ``request`` on this thread; errors become the outcome's message (a loader bug
    is logged and named, never raised into the window)."""
    try:
        # Paced: the split's and the normalization's long copies go in pieces, each
        # followed by a check of ``control`` (a cancel stops them) and a lock hand-off.
        with paced(control, request.name):
            ds = request.dataset
            if ds is None:
                ds = load_spec(request.spec, request.base_dir, control)
            outcome = LoadOutcome(request, ds)
            if request.prepare:
                if control is not None:
                    control.check(request.name)
                try:
                    outcome.prepared = prepare_data(request.spec, request.base_dir, dataset=ds)
                except LoadCancelled:
                    raise
                except NetCanvasError:
                    pass  # training reports it (too few samples...); the preview shows
        return outcome
    except LoadCancelled:
        return LoadOutcome(request, cancelled=True)
    except (NetCanvasError, OSError) as e:
        return LoadOutcome(request, error=str(e))
    except MemoryError:
        return LoadOutcome(request, error=f"{request.name}: not enough memory to load it")
    except Exception as e:  # a loader bug must not take the window down
        log.error("loading data failed unexpectedly:\n%s", traceback.format_exc())
        return LoadOutcome(request, error=f"could not load the data: {type(e).__name__}: {e}")


class _LoadWorker(QObject):
    """Runs one load on its thread; reports progress at most every
    :data:`PROGRESS_INTERVAL_S` (and its end at once)."""

    progressed = Signal(object, object, object)
    done = Signal(object)

    def __init__(self, request: LoadRequest, control: LoadControl) -> None:
        super().__init__()
        self.request = request
        self.control = control
        self._last = -PROGRESS_INTERVAL_S
        control.progress = self._report

    def _report(self, done: int, total: int) -> None:
        # Each report repaints the bars; every repaint enters Python (and waits for the
        # lock the loading thread holds) a few times: a few per second are enough.
        now = time.monotonic()
        if now - self._last >= PROGRESS_INTERVAL_S or done >= total:
            self._last = now
            self.progressed.emit(self.request, done, total)

    @Slot()
    def run(self) -> None:
        with prompt_lock_hand_off():
            outcome = load_now(self.request, self.control)
        self.done.emit(outcome)


class DataLoader(QObject):
    """Loads data sets one at a time on a worker thread. A new load cancels the one
    running; only the latest load's outcome is delivered (``finished``)."""

    #: A load started (its request).
    started = Signal(object)
    #: Bytes read so far and the total, of the current load.
    progress = Signal(object, object)
    #: The current load ended (a :class:`LoadOutcome`).
    finished = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.current: LoadRequest | None = None
        self._control: LoadControl | None = None
        self._threads: list[tuple[QThread, _LoadWorker]] = []

    @property
    def busy(self) -> bool:
        """Whether a load is running (and its outcome still wanted)."""
        return self.current is not None

    def start(self, request: LoadRequest) -> None:
        """Load ``request`` on a new thread (cancelling the load running)."""
        self.cancel()
        control = LoadControl(cancel=threading.Event())
        worker = _LoadWorker(request, control)
        thread = QThread(self)
        thread.setObjectName(f"data-load-{request.id}")
        worker.moveToThread(thread)
        queued = Qt.ConnectionType.QueuedConnection
        worker.progressed.connect(self._on_progress, queued)
        worker.done.connect(self._on_done, queued)
        worker.done.connect(thread.quit)
        thread.started.connect(worker.run)
        thread.finished.connect(self._on_thread_finished, queued)
        self._threads.append((thread, worker))
        self.current, self._control = request, control
        thread.start()
        self.started.emit(request)

    def cancel(self) -> None:
        """Stop the current load (its thread ends at the next 64 kB read)."""
        if self._control is not None:
            self._control.cancel.set()
        if self.current is not None:
            request, self.current, self._control = self.current, None, None
            self.finished.emit(LoadOutcome(request, cancelled=True))

    def shutdown(self) -> None:
        """Cancel every load and wait for the threads (the window closes)."""
        if self._control is not None:
            self._control.cancel.set()
        self.current, self._control = None, None
        for thread, worker in list(self._threads):
            worker.control.cancel.set()
            thread.quit()
            thread.wait()
        self._threads.clear()

    def threads(self) -> list[QThread]:
        """The loading threads not yet finished (for tests and shutdown)."""
        return [t for t, _w in self._threads]

    @Slot(object, object, object)
    def _on_progress(self, request: LoadRequest, done: int, total: int) -> None:
        if self.current is request:
            self.progress.emit(done, total)

    @Slot(object)
    def _on_done(self, outcome: LoadOutcome) -> None:
        if self.current is not outcome.request:
            return  # cancelled or replaced: nobody wants it
        self.current, self._control = None, None
        self.finished.emit(outcome)

    @Slot()
    def _on_thread_finished(self) -> None:
        thread = self.sender()
        for i, (t, w) in enumerate(self._threads):
            if t is thread:
                del self._threads[i]
                w.deleteLater()
                t.deleteLater()
                return


def megabytes(n: int) -> str:
    """``n`` bytes in MB (or kB for small numbers), for progress texts."""
    return f"{n / 1e6:,.1f} MB" if n >= 100_000 else f"{n / 1e3:,.0f} kB"


class LoadProgress(QWidget):
    """A load's progress: "Loading big.csv: 45.2 of 170.0 MB", a bar, and Cancel."""

    def __init__(self, loader: DataLoader, compact: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loader = loader
        self.compact = compact
        self.label = QLabel()
        self.label.setObjectName("hint")
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.bar.setAccessibleName("Data loading progress")
        self.cancel = QPushButton("Cancel")
        self.cancel.setAccessibleName("Cancel loading the data")
        self.cancel.setToolTip("Stop reading the data file")
        self.cancel.clicked.connect(loader.cancel)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.bar, 1)
        row.addWidget(self.cancel)
        if compact:
            # Fixed sizes: a status-bar widget whose size follows its text lays the window
            # out again at every update.
            self.label.setFixedWidth(230)
            self.bar.setFixedWidth(110)
            row.insertWidget(0, self.label)
            self.setLayout(row)
        else:
            self.label.setWordWrap(True)
            lay = QVBoxLayout(self)
            lay.setContentsMargins(0, 0, 0, 0)
            lay.setSpacing(2)
            lay.addWidget(self.label)
            lay.addLayout(row)
        loader.started.connect(self._on_started)
        loader.progress.connect(self._on_progress)
        loader.finished.connect(lambda _outcome: self.hide())
        self.hide()

    def _on_started(self, request: LoadRequest) -> None:
        self._name = request.name
        self.bar.setValue(0 if request.dataset is None else 1000)
        self._say(f"Loading {self._name}…" if request.dataset is None else
                  f"Preparing {self._name} for training…")
        self.show()

    def _say(self, text: str, short: str = "") -> None:
        if self.compact:  # the short text, elided to its fixed width; the whole as tooltip
            self.label.setToolTip(text)
            text = self.label.fontMetrics().elidedText(short or text,
                                                       Qt.TextElideMode.ElideRight,
                                                       self.label.width())
        if text != self.label.text():
            self.label.setText(text)

    def _on_progress(self, done: int, total: int) -> None:
        if done >= total > 0:
            # A full bar, not a busy one: its animation repaints many times a second,
            # and each repaint waits for the interpreter lock the preparation holds.
            self.bar.setValue(1000)
            self._say(f"Preparing {self._name} for training…")
            return
        self.bar.setValue(int(1000 * done / total) if total > 0 else 0)
        amount = f"{megabytes(done)} of {megabytes(total)}"
        self._say(f"Loading {self._name}: {amount}", f"Loading data: {amount}")
