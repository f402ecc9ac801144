"""Two runs side by side: every setting of each (the ones that differ highlighted, or only
those), their final and best numbers, and their loss and metric curves overlaid on one
epoch axis (training thin, validation thick, each run in its colour; a fork's curves start
at the epoch it continued from)."""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QSplitter,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.models.comparison import run_numbers, run_settings, show_value
from app.models.runs import RunRecord, format_loss, metric_title
from app.plots.common import make_plot, pen
from app.theme import colors, make_table


class CompareDialog(QDialog):
    """The settings and curves of two runs (non-modal; one per pair asked for)."""

    def __init__(self, first: RunRecord, second: RunRecord,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runs = (first, second)
        self.setObjectName("compareDialog")
        self.setWindowTitle(f"Compare {first.name} and {second.name}")
        self.resize(980, 560)
        self.table = make_table(["Setting", first.lineage, second.lineage])
        self.table.setAccessibleName("Settings of the two runs")
        self.table.header().setAccessibleName("Setting and the two runs' values")
        self.only_diffs = QCheckBox("Show only the settings that differ")
        self.only_diffs.setAccessibleName("Show only differing settings")
        self.only_diffs.setToolTip("Hide the settings both runs share")
        self.only_diffs.toggled.connect(self._filter)
        self.summary = QLabel()
        self.summary.setObjectName("compareSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.only_diffs)
        ll.addWidget(self.table, 1)
        self.loss_plot = make_plot(left="loss", bottom="epoch")
        self.metric_plot = make_plot(left=metric_title(first.metric), bottom="epoch")
        self.loss_plot.setAccessibleName("Loss curves of both runs")
        self.metric_plot.setAccessibleName("Metric curves of both runs")
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self._legend())
        rl.addWidget(self.loss_plot, 1)
        rl.addWidget(self.metric_plot, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([400, 560])
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setAccessibleName("Close")
        buttons.rejected.connect(self.close)
        lay = QVBoxLayout(self)
        lay.addWidget(self.summary)
        lay.addWidget(split, 1)
        lay.addWidget(buttons)
        self.differing: list[str] = []
        self._fill_settings()
        self._fill_summary()
        self._plot()
        self.only_diffs.setChecked(True)

    def _legend(self) -> QLabel:
        parts = [f"<span style='color:{r.color}; font-weight:bold'>━</span> "
                 f"{html.escape(r.name)}" for r in self.runs]
        label = QLabel("&nbsp;&nbsp; ".join(parts) + "&nbsp;&nbsp; (thin: training, thick: "
                       "validation, ★ best epoch)")
        label.setTextFormat(Qt.TextFormat.RichText)
        return label

    def _fill_settings(self) -> None:
        a, b = (run_settings(r) for r in self.runs)
        mark = QColor(colors().selection)
        mark.setAlpha(70)
        for path in list(a) + [p for p in b if p not in a]:
            va, vb = a.get(path), b.get(path)
            item = QTreeWidgetItem([path, show_value(va), show_value(vb)])
            differs = va != vb
            if differs:
                self.differing.append(path)
                for c in range(3):
                    item.setBackground(c, QBrush(mark))
                font = item.font(0)
                font.setBold(True)
                item.setFont(0, font)
            item.setData(0, Qt.ItemDataRole.UserRole, differs)
            self.table.addTopLevelItem(item)

    def _filter(self, only: bool) -> None:
        for i in range(self.table.topLevelItemCount()):
            item = self.table.topLevelItem(i)
            item.setHidden(only and not item.data(0, Qt.ItemDataRole.UserRole))

    def _fill_summary(self) -> None:
        rows = []
        for r in self.runs:
            final = run_numbers(r).final_loss
            rows.append(f"<span style='color:{r.color}'>■</span> <b>"
                        f"{html.escape(r.lineage)}</b>: {html.escape(r.summary())} · final "
                        f"loss {format_loss(final)}")
        count = len(self.differing)
        rows.append(f"{count} setting{'s' if count != 1 else ''} differ")
        self.summary.setText("<br>".join(rows))

    def _plot(self) -> None:
        for plot, kind in ((self.loss_plot, "loss"), (self.metric_plot, "metric")):
            item = plot.getPlotItem()
            for r in self.runs:
                c = r.curves
                x = c.epoch.data
                tr, va = ((c.train_loss.data, c.val_loss.data) if kind == "loss"
                          else (c.train_metric.data, c.val_metric.data))
                # A few epochs (a short fork) show as points too: one epoch is no line.
                dots = {"symbol": "o", "symbolSize": 5, "symbolBrush": r.color,
                        "symbolPen": None} if len(x) <= 3 else {}
                item.plot(x, tr, pen=pen(r.color, 1.0), connect="finite", **dots)
                item.plot(x, va, pen=pen(r.color, 2.2), connect="finite", **dots)
                best = r.best_x()
                i = np.flatnonzero(x == best) if best is not None else []
                if len(i):
                    y = va if np.isfinite(va).any() else tr
                    item.plot([x[i[0]]], [y[i[0]]], pen=None, symbol="star", symbolSize=12,
                              symbolBrush=r.color, symbolPen=pg.mkPen("#202020"))
