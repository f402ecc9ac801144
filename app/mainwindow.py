"""The builder window: canvas in the middle, palette on the left, inspector, data, training
settings, summary and run history on the right, training curves, the network's insides and
results along the bottom; File / Edit / View / Run / Help menus.

The window only assembles: it makes the document, the editor, the canvas and the panels,
gives its parts (:mod:`app.window`: files, autosave, diagram export, edit and view actions;
:mod:`app.training`: run controls, canvas badges, weights dialogs, plot docks) a
:class:`~app.window.context.WindowContext`, places what they expose in its menus, toolbar
and dock areas, and connects the panels that follow the run lock.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QObject, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QShowEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.canvas.items import format_count
from app.canvas.scene import CanvasScene
from app.canvas.view import CanvasView
from app.document.document import ProjectDocument
from app.examples import default_project
from app.explain.part import ExplainTools
from app.icons import app_icon
from app.lessons.part import LessonsPart
from app.panels.data import DataPanel
from app.panels.inspector import InspectorWidget
from app.panels.palette import PaletteWidget
from app.panels.summary import SummaryWidget
from app.panels.training_settings import TrainingSettingsPanel
from app.paths import examples_dir
from app.recovery import AUTOSAVE_MSEC, RecoveryStore
from app.theme import colors, theme_notifier
from app.training.badges import CanvasBadges
from app.training.compare_actions import RunComparison
from app.training.controller import RunController
from app.training.fork_actions import ForkActions
from app.training.lock import LockingEditor
from app.training.plot_docks import PlotDocks
from app.training.run_controls import RunControls
from app.training.sweep_runner import SweepActions
from app.training.weights_dialogs import WeightsDialogs
from app.understanding.edge_weights import EdgeWeights
from app.understanding.gradcheck_part import GradcheckPart
from app.understanding.lint_part import LintPart
from app.understanding.lr_finder_part import LrFinderPart
from app.understanding.points_actions import DataPoints
from app.understanding.trace_dialog import TraceSamples
from app.understanding.unit_responses import UnitResponses
from app.window.autosave import Autosave, default_recovery_dir
from app.window.canvas_clicks import CanvasClicks
from app.window.canvas_keys import CanvasKeys
from app.window.context import PartFactory, WindowContext
from app.window.context_menus import ContextMenus, standard_contents
from app.window.diagram_export import DiagramExport
from app.window.edit_actions import EditActions
from app.window.files import ProjectFiles
from app.window.help import HelpActions
from app.window.layer_actions import LayerActions
from app.window.layout import LAYOUT_VERSION, WindowDocks, place_docks, size_docks
from app.window.onnx_import import OnnxImport
from app.window.panel_focus import PanelFocus
from app.window.pytorch_export import PyTorchExport
from app.window.sample_picking import SamplePicking
from app.window.status_bar import StatusBar
from app.window.tab_bars import TabBarJanitor
from app.window.theme_actions import ThemeActions
from app.window.view_actions import ViewActions
from nncore.project import Project


class _Relay(QObject):
    """Forwards a signal; its lifetime bounds the connection."""

    fired = Signal()

    def fire(self, *_args) -> None:
        self.fired.emit()


class MainWindow(QMainWindow):
    """The window of one open project, assembled from its parts."""

    def __init__(self, settings: QSettings | None = None, recovery_dir: Path | None = None,
                 autosave_msec: int = AUTOSAVE_MSEC, project: Project | None = None,
                 path: Path | None = None) -> None:
        super().__init__()
        self.setWindowIcon(app_icon())
        self.settings = settings if settings is not None else QSettings()
        self._first_show = True

        # Created before the editor so Qt deletes it first: the undo stack clears itself
        # (and signals) when it is destroyed, and by then nothing may listen.
        self._stack_relay = _Relay(self)
        self.document = ProjectDocument(parent=self)
        self.editor = LockingEditor(self.document, self)
        self.undo_stack = self.editor.undo_stack
        self.scene = CanvasScene(self.editor, self)
        self.view = CanvasView(self.scene)

        self.palette_panel = PaletteWidget()
        self.inspector = InspectorWidget(self.editor)
        self.summary = SummaryWidget(self.document)
        self.data_panel = DataPanel(self.editor)
        self.training_panel = TrainingSettingsPanel(self.editor)
        self.training = RunController(self.document, self)
        self.context = WindowContext(self.document, self.editor, self.scene, self.view,
                                     self.undo_stack, PartFactory(self), self,
                                     self._show_status, self.reveal_node)
        self._build_docks()
        self._build_parts(RecoveryStore(recovery_dir or default_recovery_dir()),
                          autosave_msec)
        self.setCentralWidget(self._central_widget())
        self._build_menus()
        self._build_toolbar()
        self._build_status_bar()
        self._connect()
        self._follow_lock()

        if project is None:
            self.document.set_project(default_project(), None, examples_dir())
        else:
            self.document.set_project(project, path)
        self.undo_stack.clear()
        self._restore_window()
        self.lessons.offer_on_first_start(self.settings)
        self._update_title()
        self._update_status()
        self.edit.update_actions()
        self.edit.update_undo_actions()

    # -- construction ----------------------------------------------------------------------
    def _build_docks(self) -> None:
        """The docks in the default layout (:mod:`app.window.layout`)."""
        dock = self.context.parts.dock
        left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        self.palette_dock = dock("Layers", "paletteDock", self.palette_panel, left)
        self.inspector_dock = dock("Inspector", "inspectorDock", self.inspector, right)
        self.data_dock = dock("Data", "dataDock", self.data_panel, right)
        self.training_dock = dock("Training", "trainingDock", self.training_panel, right)
        self.summary_dock = dock("Summary", "summaryDock", self.summary, right)
        self.plot_docks = PlotDocks(self.context, self.training, self)
        self.explain = ExplainTools(self.context, self.training, self)
        plots = self.plot_docks
        self.layout_docks = WindowDocks(
            self.palette_dock, self.inspector_dock, self.data_dock, self.training_dock,
            self.summary_dock, plots.curves_dock, plots.runs_dock, plots.inside_dock,
            plots.results_dock, self.explain.hidden_dock)
        self.lint = LintPart(self.context, self.training_panel.forms,
                             self.data_panel.split_form, self)
        place_docks(self, self.layout_docks)
        self.tabifyDockWidget(plots.runs_dock, self.lint.dock)
        plots.curves_dock.raise_()
        self._tab_bars = TabBarJanitor(self)
        self._default_state = self.saveState(LAYOUT_VERSION)
        #: Whether the layout must get the default sizes when the window first shows (no
        #: saved layout was restored).
        self._size_docks_on_show = True

    def _docks(self) -> list[QDockWidget]:
        return [self.palette_dock, self.inspector_dock, self.data_dock, self.training_dock,
                self.summary_dock, self.lint.dock, *self.plot_docks.docks,
                self.explain.hidden_dock]

    def _build_parts(self, store: RecoveryStore, autosave_msec: int) -> None:
        ctx = self.context
        action = ctx.parts.action
        self.files = ProjectFiles(ctx, self.settings, self)
        self.diagram_export = DiagramExport(ctx, self)
        self.act_quit = action("actionQuit", "&Quit", self.close, ["Ctrl+Q"])
        self.edit = EditActions(ctx, self)
        self.view_actions = ViewActions(ctx, self)
        self.layer_actions = LayerActions(ctx, self)
        self.canvas_keys = CanvasKeys(ctx, self)
        self.context_menus = ContextMenus(ctx, standard_contents(
            self.edit, self.view_actions, self.layer_actions, self.canvas_keys), self)
        self.panel_focus = PanelFocus(ctx, self._docks(), self)
        self.theme_actions = ThemeActions(ctx, self.settings, self)
        self.act_reset_layout = action("actionResetLayout", "Reset Window &Layout",
                                       self.reset_window_layout)
        self.help = HelpActions(ctx, self.menuBar(), self)
        self.lessons = LessonsPart(ctx, self.files, self.training, self)
        self.tabifyDockWidget(self.inspector_dock, self.lessons.dock)
        self.run_controls = RunControls(ctx, self.training, self)
        self.canvas_badges = CanvasBadges(ctx, self.training, self)
        self.weights_dialogs = WeightsDialogs(ctx, self.training, self)
        self.gradcheck = GradcheckPart(ctx, self.training, self)
        self.lr_finder = LrFinderPart(ctx, self.training, self)
        self.trace_samples = TraceSamples(ctx, self.training, self)
        self.unit_responses = UnitResponses(ctx, self.training, self)
        self.edge_weights = EdgeWeights(ctx, self.training, self)
        self.data_points = DataPoints(ctx, self)
        # A click on a sample (data preview, decision boundary, misclassified image).
        self.sample_picking = SamplePicking(ctx, self.training, self.trace_samples.show_sample,
                                            self.explain.show_sample, self)
        self.data_panel.preview.samplePicked.connect(self.sample_picking.pick)
        self.plot_docks.results.samplePicked.connect(self.sample_picking.pick)
        runs, curves = self.plot_docks.runs, self.plot_docks.curves
        self.comparison = RunComparison(ctx, self.training, runs, lambda: curves.content, self)
        self.forks = ForkActions(ctx, self.training, runs, self)
        self.sweeps = SweepActions(ctx, self.training, runs, self)
        runs.add_buttons(self.comparison.table_actions)
        runs.add_menu_actions([*self.forks.actions, None, *self.comparison.export_actions])
        self.pytorch_export = PyTorchExport(ctx, self.training, self)
        self.onnx_import = OnnxImport(ctx, self.training, self.files.maybe_save,
                                      self.files.replace_project, self)
        self.autosave = Autosave(ctx, store, autosave_msec, self.files.is_modified,
                                 self._restore_recovered, self)

    def _central_widget(self) -> QWidget:
        """The notice banner above the canvas."""
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.run_controls.banner)
        lay.addWidget(self.view, 1)
        return box

    def _build_menus(self) -> None:
        mb = self.menuBar()
        files, weights = self.files, self.weights_dialogs
        file_menu = mb.addMenu("&File")
        file_menu.addAction(files.act_new)
        file_menu.addAction(files.act_open)
        file_menu.addMenu(files.recent_menu)
        file_menu.addMenu(files.examples_menu)
        file_menu.addSeparator()
        file_menu.addAction(files.act_save)
        file_menu.addAction(files.act_save_as)
        export = file_menu.addMenu("&Export")
        export.setObjectName("menuExport")
        _fill_menu(export, [self.diagram_export.act_png, self.diagram_export.act_svg, None,
                            *weights.export_actions.values(), None,
                            *self.comparison.export_actions, None,
                            self.pytorch_export.act_export])
        imports = file_menu.addMenu("&Import")
        imports.setObjectName("menuImport")
        _fill_menu(imports, [self.onnx_import.act_import, None, *weights.import_actions])
        _fill_menu(file_menu, [None, self.act_quit])
        edit = mb.addMenu("&Edit")
        edit.setObjectName("menuEdit")
        _fill_menu(edit, [*self.edit.menu_actions, None, *self.data_points.menu_actions])
        mb.addMenu(self.context_menus.layer_menu)
        view = mb.addMenu("&View")
        _fill_menu(view, [*self.view_actions.menu_actions, None,
                          *self.unit_responses.menu_actions, *self.edge_weights.menu_actions,
                          None])
        _fill_menu(view.addMenu("&Go To"), self.panel_focus.menu_actions)
        view.addMenu(self.theme_actions.menu)
        panels = view.addMenu("&Panels")
        for dock in [*self._docks(), *self.lessons.docks]:
            panels.addAction(dock.toggleViewAction())
        view.addAction(self.act_reset_layout)
        run = mb.addMenu("&Run")
        run.setObjectName("menuRun")
        _fill_menu(run, [*self.run_controls.menu_actions, None, *self.sweeps.menu_actions,
                         *self.forks.actions, None, self.gradcheck.act_check,
                         self.lr_finder.act_find, *self.trace_samples.menu_actions,
                         *self.explain.menu_actions])
        help_menu = mb.addMenu("&Help")
        help_menu.setObjectName("menuHelp")
        _fill_menu(help_menu, [self.lessons.act_lessons, *self.help.menu_actions])

    def _build_toolbar(self) -> None:
        tb = QToolBar("Main", self)
        tb.setObjectName("mainToolbar")
        tb.setIconSize(QSize(20, 20))
        tb.setMovable(False)
        files, edit, view, run = self.files, self.edit, self.view_actions, self.run_controls
        for act in (files.act_new, files.act_open, files.act_save, None, edit.act_undo,
                    edit.act_redo, None, edit.act_delete, edit.act_layout, None,
                    view.act_zoom_out, view.act_zoom_in, view.act_fit, None,
                    *run.toolbar_actions):
            tb.addSeparator() if act is None else tb.addAction(act)
        button = tb.widgetForAction(run.act_train)
        if button is not None:
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        tb.addWidget(run.progress)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, tb)
        self.toolbar = tb

    def _build_status_bar(self) -> None:
        sb = StatusBar(self)
        self.setStatusBar(sb)
        self.problems_label = QLabel()
        self.problems_label.setObjectName("problemsLabel")
        self.params_label = QLabel()
        self.params_label.setObjectName("paramsLabel")
        sb.addPermanentWidget(self.lint.status_button)
        sb.addPermanentWidget(self.data_panel.status_progress)
        sb.addPermanentWidget(self.problems_label)
        sb.addPermanentWidget(self.params_label)

    def _connect(self) -> None:
        d = self.document
        relay = self._stack_relay
        self.undo_stack.cleanChanged.connect(relay.fire)
        self.undo_stack.indexChanged.connect(relay.fire)
        relay.fired.connect(self._update_title)
        relay.fired.connect(self.edit.update_undo_actions)
        d.infoChanged.connect(self._update_title)
        d.pathChanged.connect(self._update_title)
        d.analysisChanged.connect(self._update_status)
        self.files.changed.connect(self._update_title)
        # A run stops before the document is replaced.
        self.files.aboutToReplace.connect(self.training.reset)
        self.onnx_import.dataWanted.connect(lambda: (self.data_dock.show(),
                                                     self.data_dock.raise_()))
        # To the window, not to the parts: the scene signals while it is deleted, when the
        # window no longer receives but the parts (deleted after the scene) still would.
        self._canvas_clicks = CanvasClicks(self.view, self)
        self.scene.selectionChanged.connect(self._on_selection_changed)
        self.view.message.connect(lambda text: self._show_status(text, 10000))
        self.palette_panel.layerActivated.connect(self.edit.add_layer_after_selection)
        self.summary.nodeClicked.connect(self._focus_node)
        self.layer_actions.inspectRequested.connect(
            lambda _node_id, rename: self.inspector.focus_layer(rename))
        self.data_dock.visibilityChanged.connect(self.data_panel.set_active)
        self.data_panel.status.connect(lambda text: self._show_status(text, 10000))
        self.training.trained.prepared_for = self.data_panel.prepared_data
        self.training.trained.wait_for_data = self.data_panel.run_when_ready
        self.lint.checker.prepared_for = self.data_panel.prepared_data
        self.data_panel.dataReady.connect(self.lint.checker.schedule)
        theme_notifier().changed.connect(self._update_status)

    def _follow_lock(self) -> None:
        """The panels that edit the network or the data follow the editor's run lock."""
        tree = self.palette_panel.tree
        for follow in (lambda locked: tree.setEnabled(not locked), self.view.set_locked,
                       self.scene.set_locked, self.inspector.set_locked,
                       self.data_panel.set_locked, self.training_panel.set_run_active):
            self.editor.lockChanged.connect(follow)
            follow(self.editor.locked)

    def _on_selection_changed(self) -> None:
        selected = self.scene.selected_node_ids()
        self.inspector.set_selection(selected)
        if selected and self._canvas_clicks.active:
            self.inspector_dock.raise_()  # the person picked layers: show their settings
        self.edit.update_actions()
        self.layer_actions.update_actions()
        self.plot_docks.follow_canvas_selection()

    # -- what the parts use ----------------------------------------------------------------
    def _show_status(self, text: str, msec: int) -> None:
        self.statusBar().showMessage(text, msec)

    def _focus_node(self, node_id: str) -> None:
        if node_id in self.scene.nodes:
            self.scene.select_nodes([node_id])
            self.view.centerOn(self.scene.nodes[node_id])

    def reveal_node(self, node_id: str) -> None:
        """Select ``node_id`` on the canvas, scroll to it and show the inspector."""
        self._focus_node(node_id)
        self.inspector_dock.raise_()

    def _restore_recovered(self, project: Project, original_path: Path | None) -> None:
        self.files.restore_recovered(project, original_path)

    # -- the launcher's entry points -------------------------------------------------------
    def open_project(self, path: Path | str, as_copy: bool = False) -> bool:
        """Open a project file (see :meth:`ProjectFiles.open_project`)."""
        return self.files.open_project(path, as_copy)

    def offer_recovery(self) -> bool:
        """After a crash: offer the newest recovery file. True when it was restored."""
        return self.autosave.offer_recovery()

    # -- state -----------------------------------------------------------------------------
    def _update_title(self) -> None:
        """The project's name, "*" when it has unsaved changes (Qt's ``[*]``); the window
        system adds the application's name: "Spiral* — NetCanvas"."""
        name = self.document.project.name or "Untitled"
        self.setWindowTitle(f"{name.replace('[*]', '[*][*]')}[*]")
        self.setWindowModified(self.files.is_modified())

    def _update_status(self) -> None:
        a = self.document.analysis
        total, trainable = a.total_params, a.trainable_params
        self.params_label.setText(f"Parameters: {format_count(total)} "
                                  f"(trainable {format_count(trainable)})")
        n = len(a.errors)
        if n:
            self.problems_label.setText(f"⚠ {n} problem{'s' if n > 1 else ''}")
            self.problems_label.setStyleSheet(f"color: {colors().error.name()};")
            self.problems_label.setToolTip("\n".join(str(e) for e in a.errors[:20]))
        else:
            self.problems_label.setText("✓ network is valid")
            self.problems_label.setStyleSheet("")
            self.problems_label.setToolTip("")

    # -- window ----------------------------------------------------------------------------
    def _restore_window(self) -> None:
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(self._default_size())
        if isinstance(state, QByteArray) and not state.isEmpty():
            self._size_docks_on_show = not self.restoreState(state, LAYOUT_VERSION)

    def _default_size(self) -> QSize:
        screen = QGuiApplication.primaryScreen()
        size = QSize(1280, 800)
        if screen is not None:
            avail = screen.availableGeometry().size()
            size = size.boundedTo(QSize(avail.width() - 40, avail.height() - 60))
        return size

    def save_window_settings(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState(LAYOUT_VERSION))
        self.settings.sync()

    def reset_window_layout(self) -> None:
        """The default layout, sized for the window as it is now."""
        self.restoreState(self._default_state, LAYOUT_VERSION)
        for dock in self._docks():
            dock.show()
        self.plot_docks.curves_dock.raise_()
        self.inspector_dock.raise_()
        size_docks(self, self.layout_docks)
        self._tab_bars.schedule()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self._first_show:
            self._first_show = False
            if self._size_docks_on_show:
                size_docks(self, self.layout_docks)
            # The keyboard starts on the canvas, where Ctrl+Z undoes an edit of the network
            # (in the palette's search field, the first in the tab order, it undid typing).
            self.view.setFocus(Qt.FocusReason.OtherFocusReason)
            QTimer.singleShot(0, self.view.fit_all)
            self._tab_bars.schedule()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self.files.maybe_save():
            event.ignore()
            return
        self.training.shutdown()
        self.explain.shutdown()
        self.data_panel.shutdown()
        self.pytorch_export.shutdown()
        self.onnx_import.shutdown()
        self.save_window_settings()
        self.autosave.stop()
        # The tool windows it opened (gradient check, explanations, reports) go with it.
        for widget in self.findChildren(QWidget):
            if widget.isWindow() and widget.isVisible():
                widget.close()
        event.accept()


def _fill_menu(menu: QMenu, actions: list[QAction | None]) -> None:
    """Add ``actions`` to ``menu`` (None: a separator)."""
    for act in actions:
        menu.addSeparator() if act is None else menu.addAction(act)
