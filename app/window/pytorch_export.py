"""File ▸ Export ▸ PyTorch Project…: the window's project as the folder ``netcanvas export
PROJECT.json --pytorch DIR`` writes (``model.py``, ``train.py``, ``data.npz``,
``README.md``, and ``init_weights.npz`` with the window's trained weights), through the same
engine call (:mod:`nncore.export.pytorch_project`).

The options dialog asks for the folder and whether to include the trained weights (on by
default when the window has weights for this network). A folder holding other files is
refused; one holding an earlier export's files is replaced only when the person confirms.
The data is prepared and the files are written off the GUI thread (:class:`FileJob`, with
Cancel before anything is written); then a report says what was written and shows the
folder's README (how to run it), with Open Folder.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import dialogs
from app.window.context import WindowContext
from app.window.file_job import FileJob
from app.window.report_dialog import ReportDialog
from nncore.errors import NetCanvasError
from nncore.export.pytorch_project import (
    FILES,
    INIT_WEIGHTS,
    pytorch_project_files,
    write_project_files,
)
from nncore.weights import WeightsFile

if TYPE_CHECKING:  # a type only: app.training imports app.window
    from app.training.controller import RunController

#: Every file the export may write (an earlier export's files may be replaced).
OWN_FILES = (*FILES, INIT_WEIGHTS)


def folder_problem(folder: Path) -> str | None:
    """Why the export cannot go into ``folder`` (None: it can, perhaps replacing an
    earlier export's files)."""
    if not str(folder).strip():
        return "Choose a folder."
    if folder.exists() and not folder.is_dir():
        return f"{folder} is a file; choose a folder."
    if not folder.parent.is_dir():
        return f"The folder {folder.parent} does not exist."
    if folder.is_dir():
        own = set(existing_own_files(folder))
        others = sorted(p.name for p in folder.iterdir() if p.name not in own
                        and not p.name.startswith(".") and p.name != "__pycache__")
        if others and not own:
            return (f"{folder.name} already holds other files ({', '.join(others[:4])}"
                    f"{', …' if len(others) > 4 else ''}); choose an empty or a new folder.")
    return None


def existing_own_files(folder: Path) -> list[str]:
    """The export's files already in ``folder`` (an earlier export)."""
    return [name for name in OWN_FILES if (folder / name).exists()]


class PyTorchExportDialog(QDialog):
    """The export's options: the folder and whether to include the trained weights."""

    def __init__(self, parent: QWidget, folder: Path, has_weights: bool) -> None:
        super().__init__(parent)
        self.setObjectName("pytorchExportDialog")
        self.setWindowTitle("Export PyTorch Project")
        self.setAccessibleName("Export PyTorch Project")
        layout = QVBoxLayout(self)
        intro = QLabel("A folder with the network as a PyTorch module and a training script "
                       "that trains it as NetCanvas does, on a CPU, a GPU or several "
                       "processes (torchrun).")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.folder_edit = QLineEdit(str(folder))
        self.folder_edit.setAccessibleName("Export folder")
        self.folder_edit.setToolTip("The folder the project is written into (created if it "
                                    "does not exist)")
        self.browse = QPushButton("Browse…")
        self.browse.setAccessibleName("Choose the export folder")
        self.browse.setToolTip("Choose the folder")
        self.browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.folder_edit, 1)
        row.addWidget(self.browse)
        form.addRow("Folder:", row)
        self.weights_box = QCheckBox("Include the trained weights (init_weights.npz)")
        self.weights_box.setAccessibleName("Include the trained weights")
        self.weights_box.setEnabled(has_weights)
        self.weights_box.setChecked(has_weights)
        self.weights_box.setToolTip(
            "train.py then starts from the window's current weights" if has_weights else
            "The network has no trained weights: train.py starts from the initial weights "
            "NetCanvas draws for the seed")
        form.addRow("", self.weights_box)
        if not has_weights:
            note = QLabel("No trained weights yet: train.py will start from the initial "
                          "weights NetCanvas draws for the seed.")
            note.setObjectName("noWeightsNote")
            note.setWordWrap(True)
            form.addRow("", note)
        layout.addLayout(form)
        data = QLabel("Also written: model.py, train.py, README.md and data.npz (the "
                      "project's data, split and normalized as for training).")
        data.setWordWrap(True)
        layout.addWidget(data)
        self.problem = QLabel()
        self.problem.setObjectName("exportProblem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #c0392b;")
        self.problem.hide()
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setAccessibleName("Export")
        self.export_button.setToolTip("Write the PyTorch project into the folder")
        self.export_button.setDefault(True)
        cancel = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName("Cancel")
        cancel.setToolTip("Close without exporting")
        buttons.accepted.connect(self._check_and_accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(560, self.sizeHint().height())

    @property
    def folder(self) -> Path:
        return Path(self.folder_edit.text().strip()).expanduser()

    def _browse(self) -> None:
        start = self.folder if self.folder.is_dir() else self.folder.parent
        chosen = dialogs.get_folder(self, "Export PyTorch project into", str(start))
        if chosen:
            self.folder_edit.setText(chosen)

    def show_problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setVisible(bool(text))

    def _check_and_accept(self) -> None:
        """Accept only a folder the export can write, after the replacing question."""
        folder = self.folder
        problem = folder_problem(folder) if self.folder_edit.text().strip() else \
            "Choose a folder."
        if problem:
            self.show_problem(problem)
            return
        own = existing_own_files(folder) if folder.is_dir() else []
        if own and not dialogs.ask_yes_no(
                self, "Replace the earlier export?",
                f"{folder.name} holds an earlier export: {', '.join(own)}.",
                "Replace those files? The folder's other files are left as they are."):
            self.show_problem("Not replaced: choose another folder, or Export again to "
                              "replace.")
            return
        self.accept()


class PyTorchExport(QObject):
    """File ▸ Export ▸ PyTorch Project… (see the module docstring)."""

    def __init__(self, context: WindowContext, training: RunController,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self.training = training
        self.act_export = context.parts.action(
            "actionExportPyTorch", "&PyTorch Project…", self.export_dialog, [], None,
            "Write the project as a PyTorch training project: a folder to train it on a "
            "GPU or several processes")
        self.job = FileJob(context.dialog_parent, self)
        self.job.finished.connect(self._written)
        self.job.failed.connect(self._failed)
        self.job.cancelled.connect(self._cancelled)
        self.dialog: PyTorchExportDialog | None = None
        self.report: ReportDialog | None = None
        self._folder = Path()
        training.stateChanged.connect(self.update_action)
        self.update_action()

    def update_action(self) -> None:
        self.act_export.setEnabled(not self.training.active and not self.job.busy)

    def has_weights(self) -> bool:
        """The window has trained (or imported) weights for the current network."""
        return not self.training.active and self.training.continue_from() is not None

    def export_dialog(self) -> None:
        """Open the options dialog; Export there starts the export."""
        if self.training.active or self.job.busy:
            return
        doc = self._context.document
        stem = (doc.path.stem if doc.path else (doc.project.name or "network")).replace(" ", "_")
        base = doc.path.parent if doc.path else Path.home()
        self.dialog = PyTorchExportDialog(self._context.dialog_parent,
                                          base / f"{stem}_pytorch", self.has_weights())
        self.dialog.accepted.connect(self._start)
        self.dialog.open()

    def _start(self) -> None:
        dialog = self.dialog
        if dialog is None:
            return
        self.dialog = None
        folder = dialog.folder
        weights = None
        if dialog.weights_box.isChecked() and self.has_weights():
            weights = WeightsFile(self.training.current_network().get_weights(),
                                  source="the window's weights")
        doc = self._context.document
        project, base_dir = doc.snapshot(), doc.base_dir

        def work(cancel: threading.Event) -> list[Path] | None:
            files = pytorch_project_files(project, base_dir=base_dir, weights=weights)
            if cancel.is_set():
                return None
            return write_project_files(folder, files)

        self._folder = folder
        self.job.start(f"Preparing the data and writing the PyTorch project into "
                       f"{folder.name}…", work)
        self.update_action()

    def _cancelled(self) -> None:
        self.update_action()
        self._context.status("Export cancelled: nothing was written", 8000)

    def _written(self, paths: list[Path]) -> None:
        self.update_action()
        folder = self._folder
        names = ", ".join(p.name for p in paths)
        self._context.status(f"PyTorch project written to {folder}", 10000)
        readme = (folder / "README.md").read_text(encoding="utf-8")
        self.report = ReportDialog(
            self._context.dialog_parent, "pytorchExportReport", "PyTorch project written",
            f"Wrote {names} to {folder}. To train: cd into the folder and run "
            "python train.py --out-weights trained.npz (the README below says more).",
            readme, [("Open Folder", lambda: open_folder(folder),
                      "Show the folder in the file manager")])
        self.report.show()

    def _failed(self, error: BaseException) -> None:
        self.update_action()
        detail = (getattr(error, "strerror", None) or str(error)) if isinstance(
            error, (NetCanvasError, OSError, ValueError)) else f"{type(error).__name__}: {error}"
        dialogs.show_error(self._context.dialog_parent, "Cannot export the PyTorch project",
                           f"Nothing was written to {self._folder}.", detail)

    def shutdown(self) -> None:
        """The window closes: stop the export (before it writes) and wait for it."""
        self.job.shutdown()


def open_folder(folder: Path) -> bool:
    """Show ``folder`` in the desktop's file manager."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
