"""The data panel: where the training data comes from, what it looks like, how it is split.

Three boxes, each its own part: the source (:class:`~app.panels.data_sources.SourceBox`:
a built-in generator, a bundled data set or an imported file read by ``nncore.data``), the
preview (:class:`~app.panels.data_preview.DataPreview`) and the preprocessing and split
settings. The panel keeps them in step with the document. Loader errors are shown as their
message, never as a traceback, with the option that would fix it on the file page. The
preview (and pyqtgraph, slow to import) is built only when the panel is first shown.

A big file loads on a thread (:mod:`app.panels.data_loading`): a progress bar in bytes with
Cancel shows in the panel and in the status bar (``status_progress``), the window stays
responsive, and :meth:`DataPanel.shutdown` (the window closing) stops the load at once.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGroupBox,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.data_source import load_bytes
from app.document.editor import GraphEditor
from app.panels import data_loading
from app.panels.data_editing import DataEditing
from app.panels.data_loading import LoadOutcome, LoadProgress, LoadRequest
from app.panels.data_preview import DataPreview
from app.panels.data_sources import SourceBox
from app.panels.forms import SchemaForm
from app.theme import colors, theme_notifier
from nncore.data import Dataset
from nncore.errors import NetCanvasError
from nncore.network import Network
from nncore.project import DATA_SCHEMA, DataSpec
from nncore.run import PreparedData, check_compatible


class DataPanel(QScrollArea):
    """The data dock's contents: source, preview, preprocessing and split."""

    #: A message for the window's status bar.
    status = Signal(str)
    #: A load or a preparation on the loading thread ended (prepared data may be ready).
    dataReady = Signal()

    def __init__(self, editor: GraphEditor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.doc = editor.document
        self.dataset: Dataset | None = None
        self.load_error: str | None = None
        self._dirty = True
        #: Whether the panel is on screen (its dock's tab is the current one); the preview
        #: is only computed then.
        self._active = False
        #: The network changed while the panel was hidden: check the fit when it shows.
        self._fit_stale = False
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(8, 8, 8, 8)
        lay.setSpacing(8)
        self.setWidget(body)

        self.split_box = self._build_split_box()
        self.editing = DataEditing(editor, self.split_form.show_error, self.refresh_controls)
        self.editing.loader.finished.connect(lambda _outcome: self.dataReady.emit())
        #: A run asked for while the data loads: (the settings, start it); see run_when_ready.
        self._waiting_run: tuple[DataSpec, Callable[[], None]] | None = None
        #: Settings whose data loaded but could not be prepared (a run says why).
        self._unprepared: DataSpec | None = None
        self.editing.loader.finished.connect(self._start_waiting_run)
        self.sources = SourceBox(self.editing)
        self.sources.file.status.connect(self.status)
        self.preview = DataPreview()
        loader = self.editing.loader
        self.progress = LoadProgress(loader)
        #: The same progress and Cancel, for the window's status bar.
        self.status_progress = LoadProgress(loader, compact=True)
        self.load_again = QPushButton("Load the data")
        self.load_again.setAccessibleName("Load the data again")
        self.load_again.setToolTip("Read the data file again (its loading was cancelled)")
        self.load_again.clicked.connect(self.refresh_preview)
        self.load_again.hide()
        lay.addWidget(self.sources)
        lay.addWidget(self.progress)
        lay.addWidget(self.load_again, 0, Qt.AlignmentFlag.AlignRight)
        lay.addWidget(self.preview, 1)
        lay.addWidget(self.split_box)

        self.doc.dataChanged.connect(self._on_data_changed)
        self.doc.projectReset.connect(self._on_project_reset)
        self.doc.pathChanged.connect(self._on_data_changed)
        theme_notifier().changed.connect(self._on_theme)
        self.doc.analysisChanged.connect(self._on_network_changed)
        self.doc.trainingChanged.connect(self._on_network_changed)
        self.refresh_controls()

    def _build_split_box(self) -> QGroupBox:
        box = QGroupBox("Preprocessing and split")
        spl = QVBoxLayout(box)
        spl.setContentsMargins(8, 6, 8, 8)
        schema = {p.name: p for p in DATA_SCHEMA}
        self.split_form = SchemaForm(
            [p for name, p in schema.items() if name not in ("source", "name", "path")],
            choice_labels={"normalization": {
                "standardize": ("Standardize", "Shift and scale every input feature to mean 0 "
                                "and standard deviation 1"),
                "minmax": ("Scale to 0–1", "Scale every input feature to the range 0 to 1"),
                "none": ("None", "Use the values as they are")}})
        self.split_form.edited.connect(self._on_split_edited)
        self.split_sizes = QLabel()
        self.split_sizes.setObjectName("hint")
        self.split_sizes.setWordWrap(True)
        spl.addWidget(self.split_form)
        spl.addWidget(self.split_sizes)
        return box

    # -- document -> widgets -----------------------------------------------------------------
    def _on_data_changed(self) -> None:
        self.refresh_controls()
        self._dirty = True
        if self._active:
            self.refresh_preview()

    def _on_project_reset(self) -> None:
        self.sources.file.clear_problem()
        self._on_data_changed()

    def _on_theme(self) -> None:
        self._dirty = True
        if self._active:
            self.refresh_preview()

    def _on_network_changed(self) -> None:
        if self._active and not self._dirty:
            self.update_fit()
        else:
            self._fit_stale = True

    def set_active(self, active: bool) -> None:
        """Called when the panel comes on screen or leaves it (its dock's visibility)."""
        self._active = bool(active)
        if self._active and self._dirty:
            self.refresh_preview()
        elif self._active and self._fit_stale:
            self.update_fit()

    def shutdown(self) -> None:
        """Stop any load at once and wait for its thread (the window closes)."""
        self.editing.loader.shutdown()

    def set_locked(self, locked: bool) -> None:
        """During a run the data settings are read-only (the preview stays)."""
        self.sources.setEnabled(not locked)
        self.split_box.setEnabled(not locked)
        tip = "The data cannot change while training runs" if locked else ""
        self.sources.setToolTip(tip)
        self.split_box.setToolTip(tip)

    def refresh_controls(self) -> None:
        """Set every control from the project's data settings."""
        spec = self.doc.data
        self.sources.show_spec(spec)
        self.split_form.set_values(spec.to_dict())

    def refresh_preview(self) -> None:
        """Load the data the settings name (cached; a big file on a thread) and show it, or
        why it cannot load."""
        self._dirty = False
        self.load_again.hide()
        spec = self.doc.data
        held = self.editing.cache.peek(spec, self.doc.base_dir) is not None
        if not held and self.editing.loading(spec):
            return  # its outcome shows when it ends
        request = LoadRequest(spec, self.doc.base_dir, "preview")
        if not held:
            self.preview.show_message(f"Loading {request.name}…")
        self.editing.load(request, self._on_loaded)

    def _on_loaded(self, outcome: LoadOutcome) -> None:
        spec = self.doc.data
        if outcome.request.spec != spec:
            return  # the settings changed meanwhile: their own load follows
        if outcome.cancelled:
            self.dataset, self.load_error = None, "loading was cancelled"
            self.preview.show_message(f"Loading {outcome.request.name} was cancelled: the "
                                      "preview and training need the data.")
            self.sources.file.show_detected(None)
            self.split_sizes.clear()
            self.load_again.show()
            return
        self.dataset = outcome.dataset
        self.load_error = outcome.error or None
        if self.dataset is None:
            self.preview.show_error(self.load_error or "")
            if spec.source == "file" and spec.path:
                self.sources.file.show_problem(spec.path, spec.params, self.load_error or "")
            self.sources.file.show_detected(None)
            self.split_sizes.clear()
            return
        if self.sources.file.pending is None:
            self.sources.file.clear_problem()
        self.sources.file.show_detected(self.dataset)
        self._fit_stale = False
        self.update_fit()
        self.preview.show_dataset(self.dataset, self.viewport().width())
        self.split_sizes.setText(split_text(self.dataset.n_samples, spec))
        self.editing.prepare(spec)  # a big file's split, off the GUI thread, for training

    def prepared_data(self, spec: DataSpec, base_dir: Path | None) -> PreparedData | None:
        """The data of ``spec`` split and normalized, if the panel prepared it (a big file,
        on its loading thread): training takes it instead of reading the file again."""
        return self.editing.cache.prepared(spec, base_dir)

    def run_when_ready(self, spec: DataSpec, base_dir: Path | None,
                       start: Callable[[], None]) -> bool:
        """Training asks for the data of ``spec``. A big file that is not prepared yet is
        loaded and prepared here (or its load running goes on), with its progress and
        Cancel shown, and ``start`` is called once it is prepared: True. False when there is
        nothing to wait for (small data, or data already prepared): the run starts now."""
        editing = self.editing
        if (load_bytes(spec, base_dir) < data_loading.INLINE_BYTES or spec == self._unprepared
                or editing.cache.prepared(spec, base_dir) is not None):
            return False
        self._waiting_run = (spec, start)
        if editing.cache.peek(spec, base_dir) is not None:
            editing.prepare(spec)  # nothing when it is being prepared already
        elif not editing.loading(spec):
            self.refresh_preview()
        name = Path(spec.path or "data").name
        self.status.emit(f"Training starts once {name} is loaded and prepared")
        return True

    def _start_waiting_run(self, outcome: LoadOutcome) -> None:
        """A load ended: start the run waiting for it, or tell why it does not start."""
        request = outcome.request
        if request.prepare and outcome.dataset is not None and outcome.prepared is None:
            self._unprepared = request.spec
        elif outcome.prepared is not None:
            self._unprepared = None
        if self._waiting_run is None:
            return
        spec, start = self._waiting_run
        base_dir = self.doc.base_dir
        if spec != self.doc.data:
            self._waiting_run = None
            self.status.emit("Training did not start: the data settings changed while the "
                             "data loaded")
        elif self.editing.cache.prepared(spec, base_dir) is not None:
            self._waiting_run = None
            start()
        elif self.editing.loading(spec) or request.spec != spec:
            return  # its preparation (or this data's own load) goes on
        elif self.editing.cache.peek(spec, base_dir) is not None:
            self._waiting_run = None
            start()  # loaded, but it could not be prepared: the run says why
        else:
            self._waiting_run = None
            why = "loading was cancelled" if outcome.cancelled else outcome.error
            self.status.emit(f"Training did not start: {why or 'the data did not load'}")

    def update_fit(self) -> None:
        """Say whether the data fits the network's Input, output and loss."""
        self._fit_stale = False
        fit, ds = self.preview.fit, self.dataset
        if ds is None:
            fit.hide()
            return
        fit.show()
        c = colors()
        if not self.doc.analysis.ok:
            fit.setText("The network has problems to fix before it can take this data.")
            fit.setStyleSheet(f"color: {c.subtext.name()};")
            return
        try:
            net = Network(self.doc.graph)
            check_compatible(net, ds, self.doc.training.loss)
        except NetCanvasError as e:
            fit.setText(f"⚠ Does not fit the network: {e}")
            fit.setStyleSheet(f"color: {c.error.name()};")
            return
        shapes = ", ".join("×".join(str(d) for d in net.shapes[i]) for i in net.input_ids)
        fit.setText(f"✓ Fits the network (input {shapes}, output "
                    f"{'×'.join(str(d) for d in net.output_shape)}, "
                    f"{self.doc.training.loss.replace('_', ' ')}).")
        fit.setStyleSheet(f"color: {c.accept.name()};")

    def import_path(self, path: str | Path, params: dict[str, Any] | None = None) -> bool:
        """Use a data file or folder, as the Import buttons do; False if it does not load."""
        return self.sources.file.import_path(path, params)

    # -- widgets -> editor ---------------------------------------------------------------------
    def _on_split_edited(self, name: str, value: Any) -> None:
        self.editing.change(**{name: value})


def split_text(n: int, spec: DataSpec) -> str:
    """How many of ``n`` samples go to training, validation and test."""
    n_val = max(1, round(n * spec.val_fraction)) if spec.val_fraction > 0 else 0
    n_test = max(1, round(n * spec.test_fraction)) if spec.test_fraction > 0 else 0
    n_train = n - n_val - n_test
    text = f"Training {n_train:,} · validation {n_val:,}"
    if n_test:
        text += f" · test {n_test:,}"
    return text + " samples (normalization is fitted on the training part)"
