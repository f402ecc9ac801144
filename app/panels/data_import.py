"""The data panel's "Imported file" page: choosing a data file or image folder, and the
options a CSV file is read with (target column, task), taken from the CSV format's schema.

A file becomes the project's data only once it loads; a file that does not is reported in
a message box and changes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import dialogs
from app.data_source import relative_path
from app.panels.data_editing import DataEditing
from app.panels.forms import compact_combo
from nncore.data import data_format
from nncore.errors import DataError, NetCanvasError
from nncore.project import DataSpec

CSV_FORMAT = data_format("csv")
IDX_FORMAT = data_format("idx")


class ImportOptions(QWidget):
    """The CSV options the panel offers: the target column and the task."""

    #: The person changed an option.
    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        cl = QFormLayout(self)
        cl.setContentsMargins(0, 0, 0, 0)
        self.target = QLineEdit()
        self.target.setPlaceholderText("last column")
        self.target.setToolTip(CSV_FORMAT.option("target").help)
        self.target.editingFinished.connect(self.edited)
        self.task = compact_combo(QComboBox())
        self.task.addItem("Automatic", None)
        for task in CSV_FORMAT.option("task").choices or ():
            self.task.addItem(task.capitalize(), task)
        self.task.currentIndexChanged.connect(self.edited)
        cl.addRow("Target column", self.target)
        cl.addRow("Task", self.task)

    def show_params(self, params: dict[str, Any]) -> None:
        """Set the controls from a file's loader options (silently)."""
        blockers = [QSignalBlocker(w) for w in (self.target, self.task)]
        target = params.get("target")
        self.target.setText("" if target is None else str(target))
        self.task.setCurrentIndex(max(0, self.task.findData(params.get("task"))))
        del blockers

    def params(self, old: dict[str, Any]) -> dict[str, Any]:
        """The loader options ``old`` with the target and task the controls show."""
        params = dict(old)
        target = self.target.text().strip()
        if target:
            params["target"] = int(target) if target.isdigit() else target
        else:
            params.pop("target", None)
        task = self.task.currentData()
        if task:
            params["task"] = task
        else:
            params.pop("task", None)
        return params


class FileSection(QWidget):
    """The file in use, the two import buttons, and the CSV options for a CSV file."""

    def __init__(self, editing: DataEditing, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editing = editing
        fl = QVBoxLayout(self)
        fl.setContentsMargins(0, 0, 0, 0)
        self.file_label = QLabel("No file")
        self.file_label.setWordWrap(True)
        self.file_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QHBoxLayout()
        self.import_file = QPushButton("Import file…")
        self.import_file.setToolTip("CSV/TSV, NumPy .npz (X and y) or MNIST IDX files")
        self.import_file.clicked.connect(self.choose_file)
        self.import_folder = QPushButton("Image folder…")
        self.import_folder.setToolTip("A folder with one sub-folder of images per class")
        self.import_folder.clicked.connect(self.choose_folder)
        buttons.addWidget(self.import_file)
        buttons.addWidget(self.import_folder)
        self.options = ImportOptions()
        self.options.edited.connect(self._on_options)
        fl.addWidget(self.file_label)
        fl.addLayout(buttons)
        fl.addWidget(self.options)
        fl.addStretch(1)

    def show_spec(self, spec: DataSpec) -> None:
        if spec.source != "file":
            return
        self.file_label.setText(spec.path or "No file imported yet")
        self.options.setVisible(bool(spec.path)
                                and CSV_FORMAT.matches_name(Path(spec.path).name))
        self.options.show_params(spec.params)

    # -- importing -------------------------------------------------------------------------
    def choose_file(self) -> bool:
        """Ask for a data file (and, for IDX images, its labels file) and use it."""
        path = dialogs.get_open_path(
            self, "Import data", self._start_folder(),
            "Data files (*.csv *.tsv *.txt *.gz *.npz *.npy *-ubyte *.idx*);;All files (*)")
        if not path:
            return False
        params: dict[str, Any] = {}
        if IDX_FORMAT.matches_name(Path(path).name):
            if "label" in Path(path).name.lower():
                dialogs.show_error(self, "Import data", "This looks like an IDX labels file.",
                                   "Choose the images file first; you are asked for its "
                                   "labels next.")
                return False
            labels = dialogs.get_open_path(self, "Choose the labels file", str(Path(path).parent),
                                           "IDX files (*-ubyte *.idx* *.gz);;All files (*)")
            if not labels:
                return False
            params["labels_path"] = relative_path(Path(labels), self.editing.base_dir)
        return self.import_path(path, params)

    def choose_folder(self) -> bool:
        """Ask for an image folder and use it."""
        path = dialogs.get_folder(self, "Import an image folder", self._start_folder())
        if not path:
            return False
        return self.import_path(path)

    def import_path(self, path: str | Path, params: dict[str, Any] | None = None) -> bool:
        """Use a data file or folder (the Import buttons end here)."""
        return self._try_file(relative_path(Path(path), self.editing.base_dir), params or {})

    def _start_folder(self) -> str:
        base = self.editing.base_dir
        return str(base) if base is not None else str(Path.home())

    def _on_options(self) -> None:
        spec = self.editing.spec
        params = self.options.params(spec.params)
        if params != spec.params:
            self._try_file(spec.path or "", params)

    def _try_file(self, path: str, params: dict[str, Any]) -> bool:
        """Load the file first; only a file that loads becomes the project's data."""
        trial = DataSpec(**{**self.editing.spec.to_dict(), "source": "file", "name": "",
                            "path": path, "params": dict(params)})
        try:
            self.editing.cache.get(trial, self.editing.base_dir)
        except (DataError, NetCanvasError, OSError) as e:
            dialogs.show_error(self, "Cannot import the data", f"{Path(path).name}: could not "
                               "be used as data.", str(e))
            self.editing.reset_controls()
            return False
        self.editing.change(text=f"Import {Path(path).name}", source="file", name="",
                            path=path, params=params)
        return True
