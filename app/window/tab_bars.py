"""Hide the dock tab bars Qt leaves behind, and keep the titles of the others whole.

Qt 6.11's main-window layout leaks a visible ``QTabBar`` when docks are tabified before the
window is first shown, and again on ``restoreState`` or when docks are moved and tabified
again: the old bar stays on screen where the group used to be (for example a "Training
Curves | Runs" bar drawn over the layer palette) while a new bar serves the group. A bar in
use sits right above (tabs at the north) the dock of its current tab; a leaked one does not.
:class:`TabBarJanitor` hides those after every change of the layout.

Qt elides the titles of a dock group that is narrower than its tabs ("Inspec...",
"Train..."); the janitor makes the bars in use show whole titles and scroll instead.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QMainWindow, QTabBar

#: Pixels a bar in use may be off its dock's top edge (frames and margins).
TOLERANCE = 6


def leaked_tab_bars(window: QMainWindow) -> list[QTabBar]:
    """The visible dock tab bars of ``window`` that serve no dock group."""
    docks = {d.windowTitle(): d for d in window.findChildren(QDockWidget)}
    leaked = []
    for bar in window.findChildren(QTabBar):
        if bar.parentWidget() is not window or not bar.isVisible():
            continue
        dock = docks.get(bar.tabText(bar.currentIndex())) if bar.count() else None
        if dock is None or not _serves(bar, dock):
            leaked.append(bar)
    return leaked


def _serves(bar: QTabBar, dock: QDockWidget) -> bool:
    if dock.isFloating() or not dock.isVisible():
        return False
    b, d = bar.geometry(), dock.geometry()
    above = abs(b.bottom() + 1 - d.top()) <= TOLERANCE
    overlap = min(b.right(), d.right()) - max(b.left(), d.left()) > 0
    return above and overlap


class TabBarJanitor(QObject):
    """Hides leaked tab bars after the window is shown and whenever a dock moves."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self._window = window
        for dock in window.findChildren(QDockWidget):
            dock.dockLocationChanged.connect(self.schedule)
            dock.topLevelChanged.connect(self.schedule)

    def schedule(self, *_args: object) -> None:
        """Clean up once the layout has settled (after the events now pending)."""
        QTimer.singleShot(0, self.clean)

    def clean(self) -> int:
        """Hide the leaked bars now; returns how many. The others scroll rather than
        elide their titles."""
        leaked = leaked_tab_bars(self._window)
        for bar in leaked:
            bar.hide()
        for bar in self._window.findChildren(QTabBar):
            if bar.parentWidget() is self._window and bar not in leaked:
                bar.setElideMode(Qt.TextElideMode.ElideNone)
                bar.setUsesScrollButtons(True)
        return len(leaked)
