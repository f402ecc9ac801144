"""The training part of the main window: Run menu and toolbar actions, their shortcuts and
enabled states, the progress display, the notice banner, the dock panels, the edit lock
during runs, the canvas badges, and the weight exports and imports.

:class:`TrainingUi` is created by the main window and only talks to it through the
window's public parts (document, editor, scene, view, panels, menus, status bar).
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QGraphicsItem, QMenu, QToolBar, QVBoxLayout, QWidget

from app import dialogs
from app.canvas.items import NodeBadge
from app.theme import theme_notifier
from app.training.exporting import FORMATS, export_run, import_weights
from app.training.health import (
    EXPLODING_NORM,
    EXPLODING_RATIO,
    SATURATION_SLOPE,
    VANISHING_RATIO,
    WEAK_RATIO,
    gradient_health,
)
from app.training.lock import LOCK_REASON, LockingEditor, undo_refusal
from app.training.panels import CurvesPanel, InsidePanel, ResultsPanel, RunsPanel
from app.training.probe import structure_key
from app.training.runs import STATUS_TEXT, RunRecord, format_duration
from app.training.session import (
    PAUSED,
    RUNNING,
    STOPPING,
    WINDOW_SLOT,
    Notice,
    TrainingSession,
)
from app.training.widgets import NoticeBanner, RunProgress, run_icon
from nncore.errors import NetCanvasError

if TYPE_CHECKING:
    from app.mainwindow import MainWindow

#: While training runs: least seconds between progress-text updates and badge updates.
PROGRESS_SECONDS = 0.2
BADGE_SECONDS = 1.0


def format_norm(g: float) -> str:
    if not math.isfinite(g):
        return "∇ NaN"
    if g == 0:
        return "∇ 0"
    mant, exp = f"{g:.1e}".split("e")
    return f"∇ {mant}e{int(exp)}"


class _SpaceToggle(QObject):
    """Space on the canvas pauses or resumes a run: on release, if Space was not used to
    pan (Space + drag). Text fields keep their Space: only the canvas is watched."""

    def __init__(self, ui: TrainingUi) -> None:
        super().__init__(ui)
        self.ui = ui
        self.down = False
        self.panned = False

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        t = event.type()
        if t == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Space \
                and not event.isAutoRepeat():
            self.down, self.panned = True, False
        elif t == QEvent.Type.MouseButtonPress and self.down:
            self.panned = True
        elif t == QEvent.Type.KeyRelease and event.key() == Qt.Key.Key_Space \
                and not event.isAutoRepeat():
            if self.down and not self.panned and self.ui.session.state in (RUNNING, PAUSED):
                self.ui.session.toggle_pause()
            self.down = False
        return False


class TrainingUi(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self.session = TrainingSession(window.document, window)
        self.curves = CurvesPanel(self.session)
        self.inside = InsidePanel(self.session)
        self.results = ResultsPanel(self.session)
        self.runs = RunsPanel(self.session)
        self.banner = NoticeBanner()
        self.progress = RunProgress()
        self._doc_structure = structure_key(window.document.graph)
        self._space = _SpaceToggle(self)
        self.last_status = ""
        self._t_progress = self._t_badges = 0.0

    # -- construction (called by the window) ---------------------------------------------------
    def central_widget(self, view: QWidget) -> QWidget:
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.banner)
        lay.addWidget(view, 1)
        view.installEventFilter(self._space)
        view.viewport().installEventFilter(self._space)
        return box

    def build_docks(self) -> list[QDockWidget]:
        w = self.w
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        right = Qt.DockWidgetArea.RightDockWidgetArea
        self.curves_dock = w._dock("Training Curves", "curvesDock", self.curves, bottom)
        self.inside_dock = w._dock("Inside the Network", "insideDock", self.inside, bottom)
        self.results_dock = w._dock("Results", "resultsDock", self.results, bottom)
        w.splitDockWidget(self.curves_dock, self.inside_dock, Qt.Orientation.Horizontal)
        w.splitDockWidget(self.inside_dock, self.results_dock, Qt.Orientation.Horizontal)
        self.runs_dock = w._dock("Runs", "runsDock", self.runs, right)
        return [self.curves_dock, self.inside_dock, self.results_dock, self.runs_dock]

    def build_actions(self) -> None:
        a = self.w._action
        self.act_train = a("actionTrain", "&Train", self.session.train, ["F5"], None,
                           "Train the network (F5); continues from the current weights")
        self.act_resume = a("actionResume", "&Resume", self.session.resume, [], None,
                            "Resume the paused run (F5, or Space on the canvas)")
        self.act_pause = a("actionPause", "&Pause", self.session.pause, ["F6"], None,
                           "Pause training (F6, or Space on the canvas)")
        self.act_step = a("actionStep", "&Step One Epoch", self.session.step, ["F10"], None,
                          "Train one epoch, then pause (F10)")
        self.act_stop = a("actionStop", "St&op", self.session.stop, ["Shift+F5"], None,
                          "Stop the run (Shift+F5); its weights are kept")
        self.act_reset = a("actionResetWeights", "Reset &Weights", self.reset_weights,
                           ["Ctrl+Shift+R"], None,
                           "Forget the trained weights: the next run starts afresh")
        self.update_actions_icons()
        self.export_actions = {
            fmt: a(f"actionExport_{fmt}", f"{title}…", lambda f=fmt: self.export_dialog(f))
            for fmt, (title, _f, _s) in FORMATS.items()}
        self.export_actions["weights"].setText("Trained &Weights (.npz)…")
        self.export_actions["onnx"].setText("&ONNX Model…")
        self.export_actions["python"].setText("P&ython Script…")
        self.act_import = a("actionImportWeights", "&Import Weights…",
                            lambda: self.import_dialog(False), [], None,
                            "Load trained weights into this network (names and shapes must "
                            "match)")
        self.act_import_transfer = a("actionImportTransfer",
                                     "Import Weights for Trans&fer Learning…",
                                     lambda: self.import_dialog(True), [], None,
                                     "Load the layers that match by name and shape; "
                                     "optionally freeze them")

    def build_menus(self, file_menu: QMenu, export_menu: QMenu, before: QAction) -> QMenu:
        """Add the exports and imports to the File menu and the Run menu to the menu bar."""
        export_menu.addSeparator()
        for act in self.export_actions.values():
            export_menu.addAction(act)
        file_menu.insertAction(before, self.act_import)
        file_menu.insertAction(before, self.act_import_transfer)
        run = self.w.menuBar().addMenu("&Run")
        run.setObjectName("menuRun")
        for act in (self.act_train, self.act_pause, self.act_resume, self.act_step,
                    self.act_stop, None, self.act_reset):
            run.addSeparator() if act is None else run.addAction(act)
        return run

    def build_toolbar(self, tb: QToolBar) -> None:
        tb.addSeparator()
        for act in (self.act_train, self.act_pause, self.act_resume, self.act_step,
                    self.act_stop, self.act_reset):
            tb.addAction(act)
        btn = tb.widgetForAction(self.act_train)
        if btn is not None:
            btn.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        tb.addWidget(self.progress)

    def wire(self) -> None:
        s, w = self.session, self.w
        s.stateChanged.connect(self._on_state)
        s.runsChanged.connect(self.update_actions)
        s.networkChanged.connect(self.update_actions)
        s.redraw.connect(self._on_redraw)
        s.progressed.connect(self._on_progressed)
        s.runChanged.connect(lambda _r: self._update_progress())
        s.notice.connect(self._on_notice)
        s.noticeCleared.connect(self.banner.dismiss)
        s.statusMessage.connect(self._status)
        s.runFinished.connect(self._on_finished)
        s.probe.updated.connect(self._on_probe)
        s.displayChanged.connect(self.update_badges)
        theme_notifier().changed.connect(self.banner.apply_theme)
        theme_notifier().changed.connect(self.update_actions_icons)
        w.document.analysisChanged.connect(self._on_analysis)
        self.inside.layerChosen.connect(self._on_layer_chosen)
        editor = w.editor
        if isinstance(editor, LockingEditor):
            editor.refused.connect(lambda reason: self._status(f"Not changed: {reason}"))
        self._on_state()

    # -- state -----------------------------------------------------------------------------------
    def _on_state(self) -> None:
        active = self.session.active
        w = self.w
        if isinstance(w.editor, LockingEditor):
            w.editor.set_locked(LOCK_REASON if active else None)
        w.palette_panel.tree.setEnabled(not active)
        w.view.setAcceptDrops(not active)
        for item in w.scene.nodes.values():
            item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsMovable, not active)
        w.inspector.set_locked(active)
        w.data_panel.set_locked(active)
        w.training_panel.set_run_active(active)
        if active:
            for panel in (self.curves, self.inside, self.results):
                panel.ensure_built()
        self.update_actions()
        self._update_progress()

    def update_actions_icons(self) -> None:
        for act, name in ((self.act_train, "train"), (self.act_resume, "resume"),
                          (self.act_pause, "pause"), (self.act_step, "step"),
                          (self.act_stop, "stop"), (self.act_reset, "reset")):
            act.setIcon(run_icon(name))

    def update_actions(self) -> None:
        state = self.session.state
        idle = not self.session.active
        self.act_train.setEnabled(idle)
        self.act_pause.setEnabled(state == RUNNING)
        self.act_resume.setEnabled(state == PAUSED)
        self.act_step.setEnabled(idle or state == PAUSED)
        self.act_stop.setEnabled(state in (RUNNING, PAUSED))
        self.act_reset.setEnabled(idle and self.session.has_weights)
        f5 = [QKeySequence("F5")]
        self.act_train.setShortcuts(f5 if state != PAUSED else [])
        self.act_resume.setShortcuts(f5 if state == PAUSED else [])
        has_run = self.session.selected_run() is not None
        for act in self.export_actions.values():
            act.setEnabled(has_run)
        self.act_import.setEnabled(idle)
        self.act_import_transfer.setEnabled(idle)
        self.act_pause.setVisible(state != PAUSED)
        self.act_resume.setVisible(state == PAUSED)

    def _status(self, text: str, msec: int = 8000) -> None:
        self.last_status = text
        self.w.statusBar().showMessage(text, msec)

    def _on_progressed(self) -> None:
        # The epoch counter and ETA follow every drain (a few times a second while a run
        # trains), not the plots' redraw budget: the bar and its label paint natively,
        # without the interpreter lock.
        now = time.perf_counter()
        if self.session.state != RUNNING or now - self._t_progress >= PROGRESS_SECONDS:
            self._t_progress = now
            self._update_progress()

    def _on_redraw(self, slot: int) -> None:
        if slot != WINDOW_SLOT:
            return
        # While a run trains, the canvas badges change at most once a second (a canvas
        # repaint costs as much as a plot's).
        now = time.perf_counter()
        training = self.session.state == RUNNING
        if not training:
            self._t_progress = now
            self._update_progress()
        if not training or now - self._t_badges >= BADGE_SECONDS:
            self._t_badges = now
            self.update_badges()

    def _update_progress(self) -> None:
        run = self.session.display_run()
        if run is None:
            self.progress.set_progress(0, 1, "", "")
            return
        done, total = run.epochs_done, max(run.epochs_planned, 1)
        elapsed = self.session.elapsed(run)
        bar = f"Epoch {run.start_epoch + done}/{run.start_epoch + total}" \
            if run.start_epoch else f"Epoch {done}/{total}"
        if run.active:
            state = self.session.state
            if run.status == "preparing":
                text = "preparing data…"
            else:
                eta = elapsed / done * (total - done) if done else None
                text = f"{format_duration(elapsed)} · ETA " + (
                    format_duration(eta) if eta is not None else "…")
                if state == PAUSED:
                    text += " · paused"
                elif state == STOPPING:
                    text += " · stopping"
        else:
            text = f"{STATUS_TEXT.get(run.status, run.status)} in {format_duration(elapsed)}"
        self.progress.set_progress(done, total, text, bar)

    # -- notices ---------------------------------------------------------------------------------
    def _on_notice(self, n: Notice) -> None:
        actions = []
        if n.topic == "diverged":
            lr = n.extra.get("lr")
            if lr:
                new = float(f"{min(lr / 10, 0.01):.3g}")
                actions.append((f"Lower learning rate to {new:g}",
                                lambda new=new: self._set_live(learning_rate=new)))
            if n.extra.get("clip") is None:
                actions.append(("Clip gradients at 1",
                                lambda: self._set_live(clip_norm=1.0)))
            actions.append(("Resume", self.session.resume))
        if n.node_id and n.node_id in self.w.scene.nodes:
            actions.append(("Show layer", lambda node=n.node_id: self.show_node(node)))
            if n.kind == "error":
                self.w.scene.select_nodes([n.node_id])
        self.banner.show_message(n.kind, n.text, actions)
        self._status(n.text, 15000)

    def _set_live(self, **changes) -> None:
        reason = self.w.editor.set_training(**changes)
        if reason:
            self._status(reason)

    def show_node(self, node_id: str) -> None:
        self.w.focus_node(node_id)
        self.w.inspector_dock.raise_()

    def _on_finished(self, run: RunRecord) -> None:
        self._status(f"{run.title}: {run.summary()}", 20000)
        self.runs.update_run(run)
        self._update_progress()

    # -- badges ----------------------------------------------------------------------------------
    def _on_analysis(self) -> None:
        self._doc_structure = structure_key(self.w.document.graph)
        self.update_badges()

    def _on_probe(self, kind: str) -> None:
        # While training, badges follow the (throttled) redraws.
        if kind == "activations" and self.session.state != RUNNING:
            self.update_badges()

    def badges(self) -> dict[str, NodeBadge]:
        """The badge of each canvas node for the shown run (none when the network on the
        canvas is not the one that run trained)."""
        run = self.session.display_run()
        if run is None or structure_key(run.project.graph) != self._doc_structure:
            return {}
        c = run.curves
        health = gradient_health(c.grad_now, c.weight_now) if c.grad_now else {}
        res = self.session.probe.results.get("activations")
        activity = {}
        if res is not None and isinstance(res.version, tuple) and len(res.version) > 1 \
                and res.version[1] == run.number:
            activity = res.activity
        g_max = max((v for v in c.grad_now.values() if math.isfinite(v)), default=0.0)
        out = {}
        for node_id in self.w.scene.nodes:
            level = health.get(node_id)
            act = activity.get(node_id)
            if level is None and act is None:
                continue
            tips = []
            grad_text = ""
            if level is not None:
                g = c.grad_now[node_id]
                grad_text = format_norm(g)
                tips.append(f"<b>Gradient norm</b> {g:.3g} ({level}); largest layer "
                            f"{g_max:.3g}. {_HEALTH_HELP[level]}")
            act_text, act_level = "", None
            if act is not None:
                act_level = act.level
                act_text = act.short()
                what = ("dead units (output 0 for every validation sample of the batch)"
                        if act.kind == "dead" else
                        f"saturated outputs (slope below {SATURATION_SLOPE:.0%} of its "
                        "maximum)")
                tips.append(f"<b>{act.fraction:.0%}</b> {what}.")
            out[node_id] = NodeBadge(level, grad_text, act_text, act_level, "<br>".join(tips))
        return out

    def update_badges(self) -> None:
        badges = self.badges()
        for node_id, item in self.w.scene.nodes.items():
            item.set_badge(badges.get(node_id))

    # -- selection -------------------------------------------------------------------------------
    def on_canvas_selection(self) -> None:
        ids = self.w.scene.selected_node_ids()
        if len(ids) == 1:
            self.inside.select_layer(ids[0])

    def _on_layer_chosen(self, node_id: str) -> None:
        if node_id in self.w.scene.nodes and self.w.scene.selected_node_ids() != [node_id]:
            self.w.scene.select_nodes([node_id])

    # -- commands --------------------------------------------------------------------------------
    def reset_weights(self) -> None:
        if self.session.reset_weights():
            self._status("Weights reset: the next run starts from fresh initial weights")

    def undo_refusal(self, cmd) -> str | None:
        return undo_refusal(cmd) if self.session.active else None

    def export_dialog(self, fmt: str) -> bool:
        run = self.session.selected_run()
        title, filt, suffix = FORMATS[fmt]
        if run is None:
            dialogs.show_error(self.w, f"Export {title.lower()}", "There are no trained "
                               "weights yet.", "Train the network first (Run ▸ Train).")
            return False
        doc = self.w.document
        folder = doc.path.parent if doc.path else Path.home()
        stem = (doc.path.stem if doc.path else (doc.project.name or "network")).replace(" ", "_")
        path = dialogs.get_save_path(self.w, f"Export {title.lower()} of {run.name}",
                                     str(folder / f"{stem}_run{run.number}{suffix}"), filt)
        if not path:
            return False
        path = Path(path)
        if path.suffix.lower() != suffix:
            path = path.with_name(path.name + suffix)
        try:
            export_run(run, fmt, path)
        except (NetCanvasError, OSError, ValueError) as e:
            dialogs.show_error(self.w, "Export failed", f"“{path.name}” could not be written.",
                               getattr(e, "strerror", None) or str(e))
            return False
        extra = f" and {path.with_suffix('.npz').name}" if fmt == "python" else ""
        self._status(f"Exported {run.name} ({title.lower()}) to {path}{extra}")
        return True

    def import_dialog(self, partial: bool) -> bool:
        if self.session.active:
            self._status(f"Not imported: {LOCK_REASON}")
            return False
        doc = self.w.document
        folder = str(doc.path.parent) if doc.path else str(Path.home())
        path = dialogs.get_open_path(self.w, "Import weights", folder,
                                     "NetCanvas weights (*.npz);;All files (*)")
        if not path:
            return False
        return self.import_path(Path(path), partial)

    def import_path(self, path: Path, partial: bool, freeze: bool | None = None) -> bool:
        try:
            loaded = import_weights(self.session, path, partial)
        except NetCanvasError as e:
            dialogs.show_error(self.w, "Cannot import weights",
                               f"“{Path(path).name}” does not fit this network.", str(e))
            return False
        names = ", ".join(loaded)
        if partial:
            if freeze is None:
                freeze = dialogs.ask_yes_no(
                    self.w, "Freeze the imported layers?",
                    f"Loaded {len(loaded)} layer{'s' if len(loaded) != 1 else ''}: {names}.",
                    "Freeze them, so that training changes only the other layers (transfer "
                    "learning)?")
            if freeze:
                stack = self.w.undo_stack
                stack.beginMacro(f"Freeze {len(loaded)} imported layers")
                for node_id in loaded:
                    self.w.editor.set_frozen(node_id, True)
                stack.endMacro()
        self._status(f"Imported weights from {Path(path).name} into {names}"
                     + (" (frozen)" if partial and freeze else ""))
        self.update_actions()
        return True

    def shutdown(self) -> None:
        t0 = time.perf_counter()
        self.session.shutdown()
        self.shutdown_seconds = time.perf_counter() - t0


_HEALTH_HELP = {
    "ok": "Healthy.",
    "weak": f"Below {WEAK_RATIO:g} of the largest layer's: this layer learns slowly.",
    "vanishing": f"Below {VANISHING_RATIO:g} of the largest layer's: vanishing gradients; "
                 "this layer barely learns (try ReLU, a shallower network or batch "
                 "normalization).",
    "exploding": f"Above {EXPLODING_NORM:g} or {EXPLODING_RATIO:g}× the layer's weight norm: "
                 "exploding gradients (lower the learning rate or clip gradients).",
}
