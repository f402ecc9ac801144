"""The window part that moves trained weights in and out: File ▸ Export of the chosen run's
weights (``.npz``, ONNX, Python script) and File ▸ Import ▸ Weights (strict, or for transfer
learning with the matching layers optionally frozen), with their dialogs.

Built from a :class:`~app.window.context.WindowContext` and the run controller; exposes
``export_actions`` and ``import_actions`` for the window's File menu.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction

from app import dialogs
from app.training.controller import RunController
from app.training.exporting import FORMATS, export_run, import_weights
from app.training.lock import LOCK_REASON
from app.window.context import WindowContext
from nncore.errors import NetCanvasError


class WeightsDialogs(QObject):
    """Exports of the run chosen in the history and imports into the current network."""

    def __init__(self, context: WindowContext, training: RunController,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self.training = training
        a = context.parts.action
        self.export_actions = {
            fmt: a(f"actionExport_{fmt}", f"{title}…", lambda f=fmt: self.export_dialog(f))
            for fmt, (title, _f, _s) in FORMATS.items()}
        self.export_actions["weights"].setText("Trained &Weights (.npz)…")
        self.export_actions["onnx"].setText("&ONNX Model…")
        self.export_actions["python"].setText("P&ython Script…")
        self.act_import = a("actionImportWeights", "&Weights…",
                            lambda: self.import_dialog(False), [], None,
                            "Load trained weights into this network (names and shapes must "
                            "match)")
        self.act_import_transfer = a("actionImportTransfer",
                                     "Weights for Trans&fer Learning…",
                                     lambda: self.import_dialog(True), [], None,
                                     "Load the layers that match by name and shape; "
                                     "optionally freeze them")
        training.stateChanged.connect(self.update_actions)
        training.history.runs_changed.connect(self.update_actions)
        training.networkChanged.connect(self.update_actions)
        self.update_actions()

    @property
    def import_actions(self) -> list[QAction]:
        return [self.act_import, self.act_import_transfer]

    def update_actions(self) -> None:
        has_run = self.training.history.selected_run() is not None
        for act in self.export_actions.values():
            act.setEnabled(has_run)
        idle = not self.training.active
        self.act_import.setEnabled(idle)
        self.act_import_transfer.setEnabled(idle)

    def _status(self, text: str) -> None:
        self._context.status(text, 8000)

    def export_dialog(self, fmt: str) -> bool:
        """Ask for a file and export the chosen run as ``fmt`` (a key of ``FORMATS``)."""
        run = self.training.history.selected_run()
        title, filt, suffix = FORMATS[fmt]
        parent = self._context.dialog_parent
        if run is None:
            dialogs.show_error(parent, f"Export {title.lower()}", "There are no trained "
                               "weights yet.", "Train the network first (Run ▸ Train).")
            return False
        doc = self._context.document
        folder = doc.path.parent if doc.path else Path.home()
        stem = (doc.path.stem if doc.path else (doc.project.name or "network")).replace(" ", "_")
        path = dialogs.get_save_path(parent, f"Export {title.lower()} of {run.name}",
                                     str(folder / f"{stem}_run{run.number}{suffix}"), filt)
        if not path:
            return False
        path = Path(path)
        if path.suffix.lower() != suffix:
            path = path.with_name(path.name + suffix)
        try:
            export_run(run, fmt, path)
        except (NetCanvasError, OSError, ValueError) as e:
            dialogs.show_error(parent, "Export failed", f"“{path.name}” could not be written.",
                               getattr(e, "strerror", None) or str(e))
            return False
        extra = f" and {path.with_suffix('.npz').name}" if fmt == "python" else ""
        self._status(f"Exported {run.name} ({title.lower()}) to {path}{extra}")
        return True

    def import_dialog(self, partial: bool) -> bool:
        """Ask for a weights file and load it (``partial``: the layers that match)."""
        if self.training.active:
            self._status(f"Not imported: {LOCK_REASON}")
            return False
        doc = self._context.document
        folder = str(doc.path.parent) if doc.path else str(Path.home())
        path = dialogs.get_open_path(self._context.dialog_parent, "Import weights", folder,
                                     "NetCanvas weights (*.npz);;All files (*)")
        if not path:
            return False
        return self.import_path(Path(path), partial)

    def import_path(self, path: Path, partial: bool, freeze: bool | None = None) -> bool:
        """Load the weights at ``path``; with ``partial``, freeze the loaded layers when
        ``freeze`` says so (None: ask)."""
        parent = self._context.dialog_parent
        try:
            loaded = import_weights(self.training, path, partial)
        except NetCanvasError as e:
            dialogs.show_error(parent, "Cannot import weights",
                               f"“{Path(path).name}” does not fit this network.", str(e))
            return False
        names = ", ".join(loaded)
        if partial:
            if freeze is None:
                freeze = dialogs.ask_yes_no(
                    parent, "Freeze the imported layers?",
                    f"Loaded {len(loaded)} layer{'s' if len(loaded) != 1 else ''}: {names}.",
                    "Freeze them, so that training changes only the other layers (transfer "
                    "learning)?")
            if freeze:
                stack = self._context.undo_stack
                stack.beginMacro(f"Freeze {len(loaded)} imported layers")
                for node_id in loaded:
                    self._context.editor.set_frozen(node_id, True)
                stack.endMacro()
        self._status(f"Imported weights from {Path(path).name} into {names}"
                     + (" (frozen)" if partial and freeze else ""))
        self.update_actions()
        return True
