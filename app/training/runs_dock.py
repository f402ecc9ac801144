"""The "Runs" dock: every run of the open project in a table; tick runs to overlay their
curves, select one to show it and to export its weights."""

from __future__ import annotations

import html
import time

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPixmap
from PySide6.QtWidgets import QTreeWidgetItem, QVBoxLayout, QWidget

from app.models.runs import (
    STATUS_TEXT,
    RunRecord,
    format_duration,
    format_loss,
    format_metric,
)
from app.theme import colors, make_table, small_label, theme_notifier
from app.training.controller import RunController
from app.training.frames import WINDOW_SLOT


class RunsPanel(QWidget):
    """Every run of the open project: tick a run to overlay its curves on the shown one;
    select it to show it and to export its weights."""

    COLUMNS = ("Run", "Status", "Epochs", "Best loss", "Metric", "Time")

    def __init__(self, training: RunController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.training = training
        self.history = training.history
        self.tree = make_table(self.COLUMNS)
        self.tree.setAccessibleName("Runs")
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
        self.history.runs_changed.connect(self.rebuild)
        self.history.run_changed.connect(self.update_run)
        training.frames.redraw.connect(self._on_redraw)
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
            for run in self.history.runs:
                item = QTreeWidgetItem()
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                              | Qt.ItemFlag.ItemIsUserCheckable)
                item.setData(0, Qt.ItemDataRole.UserRole, run.number)
                pm = QPixmap(10, 10)
                pm.fill(QColor(run.color))
                item.setIcon(0, QIcon(pm))
                item.setCheckState(0, Qt.CheckState.Checked if run.number in
                                   self.history.overlay else Qt.CheckState.Unchecked)
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
            # The epochs this run trained, as its summary counts them (the tooltip says
            # where a continued run started).
            item.setText(2, str(run.epochs_done))
            best = run.best()
            item.setText(3, format_loss(best[1]) if best else "–")
            m = run.final_metrics()
            key = f"val_{run.metric}" if f"val_{run.metric}" in m else f"train_{run.metric}"
            item.setText(4, format_metric(run.metric, m[key]) if key in m else "–")
            item.setText(5, format_duration(run.active_time))
            tip = (f"<b>{html.escape(run.title)}</b><br>"
                   f"{html.escape(run.settings_text()).replace(chr(10), '<br>')}")
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
        run = self.history.active_run
        now = time.perf_counter()
        if run is not None and self.isVisible() and now - self._last_update > 0.5:
            self._last_update = now
            self.update_run(run)

    def _on_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._filling or column != 0:
            return
        number = item.data(0, Qt.ItemDataRole.UserRole)
        self.history.set_overlay(number, item.checkState(0) == Qt.CheckState.Checked)

    def _on_selection(self) -> None:
        items = self.tree.selectedItems()
        if not items:
            return
        number = items[0].data(0, Qt.ItemDataRole.UserRole)
        self.training.select_run(self.history.find(number))

    def check(self, number: int, on: bool = True) -> None:
        item = self.items.get(number)
        if item is not None:
            item.setCheckState(0, Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
