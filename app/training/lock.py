"""The edit lock during a run: the network, the data and the fixed training settings cannot
change while a run is active; the live ones can (``nncore.config.LIVE_SETTINGS``: marked
in the settings schema), and reach the running trainer. Where nodes sit on the canvas is
not part of the network (the run trains a snapshot, and positions are not part of its
structure), so nodes can be moved and arranged during a run, and those moves undone.

:class:`LockingEditor` is the window's editor: when locked it refuses structural edits
with a reason (``refused`` signal, shown in the status bar) instead of pushing a command.
:func:`undo_refusal` tells whether undoing/redoing a command is allowed during a run.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QUndoCommand

from app.document.commands import MoveNodesCommand, SetInfoCommand, SetTrainingCommand
from app.document.editor import GraphEditor, Point
from nncore.config import LIVE_SETTINGS, TrainingConfig, fixed_settings_refusal
from nncore.errors import NetCanvasError
from nncore.spec import EdgeSpec, GraphSpec

LOCK_REASON = ("training is running: the network and the data cannot change during a run; "
               "stop it first (Shift+F5)")


def changed_settings(old: TrainingConfig, new: TrainingConfig) -> set[str]:
    a, b = old.to_dict(), new.to_dict()
    return {k for k in a if a[k] != b[k]}


def live_changes(old: TrainingConfig, new: TrainingConfig) -> dict[str, Any]:
    """The live settings that differ between ``old`` and ``new`` (new values)."""
    b = new.to_dict()
    return {k: b[k] for k in sorted(changed_settings(old, new)) if k in LIVE_SETTINGS}


def undo_refusal(cmd: QUndoCommand | None) -> str | None:
    """Why undoing or redoing ``cmd`` is not allowed during a run (None: allowed)."""
    if cmd is None:
        return None
    if isinstance(cmd, (SetInfoCommand, MoveNodesCommand)):
        return None
    if isinstance(cmd, SetTrainingCommand):
        return fixed_settings_refusal(changed_settings(cmd.old, cmd.new))
    return f"cannot undo “{cmd.text()}” now: {LOCK_REASON}"


class LockingEditor(GraphEditor):
    """A GraphEditor that refuses changes to the network and data while locked."""

    #: An edit was refused while locked (the reason).
    refused = Signal(str)
    #: The lock was set (True) or lifted (False): panels that edit the network or the data
    #: follow it themselves, so nothing has to reach into them.
    lockChanged = Signal(bool)

    def __init__(self, document, parent=None) -> None:
        super().__init__(document, parent)
        self.lock_reason: str | None = None

    @property
    def locked(self) -> bool:
        return self.lock_reason is not None

    def set_locked(self, reason: str | None) -> None:
        was = self.locked
        self.lock_reason = reason
        if self.locked != was:
            self.lockChanged.emit(self.locked)

    # -- history ---------------------------------------------------------------------------
    def undo(self) -> bool:
        """Undo the last edit unless the lock forbids it (the reason is signalled)."""
        stack = self.undo_stack
        return stack.canUndo() and self._history_step(stack.index() - 1, stack.undo)

    def redo(self) -> bool:
        """Redo the next edit unless the lock forbids it (the reason is signalled)."""
        stack = self.undo_stack
        return stack.canRedo() and self._history_step(stack.index(), stack.redo)

    def _history_step(self, index: int, step) -> bool:
        reason = undo_refusal(self.undo_stack.command(index)) if self.locked else None
        if reason:
            self.refused.emit(reason)
            return False
        step()
        return True

    def refuse_if_locked(self) -> bool:
        """True (and the reason signalled) while locked."""
        return self._refuse() is not None

    def _refuse(self) -> str | None:
        if self.lock_reason is not None:
            self.refused.emit(self.lock_reason)
        return self.lock_reason

    # -- graph -----------------------------------------------------------------------------
    def add_node(self, type_name: str, pos: Point, connect_from: str | None = None) -> str:
        if self._refuse():
            return ""
        return super().add_node(type_name, pos, connect_from)

    def remove(self, node_ids: list[str], edges: list[EdgeSpec] = ()) -> None:
        if (node_ids or edges) and self._refuse():
            return
        super().remove(node_ids, edges)

    def set_param(self, node_id: str, name: str, value: Any) -> str | None:
        return self._refuse() or super().set_param(node_id, name, value)

    def set_frozen(self, node_id: str, frozen: bool) -> None:
        if self._refuse():
            return
        super().set_frozen(node_id, frozen)

    def rename_node(self, old: str, new: str) -> str | None:
        return self._refuse() or super().rename_node(old, new)

    def connection_refusal(self, source: str, target: str) -> str | None:
        return self.lock_reason or super().connection_refusal(source, target)

    def connect(self, source: str, target: str) -> str | None:
        # The canvas shows the returned reason at the cursor; no second message.
        return self.lock_reason or super().connect(source, target)

    def paste(self, sub: GraphSpec, offset: Point, text: str = "Paste") -> list[str]:
        if self._refuse():
            return []
        return super().paste(sub, offset, text)

    def duplicate(self, node_ids: list[str], offset: Point = (40.0, 40.0)) -> list[str]:
        if node_ids and self._refuse():
            return []
        return super().duplicate(node_ids, offset)

    def apply_edits(self, edits, text: str = "") -> str | None:
        return self._refuse() or super().apply_edits(edits, text)

    # -- settings --------------------------------------------------------------------------
    def set_data(self, text: str = "", merge_key: str = "", **changes: Any) -> str | None:
        return self._refuse() or super().set_data(text, merge_key, **changes)

    def set_training(self, text: str = "", merge_key: str = "", **changes: Any) -> str | None:
        if self.lock_reason is not None:
            try:
                new = self.doc.training.replace(**changes)
            except NetCanvasError as e:
                return str(e)
            reason = fixed_settings_refusal(changed_settings(self.doc.training, new))
            if reason is not None:
                self.refused.emit(reason)
                return reason
        return super().set_training(text, merge_key, **changes)
