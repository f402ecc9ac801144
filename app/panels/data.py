"""The data panel: where the training data comes from, what it looks like, how it is split.

Three boxes, each its own part: the source (:class:`~app.panels.data_sources.SourceBox`:
a built-in generator, a bundled data set or an imported file read by ``nncore.data``), the
preview (:class:`~app.panels.data_preview.DataPreview`) and the preprocessing and split
settings. The panel keeps them in step with the document. Loader errors are shown as their
message, never as a traceback. The preview (and pyqtgraph, slow to import) is built only
when the panel is first shown.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGroupBox, QLabel, QScrollArea, QVBoxLayout, QWidget

from app.document.editor import GraphEditor
from app.panels.data_editing import DataEditing
from app.panels.data_preview import DataPreview
from app.panels.data_sources import SourceBox
from app.panels.forms import SchemaForm
from app.theme import colors, theme_notifier
from nncore.data import Dataset
from nncore.errors import DataError, NetCanvasError
from nncore.network import Network
from nncore.project import DATA_SCHEMA, DataSpec
from nncore.run import check_compatible


class DataPanel(QScrollArea):
    """The data dock's contents: source, preview, preprocessing and split."""

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
        self.sources = SourceBox(self.editing)
        self.preview = DataPreview()
        lay.addWidget(self.sources)
        lay.addWidget(self.preview, 1)
        lay.addWidget(self.split_box)

        self.doc.dataChanged.connect(self._on_data_changed)
        self.doc.projectReset.connect(self._on_data_changed)
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

    def _on_theme(self) -> None:
        self._dirty = True
        if self._active:
            self.refresh_preview()

    def _on_network_changed(self) -> None:
        if self._active and not self._dirty:
            self.update_fit()

    def set_active(self, active: bool) -> None:
        """Called when the panel comes on screen or leaves it (its dock's visibility)."""
        self._active = bool(active)
        if self._active and self._dirty:
            self.refresh_preview()

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
        """Load the data the settings name (cached) and show it, or why it cannot load."""
        self._dirty = False
        spec = self.doc.data
        try:
            self.dataset = self.editing.cache.get(spec, self.doc.base_dir)
            self.load_error = None
        except (DataError, NetCanvasError, OSError) as e:
            self.dataset = None
            self.load_error = str(e)
        except Exception as e:  # a loader bug must not take the window down
            self.dataset = None
            self.load_error = f"could not load the data: {type(e).__name__}: {e}"
        if self.dataset is None:
            self.preview.show_error(self.load_error or "")
            self.split_sizes.clear()
            return
        self.update_fit()
        self.preview.show_dataset(self.dataset, self.viewport().width())
        self.split_sizes.setText(split_text(self.dataset.n_samples, spec))

    def update_fit(self) -> None:
        """Say whether the data fits the network's Input, output and loss."""
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
