"""The data panel's "Imported file" page: choosing a data file or image folder, every
option its format is read with (:class:`~app.panels.data_options.LoaderOptions`, from the
format's ``Param`` schema, before and after an import), what the loader detected, and a
failed load's message with the option that would fix it, pre-filled.

A file becomes the project's data only once it loads. A file that does not load stays
*pending* on this page: its message, its options (the suggested one filled in and marked)
and "Try again"; the project's data does not change. Changing an option of the file in use
reloads it (after a short pause, so typing is not a load per key) as one undoable edit.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app import dialogs
from app.data_source import relative_path, resolve_path
from app.panels.data_editing import DataEditing
from app.panels.data_fixes import detected_rows, suggested_fix
from app.panels.data_loading import LoadOutcome, LoadRequest
from app.panels.data_options import LoaderOptions, label_of
from app.theme import colors
from nncore.data import Dataset, data_format
from nncore.data.formats.data_format import DataFormat
from nncore.data.formats.registry import FORMATS
from nncore.project import DataSpec

CSV_FORMAT = data_format("csv")
IDX_FORMAT = data_format("idx")
#: Milliseconds between the last option edit and the reload.
RELOAD_DELAY_MS = 400


def file_filter() -> str:
    """The Import dialog's filter: every name the engine's formats read."""
    patterns: list[str] = []
    groups: list[str] = []
    for fmt in FORMATS:
        if fmt.folder:
            continue
        own = [f"*{s}" for s in fmt.suffixes] + [f"*{p}*" for p in fmt.name_parts]
        groups.append(f"{fmt.title} ({' '.join(own)})")
        patterns += [p for p in own if p not in patterns]
    return ";;".join([f"Data files ({' '.join(patterns)})", *groups, "All files (*)"])


def format_of(path: str, base_dir: Path | None) -> DataFormat:
    """The format that reads ``path`` (by its name; a folder is an image folder)."""
    p = resolve_path(path, base_dir)
    if p.is_dir():
        return data_format("image_folder")
    return next((f for f in FORMATS if not f.folder and f.matches_name(p.name)), CSV_FORMAT)


class DetectedBox(QGroupBox):
    """What the loader detected in the file in use (delimiter, header, missing values,
    columns and their kinds); settings given as options are marked "set"."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Detected", parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 6)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setAccessibleName("What the loader detected")
        lay.addWidget(self.text)
        self.setToolTip("How the file was read: change an option above when one is wrong")

    def show_dataset(self, ds: Dataset | None) -> None:
        rows = detected_rows(ds) if ds is not None else []
        self.setVisible(bool(rows))
        sub = colors().subtext.name()
        self.text.setText("<table cellspacing='0' cellpadding='1'>" + "".join(
            f"<tr><td style='color:{sub}'>{html.escape(k)}&nbsp;</td><td>{html.escape(v)}"
            f"{'' if found else f' <span style=color:{sub}>(set)</span>'}</td></tr>"
            for k, v, found in rows) + "</table>")


class FileSection(QWidget):
    """The file in use, the import buttons, its options, what was detected, and a failed
    load's message with its fix."""

    #: A message for the status bar.
    status = Signal(str)

    def __init__(self, editing: DataEditing, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editing = editing
        #: A file tried that did not load: (path, params); None when there is none.
        self.pending: tuple[str, dict[str, Any]] | None = None
        #: Options chosen before any file was imported (for the next import).
        self.next_params: dict[str, Any] = {}
        fl = QVBoxLayout(self)
        fl.setContentsMargins(0, 0, 0, 0)
        self.file_label = QLabel("No file")
        self.file_label.setWordWrap(True)
        self.file_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QHBoxLayout()
        self.import_file = QPushButton("Import file…")
        self.import_file.setAccessibleName("Import a data file")
        self.import_file.setToolTip("CSV and text tables, Excel .xlsx, NumPy .npz (X and y) "
                                    "or MNIST IDX files (the images file, then its labels)")
        self.import_file.clicked.connect(self.choose_file)
        self.import_folder = QPushButton("Image folder…")
        self.import_folder.setAccessibleName("Import an image folder")
        self.import_folder.setToolTip("A folder with one sub-folder of images per class")
        self.import_folder.clicked.connect(self.choose_folder)
        buttons.addWidget(self.import_file)
        buttons.addWidget(self.import_folder)
        fl.addWidget(self.file_label)
        fl.addLayout(buttons)
        fl.addWidget(self._build_problem())
        self.options_toggle = QToolButton()
        self.options_toggle.setCheckable(True)
        self.options_toggle.setChecked(True)
        self.options_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.options_toggle.setArrowType(Qt.ArrowType.DownArrow)
        self.options_toggle.setAutoRaise(True)
        self.options_toggle.setAccessibleName("Show the loading options")
        self.options_toggle.setToolTip("Show or hide every option the file is read with")
        self.options_toggle.toggled.connect(self._on_toggle)
        fl.addWidget(self.options_toggle)
        self.options_box = QGroupBox()
        ol = QVBoxLayout(self.options_box)
        ol.setContentsMargins(8, 4, 8, 6)
        self.options = LoaderOptions()
        self.options.edited.connect(self._on_option_edited)
        ol.addWidget(self.options)
        fl.addWidget(self.options_box)
        self.detected = DetectedBox()
        self.detected.hide()
        fl.addWidget(self.detected)
        self._reload = QTimer(self)
        self._reload.setSingleShot(True)
        self._reload.setInterval(RELOAD_DELAY_MS)
        self._reload.timeout.connect(self.apply_options)
        self._show_options(CSV_FORMAT, {})

    def _build_problem(self) -> QWidget:
        self.problem = QWidget()
        pl = QVBoxLayout(self.problem)
        pl.setContentsMargins(0, 0, 0, 0)
        self.error = QLabel()
        self.error.setObjectName("importError")
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.fix = QLabel()
        self.fix.setObjectName("importFix")
        self.fix.setWordWrap(True)
        self.retry = QPushButton("Try again")
        self.retry.setAccessibleName("Load the file again with these options")
        self.retry.setToolTip("Load the file with the options below")
        self.retry.clicked.connect(self.apply_options)
        pl.addWidget(self.error)
        pl.addWidget(self.fix)
        pl.addWidget(self.retry, 0, Qt.AlignmentFlag.AlignRight)
        self.problem.hide()
        return self.problem

    # -- showing ---------------------------------------------------------------------------
    def show_spec(self, spec: DataSpec) -> None:
        """Show the file of ``spec`` and its options (a pending file stays shown)."""
        if self.pending is not None:
            return
        if spec.source != "file" or not spec.path:
            self.file_label.setText("No file imported yet: the options below apply to the "
                                    "next CSV file imported")
            self._show_options(CSV_FORMAT, self.next_params)
            self.detected.hide()
            return
        self.file_label.setText(spec.path)
        self._show_options(format_of(spec.path, self.editing.base_dir), spec.params)

    def _show_options(self, fmt: DataFormat, params: dict[str, Any]) -> None:
        self.options.set_format(fmt)
        self.options.show_params(params)
        self.options_toggle.setText(f"Options ({fmt.title})")

    def _on_toggle(self, shown: bool) -> None:
        self.options_box.setVisible(shown)
        self.options_toggle.setArrowType(Qt.ArrowType.DownArrow if shown
                                         else Qt.ArrowType.RightArrow)

    def expand_options(self, shown: bool) -> None:
        """Show the options (before an import, after a failure) or fold them away."""
        self.options_toggle.setChecked(shown)

    def show_detected(self, ds: Dataset | None) -> None:
        """What the loader detected in ``ds`` (the file in use), or nothing."""
        self.detected.show_dataset(ds if self.pending is None else None)

    def show_problem(self, path: str, params: dict[str, Any], message: str) -> None:
        """A load of ``path`` with ``params`` failed with ``message``: say so, mark the
        option that would fix it with its value filled in, and keep the file pending."""
        spec = self.editing.spec
        in_use = spec.source == "file" and spec.path == path and spec.params == params
        self.pending = None if in_use else (path, dict(params))
        self.file_label.setText(path if in_use else f"{path} (not loaded)")
        self._show_options(format_of(path, self.editing.base_dir), params)
        self.detected.hide()
        self.error.setText(f"⚠ {message}")
        self.error.setStyleSheet(f"color: {colors().error.name()};")
        fix = suggested_fix(message, params)
        self.options.highlight(fix.option if fix else "")
        if fix is None:
            self.fix.setText("Change the options below and try again.")
        else:
            self.options.set_value(fix.option, fix.value)
            filled = " (filled in below)" if fix.value is not None else ""
            self.fix.setText(f"To {fix.text}: set <b>{label_of(fix.option)}</b>{filled}, "
                             "then Try again.")
        self.problem.show()
        self.expand_options(True)

    def clear_problem(self) -> None:
        self.pending = None
        self.problem.hide()
        self.options.highlight("")

    # -- importing -------------------------------------------------------------------------
    def choose_file(self) -> bool:
        """Ask for a data file (and, for IDX images, its labels file) and load it."""
        path = dialogs.get_open_path(self, "Import data", self._start_folder(), file_filter())
        if not path:
            return False
        fmt = format_of(path, None)
        names = {p.name for p in fmt.options}
        params = {k: v for k, v in self.next_params.items() if k in names}
        if fmt is IDX_FORMAT:
            if "label" in Path(path).name.lower():
                dialogs.show_error(self, "Import data", "This looks like an IDX labels file.",
                                   "Choose the images file first; you are asked for its "
                                   "labels next.")
                return False
            labels = dialogs.get_open_path(
                self, f"Now choose the labels file for {Path(path).name} (IDX images need "
                "their labels)", str(Path(path).parent),
                "IDX files (*-ubyte *.idx* *.gz);;All files (*)")
            if not labels:
                self.status.emit("An IDX images file needs its labels file: import cancelled")
                return False
            params["labels_path"] = relative_path(Path(labels), self.editing.base_dir)
        return self.import_path(path, params)

    def choose_folder(self) -> bool:
        """Ask for an image folder and load it."""
        path = dialogs.get_folder(self, "Import an image folder", self._start_folder())
        if not path:
            return False
        return self.import_path(path)

    def import_path(self, path: str | Path, params: dict[str, Any] | None = None) -> bool:
        """Load a data file or folder (the Import buttons end here). True when it loaded
        (or, for a big file, when its load started); False when it failed."""
        rel = relative_path(Path(path), self.editing.base_dir)
        return self._try_file(rel, params or {}, f"Import {Path(path).name}")

    def _start_folder(self) -> str:
        base = self.editing.base_dir
        return str(base) if base is not None else str(Path.home())

    def _on_option_edited(self, _name: str) -> None:
        self._reload.start()

    def apply_options(self) -> None:
        """Load the file shown with the options the form shows (an edit once it loads)."""
        self._reload.stop()
        spec = self.editing.spec
        if self.pending is not None:
            path, old = self.pending
        elif spec.source == "file" and spec.path:
            path, old = spec.path, spec.params
        else:
            self.next_params = self.options.params(self.next_params)
            return
        try:
            params = self.options.params(old)
        except ValueError as e:
            self.error.setText(f"⚠ {e}")
            self.fix.setText("")
            self.problem.show()
            return
        if self.pending is None and params == spec.params:
            return
        name = Path(path).name
        self._try_file(path, params, f"Import {name}" if self.pending is not None
                       else f"Change how {name} is read")

    def _try_file(self, path: str, params: dict[str, Any], text: str) -> bool:
        """Load the file first; only a file that loads becomes the project's data."""
        trial = DataSpec(**{**self.editing.spec.to_dict(), "source": "file", "name": "",
                            "path": path, "params": dict(params)})
        result: list[bool] = []

        def done(outcome: LoadOutcome) -> None:
            result.append(self._on_loaded(outcome))

        self.editing.load(LoadRequest(trial, self.editing.base_dir, "import", text), done)
        return result[0] if result else True

    def _on_loaded(self, outcome: LoadOutcome) -> bool:
        spec = outcome.request.spec
        if outcome.cancelled:
            self.status.emit(f"Loading {outcome.request.name} was cancelled; the data did "
                             "not change")
            self.editing.reset_controls()
            return False
        if outcome.dataset is None:
            self.show_problem(spec.path or "", spec.params, outcome.error)
            self.editing.reset_controls()
            return False
        self.clear_problem()
        if outcome.request.text.startswith("Import"):
            self.expand_options(False)  # it loaded: the preview matters now
        self.editing.change(text=outcome.request.text, source="file", name="",
                            path=spec.path, params=spec.params)
        return True
