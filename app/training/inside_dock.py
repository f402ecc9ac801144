"""The "Inside the Network" dock: gradient norms per layer, histograms of a layer's weights
and activations, and the feature maps of an image layer (from the probe's results)."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.models.runs import RunRecord
from app.theme import theme_notifier
from app.training.controller import RunController
from app.training.frames import INSIDE_SLOT
from app.training.lazy_panel import LazyPanel


class InsidePanel(LazyPanel):
    """Gradient norms, histograms and feature maps of the shown run; the layer chosen
    here is selected on the canvas too (``layerChosen``)."""

    SLOT = INSIDE_SLOT

    #: The layer chosen here (node id), to select it on the canvas too.
    layerChosen = Signal(str)

    def __init__(self, training: RunController, parent: QWidget | None = None) -> None:
        super().__init__(training, "Gradient norms per layer, weight and activation "
                                  "histograms and feature maps appear here while the "
                                  "network trains.", parent)
        training.probe.updated.connect(self._on_probe)
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
        run = self.history.display_run()
        self.grads.set_run(run)
        self._fill_layers(run)
        # The histograms and feature maps show what the probe holds now (nothing after
        # the project was replaced).
        self.refresh_probe_views()
        if self.isVisible() or run is None:
            self.grads.refresh()

    def _fill_layers(self, run: RunRecord | None) -> None:
        net = self.training.probe.net
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
        # Drawn in this panel's redraw turn (see FrameScheduler._tick).
        if kind == "activations" and self.built:
            if self.layer_combo.count() == 0:
                self._fill_layers(self.history.display_run())
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
        return self.training.probe.results.get("activations")

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
        ds = self.training.probe._val_set()
        label = ""
        if ds is not None and i < len(ds.y):
            y = ds.y[res.sample_index[i]]
            names = ds.class_names
            if ds.task == "classification":
                label = f" (class {names[int(y)] if names else int(y)})"
        self.maps.set_maps(a[i], f"{node}: {a.shape[1]} maps of {a.shape[2]}×{a.shape[3]} for "
                                 f"validation sample {i + 1}{label}")
