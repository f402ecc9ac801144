"""What a dialog of a background job shows as the job goes: progress with Cancel while it
runs, then the result, an error in the error colour, or "Cancelled.", with Run Again
enabled. The gradient-check and learning-rate dialogs share it."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton

from app.theme import colors


class JobStates:
    """Mixed into a dialog that has ``progress``, ``cancel_button``, ``again_button`` and
    ``message`` (the label that shows the outcome); ``PROGRESS_FORMAT`` words a step,
    e.g. ``"{done} of {total} arrays"``."""

    PROGRESS_FORMAT = "{done} of {total}"
    progress: QProgressBar
    cancel_button: QPushButton
    again_button: QPushButton
    message: QLabel

    def make_job_row(self, job: str, cancel: Callable[[], object]) -> QHBoxLayout:
        """The progress bar and Cancel of ``job`` ("the gradient check"), as a row."""
        row = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setAccessibleName(f"Progress of {job}")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAccessibleName(f"Cancel {job}")
        self.cancel_button.clicked.connect(lambda _checked=False: cancel())
        row.addWidget(self.progress, 1)
        row.addWidget(self.cancel_button)
        return row

    def begin(self, text: str) -> None:
        """The job started: ``text`` in the message, the progress and Cancel shown."""
        self.message.setText(text)
        self.message.setStyleSheet("")
        self.progress.show()
        self.cancel_button.show()
        self.again_button.setEnabled(False)

    def set_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.progress.setFormat(self.PROGRESS_FORMAT.format(done=done, total=total))

    def stopped(self) -> None:
        """The job ended, whichever way: progress and Cancel hidden, Run Again enabled."""
        self.progress.hide()
        self.cancel_button.hide()
        self.again_button.setEnabled(True)

    def show_error(self, text: str) -> None:
        self.stopped()
        self.message.setText(text)
        self.message.setStyleSheet(f"color: {colors().error.name()};")

    def show_cancelled(self) -> None:
        self.stopped()
        self.message.setText("Cancelled.")
        self.message.setStyleSheet("")
