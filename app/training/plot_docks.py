"""The part that makes the training docks: curves, inside the network and results along the
bottom, the run history on the right (the panels are in ``curves_dock``, ``inside_dock``,
``results_dock`` and ``runs_dock``)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDockWidget

from app.training.controller import RunController
from app.training.curves_dock import CurvesPanel
from app.training.inside_dock import InsidePanel
from app.training.results_dock import ResultsPanel
from app.training.runs_dock import RunsPanel
from app.window.context import WindowContext


class PlotDocks(QObject):
    """Makes the four training docks from a window context: curves, inside the network
    and results side by side along the bottom, the run history on the right. Exposes the
    panels and the docks (the window places the docks and lists them in its Panels menu),
    and keeps the layer shown inside the network and the canvas selection in step (the
    window calls :meth:`follow_canvas_selection`)."""

    def __init__(self, context: WindowContext, training: RunController,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._scene = context.scene
        self._training = training
        self.curves = CurvesPanel(training)
        self.inside = InsidePanel(training)
        self.results = ResultsPanel(training)
        self.runs = RunsPanel(training)
        parts = context.parts
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        self.curves_dock = parts.dock("Training Curves", "curvesDock", self.curves, bottom)
        self.inside_dock = parts.dock("Inside the Network", "insideDock", self.inside, bottom)
        self.results_dock = parts.dock("Results", "resultsDock", self.results, bottom)
        parts.split(self.curves_dock, self.inside_dock, Qt.Orientation.Horizontal)
        parts.split(self.inside_dock, self.results_dock, Qt.Orientation.Horizontal)
        self.runs_dock = parts.dock("Runs", "runsDock", self.runs,
                                    Qt.DockWidgetArea.RightDockWidgetArea)
        training.stateChanged.connect(self._on_state)
        self.inside.layerChosen.connect(self._on_layer_chosen)

    @property
    def docks(self) -> list[QDockWidget]:
        """Curves, inside the network, results, runs."""
        return [self.curves_dock, self.inside_dock, self.results_dock, self.runs_dock]

    def _on_state(self) -> None:
        # A run starts: the plots exist before its first progress arrives.
        if self._training.active:
            for panel in (self.curves, self.inside, self.results):
                panel.ensure_built()

    def follow_canvas_selection(self) -> None:
        """One layer selected on the canvas: show it inside the network too."""
        ids = self._scene.selected_node_ids()
        if len(ids) == 1:
            self.inside.select_layer(ids[0])

    def _on_layer_chosen(self, node_id: str) -> None:
        scene = self._scene
        if node_id in scene.nodes and scene.selected_node_ids() != [node_id]:
            scene.select_nodes([node_id])
