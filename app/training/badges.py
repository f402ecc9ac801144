"""The window part that marks canvas nodes while and after training: a badge per layer
with its gradient norm and health and, for ReLU, sigmoid and tanh layers, the share of dead
or saturated units (rules in :mod:`app.training.health`), for the shown run when the
canvas holds the network it trained."""

from __future__ import annotations

import math
import time

from PySide6.QtCore import QObject

from app.canvas.items import NodeBadge
from app.training.controller import RUNNING, RunController
from app.training.frames import WINDOW_SLOT
from app.training.health import gradient_health
from app.training.health_advice import activity_tip, gradient_tip
from app.training.probe import structure_key
from app.window.context import WindowContext

#: While training runs: least seconds between badge updates (a canvas repaint costs as
#: much as a plot's).
BADGE_SECONDS = 1.0


def format_norm(g: float) -> str:
    if not math.isfinite(g):
        return "∇ NaN"
    if g == 0:
        return "∇ 0"
    mant, exp = f"{g:.1e}".split("e")
    return f"∇ {mant}e{int(exp)}"


class CanvasBadges(QObject):
    """Keeps the badges of the canvas nodes in step with the shown run, the probe's
    analyses and the graph."""

    def __init__(self, context: WindowContext, training: RunController,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._scene = context.scene
        self._document = context.document
        self.training = training
        self._doc_structure = structure_key(context.document.graph)
        self._t_badges = 0.0
        training.frames.redraw.connect(self._on_redraw)
        training.probe.updated.connect(self._on_probe)
        training.history.display_changed.connect(self.update_badges)
        context.document.analysisChanged.connect(self._on_analysis)

    def _on_redraw(self, slot: int) -> None:
        if slot != WINDOW_SLOT:
            return
        # While a run trains, the badges change at most once a second.
        now = time.perf_counter()
        if self.training.state != RUNNING or now - self._t_badges >= BADGE_SECONDS:
            self._t_badges = now
            self.update_badges()

    def _on_analysis(self) -> None:
        self._doc_structure = structure_key(self._document.graph)
        self.update_badges()

    def _on_probe(self, kind: str) -> None:
        # While training, badges follow the (throttled) redraws.
        if kind == "activations" and self.training.state != RUNNING:
            self.update_badges()

    def badges(self) -> dict[str, NodeBadge]:
        """The badge of each canvas node for the shown run (none when the network on the
        canvas is not the one that run trained)."""
        run = self.training.history.display_run()
        if run is None or structure_key(run.project.graph) != self._doc_structure:
            return {}
        c = run.curves
        health = gradient_health(c.grad_now, c.weight_now) if c.grad_now else {}
        res = self.training.probe.results.get("activations")
        activity = {}
        if res is not None and isinstance(res.version, tuple) and len(res.version) > 1 \
                and res.version[1] == run.number:
            activity = res.activity
        g_max = max((v for v in c.grad_now.values() if math.isfinite(v)), default=0.0)
        out = {}
        for node_id in self._scene.nodes:
            level = health.get(node_id)
            act = activity.get(node_id)
            if level is None and act is None:
                continue
            tips = []
            grad_text = ""
            if level is not None:
                g = c.grad_now[node_id]
                grad_text = format_norm(g)
                tips.append(gradient_tip(level, g, g_max))
            act_text, act_level = "", None
            if act is not None:
                act_level = act.level
                act_text = act.short()
                tips.append(activity_tip(act))
            out[node_id] = NodeBadge(level, grad_text, act_text, act_level, "<br>".join(tips))
        return out

    def update_badges(self) -> None:
        badges = self.badges()
        for node_id, item in self._scene.nodes.items():
            item.set_badge(badges.get(node_id))

