"""How the data panel's parts change the project's data settings.

Every change is one undoable edit through the :class:`~app.document.editor.GraphEditor`; a
refused change shows its reason and puts the controls back to the settings in force.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.data_source import DatasetCache
from app.document.editor import GraphEditor
from nncore.project import DataSpec


class DataEditing:
    """Shared by the data panel's parts: the current settings, the edit that changes them,
    and the cache of the data they name (so a file tried on import is not read again for
    the preview).

    ``show_refusal(reason)`` shows why a change was refused (``None`` clears it);
    ``reset_controls()`` sets every control from the settings in force.
    """

    def __init__(self, editor: GraphEditor, show_refusal: Callable[[str | None], None],
                 reset_controls: Callable[[], None]) -> None:
        self.editor = editor
        self.cache = DatasetCache()
        self._show_refusal = show_refusal
        self.reset_controls = reset_controls

    @property
    def spec(self) -> DataSpec:
        """The project's data settings."""
        return self.editor.document.data

    @property
    def base_dir(self) -> Path | None:
        """The project file's folder: relative data paths start there."""
        return self.editor.document.base_dir

    def change(self, text: str = "", merge_key: str = "", **changes: Any) -> None:
        """Change the data settings (one undo step named ``text``; edits with the same
        ``merge_key`` merge)."""
        reason = self.editor.set_data(text=text, merge_key=merge_key, **changes)
        self._show_refusal(reason)
        if reason:
            self.reset_controls()
