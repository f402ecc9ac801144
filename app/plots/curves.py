"""Loss and metric curves of a run, per epoch, with the smoothed per-batch loss, past runs
overlaid, a log-scale switch, a readout of the values under the cursor and the early
stopping marker.

One curve item per series, created once; :meth:`EpochPlot.refresh` only calls ``setData``
when the run's buffers moved (``RunCurves.version``).
"""

from __future__ import annotations

import html
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QVBoxLayout, QWidget

from app.models.runs import RunRecord, format_loss, format_metric, metric_title
from app.plots.common import (
    TRAIN_COLOR,
    VAL_COLOR,
    LegendRow,
    RangeKeeper,
    fmt_value,
    make_plot,
    pen,
    plot_colors,
    style_plot,
)
from app.theme import small_label

BATCH_COLOR = "#9cc3e4"


class EpochPlot(QWidget):
    """Training and validation values per epoch of the shown run (``kind`` 'loss' or
    'metric'), plus overlays of chosen past runs (their validation curve, dashed)."""

    def __init__(self, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.run: RunRecord | None = None
        self.overlays: list[RunRecord] = []
        self._seen: tuple = ()
        self.legend = LegendRow()
        self.log_box = QCheckBox("Log scale")
        self.log_box.setToolTip("Logarithmic y axis")
        self.log_box.setAccessibleName(f"Log scale of the {kind} plot")
        self.log_box.toggled.connect(self.set_log)
        head = QHBoxLayout()
        head.setContentsMargins(4, 0, 4, 0)
        head.addWidget(self.legend, 1)
        head.addWidget(self.log_box, 0, Qt.AlignmentFlag.AlignTop)
        self.plot = make_plot(left="loss" if kind == "loss" else "accuracy", bottom="epoch")
        self.plot.setAccessibleName("Loss curves" if kind == "loss" else "Metric curves")
        item = self.plot.getPlotItem()
        self.batch_curve = None
        if kind == "loss":
            self.batch_curve = item.plot([], [], pen=pen(BATCH_COLOR, 1.0),
                                         connect="finite", antialias=False)
            self.batch_curve.setDownsampling(auto=True, method="peak")
            self.batch_curve.setClipToView(True)
        # Without antialiasing: a noisy curve of a few thousand points costs several times
        # more to draw antialiased, and the drawing competes with training.
        self.train_curve = item.plot([], [], pen=pen(TRAIN_COLOR, 1.8), connect="finite",
                                     antialias=False)
        self.val_curve = item.plot([], [], pen=pen(VAL_COLOR, 1.8), connect="finite",
                                   antialias=False)
        self._overlay_items: dict[int, pg.PlotDataItem] = {}
        self.stop_line = pg.InfiniteLine(angle=90, movable=False,
                                         pen=pen("#8a8f98", 1.2, Qt.PenStyle.DashLine),
                                         label="early stop", labelOpts={
                                             "position": 0.92, "color": "#8a8f98"})
        self.stop_line.hide()
        item.addItem(self.stop_line, ignoreBounds=True)
        self.best_marker = pg.ScatterPlotItem(size=11, symbol="star",
                                              pen=pg.mkPen("#202020", width=0.8),
                                              brush=pg.mkBrush("#ffd23f"))
        self.best_marker.setToolTip("Best epoch")
        item.addItem(self.best_marker)
        self.cursor_line = pg.InfiniteLine(angle=90, movable=False, pen=pen("#9aa0a8", 1.0))
        self.cursor_line.hide()
        item.addItem(self.cursor_line, ignoreBounds=True)
        self.readout = small_label()
        self.readout.setObjectName("plotReadout")
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(1)
        lay.addLayout(head)
        lay.addWidget(self.plot, 1)
        lay.addWidget(self.readout)
        self.plot.scene().sigMouseMoved.connect(self._on_mouse)
        self.readout_x: float | None = None
        self.ranges = RangeKeeper(self.plot)
        self._label = "accuracy" if kind == "metric" else "loss"
        self._marker_key: tuple = ()

    # -- content ---------------------------------------------------------------------------
    def set_runs(self, run: RunRecord | None, overlays: list[RunRecord]) -> None:
        if run is not self.run:
            self.run = run
            self._seen = ()
            self.ranges.reset()
            self._update_label()
            self.clear_readout()
        keep = {r.number for r in overlays}
        for number in list(self._overlay_items):
            if number not in keep:
                self.plot.getPlotItem().removeItem(self._overlay_items.pop(number))
        for r in overlays:
            if r.number not in self._overlay_items:
                curve = self.plot.getPlotItem().plot(
                    [], [], pen=pen(r.color, 1.6, Qt.PenStyle.DashLine), connect="finite",
                    antialias=False)
                self._overlay_items[r.number] = curve
        self.overlays = list(overlays)
        self._seen = ()
        self._update_legend()

    def _update_label(self) -> None:
        run = self.run
        if run is None or self.kind != "metric":
            return
        label = metric_title(run.metric)
        if run.metric == "rmse" and run.data is not None and run.data.target_std is not None:
            label += " (standardized)"
        self.set_metric(label)

    def set_metric(self, label: str) -> None:
        """Name the metric on the y axis (of a metric plot)."""
        if self.kind == "metric" and label != self._label:
            self._label = label
            self.plot.getPlotItem().setLabel("left", label, color=plot_colors()[1],
                                             **{"font-size": "8pt"})

    def _update_legend(self) -> None:
        """The shown run's series, then the overlaid runs by number only ("┅ runs 2 3 5"),
        so many overlays keep the legend to one line and the plot its height."""
        parts = []
        if self.run is not None:
            if self.kind == "loss":
                parts.append(_legend_entry(BATCH_COLOR, "━", "batches"))
            parts.append(_legend_entry(TRAIN_COLOR, "━", "train"))
            parts.append(_legend_entry(VAL_COLOR, "━", "val"))
            parts.append(_legend_entry("#ffd23f", "★", "best"))
        if self.overlays:
            numbers = " ".join(f"<span style='color:{r.color}; font-weight:bold'>"
                               f"{r.number}</span>" for r in self.overlays)
            word = "run" if len(self.overlays) == 1 else "runs"
            parts.append(f"<span style='font-weight:bold'>┅</span>&nbsp;{word} {numbers}")
        text = "&nbsp;&nbsp; ".join(parts)
        if text != self.legend.text():
            self.legend.setText(text)
        tip = ("Solid: the shown run's training and validation curves"
               + (" and its smoothed batch losses" if self.kind == "loss" else "")
               + "; ★ its best epoch (lowest monitored loss)")
        names = ", ".join(r.title for r in self.overlays)
        self.legend.setToolTip(tip + (f"\nOverlaid (dashed): {names}" if names else ""))

    def _series(self, run: RunRecord) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        c = run.curves
        if self.kind == "loss":
            return c.epoch.data, c.train_loss.data, c.val_loss.data
        return c.epoch.data, c.train_metric.data, c.val_metric.data

    def refresh(self) -> bool:
        """Redraw from the buffers if they changed; True when something was redrawn."""
        run = self.run
        key = (run.curves.version if run is not None else None, run.status if run else None,
               tuple((r.number, r.curves.version) for r in self.overlays),
               self.log_box.isChecked())
        if key == self._seen:
            return False
        self._seen = key
        self._update_label()
        log = self.log_box.isChecked()
        if run is None:
            for c in (self.train_curve, self.val_curve, self.batch_curve):
                if c is not None:
                    c.setData([], [])
            self.stop_line.hide()
            self.best_marker.setData([], [])
            self._marker_key = ()
        else:
            x, tr, va = self._series(run)
            self.train_curve.setData(x, self._safe(tr, log))
            self.val_curve.setData(x, self._safe(va, log))
            if self.batch_curve is not None:
                c = run.curves
                self.batch_curve.setData(c.batch_x.data, self._safe(c.batch_loss.data, log))
            self._update_marker(run)
        ys, x_lo, x_hi = [], math.inf, -math.inf
        if run is not None:
            x, tr, va = self._series(run)
            ys += [tr, va]
            if self.batch_curve is not None:
                ys.append(run.curves.batch_loss.data)
            x_lo = run.start_epoch
            x_hi = float(x[-1]) if len(x) else run.start_epoch
        for r in self.overlays:
            x, tr, va = self._series(r)
            y = va if np.isfinite(va).any() else tr
            self._overlay_items[r.number].setData(x, self._safe(y, log))
            ys.append(y)
            x_lo = min(x_lo, r.start_epoch)
            if len(x):
                x_hi = max(x_hi, float(x[-1]))
        if math.isfinite(x_lo):
            end = run.start_epoch + run.epochs_planned if run is not None and run.active \
                else x_hi
            self.ranges.update(x_lo, max(x_hi, x_lo), end, ys, log)
        if self.readout_x is not None:
            self._show_readout(self.readout_x)
        self.plot.setAccessibleDescription(self.describe())
        return True

    def describe(self) -> str:
        """What the plot shows, in words (for screen readers): the shown run's last
        training and validation values and its best epoch."""
        run = self.run
        if run is None or not len(run.curves.epoch.data):
            return "No run yet"
        x, tr, va = self._series(run)
        fmt = format_loss if self.kind == "loss" else (
            lambda v: format_metric(run.metric, v))
        parts = [f"Run {run.number}, epoch {int(x[-1])}"]
        for name, y in (("training", tr), ("validation", va)):
            if len(y) and np.isfinite(y[-1]):
                parts.append(f"{name} {fmt(float(y[-1]))}")
        best = self._best_point(run)
        if best is not None:
            parts.append(f"best epoch {int(best[0])}")
        if self.overlays:
            parts.append("overlaid: " + ", ".join(f"run {r.number}" for r in self.overlays))
        return "; ".join(parts)

    @staticmethod
    def _safe(y: np.ndarray, log: bool) -> np.ndarray:
        if not log:
            return y
        return np.where(y > 0, y, np.nan)

    def _update_marker(self, run: RunRecord) -> None:
        """The best epoch's star on the shown run's monitored curve (and on each overlay),
        and the early-stopping line, which says whether the best weights were restored."""
        key = (id(run.finished), len(run.curves), self.log_box.isChecked(),
               tuple((r.number, len(r.curves)) for r in self.overlays))
        if key == self._marker_key:
            return
        self._marker_key = key
        fin = run.finished
        if fin is not None and fin.reason == "early_stopping":
            best = run.best_x()
            self.stop_line.setValue(run.start_epoch + run.engine_epochs(fin.epochs_run))
            self.stop_line.label.setFormat(
                f"early stop · best epoch {best}"
                + (" restored" if fin.restored_best else ""))
            self.stop_line.show()
        else:
            self.stop_line.hide()
        xs, ys, brushes = [], [], []
        for r in [run, *self.overlays]:
            point = self._best_point(r)
            if point is not None:
                xs.append(point[0])
                ys.append(self._marker_y(point[1]))
                brushes.append(pg.mkBrush("#ffd23f" if r is run else r.color))
        self.best_marker.setData(xs, ys, brush=brushes)
        best = run.best_x()
        self.best_marker.setToolTip(f"Best epoch of {run.name}: {best}" if best else "")

    def _best_point(self, run: RunRecord) -> tuple[float, float] | None:
        """(epoch, value) of ``run``'s best epoch on this plot's curve of it (validation,
        else training)."""
        best = run.best_x()
        if best is None:
            return None
        x, tr, va = self._series(run)
        i = np.flatnonzero(x == best)
        if not i.size:
            return None
        i = int(i[0])
        y = va[i] if np.isfinite(va).any() else tr[i]
        return (float(x[i]), float(y)) if math.isfinite(y) else None

    def _marker_y(self, y: float) -> float:
        return math.log10(y) if self.log_box.isChecked() and y > 0 else y

    def set_log(self, on: bool) -> None:
        self.plot.getPlotItem().setLogMode(y=on)
        self._seen = ()
        self.ranges.reset()
        self.refresh()

    def apply_theme(self) -> None:
        style_plot(self.plot)

    # -- cursor readout ----------------------------------------------------------------------
    def _on_mouse(self, pos: QPointF) -> None:
        vb = self.plot.getPlotItem().getViewBox()
        if not self.plot.sceneBoundingRect().contains(pos) or self.run is None:
            return
        x = vb.mapSceneToView(pos).x()
        self.show_readout_at(x)

    def show_readout_at(self, x: float) -> str:
        self.readout_x = x
        return self._show_readout(x)

    def clear_readout(self) -> None:
        """No values under the cursor (another run is shown)."""
        self.readout_x = None
        self.readout.setText(" ")
        self.cursor_line.hide()

    def _show_readout(self, x: float) -> str:
        run = self.run
        if run is None:
            return ""
        v = run.curves.value_at(x)
        if v is None:
            self.readout.setText(" ")
            self.cursor_line.hide()
            return ""
        self.cursor_line.setValue(v["epoch"])
        self.cursor_line.show()
        parts = [f"epoch {v['epoch']:.0f}"]
        if self.kind == "loss":
            parts.append(f"training {fmt_value(v['train_loss'])}")
            if math.isfinite(v["val_loss"]):
                parts.append(f"validation {fmt_value(v['val_loss'])}")
            if "batch_loss" in v:
                parts.append(f"batches {fmt_value(v['batch_loss'])}")
        else:
            parts.append(f"training {format_metric(run.metric, v['train_metric'])}")
            if math.isfinite(v["val_metric"]):
                parts.append(f"validation {format_metric(run.metric, v['val_metric'])}")
        for r in self.overlays:
            o = r.curves.value_at(x)
            if o is None or abs(o["epoch"] - v["epoch"]) > 0.5:
                continue
            key = "val_loss" if self.kind == "loss" else "val_metric"
            if not math.isfinite(o[key]):
                key = key.replace("val", "train")
            val = fmt_value(o[key]) if self.kind == "loss" else format_metric(r.metric, o[key])
            parts.append(f"{r.name} {val}")
        text = " · ".join(parts)
        self.readout.setText(text)
        return text


def _legend_entry(color: str, mark: str, name: str) -> str:
    return (f"<span style='color:{color}; font-weight:bold'>{mark}</span>&nbsp;"
            f"{html.escape(name)}")
