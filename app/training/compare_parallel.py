"""Parallel coordinates of runs: one vertical axis per setting that differs between them,
then the best loss and the final metric; each run is a line across the axes in its
colour, the best run drawn thick. A numeric axis runs from its smallest value (bottom) to
its largest (top), on a log scale when the values span a factor of 100 or more (learning
rates); a categorical axis spaces its values evenly. Each axis is labelled with its name
and its ends' values."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from app.models.comparison import (
    best_run,
    differing,
    metric_key,
    run_numbers,
    short_name,
    show_value,
)
from app.models.runs import RunRecord, format_loss
from app.plots.common import make_plot, pen, plot_colors


@dataclass
class Axis:
    """One axis: its title, each run's position on it (0 bottom .. 1 top; NaN: no
    value) and the labels of its bottom and top."""

    title: str
    positions: list[float]
    low: str
    high: str


def numeric_axis(title: str, values: list[Any]) -> Axis:
    """A numeric axis (log when the positive values span a factor of 100)."""
    v = np.array([np.nan if x is None else float(x) for x in values])
    finite = v[np.isfinite(v)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    use_log = finite.size and lo > 0 and hi / lo >= 100
    t = np.log10(v) if use_log else v
    t_lo, t_hi = (math.log10(lo), math.log10(hi)) if use_log else (lo, hi)
    pos = (t - t_lo) / (t_hi - t_lo) if t_hi > t_lo else np.where(np.isfinite(t), 0.5,
                                                                   np.nan)
    return Axis(title + (" (log)" if use_log else ""), [float(p) for p in pos],
                _number(lo), _number(hi))


def _number(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e6 else format_loss(v)


def category_axis(title: str, values: list[Any]) -> Axis:
    """A categorical axis: the distinct values in the order met, evenly spaced."""
    order: list[str] = []
    for v in values:
        if show_value(v) not in order:
            order.append(show_value(v))
    step = 1 / (len(order) - 1) if len(order) > 1 else 0
    pos = [order.index(show_value(v)) * step if len(order) > 1 else 0.5 for v in values]
    return Axis(title, pos, order[0], order[-1])


def axes_for(runs: list[RunRecord]) -> list[Axis]:
    """The axes of ``runs``: the differing settings, the best loss, the final metric."""
    out = []
    for d in differing(runs):
        numeric = all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))
                      for v in d.values)
        make = numeric_axis if numeric else category_axis
        out.append(make(short_name(d.path), d.values))
    numbers = [run_numbers(r) for r in runs]
    out.append(numeric_axis("best loss", [n.best_loss for n in numbers]))
    key = metric_key(runs[0]) if runs else "accuracy"
    out.append(numeric_axis({"accuracy": "final accuracy", "r2": "final R²",
                             "rmse": "final RMSE"}[key],
                            [n.final_metric for n in numbers]))
    return out


class ParallelCoordinates(QDialog):
    """The runs' settings and results as parallel coordinates (non-modal)."""

    def __init__(self, runs: list[RunRecord], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("parallelDialog")
        self.setWindowTitle(f"Parallel Coordinates of {len(runs)} Runs")
        self.resize(900, 480)
        self.runs = runs
        self.axes = axes_for(runs)
        self.best = best_run(runs)
        self.plot = make_plot()
        self.plot.setAccessibleName("Parallel coordinates of the runs")
        self.plot.setAccessibleName("Parallel coordinates of the runs")
        self.plot.setToolTip("Each line is a run; each vertical axis a setting or result "
                             "(bottom: smallest, top: largest)")
        self.lines: dict[int, pg.PlotDataItem] = {}
        self._draw()
        legend = QLabel("&nbsp;&nbsp; ".join(
            f"<span style='color:{r.color}; font-weight:bold'>━</span> "
            f"{html.escape(r.name)}{' ★' if r is self.best else ''}" for r in runs))
        legend.setTextFormat(Qt.TextFormat.RichText)
        legend.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setAccessibleName("Close")
        buttons.rejected.connect(self.close)
        lay = QVBoxLayout(self)
        lay.addWidget(legend)
        lay.addWidget(self.plot, 1)
        lay.addWidget(buttons)

    def _draw(self) -> None:
        item = self.plot.getPlotItem()
        item.hideAxis("left")
        item.hideAxis("bottom")
        item.setMouseEnabled(False, False)
        fg = plot_colors()[1]
        n = len(self.axes)
        for i, axis in enumerate(self.axes):
            item.addItem(pg.InfiniteLine(pos=i, angle=90, movable=False, pen=pen(fg, 1.0)))
            for y, text, anchor in ((1.0, axis.high, (0.5, 1.0)), (0.0, axis.low, (0.5, 0.0)),
                                    (1.14, axis.title, (0.5, 1.0))):
                label = pg.TextItem(text, color=fg, anchor=anchor)
                label.setPos(i, y)
                item.addItem(label)
        for j, run in enumerate(self.runs):
            ys = [a.positions[j] for a in self.axes]
            width = 3.2 if run is self.best else 1.6
            line = item.plot(list(range(n)), ys, pen=pen(run.color, width), connect="finite",
                             symbol="o", symbolSize=6, symbolBrush=run.color,
                             symbolPen=None)
            self.lines[run.number] = line
        item.setXRange(-0.5, n - 0.5, padding=0)
        item.setYRange(-0.12, 1.22, padding=0)
