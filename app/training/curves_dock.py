"""The "Training Curves" dock: loss and metric per epoch of the shown run, with overlaid
past runs and a one-line summary of the run above them."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from app.models.runs import STATUS_TEXT, RunRecord, metric_of, metric_title, task_of
from app.theme import theme_notifier
from app.training.controller import RunController
from app.training.frames import CURVES_SLOT
from app.training.lazy_panel import LazyPanel


class CurvesPanel(LazyPanel):
    """Loss and metric of the shown run per epoch, with the overlaid runs, under a line
    that names the run and sums it up."""

    SLOT = CURVES_SLOT

    def __init__(self, training: RunController, parent: QWidget | None = None) -> None:
        super().__init__(training, "", parent)
        self.history.overlay_changed.connect(self._on_display)
        self.history.run_changed.connect(self._on_run_changed)
        # With no run, the placeholder and the metric axis name the chosen loss's metric.
        training.doc.trainingChanged.connect(self._on_project_metric)
        training.doc.projectReset.connect(self._on_project_metric)
        self._on_project_metric()

    def _project_metric(self) -> str:
        return metric_title(metric_of(task_of(self.training.doc.training)))

    def _on_project_metric(self) -> None:
        self.placeholder.setText(f"Loss and {self._project_metric()} curves appear here "
                                 "when you train the network: press Train (F5).")
        if self.built and self.history.display_run() is None:
            self.metric_plot.set_metric(self._project_metric())

    def _build(self) -> QWidget:
        from app.plots.curves import EpochPlot

        w = QWidget()
        lay = QVBoxLayout(w)
        lay.setContentsMargins(4, 2, 4, 2)
        lay.setSpacing(2)
        self.header = QLabel(" ")
        self.header.setObjectName("runSummary")
        self.header.setWordWrap(True)
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.loss_plot = EpochPlot("loss")
        self.metric_plot = EpochPlot("metric")
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.loss_plot)
        split.addWidget(self.metric_plot)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)
        lay.addWidget(self.header)
        lay.addWidget(split, 1)
        theme_notifier().changed.connect(self._apply_theme)
        return w

    def _apply_theme(self) -> None:
        if self.built:
            self.loss_plot.apply_theme()
            self.metric_plot.apply_theme()

    def _on_display(self) -> None:
        if not self.built:
            return
        run = self.history.display_run()
        overlays = self.history.overlay_runs()
        self.loss_plot.set_runs(run, overlays)
        self.metric_plot.set_runs(run, overlays)
        if run is None:
            self.metric_plot.set_metric(self._project_metric())
        self._update_header()
        if self.isVisible() or run is None:
            self.refresh()

    def _on_run_changed(self, run: RunRecord) -> None:
        if self.built and run is self.history.display_run():
            self._update_header()

    def _update_header(self) -> None:
        run = self.history.display_run()
        if run is None:
            self.header.setText(" ")
            return
        color = run.color
        text = (f"<b><span style='color:{color}'>■</span> {run.title}</b> — "
                f"{run.summary() if not run.active else STATUS_TEXT[run.status]}")
        if run.error:
            text += f" — {run.error}"
        if run.parent is not None:
            text += f" — forked from Run {run.parent[0]} at epoch {run.parent[1]}"
        if run.sweep:
            text += f" — {run.sweep.split(':')[0]}"
        self.header.setText(text)

    def refresh(self) -> None:
        self.loss_plot.refresh()
        self.metric_plot.refresh()
        run = self.history.display_run()
        if run is not None and run.active:
            self._update_header()
