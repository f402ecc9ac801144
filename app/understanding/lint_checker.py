"""Lint of the window's project, kept current: :class:`LintChecker` re-runs
:func:`nncore.lint.lint` a moment after every change of the network, the settings or the
data, and publishes the findings.

What runs where (measured on the shipped examples, one core): the rules themselves take
0.1 to 0.3 ms (median of 20 calls) once the data is prepared, so they run on the GUI
thread; preparing the data (load, split, normalize) takes 0.5 to 21 ms for the bundled and
generated data (up to 50 ms on a busy machine) and can take seconds for an imported file,
so it runs on a :class:`~app.understanding.background.BackgroundJob` and is kept while the
data settings, the folder and the file's modification time stay the same
(:func:`app.training.trained_network.data_key`). While new data is being prepared the
findings of the last check stay up. A data file too big to load in no time is never read
here: the checker takes what the Data panel prepared (``prepared_for``, the hook training
uses) and, until the panel has it, lints without the data (a second copy of an MNIST-sized
file would double the window's memory and hold the interpreter while the panel loads).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from app.data_source import load_bytes
from app.document.document import ProjectDocument
from app.training.trained_network import data_key
from app.understanding.background import BackgroundJob, Progress
from nncore.errors import NetCanvasError
from nncore.lint import Finding, lint
from nncore.project import DataSpec

#: Milliseconds after the last change before lint runs (typing a value is one change).
DEBOUNCE_MSEC = 250
#: Data files up to this size are prepared for lint on its own thread; larger ones only by
#: the Data panel (the size below which the panel loads inline).
OWN_LOAD_BYTES = 2 << 20


def _prepare(spec: DataSpec, base_dir: Path | None) -> Any:
    from nncore.run import prepare_data

    def work(progress: Progress) -> Any:
        try:
            return prepare_data(spec, base_dir)
        except NetCanvasError as e:
            return e  # lint reports data that does not load as a note
        except OSError as e:
            return NetCanvasError(str(e))

    return work


class LintChecker(QObject):
    """Lints the document's project after each change; ``changed`` once new findings are
    published (``findings``, errors first)."""

    changed = Signal()

    def __init__(self, document: ProjectDocument, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._doc = document
        self.findings: list[Finding] = []
        #: (data key, the PreparedData or the error of data that does not load).
        self._data: tuple[str, Any] | None = None
        self._job: BackgroundJob | None = None
        self._job_key = ""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MSEC)
        self._timer.timeout.connect(self.run)
        #: ``(spec, base_dir) -> PreparedData | None``: data the window prepared already.
        self.prepared_for: Callable[[DataSpec, Path | None], Any] | None = None
        for signal in (document.analysisChanged, document.trainingChanged,
                       document.dataChanged, document.projectReset, document.pathChanged):
            signal.connect(self.schedule)
        self.schedule()

    @property
    def busy(self) -> bool:
        """A check is due or the data for one is being prepared."""
        return self._timer.isActive() or self._job is not None

    def schedule(self) -> None:
        self._timer.start()

    def run(self) -> None:
        """Lint now with the prepared data, or start preparing it (and lint when ready)."""
        self._timer.stop()
        project, base_dir = self._doc.snapshot(), self._doc.base_dir
        key = data_key(project.data, base_dir)
        if self._data is None or self._data[0] != key:
            borrowed = self._borrowed(project.data, base_dir)
            if borrowed is not None:
                self.findings = lint(project, base_dir, data=borrowed)
                self.changed.emit()
                return
            if self._job is None:
                self._start_job(key, project.data, base_dir)
            elif self._job_key != key:
                self._job.cancel()  # a result for settings that are gone; run again after
            return
        self.findings = lint(project, base_dir, data=self._data[1])
        self.changed.emit()

    def _borrowed(self, spec: DataSpec, base_dir: Path | None) -> Any:
        """For a big data file: the Data panel's prepared data, or the reason it is not
        linted yet; None: small enough to prepare here."""
        if spec.source != "file" or load_bytes(spec, base_dir) <= OWN_LOAD_BYTES:
            return None
        data = self.prepared_for(spec, base_dir) if self.prepared_for is not None else None
        if data is not None:
            return data
        return NetCanvasError("a data file this large is checked once the Data panel has "
                              "loaded it")

    def _start_job(self, key: str, spec: DataSpec, base_dir: Path | None) -> None:
        job = BackgroundJob(_prepare(spec, base_dir), "NetCanvas lint data", self)
        self._job, self._job_key = job, key
        job.succeeded.connect(lambda result: self._on_prepared(key, result))
        job.finished.connect(lambda: self._on_job_finished(job))
        job.start()

    def _on_prepared(self, key: str, result: Any) -> None:
        self._data = (key, result)

    def _on_job_finished(self, job: BackgroundJob) -> None:
        if self._job is job:
            self._job = None
        job.deleteLater()
        self.run()

    def wait(self) -> None:
        """Wait for the data being prepared (the window closes; loading cannot be
        interrupted, and its thread must end before the checker is deleted)."""
        if self._job is not None:
            self._job.wait()

