"""The window part for looking at the canvas: the View menu's zoom actions and Fit to
Window (F)."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction

from app.window.context import WindowContext


class ViewActions(QObject):
    """Zoom In, Zoom Out, Actual Size and Fit to Window, acting on the canvas view."""

    def __init__(self, context: WindowContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        a = context.parts.action
        view = context.view
        self.act_zoom_in = a("actionZoomIn", "Zoom &In", view.zoom_in, ["Ctrl++", "Ctrl+="],
                             "zoom_in")
        self.act_zoom_out = a("actionZoomOut", "Zoom &Out", view.zoom_out, ["Ctrl+-"],
                              "zoom_out")
        self.act_zoom_reset = a("actionZoomReset", "&Actual Size", view.reset_zoom,
                                ["Ctrl+0"])
        self.act_fit = a("actionFit", "&Fit to Window", view.fit_all, ["F"], "fit",
                         "Show the whole network (F)")

    @property
    def menu_actions(self) -> list[QAction]:
        return [self.act_zoom_in, self.act_zoom_out, self.act_zoom_reset, self.act_fit]
