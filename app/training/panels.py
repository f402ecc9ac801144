"""The training dock panels: curves (loss and metric), inside the network (gradient norms,
histograms, feature maps), results (decision boundary, predicted vs actual, confusion
matrix, misclassified images) and the run history.

Each plotting panel shows a short placeholder until the first run and builds its plots
(importing pyqtgraph) then. Panels redraw only on the session's throttled ``redraw`` signal
and only while visible; they read the run buffers and the probe's results, never the
training thread's data.
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.theme import colors, make_table, small_label, theme_notifier
from app.training.runs import STATUS_TEXT, RunRecord, format_duration, format_metric
from app.training.session import (
    CURVES_SLOT,
    INSIDE_SLOT,
    RESULTS_SLOT,
    WINDOW_SLOT,
    TrainingSession,
)


class LazyPanel(QStackedWidget):
    """A placeholder until :meth:`ensure_built` (called when the first run starts)."""

    def __init__(self, session: TrainingSession, placeholder: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.placeholder = QLabel(placeholder)
        self.placeholder.setWordWrap(True)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setObjectName("hint")
        self.placeholder.setMargin(16)
        self.addWidget(self.placeholder)
        self.content: QWidget | None = None
        session.runsChanged.connect(self._on_runs_changed)
        theme_notifier().changed.connect(self._on_theme)
        self._on_theme()

    @property
    def built(self) -> bool:
        return self.content is not None

    def _on_runs_changed(self) -> None:
        if self.session.runs:
            self.ensure_built()

    def ensure_built(self) -> None:
        if self.content is None:
            self.content = self._build()
            self.addWidget(self.content)
            self.setCurrentWidget(self.content)
            self.session.redraw.connect(self._on_redraw)
            self.session.displayChanged.connect(self._on_display)
            self._on_display()

    def _build(self) -> QWidget:
        """Create the panel's content; every panel class defines it (Qt's metaclass rules
        out ``abc.abstractmethod`` here)."""
        raise TypeError(f"{type(self).__name__} does not define _build()")

    #: Which of the session's redraw slots is this panel's.
    SLOT = -1

    def _on_redraw(self, slot: int) -> None:
        if slot == self.SLOT and self.isVisible():
            self.refresh()

    def _on_display(self) -> None:
        pass

    def refresh(self) -> None:
        pass

    def _on_theme(self) -> None:
        self.placeholder.setStyleSheet(f"color: {colors().subtext.name()};")


class CurvesPanel(LazyPanel):
    SLOT = CURVES_SLOT

    def __init__(self, session: TrainingSession, parent: QWidget | None = None) -> None:
        super().__init__(session, "Loss and accuracy curves appear here when you train the "
                                  "network: press Train (F5).", parent)
        session.overlayChanged.connect(self._on_display)
        session.runChanged.connect(self._on_run_changed)

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
        run = self.session.display_run()
        overlays = self.session.overlay_runs()
        self.loss_plot.set_runs(run, overlays)
        self.metric_plot.set_runs(run, overlays)
        self._update_header()
        if self.isVisible():
            self.refresh()

    def _on_run_changed(self, run: RunRecord) -> None:
        if self.built and run is self.session.display_run():
            self._update_header()

    def _update_header(self) -> None:
        run = self.session.display_run()
        if run is None:
            self.header.setText(" ")
            return
        color = run.color
        text = (f"<b><span style='color:{color}'>■</span> {run.title}</b> — "
                f"{run.summary() if not run.active else STATUS_TEXT[run.status]}")
        if run.error:
            text += f" — {run.error}"
        self.header.setText(text)

    def refresh(self) -> None:
        self.loss_plot.refresh()
        self.metric_plot.refresh()
        run = self.session.display_run()
        if run is not None and run.active:
            self._update_header()


class InsidePanel(LazyPanel):
    SLOT = INSIDE_SLOT

    #: The layer chosen here (node id), to select it on the canvas too.
    layerChosen = Signal(str)

    def __init__(self, session: TrainingSession, parent: QWidget | None = None) -> None:
        super().__init__(session, "Gradient norms per layer, weight and activation "
                                  "histograms and feature maps appear here while the "
                                  "network trains.", parent)
        session.probe.updated.connect(self._on_probe)
        self._layer: str | None = None
        self._probe_dirty = False

    def _build(self) -> QWidget:
        from app.plots.inside import FeatureMapView, GradNormPlot, HistogramPlot

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.grads = GradNormPlot()
        self.tabs.addTab(self.grads, "Gradient norms")

        hist_page = QWidget()
        hl = QVBoxLayout(hist_page)
        hl.setContentsMargins(2, 2, 2, 2)
        row = QHBoxLayout()
        row.addWidget(QLabel("Layer"))
        self.layer_combo = QComboBox()
        self.layer_combo.currentIndexChanged.connect(self._on_combo)
        row.addWidget(self.layer_combo, 1)
        hl.addLayout(row)
        pair = QHBoxLayout()
        self.weight_hist = HistogramPlot("Weights", "#3372c4")
        self.act_hist = HistogramPlot("Activations", "#17896a")
        pair.addWidget(self.weight_hist)
        pair.addWidget(self.act_hist)
        hl.addLayout(pair, 1)
        self.tabs.addTab(hist_page, "Histograms")

        maps_page = QWidget()
        ml = QVBoxLayout(maps_page)
        ml.setContentsMargins(2, 2, 2, 2)
        row2 = QHBoxLayout()
        row2.addWidget(QLabel("Layer"))
        self.map_combo = QComboBox()
        self.map_combo.currentIndexChanged.connect(lambda _i: self._update_maps())
        row2.addWidget(self.map_combo, 1)
        row2.addWidget(QLabel("Sample"))
        self.sample_spin = QSpinBox()
        self.sample_spin.setRange(1, 64)
        self.sample_spin.setToolTip("Which validation sample's feature maps to show")
        self.sample_spin.valueChanged.connect(lambda _v: self._update_maps())
        row2.addWidget(self.sample_spin)
        ml.addLayout(row2)
        self.maps = FeatureMapView()
        ml.addWidget(self.maps, 1)
        self.maps_index = self.tabs.addTab(maps_page, "Feature maps")
        self.tabs.setTabVisible(self.maps_index, False)
        self.tabs.currentChanged.connect(lambda _i: self.refresh_probe_views())
        theme_notifier().changed.connect(self._apply_theme)
        return self.tabs

    def _apply_theme(self) -> None:
        if self.built:
            self.grads.apply_theme()
            self.weight_hist.apply_theme()
            self.act_hist.apply_theme()
            self.maps.apply_theme()

    def _on_display(self) -> None:
        if not self.built:
            return
        run = self.session.display_run()
        self.grads.set_run(run)
        self._fill_layers(run)
        if self.isVisible():
            self.refresh()

    def _fill_layers(self, run: RunRecord | None) -> None:
        net = self.session.probe.net
        layers: list[tuple[str, str]] = []
        maps: list[str] = []
        if net is not None:
            for n in net.order:
                layer = net.layers[n]
                if layer.max_inputs == 0:
                    continue
                layers.append((n, f"{n} ({layer.type_name})"))
                if len(net.shapes[n]) == 3:
                    maps.append(n)
        current = self._layer
        with QSignalBlocker(self.layer_combo):
            self.layer_combo.clear()
            for n, text in layers:
                self.layer_combo.addItem(text, n)
            i = self.layer_combo.findData(current)
            self.layer_combo.setCurrentIndex(max(0, i))
        with QSignalBlocker(self.map_combo):
            keep = self.map_combo.currentData()
            self.map_combo.clear()
            for n in maps:
                self.map_combo.addItem(n, n)
            j = self.map_combo.findData(current if current in maps else keep)
            self.map_combo.setCurrentIndex(max(0, j))
        self.tabs.setTabVisible(self.maps_index, bool(maps))
        if self.layer_combo.count():
            self._layer = self.layer_combo.currentData()

    def select_layer(self, node_id: str) -> None:
        """Show ``node_id`` in the histograms (and feature maps), e.g. when selected on the
        canvas."""
        self._layer = node_id
        if not self.built:
            return
        i = self.layer_combo.findData(node_id)
        if i >= 0:
            with QSignalBlocker(self.layer_combo):
                self.layer_combo.setCurrentIndex(i)
        j = self.map_combo.findData(node_id)
        if j >= 0:
            with QSignalBlocker(self.map_combo):
                self.map_combo.setCurrentIndex(j)
        self.refresh_probe_views()

    def _on_combo(self, _index: int) -> None:
        node = self.layer_combo.currentData()
        if node:
            self._layer = node
            self.layerChosen.emit(node)
            self.refresh_probe_views()

    def _on_probe(self, kind: str) -> None:
        # Drawn in this panel's redraw turn (see TrainingSession._tick).
        if kind == "activations" and self.built:
            if self.layer_combo.count() == 0:
                self._fill_layers(self.session.display_run())
            self._probe_dirty = True

    def refresh(self) -> None:
        if self.tabs.currentWidget() is self.grads:
            self.grads.refresh()
        elif self._probe_dirty:
            self._probe_dirty = False
            self.refresh_probe_views()

    def refresh_probe_views(self) -> None:
        if not self.built:
            return
        page = self.tabs.currentIndex()
        if page == 1:
            self._update_histograms()
        elif page == self.maps_index:
            self._update_maps()

    def _result(self):
        return self.session.probe.results.get("activations")

    def _update_histograms(self) -> None:
        res = self._result()
        node = self.layer_combo.currentData()
        if res is None or node is None:
            self.weight_hist.set_values(None, "Weights: no data yet")
            self.act_hist.set_values(None, "Activations: no data yet")
            return
        arrays = [(k, v) for k, v in res.weights.items()
                  if k.startswith(node + "/") and not k.split("/", 1)[1].startswith("moving")]
        if arrays:
            name, w = arrays[0]
            self.weight_hist.set_values(w, f"Weights {name} ({'×'.join(map(str, w.shape))})")
        else:
            self.weight_hist.set_values(None, f"{node} has no weights")
        a = res.outputs.get(node)
        stat = res.activity.get(node)
        extra = f" · {stat.short()}" if stat is not None else ""
        n = len(a) if a is not None else 0
        self.act_hist.set_values(a, f"Activations of {node} on {n} validation samples{extra}")

    def _update_maps(self) -> None:
        if not self.built:
            return
        res = self._result()
        node = self.map_combo.currentData()
        if res is None or node is None or node not in res.outputs:
            self.maps.set_maps(None, "No feature maps yet")
            return
        a = res.outputs[node]
        self.sample_spin.setMaximum(max(1, len(a)))
        i = min(self.sample_spin.value() - 1, len(a) - 1)
        ds = self.session.probe._val_set()
        label = ""
        if ds is not None and i < len(ds.y):
            y = ds.y[res.sample_index[i]]
            names = ds.class_names
            if ds.task == "classification":
                label = f" (class {names[int(y)] if names else int(y)})"
        self.maps.set_maps(a[i], f"{node}: {a.shape[1]} maps of {a.shape[2]}×{a.shape[3]} for "
                                 f"validation sample {i + 1}{label}")


class ResultsPanel(LazyPanel):
    SLOT = RESULTS_SLOT

    def __init__(self, session: TrainingSession, parent: QWidget | None = None) -> None:
        super().__init__(session, "What the network predicts appears here: the decision "
                                  "boundary for 2-D data, a confusion matrix, predicted "
                                  "against actual values.", parent)
        session.probe.updated.connect(self._on_probe)
        session.dataReady.connect(self._on_display)
        self._chosen = False
        self._probe_dirty = False

    def _build(self) -> QWidget:
        from app.plots.matrix import ConfusionMatrixView, MisclassifiedGallery
        from app.plots.results import BoundaryPlot, PredictionScatter

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.boundary = BoundaryPlot()
        self.scatter = PredictionScatter()
        self.confusion = ConfusionMatrixView()
        self.gallery = MisclassifiedGallery()
        self.i_boundary = self.tabs.addTab(self.boundary, "Decision boundary")
        self.i_scatter = self.tabs.addTab(self.scatter, "Predicted vs actual")
        self.i_confusion = self.tabs.addTab(self.confusion, "Confusion matrix")
        self.i_gallery = self.tabs.addTab(self.gallery, "Misclassified")
        self.tabs.currentChanged.connect(lambda _i: self.update_wanted())
        self.tabs.tabBarClicked.connect(self._on_tab_clicked)
        theme_notifier().changed.connect(self._apply_theme)
        return self.tabs

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
        run = self.session.display_run()
        probe = self.session.probe
        task = run.task if run is not None else "classification"
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
        self.session.want(kinds)
        self.refresh_probe_views()
        self.session.request_redraw()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self.update_wanted()

    def hideEvent(self, event) -> None:  # noqa: N802
        super().hideEvent(event)
        self.session.want({"activations"})

    def _on_probe(self, kind: str) -> None:
        # Drawn in this panel's redraw turn (see TrainingSession._tick).
        if self.built and kind in ("grid", "val"):
            self._probe_dirty = True

    def refresh_probe_views(self) -> None:
        if not self.built:
            return
        probe = self.session.probe
        run = self.session.display_run()
        i = self.tabs.currentIndex()
        task = run.task if run is not None else "classification"
        if i == self.i_boundary:
            res = probe.results.get("grid")
            if res is not None:
                if self.boundary._points_key is None and probe.data is not None:
                    ds = probe.data.dataset
                    self.boundary.set_points(ds.X, ds.y, task, id(ds))
                self.boundary.set_grid(res.outputs, res.x_range, res.y_range, task,
                                       self._caption(run))
            return
        res = probe.results.get("val")
        ds = probe._val_set()
        if res is None or ds is None:
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
                wrong = np.flatnonzero(pred != true)
                images = [ds.X[res.index[j]] for j in wrong[:self.gallery.MAX]]

                def name(c: int) -> str:
                    return names[c] if names and c < len(names) else str(c)

                labels = [f"{name(true[j])}→{name(pred[j])}" for j in wrong[:self.gallery.MAX]]
                self.gallery.set_items(images, labels, len(wrong), len(true))

    def refresh(self) -> None:
        if self._probe_dirty:
            self._probe_dirty = False
            if self.boundary._points_key is None and self.session.probe.input_is_2d:
                self._on_display()
            self.refresh_probe_views()

    @staticmethod
    def _caption(run: RunRecord | None) -> str:
        if run is None:
            return " "
        epochs = run.epochs_done
        return (f"{run.name} after epoch {run.start_epoch + epochs}: background = network "
                "output on a 100×100 grid; dots = data")


class RunsPanel(QWidget):
    """Every run of this session: tick a run to overlay its curves on the shown one;
    select it to show it and to export its weights."""

    COLUMNS = ("Run", "Status", "Epochs", "Best loss", "Metric", "Time")

    def __init__(self, session: TrainingSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.tree = make_table(self.COLUMNS)
        self.hint = small_label("Tick runs to overlay their curves; select one to show it and "
                                "to export its weights (File ▸ Export).", 0.88, wrap=True)
        self.hint.setObjectName("hint")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.setSpacing(4)
        lay.addWidget(self.tree, 1)
        lay.addWidget(self.hint)
        self.items: dict[int, QTreeWidgetItem] = {}
        self._filling = False
        self.tree.itemChanged.connect(self._on_item_changed)
        self.tree.itemSelectionChanged.connect(self._on_selection)
        session.runsChanged.connect(self.rebuild)
        session.runChanged.connect(self.update_run)
        session.redraw.connect(self._on_redraw)
        theme_notifier().changed.connect(self._on_theme)
        self._last_update = 0.0
        self.rebuild()
        self._on_theme()

    def _on_theme(self) -> None:
        self.hint.setStyleSheet(f"color: {colors().subtext.name()};")

    def rebuild(self) -> None:
        self._filling = True
        try:
            self.tree.clear()
            self.items = {}
            for run in self.session.runs:
                item = QTreeWidgetItem()
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                              | Qt.ItemFlag.ItemIsUserCheckable)
                item.setData(0, Qt.ItemDataRole.UserRole, run.number)
                pm = QPixmap(10, 10)
                pm.fill(QColor(run.color))
                item.setIcon(0, QIcon(pm))
                item.setCheckState(0, Qt.CheckState.Checked if run.number in
                                   self.session.overlay else Qt.CheckState.Unchecked)
                self.tree.addTopLevelItem(item)
                self.items[run.number] = item
                self._fill(item, run)
        finally:
            self._filling = False

    def _fill(self, item: QTreeWidgetItem, run: RunRecord) -> None:
        self._filling, was = True, self._filling
        try:
            item.setText(0, run.title)
            item.setText(1, STATUS_TEXT.get(run.status, run.status))
            item.setText(2, str(run.start_epoch + run.epochs_done) if run.epochs_done else "0")
            best = run.best()
            item.setText(3, f"{best[1]:.4g}" if best else "–")
            m = run.final_metrics()
            key = f"val_{run.metric}" if f"val_{run.metric}" in m else f"train_{run.metric}"
            item.setText(4, format_metric(run.metric, m[key]) if key in m else "–")
            item.setText(5, format_duration(run.active_time))
            tip = f"<b>{run.title}</b><br>{run.settings_text().replace(chr(10), '<br>')}"
            if not run.active:
                tip += f"<br>{run.summary()}"
            if run.error:
                tip += f"<br><span style='color:{colors().error.name()}'>{run.error}</span>"
            for c in range(len(self.COLUMNS)):
                item.setToolTip(c, tip)
            if run.status in ("failed", "diverged"):
                item.setForeground(1, QBrush(colors().error))
            else:
                item.setForeground(1, QBrush(colors().text))
        finally:
            self._filling = was

    def update_run(self, run: RunRecord) -> None:
        item = self.items.get(run.number)
        if item is not None:
            self._fill(item, run)

    def _on_redraw(self, slot: int) -> None:
        if slot != WINDOW_SLOT:
            return
        run = self.session.active_run
        now = time.perf_counter()
        if run is not None and self.isVisible() and now - self._last_update > 0.5:
            self._last_update = now
            self.update_run(run)

    def _on_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._filling or column != 0:
            return
        number = item.data(0, Qt.ItemDataRole.UserRole)
        self.session.set_overlay(number, item.checkState(0) == Qt.CheckState.Checked)

    def _on_selection(self) -> None:
        items = self.tree.selectedItems()
        if not items:
            return
        number = items[0].data(0, Qt.ItemDataRole.UserRole)
        run = next((r for r in self.session.runs if r.number == number), None)
        self.session.select_run(run)

    def check(self, number: int, on: bool = True) -> None:
        item = self.items.get(number)
        if item is not None:
            item.setCheckState(0, Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

