"""The "Hidden Space" dock: a layer's activations on the validation set (or an Embedding
layer's vectors) projected on their principal axes, live while the network trains.

The axes are fitted once (at the first update, on a change of layer and on "Reset axes")
and kept: later updates put the new activations on the same axes and the same plot range,
so the motion of the points is the network learning, not the axes turning. A refit keeps
each axis pointing as before (:meth:`nncore.projection.Projection.fit` with the previous
projection). Updates come in the Inside slot of the frame scheduler's redraws (this dock
is tabbed with Inside the Network), at most once a second, computed on a worker thread
from a copy of the weights (:mod:`app.explain.hidden_compute`).
"""

from __future__ import annotations

import time

from PySide6.QtCore import QSignalBlocker
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.explain.hidden_compute import HiddenSpace, compute_hidden_space
from app.explain.jobs import BackgroundJob
from app.explain.sources import take_snapshot
from app.training.controller import RunController
from app.training.frames import INSIDE_SLOT
from app.training.lazy_panel import LazyPanel
from nncore.errors import NetCanvasError

#: Least seconds between two updates while the weights change.
UPDATE_SECONDS = 1.0
PAIRS = ((0, 1), (0, 2), (1, 2))


class HiddenSpacePanel(LazyPanel):
    """Layer, axes and colour choosers, the plot of the points, and a line saying what is
    shown; built when first shown (pyqtgraph is imported then)."""

    SLOT = INSIDE_SLOT

    def __init__(self, training: RunController, parent: QWidget | None = None) -> None:
        super().__init__(training, "A layer's activations on the validation samples, "
                                  "projected on their principal axes, appear here.", parent)
        self.job = BackgroundJob("hidden space", self)
        self.job.finished.connect(self._on_result)
        self.job.failed.connect(self._on_failed)
        self.result: HiddenSpace | None = None
        self._drawn_key: object = None
        self._refit = True
        self._last = -1e9
        #: The key, series and origin of the update computing now, and of the one drawn.
        self._pending: tuple = (None, None, "")
        self._series: object = None
        self._origin = ""
        self._active = False
        training.doc.analysisChanged.connect(self._fill_layers)
        training.networkChanged.connect(self.refresh_now)

    def _build(self) -> QWidget:
        from app.explain.hidden_plot import HiddenSpacePlot
        from app.plots.common import LegendRow

        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(2, 2, 2, 2)
        row = QHBoxLayout()
        row.addWidget(QLabel("Layer"))
        self.layer_combo = _combo("hiddenLayer", "Layer to project",
                                  "The layer whose outputs are projected (an Embedding "
                                  "layer: its vectors, one point per id)")
        row.addWidget(self.layer_combo, 1)
        self.pair_combo = _combo("hiddenAxes", "Components shown",
                                 "Which two principal components are the plot's axes")
        for a, b in PAIRS:
            self.pair_combo.addItem(f"PC{a + 1} / PC{b + 1}", (a, b))
        row.addWidget(self.pair_combo)
        self.color_combo = _combo("hiddenColour", "Colour points by",
                                  "Colour the points by their true class (or target), "
                                  "or by whether the network gets them right")
        self.color_combo.addItem("Class", "class")
        self.color_combo.addItem("Error", "error")
        row.addWidget(self.color_combo)
        self.reset_button = QPushButton("Reset axes")
        self.reset_button.setObjectName("hiddenResetAxes")
        self.reset_button.setAccessibleName("Reset axes")
        self.reset_button.setToolTip("Fit the principal axes to the activations now (they "
                                     "stay fixed while the network trains)")
        row.addWidget(self.reset_button)
        lay.addLayout(row)
        self.legend = LegendRow()
        self.legend.setObjectName("hiddenLegend")
        lay.addWidget(self.legend)
        self.plot = HiddenSpacePlot()
        lay.addWidget(self.plot, 1)
        bottom = QHBoxLayout()
        self.info = QLabel()
        self.info.setObjectName("hiddenInfo")
        self.info.setAccessibleName("What the hidden space shows")
        self.info.setWordWrap(True)
        bottom.addWidget(self.info, 1)
        # The picture of the image sample under the pointer.
        self.thumb = QLabel()
        self.thumb.setObjectName("hiddenSample")
        self.thumb.setAccessibleName("Sample under the pointer")
        self.thumb.setFixedSize(44, 44)
        self.thumb.hide()
        bottom.addWidget(self.thumb)
        lay.addLayout(bottom)
        self.plot.hovered.connect(self._show_sample)
        self.layer_combo.currentIndexChanged.connect(lambda _i: self._reset())
        self.reset_button.clicked.connect(self._reset)
        self.pair_combo.currentIndexChanged.connect(lambda _i: self._draw())
        self.color_combo.currentIndexChanged.connect(lambda _i: self._draw())
        self._fill_layers()
        return box

    # -- when to update ----------------------------------------------------------------------
    def set_active(self, shown: bool) -> None:
        """The dock was shown (its tab chosen) or hidden: a dock behind another tab stays
        "visible" to Qt, so the window says (``QDockWidget.visibilityChanged``)."""
        self._active = shown
        if shown:
            self.ensure_built()
            self.refresh_now()

    def _on_redraw(self, slot: int) -> None:
        if slot == self.SLOT and self._active:
            self.refresh()

    def _on_runs_changed(self) -> None:
        if not self.history.runs:  # another project: forget the axes
            self.result, self._drawn_key, self._refit = None, None, True
            self._series = None
            if self.built:
                self.plot.clear_points()
        self.refresh_now()

    def refresh(self) -> None:
        """The scheduler's turn: update when the weights changed, at most once a second."""
        if time.monotonic() - self._last >= UPDATE_SECONDS:
            self.refresh_now()

    def refresh_now(self) -> None:
        """Update now if the dock is shown, the weights changed and no update runs."""
        if not self.built or not self._active or self.job.running:
            return
        layer = self.layer_combo.currentData()
        if layer is None:
            return
        try:
            snapshot = take_snapshot(self.training)
        except NetCanvasError as e:
            self.info.setText(str(e))
            return
        key = (snapshot.key, layer)
        if key == self._drawn_key and not self._refit:
            return
        self._last = time.monotonic()
        result = self.result
        previous = result.projection if result is not None and result.layer == layer \
            else None
        # New axes for another run's (or other) weights; fixed within a run's updates.
        refit = self._refit or previous is None or snapshot.series != self._series
        self._pending = (key, snapshot.series, snapshot.origin)
        self.job.start(lambda stop, _p: compute_hidden_space(snapshot, layer, previous,
                                                             refit, stop))

    def _reset(self) -> None:
        self._refit = True
        self.refresh_now()

    def shutdown(self) -> None:
        self.job.shutdown()

    # -- results -------------------------------------------------------------------------------
    def _on_result(self, result: HiddenSpace) -> None:
        if result.layer != self.layer_combo.currentData():
            self.refresh_now()
            return
        self.result = result
        self._drawn_key, self._series, self._origin = self._pending
        if result.refit:
            self._refit = False
        self._draw()
        if self._refit:  # the layer changed while this was computed
            self.refresh_now()

    def _on_failed(self, message: str) -> None:
        self.info.setText(f"Cannot show the hidden space: {message}")

    def _draw(self) -> None:
        r = self.result
        if r is None or not self.built:
            return
        pair = self.pair_combo.currentData()
        color_by = self.color_combo.currentData()
        self.plot.show_space(r, pair, color_by)
        self.legend.set_items(legend_items(r, color_by))
        self.legend.setVisible(bool(self.legend.text()))
        ratio = r.projection.variance_ratio
        shares = ", ".join(f"PC{i + 1} {v:.0%}" for i, v in enumerate(ratio))
        what = (f"{len(r.rows)} vectors of {r.layer}" if r.embedding else
                f"{r.layer} on {len(r.rows)} {r.split} samples")
        self.info.setText(f"{what} · variance {shares} · {self._origin}")

    def _show_sample(self, i: int) -> None:
        from app.plots.matrix import to_qimage

        r = self.result
        if r is None or r.images is None or not 0 <= i < len(r.images):
            self.thumb.hide()
            return
        image = to_qimage(r.images[i]).scaled(self.thumb.size())
        self.thumb.setPixmap(QPixmap.fromImage(image))
        self.thumb.setToolTip(self.plot.tip_text(i))
        self.thumb.show()

    def _fill_layers(self) -> None:
        if not hasattr(self, "layer_combo"):  # not built yet
            return
        a = self.training.doc.analysis
        layers = [n for n in a.order if n in a.layers and a.layers[n].max_inputs != 0]
        current = self.layer_combo.currentData()
        with QSignalBlocker(self.layer_combo):
            self.layer_combo.clear()
            for n in layers:
                kind = a.layers[n].type_name
                text = f"{n} ({kind}: vectors)" if kind == "Embedding" else f"{n} ({kind})"
                self.layer_combo.addItem(text, n)
            default = default_layer(a, layers)
            i = self.layer_combo.findData(current if current in layers else default)
            self.layer_combo.setCurrentIndex(max(0, i))
        if self.layer_combo.currentData() != current:
            self._reset()
        else:  # the network may have changed (new weights when its structure did)
            self.refresh_now()


def legend_items(r: HiddenSpace, color_by: str) -> list[tuple[str, str, bool]]:
    """What the colours of the points mean, for the legend row."""
    from app.explain.hidden_plot import RIGHT, WRONG
    from app.plots.common import CLASS_COLORS

    if r.embedding or r.labels is None:
        return []
    if r.task != "classification":
        what = "error" if color_by == "error" else "target"
        return [(CLASS_COLORS[1], f"low {what}", False),
                (CLASS_COLORS[0], f"high {what}", False)]
    if color_by == "error":
        return [(RIGHT, "right", False), (WRONG, "wrong", False)]
    k = int(max(r.labels.max(), r.predictions.max())) + 1 if len(r.labels) else 0
    names = r.class_names if r.class_names and len(r.class_names) >= k else \
        [str(i) for i in range(k)]
    return [(CLASS_COLORS[i % len(CLASS_COLORS)], names[i], False) for i in range(k)]


#: Layers that only pass values on or reshape them: the default skips them.
PASSING = ("Dropout", "SpatialDropout2D", "Flatten", "Reshape", "Activation")


def default_layer(analysis, layers: list[str]) -> str | None:
    """The last hidden layer that computes something (else the output layer)."""
    hidden = [n for n in layers[:-1] if analysis.layers[n].type_name not in PASSING]
    return hidden[-1] if hidden else (layers[-1] if layers else None)


def _combo(name: str, accessible: str, tip: str) -> QComboBox:
    box = QComboBox()
    box.setObjectName(name)
    box.setAccessibleName(accessible)
    box.setToolTip(tip)
    return box
