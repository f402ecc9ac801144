"""Run > Explain a Sample…: a window (not modal) showing which inputs a prediction rests on.

It explains the network the main window has when it is opened (or when "Take Current
Weights" is pressed): a copy of the trained, imported or initial weights, or of the
weights a running or paused run published last (:mod:`app.explain.sources`). The sample
page recomputes as the choices change (saliency, integrated gradients or Grad-CAM of one
sample: milliseconds); the data-set page runs over the validation split on request, with
progress and Cancel. Every computation runs on a worker thread.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.explain.attribution_compute import (
    DataSetResult,
    SampleResult,
    explain_data_set,
    explain_sample,
    feature_names,
)
from app.explain.attribution_controls import MethodControls
from app.explain.attribution_pages import DataSetPage, SamplePage
from app.explain.job_bar import JobBar
from app.explain.jobs import BackgroundJob
from app.explain.sources import NetworkSnapshot, take_snapshot
from app.training.controller import RunController
from nncore.errors import NetCanvasError
from nncore.graph import analyze
from nncore.run import PreparedData

#: Milliseconds the sample waits after a change before it is recomputed (typing a row).
DEBOUNCE_MSEC = 120


class AttributionsWindow(QWidget):
    """The Explain window: the weights used, the method's choices, and the Sample and Data
    set pages."""

    def __init__(self, training: RunController, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("explainWindow")
        self.setWindowTitle("Explain Predictions")
        self.training = training
        self.snapshot: NetworkSnapshot | None = None
        self.sample_job = BackgroundJob("attributions", self)
        self.data_job = BackgroundJob("data-set attributions", self)
        self._pending: tuple[str, int] | None = None

        head = QHBoxLayout()
        self.origin = QLabel()
        self.origin.setObjectName("explainOrigin")
        self.origin.setAccessibleName("Weights explained")
        self.origin.setWordWrap(True)
        head.addWidget(self.origin, 1)
        self.take = QPushButton("Take Current Weights")
        self.take.setObjectName("explainTakeWeights")
        self.take.setAccessibleName("Take current weights")
        self.take.setToolTip("Explain the weights the window has now (a run's latest, "
                             "trained, imported or initial weights)")
        self.take.clicked.connect(self.take_network)
        head.addWidget(self.take)
        self.controls = MethodControls()
        self.sample_bar = JobBar(self.sample_job, "explainSample")
        self.sample_page = SamplePage()
        self.data_page = DataSetPage(self.data_job)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("explainTabs")
        self.tabs.setAccessibleName("Explain pages")
        self.tabs.addTab(self.sample_page, "Sample")
        self.tabs.addTab(self.data_page, "Data set")
        lay = QVBoxLayout(self)
        lay.addLayout(head)
        lay.addWidget(self.controls)
        lay.addWidget(self.sample_bar)
        lay.addWidget(self.tabs, 1)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MSEC)
        self._debounce.timeout.connect(self.explain)
        self.controls.changed.connect(self._debounce.start)
        self.sample_page.sampleChanged.connect(self._debounce.start)
        self.sample_job.finished.connect(self._on_sample_job)
        self.data_job.finished.connect(self._on_data_set)
        self.data_page.compute.clicked.connect(self.compute_data_set)
        training.doc.projectReset.connect(self._on_project_reset)
        self.resize(760, 640)

    # -- the network -------------------------------------------------------------------------
    def take_network(self) -> None:
        """Copy the window's current weights (and data, if prepared) and explain again."""
        try:
            snapshot = take_snapshot(self.training)
        except NetCanvasError as e:
            self.origin.setText("No network to explain.")
            self.sample_bar.show_error(str(e))
            return
        self.snapshot = snapshot
        self.data_job.cancel()
        self.origin.setText(f"Explaining the {snapshot.origin} of {snapshot.project.name}.")
        if snapshot.data is None:
            self.sample_bar.start("Preparing the data…")
            self.sample_job.start(lambda _stop, _p: snapshot.prepared())
        else:
            self._data_ready(snapshot.data)

    def _data_ready(self, data: PreparedData) -> None:
        snapshot = self.snapshot
        assert snapshot is not None
        analysis = analyze(snapshot.project.graph)
        out = analysis.shapes.get(analysis.output_id or "", (1,))
        units = int(out[0]) if len(out) == 1 else 1
        classification = data.dataset.task == "classification"
        if classification and units == 1:
            units = 2  # one sigmoid unit: class 0 and class 1
        self.controls.configure(analysis, data.class_names, units, classification)
        self.sample_page.set_data(data)
        if self._pending is not None:
            split, index = self._pending
            self._pending = None
            if not self.sample_page.choose(split, index):
                self.sample_bar.show_error(f"There is no sample {index + 1} in the "
                                           f"{split} split.")
                return
        self.explain()

    # -- computing ---------------------------------------------------------------------------
    def show_sample(self, split: str, index: int) -> None:
        """Explain row ``index`` (0-based) of ``split`` ("train", "val" or "test")."""
        self.tabs.setCurrentWidget(self.sample_page)
        if self.snapshot is None or self.snapshot.data is None or self.sample_job.running:
            self._pending = (split, index)
            return
        if self.sample_page.choose(split, index):
            self.explain()
        else:
            self.sample_bar.show_error(f"There is no sample {index + 1} in the {split} "
                                       "split.")

    def explain(self) -> None:
        """Explain the chosen sample with the chosen method (on a worker thread)."""
        self._debounce.stop()
        snapshot, chosen = self.snapshot, self.sample_page.current()
        if snapshot is None or snapshot.data is None or chosen is None:
            return
        settings = self.controls.settings()
        split, index = chosen
        self.sample_bar.start("Explaining…")
        self.sample_job.start(lambda stop, _p: explain_sample(snapshot, split, index,
                                                              settings, stop))

    def compute_data_set(self) -> None:
        """The data-set view over the validation split (progress and Cancel)."""
        snapshot = self.snapshot
        if snapshot is None:
            return
        settings = self.controls.settings()
        repeats = self.data_page.repeats.value()
        self.data_page.bar.start("Explaining the validation samples…")
        self.data_job.start(lambda stop, progress: explain_data_set(
            snapshot, settings, repeats, stop, progress))

    def _on_sample_job(self, result: object) -> None:
        if isinstance(result, PreparedData):
            self.sample_bar.show_message("")
            self._data_ready(result)
        elif isinstance(result, SampleResult):
            self.sample_bar.show_message("")
            self.sample_page.show_result(result)
        if self._pending is not None and self.snapshot is not None \
                and self.snapshot.data is not None:
            split, index = self._pending
            self._pending = None
            self.show_sample(split, index)

    def _on_data_set(self, result: DataSetResult) -> None:
        snapshot = self.snapshot
        names = None
        if snapshot is not None and snapshot.data is not None:
            names = feature_names(snapshot.data, tuple(result.mean_input.shape))
        self.data_page.bar.show_message("Done.")
        self.data_page.show_result(result, names)

    def _on_project_reset(self) -> None:
        """Another project: explain its network (when shown; else at the next opening)."""
        self.snapshot = None
        self.data_job.cancel()
        if self.isVisible():
            self.take_network()

    def shutdown(self) -> None:
        """Stop both computations and wait for their threads."""
        self._debounce.stop()
        self.sample_job.shutdown()
        self.data_job.shutdown()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.data_job.cancel()  # a long computation nobody sees any more
        super().closeEvent(event)
