"""Showing the view a lesson step says to watch: its dock is shown and raised, the tab that
holds the plot is chosen, and a frame flashes around the dock for a moment.

Docks are found by their object names (the window's layout names them), and a plot inside
a dock by the text of its tab, so this module knows no other part of the window."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QFrame, QTabWidget, QWidget

from app.theme import colors

#: Lesson view (``nncore.lessons.base.VIEWS``) -> dock object name, and the texts of the
#: tabs that hold it, the first shown one chosen (none: the dock as it is).
WATCHED: dict[str, tuple[str, tuple[str, ...]]] = {
    "curves": ("curvesDock", ()),
    "runs": ("runsDock", ()),
    "gradients": ("insideDock", ("Gradient norms",)),
    "histograms": ("insideDock", ("Histograms",)),
    "feature_maps": ("insideDock", ("Feature maps",)),
    # A regression's map of the predictions takes the boundary's tab.
    "boundary": ("resultsDock", ("Decision boundary", "Prediction map")),
    "confusion": ("resultsDock", ("Confusion matrix",)),
    "predictions": ("resultsDock", ("Predicted vs actual",)),
    "projector": ("hiddenSpaceDock", ()),
}

#: What the lesson panel calls each view.
VIEW_NAMES: dict[str, str] = {
    "curves": "Training Curves", "runs": "Runs (overlay the runs)",
    "gradients": "Inside the Network: gradient norms",
    "histograms": "Inside the Network: histograms",
    "feature_maps": "Inside the Network: feature maps",
    "boundary": "Results: decision boundary", "confusion": "Results: confusion matrix",
    "predictions": "Results: predictions", "projector": "Hidden Space",
    "attributions": "Explanations",
}

#: How long the frame around a watched dock stays (ms).
FLASH_MSEC = 1600


def find_dock(window: QWidget, view: str) -> QDockWidget | None:
    name = WATCHED.get(view, ("", ()))[0]
    return window.findChild(QDockWidget, name) if name else None


#: Views that are windows of their own, opened by an action (by object name).
OPENED_BY: dict[str, str] = {"attributions": "actionExplain"}


def show_view(window: QWidget, view: str, open_windows: bool = True) -> QDockWidget | None:
    """Show, raise and flash the dock of ``view``, choosing its tab; a view that is a
    window of its own is opened by its action when ``open_windows``. None when there is no
    dock to show."""
    if view in OPENED_BY:
        action = window.findChild(QAction, OPENED_BY[view])
        if action is not None and open_windows:
            action.trigger()
        return None
    dock = find_dock(window, view)
    if dock is None:
        return None
    dock.show()
    dock.raise_()
    _choose_tab(dock, WATCHED[view][1])
    Flash(dock).start()
    return dock


def _choose_tab(dock: QDockWidget, texts: tuple[str, ...]) -> None:
    for text in texts:
        for tabs in dock.findChildren(QTabWidget):
            for i in range(tabs.count()):
                if tabs.tabText(i) == text and tabs.isTabVisible(i):
                    tabs.setCurrentIndex(i)
                    return


class Flash(QFrame):
    """A frame drawn over a dock for :data:`FLASH_MSEC`, letting clicks through."""

    def __init__(self, dock: QDockWidget) -> None:
        for old in dock.findChildren(Flash):
            old.deleteLater()
        super().__init__(dock)
        self.setObjectName("lessonFlash")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setStyleSheet(f"QFrame#lessonFlash {{ border: 3px solid {colors().selection.name()};"
                           " border-radius: 4px; background: transparent; }")
        self.setGeometry(dock.rect())

    def start(self) -> None:
        self.show()
        self.raise_()
        QTimer.singleShot(FLASH_MSEC, self.deleteLater)
