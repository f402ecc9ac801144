"""The data panel: where the training data comes from, what it looks like, how it is split.

Sources: a built-in generator (with its parameters and "Regenerate"), a bundled data set,
or an imported file (CSV, NumPy .npz, MNIST IDX, image folder) read by ``nncore.data``.
The preview is a scatter plot for 2-D points (coloured by class or target), an image grid
for images, a line plot for sequences and a table otherwise, with the sample count and the
class balance. Loader errors are shown as their message, never as a traceback. The preview
(and pyqtgraph, slow to import) is built only when the panel is first shown.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QRectF, QSignalBlocker, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import dialogs
from app.data_source import DatasetCache, relative_path
from app.document.editor import GraphEditor
from app.panels.forms import SchemaForm, compact_combo
from app.theme import colors, theme_notifier
from nncore.data import BUNDLED, GENERATORS, Dataset
from nncore.errors import DataError, NetCanvasError
from nncore.network import Network
from nncore.params import Param
from nncore.project import DATA_SCHEMA, DataSpec
from nncore.run import check_compatible

SOURCES = (("synthetic", "Generated (synthetic)"), ("bundled", "Bundled data set"),
           ("file", "Imported file"))
#: Class colours: Playground's orange and blue first, then a qualitative palette.
CLASS_COLORS = ("#f59322", "#0877bd", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
MAX_TABLE_ROWS = 200
MAX_SCATTER = 5000
GRID_IMAGES = 40


def generator_schema(name: str) -> tuple[Param, ...]:
    """A generator's parameters (already Param schemas)."""
    return tuple(GENERATORS[name].params)


class DataPanel(QScrollArea):
    def __init__(self, editor: GraphEditor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.doc = editor.document
        self.cache = DatasetCache()
        self.dataset: Dataset | None = None
        self.load_error: str | None = None
        self._dirty = True
        #: Whether the panel is on screen (its dock's tab is the current one); the preview
        #: is only computed then.
        self._active = False
        self._gen_name = ""
        self._plot = None  # pyqtgraph PlotWidget, created on first use
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(8, 8, 8, 8)
        lay.setSpacing(8)
        self.setWidget(body)

        # -- source ---------------------------------------------------------------------------
        src_box = QGroupBox("Source")
        sl = QVBoxLayout(src_box)
        sl.setContentsMargins(8, 6, 8, 8)
        self.source = compact_combo(QComboBox())
        for key, text in SOURCES:
            self.source.addItem(text, key)
        self.source.currentIndexChanged.connect(self._on_source_changed)
        sl.addWidget(self.source)
        self.pages = _Pages()
        sl.addWidget(self.pages)

        gen_page = QWidget()
        gl = QVBoxLayout(gen_page)
        gl.setContentsMargins(0, 0, 0, 0)
        self.generator = compact_combo(QComboBox())
        for name, gen in GENERATORS.items():
            self.generator.addItem(name.replace("_", " ").capitalize(), name)
            self.generator.setItemData(self.generator.count() - 1, gen.description,
                                       Qt.ItemDataRole.ToolTipRole)
        self.generator.currentIndexChanged.connect(self._on_generator_changed)
        self.gen_description = QLabel()
        self.gen_description.setWordWrap(True)
        self.gen_description.setObjectName("hint")
        self.gen_form = SchemaForm()
        self.gen_form.edited.connect(self._on_gen_param)
        self.regenerate = QPushButton("Regenerate")
        self.regenerate.setToolTip("Draw new data with a new random seed")
        self.regenerate.clicked.connect(self.regenerate_data)
        gl.addWidget(self.generator)
        gl.addWidget(self.gen_description)
        gl.addWidget(self.gen_form)
        gl.addWidget(self.regenerate, 0, Qt.AlignmentFlag.AlignRight)
        gl.addStretch(1)
        self.pages.addWidget(gen_page)

        bundled_page = QWidget()
        bl = QVBoxLayout(bundled_page)
        bl.setContentsMargins(0, 0, 0, 0)
        self.bundled = compact_combo(QComboBox())
        for name, info in BUNDLED.items():
            self.bundled.addItem(info.title, name)
        self.bundled.currentIndexChanged.connect(self._on_bundled_changed)
        self.bundled_description = QLabel()
        self.bundled_description.setWordWrap(True)
        self.bundled_description.setObjectName("hint")
        self.as_images = compact_combo(QComboBox())
        self.as_images.addItem("As a table of features", False)
        self.as_images.addItem("As images", True)
        self.as_images.currentIndexChanged.connect(self._on_as_images)
        bl.addWidget(self.bundled)
        bl.addWidget(self.bundled_description)
        bl.addWidget(self.as_images)
        bl.addStretch(1)
        self.pages.addWidget(bundled_page)

        file_page = QWidget()
        fl = QVBoxLayout(file_page)
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
        self.csv_options = QWidget()
        cl = QFormLayout(self.csv_options)
        cl.setContentsMargins(0, 0, 0, 0)
        self.target = QLineEdit()
        self.target.setPlaceholderText("last column")
        self.target.setToolTip("Name or number (0-based) of the target column")
        self.target.editingFinished.connect(self._on_csv_option)
        self.task = compact_combo(QComboBox())
        for text, value in (("Automatic", None), ("Classification", "classification"),
                            ("Regression", "regression")):
            self.task.addItem(text, value)
        self.task.currentIndexChanged.connect(self._on_csv_option)
        cl.addRow("Target column", self.target)
        cl.addRow("Task", self.task)
        fl.addWidget(self.file_label)
        fl.addLayout(buttons)
        fl.addWidget(self.csv_options)
        fl.addStretch(1)
        self.pages.addWidget(file_page)
        lay.addWidget(src_box)
        self.source_box = src_box

        # -- preview --------------------------------------------------------------------------
        prev_box = QGroupBox("Preview")
        pl = QVBoxLayout(prev_box)
        pl.setContentsMargins(8, 6, 8, 8)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.balance = QLabel()
        self.balance.setWordWrap(True)
        self.fit = QLabel()
        self.fit.setWordWrap(True)
        self.fit.setObjectName("dataFit")
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setObjectName("dataError")
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        self.preview = QStackedWidget()
        self.preview.setMinimumHeight(220)
        self.preview.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.empty_preview = QLabel("No preview")
        self.empty_preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.addWidget(self.empty_preview)
        self.image_grid = QLabel()
        self.image_grid.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.image_grid.setMinimumSize(1, 1)
        self.image_grid.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.preview.addWidget(self.image_grid)
        self.table = QTableWidget()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.preview.addWidget(self.table)
        self.preview_kind = "none"
        pl.addWidget(self.summary)
        pl.addWidget(self.balance)
        pl.addWidget(self.fit)
        pl.addWidget(self.error)
        pl.addWidget(self.preview, 1)
        lay.addWidget(prev_box, 1)

        # -- preprocessing and split ----------------------------------------------------------
        split_box = QGroupBox("Preprocessing and split")
        spl = QVBoxLayout(split_box)
        spl.setContentsMargins(8, 6, 8, 8)
        schema = {p.name: p for p in DATA_SCHEMA}
        self.split_form = SchemaForm(
            [p for name, p in schema.items() if name not in ("source", "name", "path")],
            choice_labels={"normalization": {
                "standardize": ("Standardize (mean 0, std 1)", ""),
                "minmax": ("Min-max (0 to 1)", ""), "none": ("None", "")}})
        self.split_form.edited.connect(self._on_split_edited)
        self.split_sizes = QLabel()
        self.split_sizes.setObjectName("hint")
        self.split_sizes.setWordWrap(True)
        spl.addWidget(self.split_form)
        spl.addWidget(self.split_sizes)
        lay.addWidget(split_box)
        self.split_box = split_box

        self.doc.dataChanged.connect(self._on_data_changed)
        self.doc.projectReset.connect(self._on_data_changed)
        self.doc.pathChanged.connect(self._on_data_changed)
        theme_notifier().changed.connect(self._on_theme)
        self.doc.analysisChanged.connect(self._on_network_changed)
        self.doc.trainingChanged.connect(self._on_network_changed)
        self.refresh_controls()

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

    def update_fit(self) -> None:
        """Say whether the data fits the network's Input, output and loss."""
        ds = self.dataset
        if ds is None:
            self.fit.hide()
            return
        self.fit.show()
        c = colors()
        if not self.doc.analysis.ok:
            self.fit.setText("The network has problems to fix before it can take this data.")
            self.fit.setStyleSheet(f"color: {c.subtext.name()};")
            return
        try:
            net = Network(self.doc.graph)
            check_compatible(net, ds, self.doc.training.loss)
        except NetCanvasError as e:
            self.fit.setText(f"⚠ Does not fit the network: {e}")
            self.fit.setStyleSheet(f"color: {c.error.name()};")
            return
        shapes = ", ".join("×".join(str(d) for d in net.shapes[i]) for i in net.input_ids)
        self.fit.setText(f"✓ Fits the network (input {shapes}, output "
                         f"{'×'.join(str(d) for d in net.output_shape)}, "
                         f"{self.doc.training.loss.replace('_', ' ')}).")
        self.fit.setStyleSheet(f"color: {c.accept.name()};")

    def set_active(self, active: bool) -> None:
        """Called when the panel comes on screen or leaves it (its dock's visibility)."""
        self._active = bool(active)
        if self._active and self._dirty:
            self.refresh_preview()

    def set_locked(self, locked: bool) -> None:
        """During a run the data settings are read-only (the preview stays)."""
        self.source_box.setEnabled(not locked)
        self.split_box.setEnabled(not locked)
        tip = "The data cannot change while training runs" if locked else ""
        self.source_box.setToolTip(tip)
        self.split_box.setToolTip(tip)

    def base_dir(self) -> Path | None:
        return self.doc.base_dir

    def refresh_controls(self) -> None:
        spec = self.doc.data
        blockers = [QSignalBlocker(w) for w in (self.source, self.generator, self.bundled,
                                                self.as_images, self.target, self.task)]
        self.source.setCurrentIndex(max(0, self.source.findData(spec.source)))
        self._show_page(self.source.currentIndex())
        if spec.source == "synthetic" and spec.name in GENERATORS:
            self.generator.setCurrentIndex(self.generator.findData(spec.name))
            if self._gen_name != spec.name:
                self.gen_form.set_schema(generator_schema(spec.name))
                self._gen_name = spec.name
            self.gen_form.set_values({**GENERATORS[spec.name].defaults(), **spec.params})
            self.gen_description.setText(GENERATORS[spec.name].description)
        if spec.source == "bundled" and spec.name in BUNDLED:
            self.bundled.setCurrentIndex(self.bundled.findData(spec.name))
            self.bundled_description.setText(BUNDLED[spec.name].description)
            self.as_images.setVisible(spec.name == "digits")
            self.as_images.setCurrentIndex(1 if spec.params.get("as_images") else 0)
        if spec.source == "file":
            self.file_label.setText(spec.path or "No file imported yet")
            is_csv = bool(spec.path) and Path(spec.path).name.lower().endswith(
                (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz"))
            self.csv_options.setVisible(is_csv)
            target = spec.params.get("target")
            self.target.setText("" if target is None else str(target))
            self.task.setCurrentIndex(max(0, self.task.findData(spec.params.get("task"))))
        del blockers
        self.split_form.set_values(spec.to_dict())

    def _show_page(self, index: int) -> None:
        self.pages.setCurrentIndex(index)

    def refresh_preview(self) -> None:
        self._dirty = False
        spec = self.doc.data
        try:
            self.dataset = self.cache.get(spec, self.base_dir())
            self.load_error = None
        except (DataError, NetCanvasError, OSError) as e:
            self.dataset = None
            self.load_error = str(e)
        except Exception as e:  # a loader bug must not take the window down
            self.dataset = None
            self.load_error = f"could not load the data: {type(e).__name__}: {e}"
        if self.dataset is None:
            self.error.setText(f"⚠ {self.load_error}")
            self.error.setStyleSheet(f"color: {colors().error.name()};")
            self.error.show()
            self.summary.clear()
            self.balance.clear()
            self.split_sizes.clear()
            self.fit.hide()
            self._show_preview("none")
            return
        self.error.hide()
        ds = self.dataset
        self.update_fit()
        self.summary.setText(self._summary_text(ds))
        self.balance.setText(self._balance_html(ds))
        self.balance.setVisible(ds.task == "classification")
        self.split_sizes.setText(self._split_text(ds.n_samples, spec))
        if ds.inputs is not None and len(ds.inputs) > 1:
            self._show_table(ds)
        elif ds.X.ndim == 4:
            self._show_images(ds)
        elif ds.X.ndim == 2 and ds.X.shape[1] == 2:
            self._show_scatter(ds)
        elif ds.X.ndim == 3:
            self._show_sequences(ds)
        else:
            self._show_table(ds)

    # -- texts ---------------------------------------------------------------------------------
    @staticmethod
    def _summary_text(ds: Dataset) -> str:
        shape = "×".join(str(d) for d in ds.input_shape) or "scalar"
        if ds.inputs is not None and len(ds.inputs) > 1:
            shape = ", ".join(f"{k} {'×'.join(str(d) for d in s) or 'id'}"
                              for k, s in ds.input_shapes.items())
        what = (f"{ds.n_classes} classes" if ds.task == "classification"
                else f"regression, {ds.y.shape[1]} target{'s' if ds.y.shape[1] > 1 else ''}")
        return f"<b>{ds.n_samples:,}</b> samples · input {shape} · {what}"

    @staticmethod
    def _balance_html(ds: Dataset) -> str:
        if ds.task != "classification":
            return ""
        counts = ds.class_counts()
        total = max(int(counts.sum()), 1)
        names = ds.class_names or [str(i) for i in range(len(counts))]
        parts = []
        for i, n in enumerate(counts):
            color = CLASS_COLORS[i % len(CLASS_COLORS)]
            parts.append(f"<span style='color:{color}'>■</span>&nbsp;{_esc(names[i])}:"
                         f"&nbsp;{int(n)}&nbsp;({100 * int(n) / total:.0f}%)")
        return "Class balance: " + ", ".join(parts)

    @staticmethod
    def _split_text(n: int, spec: DataSpec) -> str:
        n_val = max(1, round(n * spec.val_fraction)) if spec.val_fraction > 0 else 0
        n_test = max(1, round(n * spec.test_fraction)) if spec.test_fraction > 0 else 0
        n_train = n - n_val - n_test
        text = f"Training {n_train:,} · validation {n_val:,}"
        if n_test:
            text += f" · test {n_test:,}"
        return text + " samples (normalization is fitted on the training part)"

    # -- previews ------------------------------------------------------------------------------
    def _show_preview(self, kind: str, widget: QWidget | None = None) -> None:
        self.preview_kind = kind
        self.preview.setCurrentWidget(widget if widget is not None else self.empty_preview)

    def _ensure_plot(self):
        if self._plot is None:
            import pyqtgraph as pg

            pg.setConfigOptions(antialias=True)
            self._plot = pg.PlotWidget()
            self._plot.setMinimumHeight(220)
            self._plot.setMenuEnabled(False)
            self._plot.hideButtons()
            self._plot.getPlotItem().setMouseEnabled(x=True, y=True)
            self.preview.addWidget(self._plot)
        c = colors()
        self._plot.setBackground(c.node_fill)
        for axis in ("left", "bottom"):
            ax = self._plot.getPlotItem().getAxis(axis)
            ax.setPen(c.subtext)
            ax.setTextPen(c.subtext)
        self._plot.getPlotItem().clear()
        return self._plot

    def _show_scatter(self, ds: Dataset) -> None:
        import pyqtgraph as pg

        plot = self._ensure_plot()
        X = ds.X[:MAX_SCATTER]
        if ds.task == "classification":
            y = ds.y[:MAX_SCATTER]
            for k in range(int(ds.n_classes or 0)):
                mask = y == k
                if not mask.any():
                    continue
                color = QColor(CLASS_COLORS[k % len(CLASS_COLORS)])
                plot.getPlotItem().addItem(pg.ScatterPlotItem(
                    X[mask, 0], X[mask, 1], size=6, pen=pg.mkPen(color.darker(130), width=0.6),
                    brush=pg.mkBrush(color)))
        else:
            t = ds.y[:MAX_SCATTER, 0]
            lo, hi = float(t.min()), float(t.max())
            cmap = pg.ColorMap([0.0, 0.5, 1.0], [QColor(CLASS_COLORS[1]), QColor("#e8e8e8"),
                                                 QColor(CLASS_COLORS[0])])
            u = (t - lo) / (hi - lo) if hi > lo else np.full_like(t, 0.5)
            brushes = [pg.mkBrush(cmap.map(float(v), mode="qcolor")) for v in u]
            plot.getPlotItem().addItem(pg.ScatterPlotItem(X[:, 0], X[:, 1], size=6,
                                                          pen=None, brush=brushes))
        names = ds.feature_names or ["x1", "x2"]
        plot.getPlotItem().setLabel("bottom", names[0])
        plot.getPlotItem().setLabel("left", names[1])
        plot.getPlotItem().getViewBox().setAspectLocked(False)
        plot.getPlotItem().autoRange()
        self._show_preview("scatter", plot)

    def _show_sequences(self, ds: Dataset) -> None:
        import pyqtgraph as pg

        plot = self._ensure_plot()
        n = min(4, ds.n_samples)
        for i in range(n):
            color = QColor(CLASS_COLORS[i % len(CLASS_COLORS)])
            plot.getPlotItem().plot(np.arange(ds.X.shape[1]), ds.X[i, :, 0],
                                    pen=pg.mkPen(color, width=1.6))
        plot.getPlotItem().setLabel("bottom", "time step")
        plot.getPlotItem().setLabel("left", (ds.feature_names or ["value"])[0])
        plot.getPlotItem().autoRange()
        self._show_preview("sequence", plot)

    def _show_images(self, ds: Dataset) -> None:
        n = min(GRID_IMAGES, ds.n_samples)
        X = ds.X[:n]
        lo, hi = float(X.min()), float(X.max())
        scaled = ((X - lo) / (hi - lo) * 255 if hi > lo else np.zeros_like(X)).astype(np.uint8)
        cell, label_h, pad = 40, 14, 4
        avail = self.viewport().width() - 40
        cols = max(3, min(10, avail // (cell + pad)))
        rows = (n + cols - 1) // cols
        dpr = self.devicePixelRatioF() or 1.0
        w, h = cols * (cell + pad), rows * (cell + label_h + pad)
        pm = QPixmap(QSize(round(w * dpr), round(h * dpr)))
        pm.setDevicePixelRatio(dpr)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        f = QFont(self.font())
        f.setPixelSize(10)
        p.setFont(f)
        p.setPen(colors().subtext)
        names = ds.class_names
        for i in range(n):
            img = scaled[i]
            if img.shape[0] == 3:
                arr = np.ascontiguousarray(np.transpose(img, (1, 2, 0)))
                qimg = QImage(arr.data, arr.shape[1], arr.shape[0], 3 * arr.shape[1],
                              QImage.Format.Format_RGB888).copy()
            else:
                arr = np.ascontiguousarray(img[0])
                qimg = QImage(arr.data, arr.shape[1], arr.shape[0], arr.shape[1],
                              QImage.Format.Format_Grayscale8).copy()
            r, c = divmod(i, cols)
            x, y = c * (cell + pad), r * (cell + label_h + pad)
            p.drawImage(QRectF(x, y, cell, cell), qimg)
            if ds.task == "classification":
                label = names[int(ds.y[i])] if names else str(int(ds.y[i]))
                p.drawText(QRectF(x, y + cell, cell, label_h), Qt.AlignmentFlag.AlignCenter,
                           label)
        p.end()
        self.image_grid.setPixmap(pm)
        self._show_preview("images", self.image_grid)

    def _show_table(self, ds: Dataset) -> None:
        n = min(MAX_TABLE_ROWS, ds.n_samples)
        if ds.inputs is not None and len(ds.inputs) > 1:
            cols = [(k, v) for k, v in ds.inputs.items()]
            headers = [k for k, _ in cols]
            columns = [np.asarray(v[:n]).reshape(n, -1)[:, 0] for _, v in cols]
        else:
            flat = ds.X[:n].reshape(n, -1)
            k = min(flat.shape[1], 50)
            names = ds.feature_names or [f"x{i + 1}" for i in range(flat.shape[1])]
            headers = list(names[:k])
            columns = [flat[:, j] for j in range(k)]
        if ds.task == "classification":
            names_c = ds.class_names
            target = [names_c[int(v)] if names_c else str(int(v)) for v in ds.y[:n]]
            headers.append("class")
        else:
            target = [_num(v) for v in ds.y[:n, 0]]
            headers.append("target")
        self.table.clear()
        self.table.setRowCount(n)
        self.table.setColumnCount(len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        for j, col in enumerate(columns):
            for i in range(n):
                item = QTableWidgetItem(_num(col[i]))
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(i, j, item)
        for i in range(n):
            self.table.setItem(i, len(headers) - 1, QTableWidgetItem(target[i]))
        self.table.resizeColumnsToContents()
        self._show_preview("table", self.table)

    # -- widgets -> editor ---------------------------------------------------------------------
    def _on_source_changed(self, _index: int) -> None:
        source = self.source.currentData()
        if source == self.doc.data.source:
            return
        if source == "synthetic":
            name = self.generator.currentData() or "spiral"
            self._set(text="Use generated data", source="synthetic", name=name, path=None,
                      params={})
        elif source == "bundled":
            self._set(text="Use bundled data", source="bundled",
                      name=self.bundled.currentData() or next(iter(BUNDLED)), path=None,
                      params={})
        else:
            # Switching to "file" needs a file: ask for it; keep the settings otherwise.
            if not self.choose_file():
                self.refresh_controls()

    def _on_generator_changed(self, _index: int) -> None:
        name = self.generator.currentData()
        old = self.doc.data
        if name == old.name and old.source == "synthetic":
            return
        keep = {p.name for p in GENERATORS[name].params}
        params = {k: v for k, v in old.params.items() if k in keep} \
            if old.source == "synthetic" else {}
        self._set(text=f"Use {name} data", source="synthetic", name=name, path=None,
                  params=params)

    def _on_gen_param(self, name: str, value: Any) -> None:
        params = dict(self.doc.data.params)
        params[name] = value
        self._set(text=f"Change data {name.replace('_', ' ')}", merge_key=f"params.{name}",
                  params=params)

    def regenerate_data(self) -> None:
        spec = self.doc.data
        if spec.source != "synthetic":
            return
        params = dict(spec.params)
        old_seed = params.get("seed")
        seed = old_seed
        rng = random.Random()
        while seed == old_seed:
            seed = rng.randrange(0, 2**31 - 1)
        params["seed"] = seed
        self._set(text="Regenerate data", merge_key="regenerate", params=params)

    def _on_bundled_changed(self, _index: int) -> None:
        name = self.bundled.currentData()
        if name != self.doc.data.name or self.doc.data.source != "bundled":
            self._set(text=f"Use {name} data", source="bundled", name=name, path=None,
                      params={})

    def _on_as_images(self, _index: int) -> None:
        params = dict(self.doc.data.params)
        if self.as_images.currentData():
            params["as_images"] = True
        else:
            params.pop("as_images", None)
        self._set(text="Change data layout", params=params)

    def _on_csv_option(self, *_args: Any) -> None:
        params = dict(self.doc.data.params)
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
        if params != self.doc.data.params:
            self._try_file(self.doc.data.path or "", params)

    def _on_split_edited(self, name: str, value: Any) -> None:
        self._set(**{name: value})

    def _set(self, text: str = "", merge_key: str = "", **changes: Any) -> None:
        reason = self.editor.set_data(text=text, merge_key=merge_key, **changes)
        if reason:
            self.split_form.show_error(reason)
            self.refresh_controls()
        else:
            self.split_form.show_error(None)

    # -- importing files -----------------------------------------------------------------------
    def _start_folder(self) -> str:
        base = self.base_dir()
        return str(base) if base is not None else str(Path.home())

    def choose_file(self) -> bool:
        path = dialogs.get_open_path(
            self, "Import data", self._start_folder(),
            "Data files (*.csv *.tsv *.txt *.gz *.npz *.npy *-ubyte *.idx*);;All files (*)")
        if not path:
            return False
        params: dict[str, Any] = {}
        name = Path(path).name.lower().removesuffix(".gz")
        if name.endswith(("-ubyte", ".idx")) or ".idx" in name:
            if "label" in name:
                dialogs.show_error(self, "Import data", "This looks like an IDX labels file.",
                                   "Choose the images file first; you are asked for its "
                                   "labels next.")
                return False
            labels = dialogs.get_open_path(self, "Choose the labels file", str(Path(path).parent),
                                           "IDX files (*-ubyte *.idx* *.gz);;All files (*)")
            if not labels:
                return False
            params["labels_path"] = relative_path(Path(labels), self.base_dir())
        return self._try_file(relative_path(Path(path), self.base_dir()), params)

    def choose_folder(self) -> bool:
        path = dialogs.get_folder(self, "Import an image folder", self._start_folder())
        if not path:
            return False
        return self._try_file(relative_path(Path(path), self.base_dir()), {})

    def import_path(self, path: str | Path, params: dict[str, Any] | None = None) -> bool:
        """Use a data file or folder (the Import buttons end here)."""
        return self._try_file(relative_path(Path(path), self.base_dir()), params or {})

    def _try_file(self, path: str, params: dict[str, Any]) -> bool:
        """Load the file first; only a file that loads becomes the project's data."""
        trial = DataSpec(**{**self.doc.data.to_dict(), "source": "file", "name": "",
                            "path": path, "params": dict(params)})
        try:
            self.cache.get(trial, self.base_dir())
        except (DataError, NetCanvasError, OSError) as e:
            dialogs.show_error(self, "Cannot import the data", f"{Path(path).name}: could not "
                               "be used as data.", str(e))
            self.refresh_controls()
            return False
        self._set(text=f"Import {Path(path).name}", source="file", name="", path=path,
                  params=params)
        return True


class _Pages(QWidget):
    """Like a QStackedWidget, but as tall as the page shown, not the tallest page."""

    def __init__(self) -> None:
        super().__init__()
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._pages: list[QWidget] = []
        self._current = 0

    def addWidget(self, page: QWidget) -> None:  # noqa: N802
        self._pages.append(page)
        self._layout.addWidget(page)
        page.setVisible(len(self._pages) - 1 == self._current)

    def count(self) -> int:
        return len(self._pages)

    def widget(self, i: int) -> QWidget:
        return self._pages[i]

    def currentIndex(self) -> int:  # noqa: N802
        return self._current

    def setCurrentIndex(self, index: int) -> None:  # noqa: N802
        self._current = index
        for i, page in enumerate(self._pages):
            page.setVisible(i == index)


def _num(v: Any) -> str:
    f = float(v)
    if f.is_integer() and abs(f) < 1e15:
        return str(int(f))
    return f"{f:.4g}"


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
