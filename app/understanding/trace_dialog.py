"""Run > Trace a Sample…: one sample through the network and back, step by step.

The window picks the split and row of a sample (or another part calls
:meth:`TraceSamples.show_sample`, e.g. when a point of the data preview is clicked), the
trace (:mod:`app.understanding.trace_source`, :func:`nncore.trace.trace_sample`) is made
on copies, and the person walks through its steps (:mod:`app.understanding.trace_steps`)
with Previous/Next, Alt+Left/Alt+Right or the step list.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QImage, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.theme import colors
from app.training.controller import RunController
from app.understanding.trace_arrays import ArrayBox
from app.understanding.trace_source import (
    SPLITS,
    TraceSource,
    TraceUnavailable,
    trace_source,
)
from app.understanding.trace_steps import TraceStep, num, trace_steps
from app.window.context import WindowContext
from nncore.trace import SampleTrace


def _mono(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    font = label.font()
    font.setFamily("monospace")
    font.setStyleHint(font.StyleHint.Monospace)
    label.setFont(font)
    return label


def sample_pixmap(x: np.ndarray, side: int = 44) -> QPixmap | None:
    """An image sample (height x width, or channels x height x width) as a grey picture,
    darkest at its smallest value; None for samples that are not images."""
    a = np.asarray(x, np.float64)
    if a.ndim == 3:
        a = a.mean(axis=0)
    if a.ndim != 2 or min(a.shape) < 2:
        return None
    lo, hi = float(np.nanmin(a)), float(np.nanmax(a))
    g = (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
    grey = np.ascontiguousarray(np.nan_to_num(255 * g).astype(np.uint8))
    h, w = grey.shape
    image = QImage(grey.data, w, h, w, QImage.Format.Format_Grayscale8).copy()
    return QPixmap.fromImage(image).scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio)


class TraceDialog(QDialog):
    """The trace window: the sample chooser, the step list and the shown step."""

    def __init__(self, training: RunController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("traceDialog")
        self.setWindowTitle("Trace a Sample")
        self.training = training
        self.source: TraceSource | None = None
        self.trace: SampleTrace | None = None
        self.steps: list[TraceStep] = []
        self.index = 0
        self.resize(920, 640)
        # Weights replaced (a run ended, an import, a reset) or another network or project:
        # trace again while idle (while a run trains, the shown trace stays).
        for signal in (training.networkChanged, training.doc.analysisChanged,
                       training.doc.projectReset):
            signal.connect(self._on_network_changed)
        lay = QVBoxLayout(self)
        lay.addLayout(self._chooser())
        self.origin = QLabel()
        self.origin.setObjectName("traceOrigin")
        self.origin.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("traceError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {colors().error.name()};")
        self.error.hide()
        lay.addWidget(self.origin)
        lay.addWidget(self.error)
        lay.addWidget(self._body(), 1)
        lay.addLayout(self._footer())

    # -- construction ----------------------------------------------------------------------
    def _chooser(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.split_box = QComboBox()
        self.split_box.setObjectName("traceSplit")
        self.split_box.setAccessibleName("Split of the traced sample")
        for key, name in SPLITS.items():
            self.split_box.addItem(name.capitalize(), key)
        self.row_box = QSpinBox()
        self.row_box.setObjectName("traceRow")
        self.row_box.setAccessibleName("Row of the traced sample")
        self.row_box.setToolTip("Which sample of the split to trace (from 0)")
        self.refresh = QPushButton("Use Current Weights")
        self.refresh.setObjectName("traceRefresh")
        self.refresh.setAccessibleName("Trace again with the current weights")
        self.refresh.setToolTip("Trace again with the network's weights as they are now "
                                "(after more training, or paused at a later step)")
        self.sample = QLabel()
        self.sample.setObjectName("traceSample")
        self.sample.setWordWrap(True)
        self.sample.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row.addWidget(QLabel("Split:"))
        row.addWidget(self.split_box)
        row.addWidget(QLabel("Row:"))
        row.addWidget(self.row_box)
        self.picture = QLabel()
        self.picture.setObjectName("tracePicture")
        self.picture.setToolTip("The traced sample as a picture (as the network sees it)")
        self.picture.hide()
        row.addWidget(self.picture)
        row.addWidget(self.sample, 1)
        row.addWidget(self.refresh)
        self.split_box.currentIndexChanged.connect(lambda _i: self.recompute())
        self.row_box.valueChanged.connect(lambda _v: self.recompute())
        self.refresh.clicked.connect(lambda: self.recompute(reload=True))
        return row

    def _body(self) -> QSplitter:
        split = QSplitter(Qt.Orientation.Horizontal)
        self.step_list = QListWidget()
        self.step_list.setObjectName("traceSteps")
        self.step_list.setAccessibleName("Steps of the trace")
        self.step_list.setToolTip("Every step of the pass: forward through each layer, the "
                                  "loss, back through each layer, the optimizer's update")
        self.step_list.currentRowChanged.connect(self._on_row)
        self.scroll = QScrollArea()
        self.scroll.setObjectName("traceStepView")
        self.scroll.setAccessibleName("The shown step")
        self.scroll.setWidgetResizable(True)
        self.page = QWidget()
        self.scroll.setWidget(self.page)
        split.addWidget(self.step_list)
        split.addWidget(self.scroll)
        split.setStretchFactor(1, 1)
        split.setSizes([265, 655])
        return split

    def _footer(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.prev_button = QPushButton("◀ &Previous")
        self.prev_button.setObjectName("tracePrevious")
        self.prev_button.setAccessibleName("Previous step")
        self.prev_button.setToolTip("The previous step (Alt+Left)")
        self.next_button = QPushButton("&Next ▶")
        self.next_button.setObjectName("traceNext")
        self.next_button.setAccessibleName("Next step")
        self.next_button.setToolTip("The next step (Alt+Right)")
        self.counter = QLabel()
        self.counter.setObjectName("traceCounter")
        self.prev_button.clicked.connect(lambda: self.go(self.index - 1))
        self.next_button.clicked.connect(lambda: self.go(self.index + 1))
        QShortcut(QKeySequence("Alt+Right"), self, lambda: self.go(self.index + 1))
        QShortcut(QKeySequence("Alt+Left"), self, lambda: self.go(self.index - 1))
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.close)
        close.button(QDialogButtonBox.StandardButton.Close).setAccessibleName("Close")
        row.addWidget(self.prev_button)
        row.addWidget(self.counter)
        row.addWidget(self.next_button)
        row.addStretch(1)
        row.addWidget(close)
        return row

    # -- the trace -------------------------------------------------------------------------
    @property
    def split(self) -> str:
        return self.split_box.currentData()

    def show_sample(self, split: str, index: int) -> None:
        """Trace row ``index`` of ``split`` ("train", "val" or "test") with the current
        weights, staying at the same step."""
        self.source = None
        self._choose(split, index)
        self.recompute(reload=True)

    def _choose(self, split: str, index: int) -> None:
        boxes = (self.split_box, self.row_box)
        for box in boxes:
            box.blockSignals(True)
        i = self.split_box.findData(split)
        if i >= 0:
            self.split_box.setCurrentIndex(i)
        self.row_box.setMaximum(max(index, self.row_box.maximum()))
        self.row_box.setValue(index)
        for box in boxes:
            box.blockSignals(False)

    def recompute(self, reload: bool = False) -> None:
        """Trace the chosen sample (with the weights as they are now when ``reload`` or
        when nothing was read yet)."""
        try:
            if reload or self.source is None:
                self.source = None
                self.source = trace_source(self.training)
            self._mark_splits()
            part = self.source.split(self.split)
            n = 0 if part is None else len(part.y)
            self.row_box.blockSignals(True)
            self.row_box.setMaximum(max(0, n - 1))
            self.row_box.blockSignals(False)
            self.trace = self.source.trace(self.split, self.row_box.value())
        except TraceUnavailable as e:
            self._fail(str(e))
            return
        self.error.hide()
        self.origin.setText(self.source.origin)
        self.sample.setText(self._sample_text())
        part = self.source.split(self.split)
        pixmap = None if part.inputs is not None else sample_pixmap(
            part.X[self.row_box.value()])
        self.picture.setVisible(pixmap is not None)
        if pixmap is not None:
            self.picture.setPixmap(pixmap)
        graph = self.training.doc.graph
        sources = {n.id: [e.source for e in graph.edges if e.target == n.id]
                   for n in graph.nodes}
        self.steps = trace_steps(self.trace, sources)
        keep = min(self.index, len(self.steps) - 1)
        self.step_list.blockSignals(True)
        self.step_list.clear()
        self.step_list.addItems([s.title for s in self.steps])
        for i, step in enumerate(self.steps):
            self.step_list.item(i).setToolTip(step.title)
        self.step_list.blockSignals(False)
        self.go(keep)

    def _mark_splits(self) -> None:
        """Offer only the splits the data has (a part may still ask for another: it is
        told there is none)."""
        model = self.split_box.model()
        for i in range(self.split_box.count()):
            part = self.source.split(self.split_box.itemData(i))
            model.item(i).setEnabled(part is not None and len(part.y) > 0)

    def _on_network_changed(self, *_args) -> None:
        if self.isVisible() and not self.training.active:
            self.recompute(reload=True)

    def _fail(self, message: str) -> None:
        self.trace, self.steps = None, []
        self.error.setText(message)
        self.error.show()
        self.step_list.clear()
        self.sample.setText("")
        self.picture.hide()
        self._show_page(None)

    def _sample_text(self) -> str:
        src, trace = self.source, self.trace
        part = src.split(self.split)
        i = self.row_box.value()
        x = part.X[i] if part.inputs is None else None
        text = f"row {i} of {len(part.y)} ({SPLITS[self.split]})"
        if x is not None and x.size <= 8:
            norm = src.data.normalizer
            raw = norm.inverse_transform(x[None].astype(np.float64))[0] \
                if norm.fitted and norm.mode != "none" else x
            text += ": x = (" + ", ".join(num(v) for v in raw.ravel()) + ")"
        elif x is not None:
            text += f": a sample of shape {'×'.join(map(str, x.shape))} (step 1 shows it)"
        else:  # named inputs (ids for Embedding layers)
            text += ": " + ", ".join(
                f"{name} = {', '.join(num(v) for v in np.ravel(values[i])[:8])}"
                for name, values in part.inputs.items())
        t = np.atleast_1d(trace.target)
        names = src.data.class_names
        if part.task == "classification":
            k = int(t[0])
            label = f"class {k}" + (f" “{names[k]}”" if names and k < len(names) else "")
        else:
            label = "target " + ", ".join(num(v) for v in t.ravel())
            mean, std = src.data.target_mean, src.data.target_std
            if mean is not None and std is not None:
                raw = t.ravel() * np.ravel(std) + np.ravel(mean)
                label = (f"target {', '.join(num(v) for v in raw)} (standardized for "
                         f"training: {', '.join(num(v) for v in t.ravel())})")
        return f"{text} · label: {label} · loss {num(trace.loss)}"

    # -- walking ---------------------------------------------------------------------------
    def go(self, index: int) -> None:
        if not self.steps:
            return
        self.index = max(0, min(index, len(self.steps) - 1))
        if self.step_list.currentRow() != self.index:
            self.step_list.setCurrentRow(self.index)  # (calls back _on_row)
            return
        self._show_page(self.steps[self.index])

    def _on_row(self, row: int) -> None:
        if 0 <= row < len(self.steps):
            self.index = row
            self._show_page(self.steps[row])

    def _show_page(self, step: TraceStep | None) -> None:
        page = QWidget()
        page.setObjectName("traceStepPage")
        lay = QVBoxLayout(page)
        if step is not None:
            title = QLabel(f"<h3>{step.title}</h3>")
            title.setObjectName("traceStepTitle")
            lay.addWidget(title)
            for f in step.formulas:
                lay.addWidget(_mono(f))
            if step.worked:
                lay.addWidget(QLabel("<b>With this sample's numbers</b>"))
                worked = _mono("\n".join(step.worked))
                worked.setObjectName("traceWorked")
                lay.addWidget(worked)
            for shown in step.arrays:
                lay.addWidget(ArrayBox(shown.label, shown.values))
        lay.addStretch(1)
        self.page = page
        self.scroll.setWidget(page)
        n = len(self.steps)
        self.counter.setText(f"Step {self.index + 1} of {n}" if n else "")
        self.prev_button.setEnabled(n > 0 and self.index > 0)
        self.next_button.setEnabled(n > 0 and self.index < n - 1)

    def shown_arrays(self) -> dict[str, QWidget]:
        """label -> the view of each array on the shown step."""
        return {box.label: box.view for box in self.page.findChildren(ArrayBox)}


class TraceSamples(QObject):
    """The window part: Run > Trace a Sample… and :meth:`show_sample` for other parts."""

    def __init__(self, context: WindowContext, training: RunController,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._training = training
        self.dialog: TraceDialog | None = None
        self.act_trace = context.parts.action(
            "actionTraceSample", "Trace a &Sample…", self.open,
            tip="Follow one sample through the network and back: each layer's values, the "
                "loss, the gradients and the optimizer's update, with the numbers")
        self.menu_actions = [self.act_trace]

    def _dialog(self) -> TraceDialog:
        if self.dialog is None:
            self.dialog = TraceDialog(self._training, self._context.dialog_parent)
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        return self.dialog

    def open(self) -> None:
        self._dialog().recompute(reload=True)

    @Slot(str, int)
    def show_sample(self, split: str, index: int) -> None:
        """Open the trace on row ``index`` of ``split`` ("train", "val" or "test")."""
        self._dialog().show_sample(split, index)
