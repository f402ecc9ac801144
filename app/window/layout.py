"""The window's default dock layout, designed for 1280 x 800 and usable down to 1024 x 700.

- Left: the layer palette.
- Right, from the toolbar down to the plots: one tab group, Inspector, Data, Training and
  Summary, so the forms get the column's whole height (a split with the summary below
  left the inspector about 200 pixels).
- Bottom, the full width of the window: Training Curves (with Runs, Hidden Space and
  Checks as further tabs: one tab bar in the row costs the plots less height than a tab
  bar over Inside the Network as well, which left too little at 1024 x 700), Inside the
  Network and Results side by side. The plots keep the full width because their minimum
  widths add up to about 750 pixels: a right column running down to the status bar would
  leave them less than that at 1024 pixels, and Qt then overlaps docks rather than shrink
  that column.

:func:`place_docks` puts the docks in their areas and tab groups; :func:`size_docks` gives
them proportions of the window's size (when the window first shows without a saved
layout, and on View > Reset Window Layout). A saved layout carries
:data:`LAYOUT_VERSION`; one saved by an older default is not restored.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QTabWidget

#: The version saved with the window's layout; raised when the default changes shape.
LAYOUT_VERSION = 3


@dataclass(frozen=True)
class WindowDocks:
    palette: QDockWidget
    inspector: QDockWidget
    data: QDockWidget
    training: QDockWidget
    summary: QDockWidget
    curves: QDockWidget
    runs: QDockWidget
    inside: QDockWidget
    results: QDockWidget
    hidden: QDockWidget

    @property
    def right(self) -> list[QDockWidget]:
        """The right column's tab group, in tab order."""
        return [self.inspector, self.data, self.training, self.summary]


def place_docks(window: QMainWindow, docks: WindowDocks) -> None:
    """Areas, tab groups and corners of the default layout (see the module docstring)."""
    left = Qt.DockWidgetArea.LeftDockWidgetArea
    right = Qt.DockWidgetArea.RightDockWidgetArea
    bottom = Qt.DockWidgetArea.BottomDockWidgetArea
    window.setCorner(Qt.Corner.BottomRightCorner, bottom)
    window.setCorner(Qt.Corner.BottomLeftCorner, bottom)
    window.setDockNestingEnabled(True)
    window.setTabPosition(Qt.DockWidgetArea.AllDockWidgetAreas, QTabWidget.TabPosition.North)
    window.addDockWidget(left, docks.palette)
    for dock in docks.right:
        window.addDockWidget(right, dock)
    for first, second in zip(docks.right, docks.right[1:]):
        window.tabifyDockWidget(first, second)
    for dock in (docks.curves, docks.inside, docks.results):
        window.addDockWidget(bottom, dock)
    window.splitDockWidget(docks.curves, docks.inside, Qt.Orientation.Horizontal)
    window.splitDockWidget(docks.inside, docks.results, Qt.Orientation.Horizontal)
    window.tabifyDockWidget(docks.curves, docks.runs)
    window.tabifyDockWidget(docks.runs, docks.hidden)
    docks.curves.raise_()
    docks.inspector.raise_()


def default_sizes(width: int, height: int) -> dict[str, int]:
    """The default widths and heights, in pixels, for a window of ``width`` x ``height``:
    at 1280 x 800, a 200-pixel palette, a 345-pixel right column and 240-pixel plots."""
    return {
        "palette": _clamp(round(width * 0.156), 200, 220),
        "right": _clamp(round(width * 0.27), 300, 380),
        "plots": _clamp(round(height * 0.3), 210, 300),
        "curves": round(width * 0.4),
        "inside": round(width * 0.3),
        "results": round(width * 0.3),
    }


def size_docks(window: QMainWindow, docks: WindowDocks) -> None:
    """Give the docks the default proportions of the window's current size."""
    sizes = default_sizes(window.width(), window.height())
    horizontal, vertical = Qt.Orientation.Horizontal, Qt.Orientation.Vertical
    window.resizeDocks([docks.palette, docks.inspector], [sizes["palette"], sizes["right"]],
                       horizontal)
    window.resizeDocks([docks.curves], [sizes["plots"]], vertical)
    window.resizeDocks([docks.curves, docks.inside, docks.results],
                       [sizes["curves"], sizes["inside"], sizes["results"]], horizontal)


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))
