"""The Find Learning Rate dialog: progress with Cancel while the range test sweeps, then the
loss against the rate on a log axis (the batch losses, the smoothed curve and the suggested
rate as a vertical line with its value), the figures in words, and "Use This Rate". It
shows; :mod:`app.understanding.lr_finder_part` runs the sweep and applies the rate."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from app.plots.common import LegendRow, make_plot, pen, plot_colors
from app.understanding.job_states import JobStates
from nncore.lr_finder import SMOOTHING, STOP_FACTOR, RangeTest

RAW, SMOOTH, SUGGESTED = "#8fb3e0", "#1f4fa0", "#d22828"
STOPS = {"end": "every step made",
         "diverged": f"stopped once the smoothed loss exceeded {STOP_FACTOR:g} times its "
                     "minimum",
         "not finite": "stopped when the loss or a gradient was no longer finite"}


def result_text(result: RangeTest, steps: int, start: float, own: float) -> str:
    """The sweep in words, as the command line prints it."""
    n = len(result.rates)
    last = f"{result.rates[-1]:.3g}" if n else f"{start:g}"
    lines = [f"Swept {n} of {steps} steps from {start:g} to {last} "
             f"({STOPS[result.stop_reason]})."]
    if n and math.isfinite(result.minimum_rate):
        lines.append(f"Lowest smoothed loss {float(np.min(result.smoothed)):.4g} at rate "
                     f"{result.minimum_rate:.3g}.")
    if result.suggestion is None:
        lines.insert(0, "<b>No rate to suggest:</b> the sweep stopped too early to read the "
                     "curve (the loss exploded within a few steps).")
    else:
        lines.insert(0, f"<b>Suggested learning rate: {result.suggestion:.3g}</b> "
                     f"({result.rule}: read off the longest stretch where the smoothed loss "
                     f"keeps falling). The project uses {own:g}.")
    return "<br>".join(lines)


class LrFinderDialog(JobStates, QDialog):
    """The sweep's progress and result. ``useRate`` and ``runAgain`` ask the part;
    closing cancels a running sweep (``cancelRequested``)."""

    useRate = Signal()
    runAgain = Signal()
    cancelRequested = Signal()

    PROGRESS_FORMAT = "step {done} of {total}"

    @property
    def message(self) -> QLabel:
        return self.text

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lrFinderDialog")
        self.setWindowTitle("Find Learning Rate")
        self.resize(620, 520)
        lay = QVBoxLayout(self)
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        lay.addWidget(self.intro)
        lay.addLayout(self.make_job_row("the learning-rate sweep", self.cancelRequested.emit))
        self.legend = LegendRow()
        self.legend.set_items([(RAW, "batch loss", False),
                               (SMOOTH, f"smoothed (moving average, beta {SMOOTHING:g})",
                                False), (SUGGESTED, "suggested rate", True)])
        lay.addWidget(self.legend)
        self.plot = make_plot("loss", "learning rate (log scale)")
        self.plot.setObjectName("lrFinderPlot")
        self.plot.setAccessibleName("Loss against learning rate")
        self.plot.getPlotItem().setLogMode(x=True, y=False)
        self.plot.setMinimumHeight(240)
        self.raw_curve = self.plot.plot(pen=pen(RAW, 1.2))
        self.smooth_curve = self.plot.plot(pen=pen(SMOOTH, 2.4))
        self.marker: pg.InfiniteLine | None = None
        lay.addWidget(self.plot, 1)
        self.text = QLabel()
        self.text.setObjectName("lrFinderText")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.text)
        buttons = QDialogButtonBox()
        self.use_button = buttons.addButton("Use This Rate",
                                            QDialogButtonBox.ButtonRole.ActionRole)
        self.use_button.setObjectName("useRateButton")
        self.use_button.setAccessibleName("Use the suggested learning rate")
        self.use_button.clicked.connect(self.useRate.emit)
        self.again_button = buttons.addButton("Run Again",
                                              QDialogButtonBox.ButtonRole.ActionRole)
        self.again_button.setAccessibleName("Run the sweep again")
        self.again_button.setToolTip("Sweep again on the project as it is now")
        self.again_button.clicked.connect(self.runAgain.emit)
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.setAccessibleName("Close the learning-rate finder")
        close.clicked.connect(self.close)
        lay.addWidget(buttons)

    # -- states ----------------------------------------------------------------------------
    def start(self, intro: str, steps: int, rates: tuple[float, float]) -> None:
        self.intro.setText(intro)
        # The axes of the sweep to come (log10 of the rates, pyqtgraph's log mode).
        self.plot.getPlotItem().setXRange(math.log10(rates[0]), math.log10(rates[1]),
                                          padding=0.02)
        self.raw_curve.setData([], [])
        self.smooth_curve.setData([], [])
        self._set_marker(None)
        self.begin("Sweeping…")
        self.progress.setRange(0, steps)
        self.progress.setValue(0)
        self.progress.setFormat("preparing the data…")
        self.use_button.setEnabled(False)
        self.use_button.setToolTip("")

    def show_result(self, result: RangeTest, text: str) -> None:
        self.stopped()
        ok = np.isfinite(result.losses) & np.isfinite(result.smoothed)
        self.raw_curve.setData(result.rates[ok], result.losses[ok])
        self.smooth_curve.setData(result.rates[ok], result.smoothed[ok])
        if ok.any():
            # The batch losses' spikes would squash the curve: the range follows the
            # smoothed loss (and the lowest batch loss).
            low = float(min(result.smoothed[ok].min(), result.losses[ok].min()))
            high = float(result.smoothed[ok].max())
            self.plot.getPlotItem().setYRange(low, high, padding=0.05)
            self.plot.getPlotItem().setXRange(math.log10(result.rates[0]),
                                              math.log10(result.rates[-1]), padding=0.02)
        self._set_marker(result.suggestion)
        self.text.setText(text)
        self.text.setStyleSheet("")
        self.use_button.setEnabled(result.suggestion is not None)
        if result.suggestion is not None:
            self.use_button.setToolTip(f"Set the learning rate to {result.suggestion:.3g} "
                                       "(one step: Undo takes it back)")

    def _set_marker(self, rate: float | None) -> None:
        if self.marker is not None:
            self.plot.removeItem(self.marker)
            self.marker = None
        if rate is None:
            return
        _bg, fg, _ = plot_colors()
        # The axis is log10 of the rate (pyqtgraph's log mode): the line sits at log10.
        self.marker = pg.InfiniteLine(
            math.log10(rate), angle=90, pen=pen(SUGGESTED, 1.8, Qt.PenStyle.DashLine),
            label=f"suggested {rate:.3g}",
            labelOpts={"position": 0.92, "color": SUGGESTED, "anchors": [(0, 0), (0, 0)],
                       "fill": pg.mkBrush(plot_colors()[0])})
        self.plot.addItem(self.marker)

    def closeEvent(self, event) -> None:  # noqa: N802
        self.cancelRequested.emit()
        super().closeEvent(event)
