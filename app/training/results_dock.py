"""The "Results" dock: what the network predicts, from the probe's results: the decision
boundary (or prediction map) of 2-D data, predicted against actual values, the confusion
matrix and the misclassified images. Big data is sampled (at most 5,000 dots, 64 images,
stratified by class) and the views say so.

``ResultsPanel.samplePicked(split, row)``: the person clicked a dot of the decision
boundary (``split`` ``"all"``: ``row`` is the sample's row in the whole data set, before the
split) or a misclassified image (``"val"``, or ``"train"`` when there is no validation
split: ``row`` is its row in that split)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import QTabWidget, QWidget

from app.models.runs import RunRecord, task_of
from app.models.sampling import sample_indices
from app.theme import theme_notifier
from app.training.controller import RunController
from app.training.frames import RESULTS_SLOT
from app.training.lazy_panel import LazyPanel


class ResultsPanel(LazyPanel):
    """The decision boundary, predicted against actual values, the confusion matrix and
    the misclassified images; it asks the probe only for what its visible tab shows."""

    SLOT = RESULTS_SLOT
    #: A sample was clicked: (split, row in that split); see the module's doc.
    samplePicked = Signal(str, int)

    def __init__(self, training: RunController, parent: QWidget | None = None) -> None:
        super().__init__(training, "What the network predicts appears here: the decision "
                                  "boundary for 2-D data, a confusion matrix, predicted "
                                  "against actual values.", parent)
        training.probe.updated.connect(self._on_probe)
        training.dataReady.connect(self._on_display)
        self._chosen = False
        self._probe_dirty = False
        #: (split, rows) of the images the gallery shows, in its order.
        self._gallery_rows: tuple[str, list[int]] = ("val", [])

    def _build(self) -> QWidget:
        from app.plots.matrix import ConfusionMatrixView, MisclassifiedGallery
        from app.plots.results import BoundaryPlot, PredictionScatter

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.boundary = BoundaryPlot()
        self.scatter = PredictionScatter()
        self.confusion = ConfusionMatrixView()
        self.gallery = MisclassifiedGallery()
        self.boundary.picked.connect(lambda row: self.samplePicked.emit("all", row))
        self.gallery.picked.connect(self._on_image_picked)
        self.i_boundary = self.tabs.addTab(self.boundary, "Decision boundary")
        self.i_scatter = self.tabs.addTab(self.scatter, "Predicted vs actual")
        self.i_confusion = self.tabs.addTab(self.confusion, "Confusion matrix")
        self.i_gallery = self.tabs.addTab(self.gallery, "Misclassified")
        self.tabs.currentChanged.connect(lambda _i: self.update_wanted())
        self.tabs.tabBarClicked.connect(self._on_tab_clicked)
        theme_notifier().changed.connect(self._apply_theme)
        return self.tabs

    def _on_image_picked(self, i: int) -> None:
        split, rows = self._gallery_rows
        if 0 <= i < len(rows):
            self.samplePicked.emit(split, rows[i])

    def _on_tab_clicked(self, _index: int) -> None:
        self._chosen = True

    def _apply_theme(self) -> None:
        if self.built:
            self.boundary.apply_theme()
            self.scatter.apply_theme()
            self.confusion.update()
            self.gallery.update()

    def _on_display(self) -> None:
        if not self.built:
            return
        run = self.history.display_run()
        probe = self.training.probe
        task = self._task(run)
        two_d = probe.input_is_2d
        images = probe.data is not None and probe.data.dataset.X.ndim == 4
        self.tabs.setTabVisible(self.i_boundary, two_d)
        self.tabs.setTabText(self.i_boundary, "Decision boundary" if task == "classification"
                             else "Prediction map")
        self.tabs.setTabVisible(self.i_scatter, task == "regression")
        self.tabs.setTabVisible(self.i_confusion, task == "classification")
        self.tabs.setTabVisible(self.i_gallery, task == "classification" and images)
        if two_d and not self._chosen:
            self.tabs.setCurrentIndex(self.i_boundary)
        if not self.tabs.isTabVisible(self.tabs.currentIndex()):
            for i in range(self.tabs.count()):
                if self.tabs.isTabVisible(i):
                    self.tabs.setCurrentIndex(i)
                    break
        if probe.data is not None and two_d:
            ds = probe.data.dataset
            self.boundary.set_points(ds.X, ds.y, task, id(ds))
        elif not two_d:
            self.boundary.clear()
        self.update_wanted()
        self.refresh_probe_views()

    def wanted(self) -> set[str]:
        if not self.built or not self.isVisible():
            return set()
        i = self.tabs.currentIndex()
        if i == self.i_boundary:
            return {"grid"}
        return {"val"}

    def update_wanted(self) -> None:
        kinds = {"activations"} | self.wanted()
        self.training.want(kinds)
        self.refresh_probe_views()
        self.training.frames.request_redraw()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        self.update_wanted()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802
        super().hideEvent(event)
        self.training.want({"activations"})

    def _on_probe(self, kind: str) -> None:
        # Drawn in this panel's redraw turn (see FrameScheduler._tick).
        if self.built and kind in ("grid", "val"):
            self._probe_dirty = True

    def refresh_probe_views(self) -> None:
        if not self.built:
            return
        probe = self.training.probe
        run = self.history.display_run()
        i = self.tabs.currentIndex()
        task = self._task(run)
        if i == self.i_boundary:
            res = probe.results.get("grid")
            if res is None:
                self.boundary.clear_grid()
                return
            if self.boundary._points_key is None and probe.data is not None:
                ds = probe.data.dataset
                self.boundary.set_points(ds.X, ds.y, task, id(ds))
            self.boundary.set_grid(res.outputs, res.x_range, res.y_range, task,
                                   self._caption(run))
            return
        res = probe.results.get("val")
        ds = probe._val_set()
        if res is None or ds is None:
            self._clear_predictions()
            return
        y = ds.y[res.index]
        if i == self.i_scatter and task == "regression":
            actual = y.astype(np.float64).reshape(len(y), -1)
            if probe.output_scale is not None:
                mean, std = probe.output_scale
                actual = actual * std.reshape(1, -1) + mean.reshape(1, -1)
            self.scatter.set_values(actual, res.outputs)
        elif task == "classification":
            from app.plots.matrix import confusion_matrix, predicted_classes

            pred = predicted_classes(res.outputs)
            true = np.asarray(y).astype(int).reshape(len(y))
            k = max(res.outputs.shape[-1], 2, int(true.max()) + 1 if len(true) else 2)
            names = ds.class_names
            if i == self.i_confusion:
                self.confusion.set_matrix(confusion_matrix(true, pred, k), names)
            elif i == self.i_gallery:
                self._show_gallery(ds, res.index, true, pred, names)

    def _show_gallery(self, ds, index: np.ndarray, true: np.ndarray, pred: np.ndarray,
                      names: list[str] | None) -> None:
        """A sample of the misclassified images, stratified by true class."""
        wrong = np.flatnonzero(pred != true)
        wrong = wrong[sample_indices(len(wrong), self.gallery.MAX, true[wrong])]
        rows = [int(index[j]) for j in wrong]
        data = self.training.probe.data
        split = "val" if data is not None and ds is data.val else "train"
        self._gallery_rows = (split, rows)

        def name(c: int) -> str:
            return names[c] if names and c < len(names) else str(c)

        labels = [f"{name(true[j])}→{name(pred[j])}" for j in wrong]
        self.gallery.set_items([ds.X[r] for r in rows], labels,
                               int(np.count_nonzero(pred != true)), len(true))

    def _task(self, run: RunRecord | None) -> str:
        """The shown run's task, else the one of the project's loss."""
        return run.task if run is not None else task_of(self.training.doc.training)

    def _clear_predictions(self) -> None:
        """No predictions (yet): the views of the validation set show none."""
        self.scatter.set_values(np.zeros(0), np.zeros(0))
        self.confusion.set_matrix(np.zeros((0, 0), np.int64), None)
        self.gallery.set_items([], [], 0, 0)

    def refresh(self) -> None:
        if self._probe_dirty:
            self._probe_dirty = False
            if self.boundary._points_key is None and self.training.probe.input_is_2d:
                self._on_display()
            self.refresh_probe_views()

    @staticmethod
    def _caption(run: RunRecord | None) -> str:
        if run is None:
            return " "
        epochs = run.epochs_done
        return (f"{run.name} after epoch {run.start_epoch + epochs}: background = network "
                "output on a 100×100 grid; dots = data")
