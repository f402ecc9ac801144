"""The window part for project files: New, Open, Open Recent, Examples, Save and Save As,
the unsaved-changes question, and the recent files (kept in the settings).

Built from a :class:`~app.window.context.WindowContext` and the settings; exposes its
actions and the two submenus for the File menu and toolbar. Before it replaces the project
it signals ``aboutToReplace`` (a run must stop first); after it replaced or saved it,
``changed`` (the title follows).

A project recovered after a crash (:meth:`ProjectFiles.restore_recovered`) opens as its
saved file plus one undo step, "Recover autosaved changes": Undo shows the file as it was
last saved, Redo the recovered work. A project that was never saved (or whose file no
longer loads) has nothing to go back to: it opens with no undo history, marked unsaved.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QUndoCommand
from PySide6.QtWidgets import QMenu, QMessageBox

from app import dialogs
from app.data_source import relative_path, resolve_path
from app.document.document import ProjectDocument
from app.paths import list_examples
from app.window.context import WindowContext
from nncore.errors import NetCanvasError
from nncore.project import Project, load_project, save_project

MAX_RECENT = 8
PROJECT_FILTER = "NetCanvas projects (*.json);;All files (*)"


class ProjectFiles(QObject):
    """Opens, creates and saves the window's project; knows whether it has unsaved
    changes."""

    #: The project is about to be replaced (New, Open, an example, a recovery).
    aboutToReplace = Signal()
    #: The project was replaced or saved: its name, path or unsaved state changed.
    changed = Signal()

    def __init__(self, context: WindowContext, settings: QSettings,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self.settings = settings
        #: Unsaved although the undo stack is clean (a recovered project).
        self.marked_modified = False
        K = QKeySequence.StandardKey
        a = context.parts.action
        self.act_new = a("actionNew", "&New", self.new_project, [K.New], "new",
                         "Start a new, empty project")
        self.act_open = a("actionOpen", "&Open…", self.open_dialog, [K.Open], "open",
                          "Open a project file")
        self.act_save = a("actionSave", "&Save", self.save, [K.Save], "save",
                          "Save the project")
        self.act_save_as = a("actionSaveAs", "Save &As…", self.save_as, ["Ctrl+Shift+S"])
        self.recent_menu = QMenu("Open &Recent", context.dialog_parent)
        self.recent_menu.setObjectName("menuRecent")
        self.recent_menu.aboutToShow.connect(self.fill_recent_menu)
        self.examples_menu = QMenu("&Examples", context.dialog_parent)
        self.examples_menu.setObjectName("menuExamples")
        self.examples_menu.setToolTipsVisible(True)
        self.examples_menu.aboutToShow.connect(self._fill_examples_menu)
        self._fill_examples_menu()
        self.fill_recent_menu()

    # -- state -----------------------------------------------------------------------------
    def is_modified(self) -> bool:
        return self.marked_modified or not self._context.undo_stack.isClean()

    def maybe_save(self) -> bool:
        """Ask to save unsaved changes; False when the person cancels."""
        if not self.is_modified():
            return True
        answer = dialogs.ask_save_changes(self._context.dialog_parent,
                                          self._context.document.project.name or "Untitled")
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def replace_project(self, project: Project, path: Path | None,
                        base_dir: Path | None = None, modified: bool = False) -> None:
        """Make ``project`` the window's project (no question asked), with an empty undo
        history; ``modified`` marks it unsaved (a recovered project)."""
        ctx = self._context
        self._prepare_replace()
        ctx.document.set_project(project, path, base_dir)
        ctx.undo_stack.clear()
        self.marked_modified = modified
        self.changed.emit()
        QTimer.singleShot(0, ctx.view.fit_all)

    def _prepare_replace(self) -> None:
        """Before the whole project changes: a run stops, nothing stays selected."""
        self.aboutToReplace.emit()
        self._context.scene.clearSelection()

    def restore_recovered(self, recovered: Project, original: Path | None) -> bool:
        """Open a project recovered from an autosave (see the module docstring). True when
        the recovered changes are an undo step over the saved file."""
        saved = None
        if original is not None:
            try:
                saved = load_project(original)
            except NetCanvasError:
                saved = None
        name = recovered.name or "Untitled"
        if saved is None:
            self.replace_project(recovered, original, modified=True)
            self._context.status(f"Recovered “{name}”: it has no saved file to go back to; "
                                 "save it to keep it", 15000)
            return False
        self.replace_project(saved, original)
        if saved.to_dict() != recovered.to_dict():
            self._context.undo_stack.push(RecoveredChanges(
                self._context.document, saved, recovered, self._prepare_replace))
        self._context.status(f"Recovered the unsaved changes to “{name}”; Undo shows "
                             f"{original.name} as last saved", 15000)
        return True

    # -- commands --------------------------------------------------------------------------
    def new_project(self) -> bool:
        if not self.maybe_save():
            return False
        self.replace_project(Project(name="Untitled"), None)
        return True

    def open_dialog(self) -> bool:
        doc = self._context.document
        folder = str(doc.path.parent) if doc.path else str(Path.home())
        path = dialogs.get_open_path(self._context.dialog_parent, "Open project", folder,
                                     PROJECT_FILTER)
        return self.open_project(Path(path)) if path else False

    def open_project(self, path: Path | str, as_copy: bool = False) -> bool:
        """Open a project file. A file that does not load leaves the current project as it
        was and says what is wrong. ``as_copy`` opens it untitled (examples)."""
        path = Path(path)
        try:
            project = load_project(path)
        except NetCanvasError as e:
            dialogs.show_error(self._context.dialog_parent, "Cannot open project",
                               f"“{path.name}” could not be opened.", str(e))
            if not as_copy:
                self._forget_recent(path)
            return False
        if not self.maybe_save():
            return False
        if as_copy:
            self.replace_project(project, None, path.parent)
        else:
            self.replace_project(project, path)
            self._add_recent(path)
        self._context.status(f"Opened {path.name}", 5000)
        return True

    def save(self) -> bool:
        path = self._context.document.path
        return self.save_as() if path is None else self.save_to(path)

    def save_as(self) -> bool:
        doc = self._context.document
        start = doc.path or Path.home() / f"{doc.project.name or 'untitled'}.json"
        path = dialogs.get_save_path(self._context.dialog_parent, "Save project as",
                                     str(start), PROJECT_FILTER)
        if not path:
            return False
        path = Path(path)
        if path.suffix.lower() != ".json":
            path = path.with_suffix(path.suffix + ".json") if path.suffix else \
                path.with_suffix(".json")
        return self.save_to(path)

    def save_to(self, path: Path) -> bool:
        path = Path(path)
        doc = self._context.document
        project = doc.snapshot()
        rebase_data_paths(project, doc.base_dir, path.parent)
        try:
            save_project(project, path)
        except (OSError, NetCanvasError, ValueError) as e:
            dialogs.show_error(self._context.dialog_parent, "Cannot save project",
                               f"“{path.name}” could not be saved.",
                               str(getattr(e, "strerror", None) or e))
            return False
        if project.data != doc.data:
            doc.set_data(project.data)
        doc.set_path(path)
        self._context.undo_stack.setClean()
        self.marked_modified = False
        self._add_recent(path)
        self.changed.emit()
        self._context.status(f"Saved {path}", 5000)
        return True

    # -- recent files and examples ---------------------------------------------------------
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

    def fill_recent_menu(self) -> None:
        menu = self.recent_menu
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
        menu = self.examples_menu
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


class RecoveredChanges(QUndoCommand):
    """The changes an autosave recovered, as one undo step over the saved project: the
    whole project is swapped (``before`` runs first: a run stops, the selection clears)."""

    def __init__(self, document: ProjectDocument, saved: Project, recovered: Project,
                 before: Callable[[], object]) -> None:
        super().__init__("Recover autosaved changes")
        self._document = document
        self._saved = saved.copy()
        self._recovered = recovered.copy()
        self._before = before

    def redo(self) -> None:
        self._show(self._recovered)

    def undo(self) -> None:
        self._show(self._saved)

    def _show(self, project: Project) -> None:
        doc = self._document
        self._before()
        doc.set_project(project.copy(), doc.path, doc.base_dir)


def rebase_data_paths(project: Project, old_base: Path | None, new_base: Path) -> None:
    """Keep relative data paths pointing at the same files from the new folder."""
    data = project.data
    if data.source != "file":
        return
    if data.path and not Path(data.path).is_absolute():
        data.path = relative_path(resolve_path(data.path, old_base), new_base)
    lp = data.params.get("labels_path")
    if isinstance(lp, str) and not Path(lp).is_absolute():
        data.params["labels_path"] = relative_path(resolve_path(lp, old_base), new_base)
