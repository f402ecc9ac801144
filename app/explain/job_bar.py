"""A row that follows a :class:`~app.explain.jobs.BackgroundJob`: a message, a progress bar
and a Cancel button while it runs; the outcome (or the reason it failed, in the error
colour) when it ends."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from app.explain.jobs import BackgroundJob
from app.theme import colors


class JobBar(QWidget):
    """Progress and Cancel of one job, and a one-line message."""

    def __init__(self, job: BackgroundJob, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.job = job
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.message = QLabel()
        self.message.setObjectName(f"{name}Message")
        self.message.setWordWrap(True)
        self.message.setAccessibleName(f"{name} message")
        self.bar = QProgressBar()
        self.bar.setObjectName(f"{name}Progress")
        self.bar.setAccessibleName(f"{name} progress")
        self.bar.setFixedWidth(160)
        self.bar.setTextVisible(True)
        self.cancel = QPushButton("Cancel")
        self.cancel.setObjectName(f"{name}Cancel")
        self.cancel.setAccessibleName(f"Cancel {name}")
        self.cancel.setToolTip("Stop the computation")
        self.cancel.clicked.connect(job.cancel)
        lay.addWidget(self.message, 1)
        lay.addWidget(self.bar)
        lay.addWidget(self.cancel)
        job.runningChanged.connect(self._on_running)
        job.progressed.connect(self._on_progress)
        job.failed.connect(self.show_error)
        job.cancelled.connect(lambda: self.show_message("Cancelled."))
        self._on_running(False)

    def start(self, text: str) -> None:
        """Say what the job does (call before or after starting it)."""
        self.show_message(text)
        self.bar.setRange(0, 0)  # busy until the first progress report

    def show_message(self, text: str) -> None:
        self.message.setStyleSheet("")
        self.message.setText(text)

    def show_error(self, text: str) -> None:
        self.message.setStyleSheet(f"color: {colors().error.name()};")
        self.message.setText(text[:1].upper() + text[1:] if text else text)

    def _on_running(self, running: bool) -> None:
        self.bar.setVisible(running)
        self.cancel.setVisible(running)
        if running:
            self.bar.setRange(0, 0)

    def _on_progress(self, done: int, total: int) -> None:
        if total > 0:
            self.bar.setRange(0, total)
            self.bar.setValue(min(done, total))
