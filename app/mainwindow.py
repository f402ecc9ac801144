"""The builder window: canvas in the middle, palette on the left, inspector, data, training
settings, summary and run history on the right, training curves, the network's insides and
results along the bottom; File / Edit / View / Run menus; autosave and recovery. The
training part (worker thread, plots, run controls) lives in :mod:`app.training`."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import (
    QByteArray,
    QMimeData,
    QObject,
    QPointF,
    QRectF,
    QSettings,
    QSize,
    QStandardPaths,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QImage, QKeySequence, QPainter
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QTabWidget,
    QToolBar,
    QWidget,
)

from app import dialogs
from app.canvas.items import NODE_WIDTH
from app.canvas.scene import CanvasScene
from app.canvas.view import CanvasView
from app.data_source import relative_path, resolve_path
from app.document.document import ProjectDocument
from app.document.naming import CLIPBOARD_MIME, subgraph_from_text, subgraph_to_text
from app.examples import default_project
from app.icons import action_icon, app_icon
from app.panels.data import DataPanel
from app.panels.inspector import InspectorWidget
from app.panels.palette import PaletteWidget
from app.panels.summary import SummaryWidget
from app.panels.training_settings import TrainingSettingsPanel
from app.paths import examples_dir, list_examples
from app.recovery import AUTOSAVE_MSEC, RecoveryStore
from app.theme import colors, theme_notifier
from app.training.lock import LockingEditor
from app.training.ui import TrainingUi
from nncore.errors import FormatError, NetCanvasError
from nncore.project import Project, load_project, save_project

MAX_RECENT = 8
PROJECT_FILTER = "NetCanvas projects (*.json);;All files (*)"
TITLE = "NetCanvas"


def default_recovery_dir() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base or Path.home() / ".netcanvas") / "recovery"


class _Relay(QObject):
    """Forwards a signal; its lifetime bounds the connection."""

    fired = Signal()

    def fire(self, *_args) -> None:
        self.fired.emit()


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings | None = None, recovery_dir: Path | None = None,
                 autosave_msec: int = AUTOSAVE_MSEC, project: Project | None = None,
                 path: Path | None = None) -> None:
        super().__init__()
        self.setWindowIcon(app_icon())
        self.settings = settings if settings is not None else QSettings()
        self.recovery = RecoveryStore(recovery_dir or default_recovery_dir())
        self._force_modified = False
        self._autosaved_index = -1
        self._paste_count = 0
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
        self.training_ui = TrainingUi(self)
        self.training = self.training_ui.session
        self.setCentralWidget(self.training_ui.central_widget(self.view))
        self._build_docks()
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_status_bar()
        self._connect()

        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(autosave_msec)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start()

        if project is None:
            project = default_project()
            self.document.set_project(project, None, examples_dir())
        else:
            self.document.set_project(project, path)
        self.undo_stack.clear()
        self._restore_window()
        self._update_title()
        self._update_status()
        self._update_actions()
        self._update_undo_actions()

    # -- construction --------------------------------------------------------------------------
    def _dock(self, title: str, name: str, widget: QWidget,
              area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        # The training plots along the bottom take the full width of the window.
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        self.setCorner(Qt.Corner.BottomRightCorner, bottom)
        self.setCorner(Qt.Corner.BottomLeftCorner, bottom)
        self.setDockNestingEnabled(True)
        self.setTabPosition(Qt.DockWidgetArea.AllDockWidgetAreas, QTabWidget.TabPosition.North)
        self.palette_dock = self._dock("Layers", "paletteDock", self.palette_panel, left)
        self.inspector_dock = self._dock("Inspector", "inspectorDock", self.inspector, right)
        self.data_dock = self._dock("Data", "dataDock", self.data_panel, right)
        self.training_dock = self._dock("Training", "trainingDock", self.training_panel, right)
        self.summary_dock = self._dock("Summary", "summaryDock", self.summary, right)
        self.splitDockWidget(self.inspector_dock, self.summary_dock, Qt.Orientation.Vertical)
        self.tabifyDockWidget(self.inspector_dock, self.data_dock)
        self.tabifyDockWidget(self.data_dock, self.training_dock)
        self.training_docks = self.training_ui.build_docks()
        self.curves_dock, self.inside_dock, self.results_dock, self.runs_dock = \
            self.training_docks
        self.tabifyDockWidget(self.summary_dock, self.runs_dock)
        self.summary_dock.raise_()
        self.inspector_dock.raise_()
        self.resizeDocks([self.palette_dock], [200], Qt.Orientation.Horizontal)
        self.resizeDocks([self.inspector_dock], [340], Qt.Orientation.Horizontal)
        self.resizeDocks([self.inspector_dock, self.summary_dock], [260, 150],
                         Qt.Orientation.Vertical)
        self.resizeDocks([self.curves_dock], [290], Qt.Orientation.Vertical)
        self.resizeDocks([self.curves_dock, self.inside_dock, self.results_dock],
                         [500, 390, 390], Qt.Orientation.Horizontal)
        self._default_state = self.saveState()

    def _action(self, name: str, text: str, slot, shortcuts=(), icon: str | None = None,
                tip: str = "") -> QAction:
        act = QAction(text, self)
        act.setObjectName(name)
        if shortcuts:
            act.setShortcuts([QKeySequence(s) if isinstance(s, str) else QKeySequence(s)
                              for s in shortcuts])
        if icon:
            act.setIcon(action_icon(icon))
            self._action_icons[act] = icon
        if tip:
            act.setStatusTip(tip)
            act.setToolTip(tip)
        act.triggered.connect(lambda _checked=False: slot())
        self.addAction(act)
        return act

    def _build_actions(self) -> None:
        self._action_icons: dict[QAction, str] = {}
        K = QKeySequence.StandardKey
        a = self._action
        self.act_new = a("actionNew", "&New", self.new_project, [K.New], "new",
                         "Start a new, empty project")
        self.act_open = a("actionOpen", "&Open…", self.open_dialog, [K.Open], "open",
                          "Open a project file")
        self.act_save = a("actionSave", "&Save", self.save, [K.Save], "save",
                          "Save the project")
        self.act_save_as = a("actionSaveAs", "Save &As…", self.save_as, ["Ctrl+Shift+S"])
        self.act_export_png = a("actionExportPng", "Network Diagram as &PNG…",
                                lambda: self.export_diagram_dialog("png"))
        self.act_export_svg = a("actionExportSvg", "Network Diagram as &SVG…",
                                lambda: self.export_diagram_dialog("svg"))
        self.act_quit = a("actionQuit", "&Quit", self.close, ["Ctrl+Q"])

        # Own undo/redo actions (not QUndoStack's) so that a run can refuse to undo edits of
        # the network it is training.
        self.act_undo = a("actionUndo", "&Undo", self.undo, ["Ctrl+Z"], "undo")
        self.act_redo = a("actionRedo", "&Redo", self.redo, ["Ctrl+Shift+Z", "Ctrl+Y"], "redo")
        self.act_cut = a("actionCut", "Cu&t", self.cut, ["Ctrl+X"])
        self.act_copy = a("actionCopy", "&Copy", self.copy, ["Ctrl+C"])
        self.act_paste = a("actionPaste", "&Paste", self.paste, ["Ctrl+V"])
        self.act_duplicate = a("actionDuplicate", "D&uplicate", self.duplicate, ["Ctrl+D"])
        self.act_delete = a("actionDelete", "&Delete", self.delete_selection,
                            [QKeySequence(Qt.Key.Key_Delete),
                             QKeySequence(Qt.Key.Key_Backspace)], "delete",
                            "Delete the selected layers and connections")
        self.act_select_all = a("actionSelectAll", "Select &All", self.select_all, ["Ctrl+A"])
        self.act_layout = a("actionArrange", "A&rrange Layers", self.arrange, ["Ctrl+L"],
                            "layout", "Lay the network out from left to right")

        self.act_zoom_in = a("actionZoomIn", "Zoom &In", self.view.zoom_in,
                             ["Ctrl++", "Ctrl+="], "zoom_in")
        self.act_zoom_out = a("actionZoomOut", "Zoom &Out", self.view.zoom_out, ["Ctrl+-"],
                              "zoom_out")
        self.act_zoom_reset = a("actionZoomReset", "&Actual Size", self.view.reset_zoom,
                                ["Ctrl+0"])
        self.act_fit = a("actionFit", "&Fit to Window", self.view.fit_all, ["F"], "fit",
                         "Show the whole network (F)")
        self.act_reset_layout = a("actionResetLayout", "Reset Window &Layout",
                                  self.reset_window_layout)
        self.act_about = a("actionAbout", "&About NetCanvas", self.about)
        self.training_ui.build_actions()
        ui = self.training_ui
        self.act_train, self.act_pause, self.act_resume = ui.act_train, ui.act_pause, \
            ui.act_resume
        self.act_step, self.act_stop, self.act_reset = ui.act_step, ui.act_stop, ui.act_reset

    def _build_menus(self) -> None:
        mb = self.menuBar()
        file_menu = mb.addMenu("&File")
        file_menu.addAction(self.act_new)
        file_menu.addAction(self.act_open)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.setObjectName("menuRecent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.examples_menu = file_menu.addMenu("&Examples")
        self.examples_menu.setObjectName("menuExamples")
        self.examples_menu.setToolTipsVisible(True)
        self.examples_menu.aboutToShow.connect(self._fill_examples_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.act_save)
        file_menu.addAction(self.act_save_as)
        export = file_menu.addMenu("&Export")
        export.setObjectName("menuExport")
        export.addAction(self.act_export_png)
        export.addAction(self.act_export_svg)
        self.export_menu = export
        quit_separator = file_menu.addSeparator()
        file_menu.addAction(self.act_quit)
        self._fill_examples_menu()
        self._fill_recent_menu()

        edit = mb.addMenu("&Edit")
        edit.setObjectName("menuEdit")
        for act in (self.act_undo, self.act_redo, None, self.act_cut, self.act_copy,
                    self.act_paste, self.act_duplicate, self.act_delete, None,
                    self.act_select_all, self.act_layout):
            edit.addSeparator() if act is None else edit.addAction(act)

        view = mb.addMenu("&View")
        for act in (self.act_zoom_in, self.act_zoom_out, self.act_zoom_reset, self.act_fit):
            view.addAction(act)
        view.addSeparator()
        panels = view.addMenu("&Panels")
        for dock in (self.palette_dock, self.inspector_dock, self.data_dock,
                     self.training_dock, self.summary_dock, *self.training_docks):
            panels.addAction(dock.toggleViewAction())
        view.addAction(self.act_reset_layout)

        self.run_menu = self.training_ui.build_menus(file_menu, export, quit_separator)
        help_menu = mb.addMenu("&Help")
        help_menu.addAction(self.act_about)

    def _build_toolbar(self) -> None:
        tb = QToolBar("Main", self)
        tb.setObjectName("mainToolbar")
        tb.setIconSize(QSize(20, 20))
        tb.setMovable(False)
        for act in (self.act_new, self.act_open, self.act_save, None, self.act_undo,
                    self.act_redo, None, self.act_delete, self.act_layout, None,
                    self.act_zoom_out, self.act_zoom_in, self.act_fit):
            tb.addSeparator() if act is None else tb.addAction(act)
        self.training_ui.build_toolbar(tb)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, tb)
        self.toolbar = tb

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.problems_label = QLabel()
        self.problems_label.setObjectName("problemsLabel")
        self.params_label = QLabel()
        self.params_label.setObjectName("paramsLabel")
        sb.addPermanentWidget(self.problems_label)
        sb.addPermanentWidget(self.params_label)

    def _connect(self) -> None:
        d = self.document
        self.undo_stack.cleanChanged.connect(self._stack_relay.fire)
        self.undo_stack.indexChanged.connect(self._stack_relay.fire)
        self._stack_relay.fired.connect(self._update_title)
        self._stack_relay.fired.connect(self._update_undo_actions)
        d.infoChanged.connect(self._update_title)
        d.pathChanged.connect(self._update_title)
        d.analysisChanged.connect(self._update_status)
        self.scene.selectionChanged.connect(self._on_selection_changed)
        self.view.layerDropped.connect(self._on_layer_dropped)
        self.view.message.connect(lambda text: self.statusBar().showMessage(text, 10000))
        self.palette_panel.layerActivated.connect(self.add_layer_after_selection)
        self.summary.nodeClicked.connect(self.focus_node)
        self.data_dock.visibilityChanged.connect(self.data_panel.set_active)
        theme_notifier().changed.connect(self._on_theme_changed)
        QGuiApplication.clipboard().dataChanged.connect(self._update_actions)
        self.training_ui.wire()

    def _on_theme_changed(self) -> None:
        for act, name in self._action_icons.items():
            act.setIcon(action_icon(name))
        self._update_status()

    # -- state -----------------------------------------------------------------------------------
    def is_modified(self) -> bool:
        return self._force_modified or not self.undo_stack.isClean()

    def _update_title(self) -> None:
        name = self.document.project.name or "Untitled"
        star = "*" if self.is_modified() else ""
        self.setWindowTitle(f"{TITLE} — {name}{star}")

    def _update_status(self) -> None:
        a = self.document.analysis
        from app.canvas.items import format_count

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

    def _update_undo_actions(self) -> None:
        stack = self.undo_stack
        self.act_undo.setEnabled(stack.canUndo())
        self.act_redo.setEnabled(stack.canRedo())
        self.act_undo.setText(f"&Undo {stack.undoText()}".rstrip())
        self.act_redo.setText(f"&Redo {stack.redoText()}".rstrip())

    def undo(self) -> bool:
        """Undo the last edit, unless a run forbids it (the reason goes to the status bar)."""
        stack = self.undo_stack
        return stack.canUndo() and self._history_step(stack.index() - 1, stack.undo)

    def redo(self) -> bool:
        stack = self.undo_stack
        return stack.canRedo() and self._history_step(stack.index(), stack.redo)

    def _history_step(self, index: int, step: Callable[[], None]) -> bool:
        """Undo or redo the command at ``index`` unless the running training forbids it
        (the status bar says why)."""
        reason = self.training_ui.undo_refusal(self.undo_stack.command(index))
        if reason:
            self.statusBar().showMessage(reason, 8000)
            return False
        step()
        return True

    def _update_actions(self) -> None:
        nodes = self.scene.selected_node_ids()
        edges = self.scene.selected_edges()
        self.act_copy.setEnabled(bool(nodes))
        self.act_cut.setEnabled(bool(nodes))
        self.act_duplicate.setEnabled(bool(nodes))
        self.act_delete.setEnabled(bool(nodes or edges))
        mime = QGuiApplication.clipboard().mimeData()
        self.act_paste.setEnabled(mime is not None and mime.hasFormat(CLIPBOARD_MIME))

    def _on_selection_changed(self) -> None:
        self.inspector.set_selection(self.scene.selected_node_ids())
        self._update_actions()
        self.training_ui.on_canvas_selection()

    # -- editing ---------------------------------------------------------------------------------
    def _on_layer_dropped(self, type_name: str, pos: QPointF) -> None:
        if self.editor.refuse_if_locked():
            return
        node_id = self.editor.add_node(type_name, (pos.x(), pos.y()))
        self.scene.select_nodes([node_id])
        self.view.setFocus()

    def add_layer_after_selection(self, type_name: str) -> str:
        """Add a layer after the selected one (connected when possible), or in free space."""
        if self.editor.refuse_if_locked():
            return ""
        sel = self.scene.selected_node_ids()
        anchor = sel[-1] if sel else None
        if anchor is not None:
            ax, ay = self.document.node(anchor).position
            pos = self.scene.free_position_near((ax + NODE_WIDTH + 70, ay))
        elif self.scene.nodes:
            rect = self.scene.nodes_rect()
            pos = self.scene.free_position_near((rect.right() + 60, rect.top() + 3))
        else:
            c = self.view.mapToScene(self.view.viewport().rect().center())
            pos = (c.x() - NODE_WIDTH / 2, c.y() - 40)
        node_id = self.editor.add_node(type_name, pos, connect_from=anchor)
        if anchor is not None and anchor not in self.document.graph.inputs_of(node_id):
            reason = self.editor.connection_refusal(anchor, node_id)
            if reason:
                self.statusBar().showMessage(f"Added {node_id} unconnected: {reason}", 10000)
        self.scene.select_nodes([node_id])
        self.view.ensureVisible(self.scene.nodes[node_id], 40, 40)
        return node_id

    def delete_selection(self) -> None:
        self.editor.remove(self.scene.selected_node_ids(), self.scene.selected_edges())

    def select_all(self) -> None:
        for item in self.scene.nodes.values():
            item.setSelected(True)

    def copy(self) -> None:
        ids = self.scene.selected_node_ids()
        if not ids:
            return
        text = subgraph_to_text(self.document.graph, ids)
        mime = QMimeData()
        mime.setData(CLIPBOARD_MIME, QByteArray(text.encode("utf-8")))
        mime.setText(text)
        QGuiApplication.clipboard().setMimeData(mime)
        self._paste_count = 0
        self._update_actions()

    def cut(self) -> None:
        ids = self.scene.selected_node_ids()
        if ids:
            self.copy()
            self.editor.remove(ids, [])

    def paste(self) -> list[str]:
        mime = QGuiApplication.clipboard().mimeData()
        if mime is None or not mime.hasFormat(CLIPBOARD_MIME):
            return []
        try:
            sub = subgraph_from_text(bytes(mime.data(CLIPBOARD_MIME)).decode("utf-8"))
        except (FormatError, UnicodeDecodeError) as e:
            self.statusBar().showMessage(f"Cannot paste: {e}", 8000)
            return []
        self._paste_count += 1
        k = 40.0 * self._paste_count
        ids = self.editor.paste(sub, (k, k))
        self.scene.select_nodes(ids)
        return ids

    def duplicate(self) -> list[str]:
        ids = self.editor.duplicate(self.scene.selected_node_ids())
        self.scene.select_nodes(ids)
        return ids

    def arrange(self) -> None:
        self.editor.auto_layout(self.scene.node_sizes())
        self.view.fit_all()

    def focus_node(self, node_id: str) -> None:
        if node_id in self.scene.nodes:
            self.scene.select_nodes([node_id])
            self.view.centerOn(self.scene.nodes[node_id])

    # -- files -----------------------------------------------------------------------------------
    def maybe_save(self) -> bool:
        """Ask to save unsaved changes; False when the person cancels."""
        if not self.is_modified():
            return True
        answer = dialogs.ask_save_changes(self, self.document.project.name or "Untitled")
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def _set_project(self, project: Project, path: Path | None,
                     base_dir: Path | None = None, modified: bool = False) -> None:
        self.training.reset()
        self.scene.clearSelection()
        self.document.set_project(project, path, base_dir)
        self.undo_stack.clear()
        self._force_modified = modified
        self._paste_count = 0
        self._autosaved_index = -1
        self._update_title()
        self._update_actions()
        QTimer.singleShot(0, self.view.fit_all)

    def new_project(self) -> bool:
        if not self.maybe_save():
            return False
        self._set_project(Project(name="Untitled"), None)
        return True

    def open_dialog(self) -> bool:
        folder = str(self.document.path.parent) if self.document.path else str(Path.home())
        path = dialogs.get_open_path(self, "Open project", folder, PROJECT_FILTER)
        return self.open_project(Path(path)) if path else False

    def open_project(self, path: Path | str, as_copy: bool = False) -> bool:
        """Open a project file. A file that does not load leaves the current project as it
        was and says what is wrong. ``as_copy`` opens it untitled (examples)."""
        path = Path(path)
        try:
            project = load_project(path)
        except NetCanvasError as e:
            dialogs.show_error(self, "Cannot open project",
                               f"“{path.name}” could not be opened.", str(e))
            if not as_copy:
                self._forget_recent(path)
            return False
        if not self.maybe_save():
            return False
        if as_copy:
            self._set_project(project, None, path.parent)
        else:
            self._set_project(project, path)
            self._add_recent(path)
        self.statusBar().showMessage(f"Opened {path.name}", 5000)
        return True

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self.save_to(self.document.path)

    def save_as(self) -> bool:
        doc = self.document
        start = doc.path or Path.home() / f"{doc.project.name or 'untitled'}.json"
        path = dialogs.get_save_path(self, "Save project as", str(start), PROJECT_FILTER)
        if not path:
            return False
        path = Path(path)
        if path.suffix.lower() != ".json":
            path = path.with_suffix(path.suffix + ".json") if path.suffix else \
                path.with_suffix(".json")
        return self.save_to(path)

    def save_to(self, path: Path) -> bool:
        path = Path(path)
        project = self.document.snapshot()
        self._rebase_data_paths(project, self.document.base_dir, path.parent)
        try:
            save_project(project, path)
        except (OSError, NetCanvasError, ValueError) as e:
            dialogs.show_error(self, "Cannot save project", f"“{path.name}” could not be "
                               "saved.", str(getattr(e, "strerror", None) or e))
            return False
        if project.data != self.document.data:
            self.document.set_data(project.data)
        self.document.set_path(path)
        self.undo_stack.setClean()
        self._force_modified = False
        self._add_recent(path)
        self._update_title()
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    @staticmethod
    def _rebase_data_paths(project: Project, old_base: Path | None, new_base: Path) -> None:
        """Keep relative data paths pointing at the same files from the new folder."""
        data = project.data
        if data.source != "file":
            return
        if data.path and not Path(data.path).is_absolute():
            data.path = relative_path(resolve_path(data.path, old_base), new_base)
        lp = data.params.get("labels_path")
        if isinstance(lp, str) and not Path(lp).is_absolute():
            data.params["labels_path"] = relative_path(resolve_path(lp, old_base), new_base)

    # -- recent files and examples -----------------------------------------------------------
    def recent_files(self) -> list[str]:
        value = self.settings.value("recentFiles", [])
        if isinstance(value, str):
            value = [value] if value else []
        return [str(v) for v in (value or [])]

    def _add_recent(self, path: Path) -> None:
        p = str(Path(path).resolve())
        files = [f for f in self.recent_files() if f != p]
        self.settings.setValue("recentFiles", [p, *files][:MAX_RECENT])

    def _forget_recent(self, path: Path) -> None:
        p = str(Path(path).resolve())
        files = self.recent_files()
        if p in files:
            self.settings.setValue("recentFiles", [f for f in files if f != p])

    def _fill_recent_menu(self) -> None:
        menu: QMenu = self.recent_menu
        menu.clear()
        files = self.recent_files()
        for i, f in enumerate(files):
            act = menu.addAction(f"&{i + 1} {Path(f).name}")
            act.setToolTip(f)
            act.setStatusTip(f)
            act.triggered.connect(lambda _c=False, f=f: self.open_project(Path(f)))
        if not files:
            empty = menu.addAction("No recent projects")
            empty.setEnabled(False)
        else:
            menu.addSeparator()
            menu.addAction("Clear Recent Projects").triggered.connect(
                lambda: self.settings.setValue("recentFiles", []))

    def _fill_examples_menu(self) -> None:
        menu: QMenu = self.examples_menu
        menu.clear()
        examples = list_examples()
        for ex in examples:
            act = menu.addAction(ex.name)
            act.setObjectName(f"example:{ex.path.name}")
            act.setData(str(ex.path))
            act.setToolTip(ex.description or ex.name)
            act.setStatusTip(ex.description)
            act.triggered.connect(lambda _c=False, p=ex.path: self.open_project(p, as_copy=True))
        if not examples:
            act = menu.addAction("No examples found")
            act.setEnabled(False)

    def example_actions(self) -> list[QAction]:
        self._fill_examples_menu()
        return [a for a in self.examples_menu.actions() if a.data()]

    # -- export ----------------------------------------------------------------------------------
    def export_diagram_dialog(self, fmt: str) -> bool:
        doc = self.document
        stem = doc.path.stem if doc.path else (doc.project.name or "network")
        folder = doc.path.parent if doc.path else Path.home()
        filt = "PNG images (*.png)" if fmt == "png" else "SVG drawings (*.svg)"
        path = dialogs.get_save_path(self, "Export network diagram",
                                     str(folder / f"{stem}.{fmt}"), filt)
        if not path:
            return False
        path = Path(path)
        if path.suffix.lower() != f".{fmt}":
            path = path.with_name(path.name + f".{fmt}")
        try:
            self.export_diagram(path)
        except OSError as e:
            dialogs.show_error(self, "Export failed", f"“{path.name}” could not be written.",
                               e.strerror or str(e))
            return False
        self.statusBar().showMessage(f"Exported {path}", 5000)
        return True

    def export_diagram(self, path: Path, scale: float = 2.0) -> None:
        """Write the network as a PNG (at ``scale`` x) or an SVG, by the file suffix."""
        path = Path(path)
        selected = [i for i in self.scene.selectedItems()]
        for item in selected:
            item.setSelected(False)
        try:
            src = self.scene.nodes_rect()
            if src.isNull():
                src = QRectF(0, 0, 400, 200)
            src = src.adjusted(-24, -24, 24, 24)
            if path.suffix.lower() == ".svg":
                self._export_svg(path, src)
            else:
                img = QImage(round(src.width() * scale), round(src.height() * scale),
                             QImage.Format.Format_ARGB32_Premultiplied)
                img.fill(colors().canvas)
                p = QPainter(img)
                p.setRenderHints(QPainter.RenderHint.Antialiasing
                                 | QPainter.RenderHint.TextAntialiasing)
                self.scene.render(p, QRectF(0, 0, img.width(), img.height()), src)
                p.end()
                tmp = path.with_name(f".{path.name}.tmp.png")
                if not img.save(str(tmp), "PNG"):
                    raise OSError(f"could not write {path}")
                tmp.replace(path)
        finally:
            for item in selected:
                item.setSelected(True)

    def _export_svg(self, path: Path, src: QRectF) -> None:
        from PySide6.QtSvg import QSvgGenerator

        tmp = path.with_name(f".{path.name}.tmp.svg")
        gen = QSvgGenerator()
        gen.setFileName(str(tmp))
        gen.setSize(QSize(round(src.width()), round(src.height())))
        gen.setViewBox(QRectF(0, 0, src.width(), src.height()))
        gen.setTitle(self.document.project.name or "network")
        gen.setDescription("Network diagram exported from NetCanvas")
        p = QPainter(gen)
        p.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        p.fillRect(QRectF(0, 0, src.width(), src.height()), colors().canvas)
        self.scene.render(p, QRectF(0, 0, src.width(), src.height()), src)
        if not p.end() or not tmp.is_file():
            raise OSError(f"could not write {path}")
        tmp.replace(path)

    # -- autosave and recovery -------------------------------------------------------------------
    def autosave(self) -> bool:
        """Write the recovery file if the project changed since the last autosave."""
        if not self.is_modified():
            self.recovery.clear()
            self._autosaved_index = -1
            return False
        marker = self.undo_stack.index()
        if marker == self._autosaved_index and self.recovery.project_path.is_file():
            return False
        try:
            self.recovery.save(self.document.snapshot(), self.document.path)
        except (OSError, ValueError):
            return False
        self._autosaved_index = marker
        return True

    def offer_recovery(self) -> bool:
        """After a crash: offer the newest recovery file. True when it was restored."""
        orphans = self.recovery.orphans()
        if not orphans:
            return False
        rec = orphans[0]
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(rec.saved_at))
        restored = False
        if dialogs.ask_yes_no(self, "Recover unsaved work",
                              "NetCanvas did not close properly last time.",
                              f"Recover “{rec.name or 'Untitled'}” as autosaved on {when}?"):
            try:
                project = load_project(rec.project_path)
            except NetCanvasError as e:
                dialogs.show_error(self, "Cannot recover", "The recovery file is damaged.",
                                   str(e))
            else:
                path = rec.original_path
                self._set_project(project, path, modified=True)
                restored = True
        for r in orphans:
            self.recovery.discard(r)
        return restored

    # -- window ----------------------------------------------------------------------------------
    def _restore_window(self) -> None:
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(self._default_size())
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)

    def _default_size(self) -> QSize:
        screen = QGuiApplication.primaryScreen()
        size = QSize(1280, 800)
        if screen is not None:
            avail = screen.availableGeometry().size()
            size = size.boundedTo(QSize(avail.width() - 40, avail.height() - 60))
        return size

    def save_window_settings(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.sync()

    def reset_window_layout(self) -> None:
        self.restoreState(self._default_state)
        for dock in (self.palette_dock, self.inspector_dock, self.data_dock,
                     self.training_dock, self.summary_dock, *self.training_docks):
            dock.show()
        self.inspector_dock.raise_()
        self.summary_dock.raise_()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if self._first_show:
            self._first_show = False
            QTimer.singleShot(0, self.view.fit_all)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self.maybe_save():
            event.ignore()
            return
        self.training_ui.shutdown()
        self.save_window_settings()
        self.autosave_timer.stop()
        self.recovery.clear()
        event.accept()

    def about(self) -> None:
        dialogs.message_box(self, QMessageBox.Icon.Information, "About NetCanvas",
                            "NetCanvas: build, train and understand neural networks on a "
                            "canvas.", informative="A pure-NumPy engine with a PySide6 "
                            "window. Project files train headless with the netcanvas "
                            "command.")

