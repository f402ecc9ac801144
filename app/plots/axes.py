"""Axes that stay readable when a plot is small: tick labels that would overlap one another
are left out (the coarser ticks' labels are kept first), and an axis title is hidden while
the plot is too small for it, shown again when the plot grows. The gradient plot's log axis
also labels the row where norms of 0 (and ones too small to draw) are put.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject

#: Least free space (pixels) between two tick labels.
LABEL_GAP = 3
#: Below this height (pixels) a plot has no room for the title under its x axis.
BOTTOM_TITLE_HEIGHT = 140
#: Height taken by the x axis below the plot area, and room kept beside a title.
X_AXIS_HEIGHT = 40
TITLE_MARGIN = 12


class CompactAxis(pg.AxisItem):
    """An axis whose tick labels never overlap and whose title shows only when it fits."""

    def __init__(self, orientation: str, **kwargs) -> None:
        super().__init__(orientation, **kwargs)
        #: (width, height) of the plot widget (set by :func:`fit_axes`).
        self.plot_size: tuple[int, int] | None = None
        self._room = True

    # -- tick labels -----------------------------------------------------------------------
    def generateDrawSpecs(self, p):  # noqa: N802
        specs = super().generateDrawSpecs(p)
        if specs is None:
            return None
        axis_spec, tick_specs, text_specs = specs
        return axis_spec, tick_specs, drop_overlaps(text_specs)

    def logTickValues(self, minVal, maxVal, size, stdTicks):  # noqa: N802, N803
        """pyqtgraph's log ticks, with its minor level split so that the labels kept first
        are the decades, then 2 and 5 times a decade, then the others."""
        levels = super().logTickValues(minVal, maxVal, size, stdTicks)
        out = [(spacing, values) for spacing, values in levels if spacing is not None]
        seen = {round(v, 9) for _, values in out for v in values}
        minor = [v for spacing, values in levels if spacing is None for v in values
                 if round(v, 9) not in seen]
        for rank in range(3):
            out.append((None, [v for v in minor if _log_rank(v) == rank]))
        return out

    # -- the title -------------------------------------------------------------------------
    def showLabel(self, show: bool = True) -> None:  # noqa: N802
        super().showLabel(show and getattr(self, "_room", True))

    def setLabel(self, *args, **kwargs) -> None:  # noqa: N802
        super().setLabel(*args, **kwargs)
        self.refit()

    def title_fits(self, width: int, height: int) -> bool:
        """Whether the title fits a plot widget of ``width`` x ``height`` pixels."""
        length = self.label.boundingRect().width()
        if self.orientation in ("left", "right"):
            return height - X_AXIS_HEIGHT >= length + TITLE_MARGIN
        return height >= BOTTOM_TITLE_HEIGHT and width >= length + 4 * TITLE_MARGIN

    def refit(self) -> None:
        """Show the title if it was set and fits the plot's size, else hide it."""
        size = getattr(self, "plot_size", None)  # None too while pyqtgraph builds it
        if size is None:
            return
        room = self.title_fits(*size)
        if room != self._room:
            self._room = room
            super().showLabel(room and bool(self.labelText))


def _log_rank(v: float) -> int:
    """0 for a decade (log10 of 1, 10, ...), 1 for 2 or 5 times one, 2 for the others."""
    frac = v - math.floor(v + 1e-9)
    if min(frac, 1 - frac) < 1e-6:
        return 0
    return 1 if min(abs(frac - math.log10(2)), abs(frac - math.log10(5))) < 1e-6 else 2


def drop_overlaps(text_specs: list) -> list:
    """The tick labels (``(rect, flags, text)``, coarser levels first) without those that
    would overlap a label kept before them."""
    kept: list = []
    for spec in text_specs:
        rect = spec[0].adjusted(-LABEL_GAP, -LABEL_GAP, LABEL_GAP, LABEL_GAP)
        if not any(rect.intersects(k[0]) for k in kept):
            kept.append(spec)
    return kept


class _AxisFitter(QObject):
    """Refits the axes' titles of a plot widget when it is resized."""

    def __init__(self, widget: pg.PlotWidget) -> None:
        super().__init__(widget)
        self.widget = widget

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Resize:
            self.fit()
        return False

    def fit(self) -> None:
        size = (self.widget.width(), self.widget.height())
        for name in ("left", "bottom"):
            axis = self.widget.getPlotItem().getAxis(name)
            if isinstance(axis, CompactAxis):
                axis.plot_size = size
                axis.refit()


def compact_axes(**overrides: CompactAxis) -> dict[str, CompactAxis]:
    """Axis items for a new ``PlotWidget``: compact left and bottom axes (or ``overrides``)."""
    axes = {"left": CompactAxis("left"), "bottom": CompactAxis("bottom")}
    axes.update(overrides)
    return axes


def fit_axes(widget: pg.PlotWidget) -> None:
    """Keep the titles of ``widget``'s compact axes fitted to its size."""
    fitter = _AxisFitter(widget)
    widget.installEventFilter(fitter)
    fitter.fit()


class FloorAxis(CompactAxis):
    """A log axis whose lowest labelled row stands for "0": the gradient plot puts there
    the norms of 0 and those too small to draw (below ``10 ** floor``), labelled
    ``floor_text``. No other tick is labelled below the row above it."""

    def __init__(self, orientation: str = "left", **kwargs) -> None:
        super().__init__(orientation, **kwargs)
        #: log10 of the row of zeros (None: no such row).
        self.floor: float | None = None
        self.floor_text = "0"

    def set_floor(self, floor: float | None, text: str = "0") -> None:
        if (floor, text) != (self.floor, self.floor_text):
            self.floor, self.floor_text = floor, text
            self.picture = None
            self.update()

    def tickValues(self, minVal, maxVal, size):  # noqa: N802, N803
        levels = super().tickValues(minVal, maxVal, size)
        if self.floor is None or not self.logMode:
            return levels
        floor = self.floor
        out = [(spacing, [v for v in values if v >= floor + 0.5]) for spacing, values in levels]
        if out and minVal <= floor <= maxVal:
            out[0] = (out[0][0], [floor, *out[0][1]])
        return out

    def logTickStrings(self, values, scale, spacing):  # noqa: N802
        strings = super().logTickStrings(values, scale, spacing)
        if self.floor is None:
            return strings
        return [self.floor_text if abs(v - self.floor) < 1e-9 else s
                for v, s in zip(values, strings)]
