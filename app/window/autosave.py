"""The window part that autosaves and recovers: every ``AUTOSAVE_MSEC`` while the project
has unsaved changes it writes the recovery file (:class:`app.recovery.RecoveryStore`), a
clean exit deletes it, and after a crash :meth:`Autosave.offer_recovery` offers the files
left behind."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, QTimer

from app import dialogs
from app.recovery import RecoveryStore
from app.window.context import WindowContext
from nncore.errors import NetCanvasError
from nncore.project import Project, load_project


def default_recovery_dir() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base or Path.home() / ".netcanvas") / "recovery"


class Autosave(QObject):
    """Writes the recovery file while there are unsaved changes (``is_modified()``) and
    hands a recovered project to ``restore(project, original_path)``."""

    def __init__(self, context: WindowContext, store: RecoveryStore, msec: int,
                 is_modified: Callable[[], bool],
                 restore: Callable[[Project, Path | None], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self.store = store
        self._is_modified = is_modified
        self._restore = restore
        self._autosaved_index = -1
        self.timer = QTimer(self)
        self.timer.setInterval(msec)
        self.timer.timeout.connect(self.save)
        self.timer.start()
        context.document.projectReset.connect(self._on_project_reset)

    def _on_project_reset(self) -> None:
        self._autosaved_index = -1

    def save(self) -> bool:
        """Write the recovery file if the project changed since the last autosave."""
        if not self._is_modified():
            self.store.clear()
            self._autosaved_index = -1
            return False
        marker = self._context.undo_stack.index()
        if marker == self._autosaved_index and self.store.project_path.is_file():
            return False
        try:
            self.store.save(self._context.document.snapshot(), self._context.document.path)
        except (OSError, ValueError):
            return False
        self._autosaved_index = marker
        return True

    def offer_recovery(self) -> bool:
        """After a crash: offer the newest recovery file. True when it was restored."""
        orphans = self.store.orphans()
        if not orphans:
            return False
        rec = orphans[0]
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(rec.saved_at))
        parent = self._context.dialog_parent
        restored = False
        if dialogs.ask_yes_no(parent, "Recover unsaved work",
                              "NetCanvas did not close properly last time.",
                              f"Recover “{rec.name or 'Untitled'}” as autosaved on {when}?"):
            try:
                project = load_project(rec.project_path)
            except NetCanvasError as e:
                dialogs.show_error(parent, "Cannot recover", "The recovery file is damaged.",
                                   str(e))
            else:
                self._restore(project, rec.original_path)
                restored = True
        for r in orphans:
            self.store.discard(r)
        return restored

    def stop(self) -> None:
        """A clean exit: no more autosaves, and no recovery file left behind."""
        self.timer.stop()
        self.store.clear()
