"""The "Runs" dock: every run of the open project in a table that compares them: status,
epochs, best epoch and loss, final loss and metric, training time (counting up while a run
trains) and a column for every setting that differs between the runs, each cell marked
where it differs from the baseline run (the first, or the one chosen). Tick runs to
overlay their curves; select one to show it (and export it); select two to compare them.
The best finished run is starred. The other parts add their actions (compare, fork,
export) to the dock's buttons and context menu; a sweep shows its progress above the
table."""

from __future__ import annotations

import html
import time

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QAction, QBrush, QColor, QFont, QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QToolButton,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.models.comparison import (
    best_run,
    differing,
    metric_key,
    run_numbers,
    short_name,
    show_value,
)
from app.models.runs import STATUS_TEXT, RunRecord, format_duration, format_loss, format_metric
from app.theme import colors, make_table, small_label, theme_notifier
from app.training.controller import RunController
from app.training.frames import WINDOW_SLOT
from nncore.compare import Difference

#: The fixed columns; one per differing setting follows them.
FIXED = ("Run", "Status", "Epochs", "Best epoch", "Best loss", "Final loss", "Final metric",
         "Time")
TIPS = ("The run (← the run and epoch a fork continues); ★ the best run (lowest best "
        "loss); tick to overlay its curves",
        "How the run ended", "Epochs this run trained",
        "The epoch with the lowest monitored loss (validation, else training)",
        "The lowest monitored loss (validation, else training)",
        "The last epoch's validation loss (training loss without a validation split)",
        "The last epoch's validation accuracy, R² or RMSE (training without a validation "
        "split)",
        "Time spent training (pauses excluded); counts up while the run trains")
METRIC_NAMES = {"accuracy": "acc", "r2": "R²", "rmse": "RMSE"}


class RunsPanel(QWidget):
    """The runs table, its buttons and its context menu; ``selected_runs()`` for the
    parts that act on the chosen runs."""

    #: The chosen runs changed (list of RunRecord).
    selectionChanged = Signal(list)
    #: The fixed columns (the setting columns follow).
    COLUMNS = FIXED

    def __init__(self, training: RunController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.training = training
        self.history = training.history
        self.tree = make_table(list(FIXED))
        self.tree.setAccessibleName("Runs table")
        self.tree.header().setAccessibleName("Runs table columns")
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self.hint = small_label("Tick: overlay · Ctrl+click two: compare · right-click: "
                                "more", 0.88, wrap=True)
        self.hint.setToolTip("Tick runs to overlay their curves on the shown one; select one "
                             "to show it, two (Ctrl+click) to compare them; right-click a "
                             "run to save a checkpoint, fork it, export or choose the "
                             "baseline")
        self.hint.setObjectName("hint")
        self.sweep_label = QLabel()
        self.sweep_label.setObjectName("sweepStatus")
        self.sweep_label.setWordWrap(True)
        self.sweep_stop = QPushButton("Stop Sweep")
        self.sweep_stop.setAccessibleName("Stop sweep")
        self.sweep_stop.setToolTip("Stop the running run and the sweep (its runs so far stay)")
        self.sweep_stop.clicked.connect(training.stop)
        self.sweep_bar = QWidget()
        bar = QHBoxLayout(self.sweep_bar)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.sweep_label, 1)
        bar.addWidget(self.sweep_stop)
        self.sweep_bar.hide()
        self.buttons = QHBoxLayout()
        self.buttons.setContentsMargins(0, 0, 0, 0)
        self.buttons.setSpacing(4)
        self.more = QToolButton()
        self.more.setText("More ▾")
        self.more.setAccessibleName("More run actions")
        self.more.setToolTip("Save a checkpoint, fork, export, choose the baseline")
        self.more.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.more_menu = QMenu(self.more)
        self.more.setMenu(self.more_menu)
        self.buttons.addStretch(1)
        self.buttons.addWidget(self.more)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.setSpacing(4)
        lay.addWidget(self.sweep_bar)
        lay.addLayout(self.buttons)
        lay.addWidget(self.tree, 1)
        lay.addWidget(self.hint)
        self.items: dict[int, QTreeWidgetItem] = {}
        self.diffs: list[Difference] = []
        #: The run the setting cells are compared with (None: the first run).
        self.baseline: int | None = None
        self._best: RunRecord | None = None
        self._filling = False
        self.act_baseline = QAction("Use as &Baseline", self)
        self.act_baseline.setObjectName("actionRunBaseline")
        self.act_baseline.setToolTip("Mark the other runs' settings where they differ "
                                     "from this run's")
        self.act_baseline.triggered.connect(self.use_selected_as_baseline)
        self.more_menu.addAction(self.act_baseline)
        self._context_actions: list[QAction | None] = []
        self.tree.itemChanged.connect(self._on_item_changed)
        self.tree.itemSelectionChanged.connect(self._on_selection)
        self.history.runs_changed.connect(self.rebuild)
        self.history.run_changed.connect(self._on_run_changed)
        training.frames.redraw.connect(self._on_redraw)
        theme_notifier().changed.connect(self._on_theme)
        self._last_update = 0.0
        self.rebuild()
        self._on_theme()

    # -- what other parts add --------------------------------------------------------------
    def add_buttons(self, actions: list[QAction]) -> None:
        """Buttons for ``actions`` before the "More" menu (they follow the actions)."""
        for act in actions:
            button = QToolButton()
            button.setDefaultAction(act)
            button.setAccessibleName(act.text().replace("&", "").rstrip("…"))
            self.buttons.insertWidget(self.buttons.count() - 2, button)

    def add_menu_actions(self, actions: list[QAction | None]) -> None:
        """Actions for the "More" menu and the table's context menu (None: separator)."""
        for act in actions:
            self.more_menu.addSeparator() if act is None else self.more_menu.addAction(act)
        self._context_actions += actions

    def set_sweep_text(self, text: str | None) -> None:
        """Show a sweep's progress above the table (None: no sweep runs)."""
        self.sweep_bar.setVisible(text is not None)
        self.sweep_label.setText(text or "")

    # -- reading ---------------------------------------------------------------------------
    def selected_runs(self) -> list[RunRecord]:
        """The chosen runs, in the table's order."""
        chosen = {i.data(0, Qt.ItemDataRole.UserRole) for i in self.tree.selectedItems()}
        return [r for r in self.history.runs if r.number in chosen]

    def row_texts(self, number: int) -> dict[str, str]:
        """Column title -> the text of run ``number``'s row, as the table shows it."""
        item, head = self.items[number], self.tree.headerItem()
        return {head.text(c): item.text(c) for c in range(self.tree.columnCount())}

    def baseline_run(self) -> RunRecord | None:
        run = self.history.find(self.baseline) if self.baseline is not None else None
        return run or (self.history.runs[0] if self.history.runs else None)

    # -- filling ---------------------------------------------------------------------------
    def _on_theme(self) -> None:
        self.hint.setStyleSheet(f"color: {colors().subtext.name()};")
        self._refill()

    def rebuild(self) -> None:
        self._filling = True
        try:
            self.tree.clear()
            self.items = {}
            if self.baseline is not None and self.history.find(self.baseline) is None:
                self.baseline = None
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
        finally:
            self._filling = False
        self._refill()

    def _refill(self) -> None:
        """The setting columns (what differs now) and every row."""
        runs = self.history.runs
        self.diffs = differing(runs)
        self._best = best_run(runs)
        headers = list(FIXED) + [short_name(d.path) for d in self.diffs]
        self.tree.setColumnCount(len(headers))
        self.tree.setHeaderLabels(headers)
        head = self.tree.headerItem()
        for c, tip in enumerate(TIPS):
            head.setToolTip(c, tip)
        for c, d in enumerate(self.diffs, len(FIXED)):
            head.setToolTip(c, f"{d.path}: differs between the runs")
        for run in runs:
            item = self.items.get(run.number)
            if item is not None:
                self._fill(item, run)

    def _fill(self, item: QTreeWidgetItem, run: RunRecord) -> None:
        self._filling, was = True, self._filling
        try:
            best = run is self._best
            item.setText(0, ("★ " if best else "") + run.lineage)
            font = QFont(self.tree.font())
            font.setBold(best)
            item.setFont(0, font)
            item.setText(1, STATUS_TEXT.get(run.status, run.status))
            item.setText(2, str(run.epochs_done))
            nums = run_numbers(run)
            item.setText(3, "–" if nums.best_epoch is None else str(nums.best_epoch))
            item.setText(4, format_loss(nums.best_loss))
            item.setText(5, format_loss(nums.final_loss))
            key = metric_key(run)
            value = "–" if nums.final_metric is None else (
                format_metric(run.metric, nums.final_metric) if key != "r2"
                else f"{nums.final_metric:.3f}")
            item.setText(6, f"{METRIC_NAMES[key]} {value}" if value != "–" else value)
            item.setText(7, format_duration(self.training.elapsed(run)))
            self._fill_settings(item, run)
            tip = self._tooltip(run, nums.monitored)
            for c in range(self.tree.columnCount()):
                item.setToolTip(c, tip)
            bad = run.status in ("failed", "diverged")
            item.setForeground(1, QBrush(colors().error if bad else colors().text))
        finally:
            self._filling = was

    def _fill_settings(self, item: QTreeWidgetItem, run: RunRecord) -> None:
        """The differing settings' cells, highlighted where they differ from the
        baseline's."""
        runs = self.history.runs
        if run not in runs:
            return
        i = runs.index(run)
        base = self.baseline_run()
        b = runs.index(base) if base in runs else 0
        mark = QColor(colors().selection)
        mark.setAlpha(70)
        for c, d in enumerate(self.diffs, len(FIXED)):
            item.setText(c, show_value(d.values[i]))
            differs = i != b and d.values[i] != d.values[b]
            item.setBackground(c, QBrush(mark) if differs else QBrush())
            item.setData(c, Qt.ItemDataRole.UserRole, differs)

    def _tooltip(self, run: RunRecord, monitored: str) -> str:
        tip = (f"<b>{html.escape(run.lineage)}: {html.escape(run.label)}</b><br>"
               f"{html.escape(run.settings_text()).replace(chr(10), '<br>')}")
        if not run.active:
            tip += f"<br>{html.escape(run.summary())}"
        tip += f"<br>Losses shown: {monitored}"
        if run is self._best:
            tip += "<br>★ the best run: the lowest best loss"
        if run.error:
            tip += (f"<br><span style='color:{colors().error.name()}'>"
                    f"{html.escape(run.error)}</span>")
        return tip

    def update_run(self, run: RunRecord) -> None:
        item = self.items.get(run.number)
        if item is not None:
            self._fill(item, run)

    def _on_run_changed(self, run: RunRecord) -> None:
        # Settings and results changed (a run ended, a live change): the columns and the
        # best run may change too.
        if run.active:
            self.update_run(run)
        else:
            self._refill()

    def _on_redraw(self, slot: int) -> None:
        if slot != WINDOW_SLOT:
            return
        run = self.history.active_run
        now = time.perf_counter()
        if run is not None and self.isVisible() and now - self._last_update > 0.5:
            self._last_update = now
            self.update_run(run)

    # -- choices ---------------------------------------------------------------------------
    def use_selected_as_baseline(self) -> None:
        runs = self.selected_runs()
        if runs:
            self.baseline = runs[-1].number
            self._refill()

    def _on_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._filling or column != 0:
            return
        number = item.data(0, Qt.ItemDataRole.UserRole)
        self.history.set_overlay(number, item.checkState(0) == Qt.CheckState.Checked)

    def _on_selection(self) -> None:
        runs = self.selected_runs()
        current = self.tree.currentItem()
        if runs:
            number = current.data(0, Qt.ItemDataRole.UserRole) if current is not None \
                and current.isSelected() else runs[-1].number
            self.training.select_run(self.history.find(number))
        self.act_baseline.setEnabled(bool(runs))
        self.selectionChanged.emit(runs)

    def _context_menu(self, pos: QPoint) -> None:
        item = self.tree.itemAt(pos)
        if item is None:
            return
        if not item.isSelected():
            self.tree.setCurrentItem(item)
        menu = QMenu(self)
        for act in [*self._context_actions, None, self.act_baseline]:
            menu.addSeparator() if act is None else menu.addAction(act)
        menu.exec(self.tree.viewport().mapToGlobal(pos))

    def select(self, numbers: list[int]) -> None:
        """Choose the runs ``numbers`` (as Ctrl+clicks would)."""
        self.tree.clearSelection()
        for n in numbers:
            item = self.items.get(n)
            if item is not None:
                item.setSelected(True)
                self.tree.setCurrentItem(item, 0,
                                         self.tree.selectionModel().SelectionFlag.Select)

    def check(self, number: int, on: bool = True) -> None:
        item = self.items.get(number)
        if item is not None:
            item.setCheckState(0, Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
