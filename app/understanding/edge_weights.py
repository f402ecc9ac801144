"""View > Show Weights on Edges: each connection drawn as wide as the mean |weight| of the
layer it feeds (relative to the largest on the canvas) and coloured by the sign of the
mean weight (blue positive, orange negative), from the current weights
(:class:`~app.understanding.unit_source.CurrentNetwork`). Connections into layers without a
kernel (Activation, Dropout, pooling, merges) keep their usual look."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject
from PySide6.QtGui import QColor

from app.training.controller import RunController
from app.understanding.unit_colors import NEGATIVE, POSITIVE
from app.understanding.unit_source import CurrentNetwork, NetworkFollower
from app.window.context import WindowContext
from nncore.spec import GraphSpec

#: Width of the connection with the largest mean |weight|, and of one with none.
MAX_WIDTH = 7.0
MIN_WIDTH = 1.0
#: The weight arrays that connect a layer to its input, by name.
KERNELS = ("W", "kernel")


@dataclass(frozen=True)
class EdgeWeight:
    """What a connection shows: the mean |weight| and the mean weight of its layer's
    kernel, and the width that follows."""

    mean_abs: float
    mean: float
    width: float


def edge_weights(graph: GraphSpec, weights: dict[str, np.ndarray]
                 ) -> dict[tuple[str, str], EdgeWeight]:
    """(source, target) -> :class:`EdgeWeight` for each edge into a layer with a kernel."""
    stats = {}
    for e in graph.edges:
        kernel = next((weights[f"{e.target}/{k}"] for k in KERNELS
                       if f"{e.target}/{k}" in weights), None)
        if kernel is None or kernel.size == 0:
            continue
        k = np.asarray(kernel, np.float64)
        if np.all(np.isfinite(k)):
            stats[(e.source, e.target)] = (float(np.abs(k).mean()), float(k.mean()))
    top = max((m for m, _ in stats.values()), default=0.0)
    return {key: EdgeWeight(m, mean, MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * (m / top if top
                                                                            else 0.0))
            for key, (m, mean) in stats.items()}


class EdgeWeights(QObject):
    """The window part: the checkable action and the styles of the canvas's links."""

    def __init__(self, context: WindowContext, training: RunController,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._scene = context.scene
        self._training = training
        self.source = CurrentNetwork(training)
        self.shown: dict[tuple[str, str], EdgeWeight] = {}
        self._styled = False
        self.act_show = context.parts.action(
            "actionShowEdgeWeights", "Show &Weights on Edges", self.refresh,
            tip="Draw each connection as wide as the mean |weight| of the layer it feeds, "
                "blue when the mean weight is positive, orange when negative")
        self.act_show.setCheckable(True)
        self.menu_actions = [self.act_show]
        self._follower = NetworkFollower(training, self.refresh, self)

    def refresh(self) -> None:
        """Style the links from the current weights (or give them their usual look)."""
        if not self.act_show.isChecked() and not self._styled:
            return  # (called at every redraw while training: nothing to do)
        weights = self.source.weights() if self.act_show.isChecked() else None
        self.shown = {} if weights is None else edge_weights(self._training.doc.graph,
                                                             weights)
        self._styled = self.act_show.isChecked()
        for key, link in self._scene.links.items():
            w = self.shown.get(key)
            if w is None:
                link.set_weight_style(None)
                continue
            color = QColor(POSITIVE if w.mean >= 0 else NEGATIVE)
            link.set_weight_style(w.width, color, f"mean |weight| {w.mean_abs:.3g}, mean "
                                  f"weight {w.mean:+.3g} ({key[1]}'s kernel)")
