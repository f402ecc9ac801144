"""The window's network with its current weights, for the views that draw from it on the
GUI thread (unit responses on the nodes, weights on the edges).

The weights are read without touching anything a run uses: while a run is active, the
copy the worker last published (``TrainingWorker.latest_weights``: a flat snapshot never
modified afterwards, taken every few tenths of a second and at every pause); while none is,
the trained network's weights when its structure is the canvas's, else the initial
weights a run of the project would start from (the project's seed). They are loaded into a
*shadow* network compiled from the canvas's graph, which the views may run.
:class:`NetworkFollower` tells such a view when to look again.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QObject

from app.training.badges import BADGE_SECONDS
from app.training.controller import RUNNING, RunController
from app.training.frames import WINDOW_SLOT
from app.training.probe import graph_key, structure_key
from app.training.trained_network import data_key
from nncore.errors import NetCanvasError
from nncore.network import Network
from nncore.run import PreparedData, build_network, prepare_data

#: While a run trains: least seconds between two refreshes (as the canvas badges).
FOLLOW_SECONDS = BADGE_SECONDS


class CurrentNetwork:
    """See the module docstring. ``weights()`` and ``network()`` answer None when there is
    nothing to show (an invalid graph, a run of another structure, no weights yet)."""

    def __init__(self, training: RunController) -> None:
        self.training = training
        self._shadow: tuple[str, Network] | None = None
        self._initial: tuple[str, dict[str, np.ndarray]] | None = None
        self._data: tuple[str, PreparedData] | None = None
        #: Why the last call answered None, for a status message ("" otherwise).
        self.reason = ""

    def weights(self) -> dict[str, np.ndarray] | None:
        """Every weight array keyed ``"<node id>/<name>"`` (see the module docstring)."""
        training, doc = self.training, self.training.doc
        self.reason = ""
        if doc.analysis.errors:
            self.reason = "the network has a problem to fix first"
            return None
        structure = structure_key(doc.graph)
        if training.active:
            run, worker = training.history.active_run, training.worker
            if run is None or worker is None or structure_key(run.project.graph) != structure:
                return None
            snap, layout = worker.latest_weights(), worker.layout
            if snap is None or layout is None:
                return None
            flat = snap[1]
            return {k: flat[a:b].reshape(shape) for k, a, b, shape in layout}
        trained = training.trained
        if trained.network is not None and trained.structure == structure:
            return trained.network.get_weights()
        return self._initial_weights()

    def _initial_weights(self) -> dict[str, np.ndarray] | None:
        project = self.training.doc.snapshot()
        key = graph_key(project.graph) + str(project.training.seed)
        if self._initial is None or self._initial[0] != key:
            try:
                self._initial = (key, build_network(project).get_weights())
            except NetCanvasError as e:
                self.reason = str(e)
                return None
        return self._initial[1]

    def network(self) -> Network | None:
        """The shadow network loaded with :meth:`weights` (None: nothing to show)."""
        values = self.weights()
        if values is None:
            return None
        graph = self.training.doc.graph
        key = graph_key(graph)
        if self._shadow is None or self._shadow[0] != key:
            try:
                self._shadow = (key, Network(graph, seed=0))
            except NetCanvasError as e:
                self.reason = str(e)
                return None
        net = self._shadow[1]
        net.set_weights(values, strict=False)
        return net

    def data(self) -> PreparedData | None:
        """The data the weights are trained on: the active run's, else the last run's
        when the data settings are the same, else the project's data prepared now."""
        training = self.training
        run = training.history.active_run
        if training.active:
            return run.data if run is not None else None
        doc = training.doc
        project = doc.snapshot()
        cached = training.trained.cached_data(project, doc.base_dir)
        if cached is not None:
            return cached
        key = data_key(project.data, doc.base_dir)
        if self._data is None or self._data[0] != key:
            try:
                self._data = (key, prepare_data(project.data, doc.base_dir))
            except (NetCanvasError, OSError, MemoryError) as e:
                self.reason = f"the data cannot be read: {e}"
                return None
        return self._data[1]


def plane_input(training: RunController) -> bool:
    """Whether the canvas's network has one Input of 2 features (a plane to draw over)."""
    doc = training.doc
    inputs = [n for n in doc.graph.nodes if n.type == "Input"]
    shape: Any = inputs[0].params.get("shape") if len(inputs) == 1 else None
    return shape is not None and list(shape) == [2]


class NetworkFollower(QObject):
    """Calls ``refresh()`` when the network or its weights may have changed: after a
    redraw of the window's slot while a run trains (at most every ``FOLLOW_SECONDS``, as
    the canvas badges), when a run starts, pauses or ends, when weights are imported or
    reset, when new data arrives, and after an edit of the graph."""

    def __init__(self, training: RunController, refresh: Callable[[], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._training = training
        self._refresh = refresh
        self._last = -math.inf
        training.frames.redraw.connect(self._on_redraw)
        for signal in (training.stateChanged, training.networkChanged, training.dataReady,
                       training.doc.analysisChanged):
            signal.connect(self._now)

    def _now(self, *_args: Any) -> None:
        self._last = time.perf_counter()
        self._refresh()

    def _on_redraw(self, slot: int) -> None:
        if slot != WINDOW_SLOT:
            return
        now = time.perf_counter()
        if self._training.state != RUNNING or now - self._last >= FOLLOW_SECONDS:
            self._now()
