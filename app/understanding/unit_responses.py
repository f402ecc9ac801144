"""View > Show Unit Responses: for a network with one 2-D input, each hidden unit's
response over the input plane (:mod:`nncore.responses`) as small pictures under its node
on the canvas, from the current weights (:class:`~app.understanding.unit_source.
CurrentNetwork`: the run's while one is active, else the trained or initial ones),
refreshed as the run trains (throttled as the canvas badges) and after every edit."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject

from app.training.controller import RunController
from app.understanding.unit_source import CurrentNetwork, NetworkFollower, plane_input
from app.understanding.unit_thumbnails import UnitStrip, layer_pictures
from app.window.context import WindowContext
from nncore.errors import NetCanvasError
from nncore.responses import ResponseGrid, plane_ranges

#: Points per side of each picture's grid (64 x 64 is sharp at a larger size; at 26
#: pixels 32 looks the same and costs a quarter).
GRID = 32


class UnitResponses(QObject):
    """The window part: the checkable action and the pictures on the nodes."""

    def __init__(self, context: WindowContext, training: RunController,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._scene = context.scene
        self._status = context.status
        self._training = training
        self.source = CurrentNetwork(training)
        self.strips: dict[str, UnitStrip] = {}
        #: node id -> (units, GRID, GRID) responses last drawn.
        self.responses: dict[str, np.ndarray] = {}
        self._grid: tuple[object, ResponseGrid] | None = None
        self.act_show = context.parts.action(
            "actionShowUnitResponses", "Show Unit &Responses", self._toggled,
            tip="Draw each hidden unit's response over the input plane under its node "
                "(networks with one 2-D input): blue positive, orange negative")
        self.act_show.setCheckable(True)
        self.menu_actions = [self.act_show]
        self._follower = NetworkFollower(training, self.refresh, self)
        context.document.analysisChanged.connect(self._update_enabled)
        self._update_enabled()

    def _update_enabled(self) -> None:
        ok = plane_input(self._training)
        self.act_show.setEnabled(ok)
        self.act_show.setToolTip(self.act_show.statusTip() if ok else
                                 "Unit responses need a network with one Input of shape [2]")

    def _toggled(self) -> None:
        self.refresh()
        if self.act_show.isChecked() and not self.responses:
            reason = self.source.reason or "no weights to show yet"
            self._status(f"Unit responses: {reason}", 6000)

    def refresh(self) -> None:
        """Draw the responses of the current weights (or remove the pictures)."""
        if not self.act_show.isChecked() and not self.strips:
            return  # (called at every redraw while training: nothing to do)
        responses = self._compute() if self.act_show.isChecked() else {}
        self.responses = responses
        for node_id, item in self._scene.nodes.items():
            strip = self._strip(node_id, item, node_id in responses)
            if strip is None:
                continue
            images, more = layer_pictures(responses[node_id])
            units = responses[node_id].shape[0]
            strip.set_pictures(images, more, _tip(node_id, units, len(images)))

    def _strip(self, node_id: str, item, wanted: bool) -> UnitStrip | None:
        """The strip under ``item`` (made when wanted and missing, removed when not)."""
        strip = self.strips.get(node_id)
        if strip is not None and strip.parentItem() is not item:
            strip = None  # the node's item was replaced (a new project, an undo)
        if not wanted:
            if strip is not None:
                self._scene.removeItem(strip)
            self.strips.pop(node_id, None)
            return None
        if strip is None:
            strip = self.strips[node_id] = UnitStrip(item)
        return strip

    def _compute(self) -> dict[str, np.ndarray]:
        if not plane_input(self._training):
            return {}
        net = self.source.network()
        data = self.source.data() if net is not None else None
        if net is None or data is None or data.dataset.inputs is not None \
                or data.dataset.X.ndim != 2 or data.dataset.X.shape[1] != 2:
            return {}
        try:
            grid = self._grid_for(data)
            out = grid.responses(net)
        except NetCanvasError as e:
            self.source.reason = str(e)
            return {}
        hidden = set(net.order) - {net.output_id, *net.input_ids}
        return {k: v for k, v in out.items() if k in hidden}

    def _grid_for(self, data) -> ResponseGrid:
        """The grid over the data's plane (kept while the data is the same)."""
        if self._grid is None or self._grid[0] is not data:
            xr, yr = plane_ranges(data.dataset.X)
            self._grid = (data, ResponseGrid(xr, yr, GRID, data.normalizer))
        return self._grid[1]


def _tip(node_id: str, units: int, shown: int) -> str:
    more = f"; units {shown} to {units - 1} are left out" if shown < units else ""
    return (f"<b>{node_id}</b>: each unit's value over the input plane (x to the right, y "
            f"up; blue positive, orange negative, one scale for the layer). Units 0 to "
            f"{shown - 1} of {units}{more}.")
