"""The window part that compares and exports runs: Compare (two runs chosen in the Runs
table: their settings side by side and their curves overlaid), Parallel Coordinates (the
chosen runs, or all), and the exports: the runs' metrics and curves as CSV and the
training-curve plots as PNG, each written atomically (:mod:`nncore.fileio`).

Built from a :class:`~app.window.context.WindowContext`, the run controller, the Runs
panel (which runs are chosen) and a function giving the widget of the curve plots; it
exposes ``table_actions`` (the Runs dock's buttons), ``export_actions`` (File ▸ Export and
the Runs dock's menu).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from app import dialogs
from app.models.comparison import curves_csv, metrics_csv
from app.training.compare_dialog import CompareDialog
from app.training.compare_parallel import ParallelCoordinates
from app.training.controller import RunController
from app.training.runs_dock import RunsPanel
from app.window.context import WindowContext
from nncore.fileio import atomic_write_bytes, atomic_write_text


class RunComparison(QObject):
    """Compare, parallel coordinates and the exports of runs."""

    def __init__(self, context: WindowContext, training: RunController, panel: RunsPanel,
                 curves_widget: Callable[[], QWidget | None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self.training = training
        self.panel = panel
        self._curves_widget = curves_widget
        self.dialogs: list[QWidget] = []
        a = context.parts.action
        self.act_compare = a("actionCompareRuns", "&Compare…", self.compare_selected, [],
                             None, "Select two runs (Ctrl+click) to see their settings side "
                             "by side and their curves overlaid")
        self.act_parallel = a("actionParallelCoordinates", "&Parallel Coordinates…",
                              self.parallel, [], None,
                              "The runs' differing settings and results as parallel axes "
                              "(the chosen runs, or all)")
        self.act_metrics = a("actionExportRunMetrics", "Run &Metrics (CSV)…",
                             lambda: self.export_text("metrics"), [], None,
                             "Every run's differing settings, final and best metrics and "
                             "time, one row per run")
        self.act_curves = a("actionExportCurvesCsv", "Training &Curves (CSV)…",
                            lambda: self.export_text("curves"), [], None,
                            "Every run's losses and metrics per epoch")
        self.act_png = a("actionExportCurvesPng", "Curve &Plots (PNG)…", self.export_png,
                         [], None, "The training-curve plots as they are shown")
        panel.selectionChanged.connect(self.update_actions)
        training.history.runs_changed.connect(self.update_actions)
        training.stateChanged.connect(self.update_actions)
        self.update_actions()

    @property
    def table_actions(self) -> list[QAction]:
        return [self.act_compare, self.act_parallel]

    @property
    def export_actions(self) -> list[QAction]:
        return [self.act_metrics, self.act_curves, self.act_png]

    def update_actions(self, *_args: object) -> None:
        runs = self.training.history.runs
        self.act_compare.setEnabled(len(self.panel.selected_runs()) == 2)
        self.act_parallel.setEnabled(len(runs) >= 2)
        for act in self.export_actions:
            act.setEnabled(bool(runs))

    def _status(self, text: str) -> None:
        self._context.status(text, 8000)

    def _keep(self, dialog: QWidget) -> QWidget:
        self.dialogs = [d for d in self.dialogs if d.isVisible()] + [dialog]
        dialog.show()
        return dialog

    # -- comparing -------------------------------------------------------------------------
    def compare_selected(self) -> CompareDialog | None:
        runs = self.panel.selected_runs()
        if len(runs) != 2:
            self._status("Compare: select two runs in the Runs table (Ctrl+click)")
            return None
        return self._keep(CompareDialog(*runs, self._context.dialog_parent))

    def parallel(self) -> ParallelCoordinates | None:
        chosen = self.panel.selected_runs()
        runs = chosen if len(chosen) >= 2 else list(self.training.history.runs)
        if len(runs) < 2:
            self._status("Parallel coordinates need at least two runs")
            return None
        return self._keep(ParallelCoordinates(runs, self._context.dialog_parent))

    # -- exports ---------------------------------------------------------------------------
    def _ask_path(self, title: str, name: str, filt: str, suffix: str) -> Path | None:
        doc = self._context.document
        folder = doc.path.parent if doc.path else Path.home()
        stem = (doc.path.stem if doc.path else (doc.project.name or "runs")).replace(" ", "_")
        path = dialogs.get_save_path(self._context.dialog_parent, title,
                                     str(folder / f"{stem}_{name}{suffix}"), filt)
        if not path:
            return None
        path = Path(path)
        return path if path.suffix.lower() == suffix else path.with_name(path.name + suffix)

    def export_text(self, what: str) -> bool:
        """Ask for a file and write the runs' metrics or curves as CSV."""
        runs = list(self.training.history.runs)
        if not runs:
            self._status("Nothing to export: train the network first")
            return False
        title = "Export run metrics" if what == "metrics" else "Export training curves"
        path = self._ask_path(title, what, "CSV files (*.csv)", ".csv")
        if path is None:
            return False
        if what == "metrics":
            text = metrics_csv(runs, {r.number: self.training.elapsed(r) for r in runs})
        else:
            text = curves_csv(runs)
        return self._write(path, lambda: atomic_write_text(path, text),
                           f"{len(runs)} run{'s' if len(runs) != 1 else ''}")

    def export_png(self) -> bool:
        """Ask for a file and save the training-curve plots as shown."""
        widget = self._curves_widget()
        if widget is None or not self.training.history.runs:
            self._status("Nothing to export: train the network first")
            return False
        path = self._ask_path("Export curve plots", "curves", "PNG images (*.png)", ".png")
        if path is None:
            return False
        data = QByteArray()
        buf = QBuffer(data)
        buf.open(QIODevice.OpenModeFlag.WriteOnly)
        widget.grab().save(buf, "PNG")
        buf.close()
        return self._write(path, lambda: atomic_write_bytes(path, bytes(data)), "the plots")

    def _write(self, path: Path, write: Callable[[], None], what: str) -> bool:
        try:
            write()
        except OSError as e:
            dialogs.show_error(self._context.dialog_parent, "Export failed",
                               f"“{path.name}” could not be written.", e.strerror or str(e))
            return False
        self._status(f"Exported {what} to {path}")
        return True
