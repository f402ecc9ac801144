"""How the data panel's parts change the project's data settings and load data.

Every change is one undoable edit through the :class:`~app.document.editor.GraphEditor`; a
refused change shows its reason and puts the controls back to the settings in force. Loads
go through :meth:`DataEditing.load`: small data at once, big files on the
:class:`~app.panels.data_loading.DataLoader`'s thread; each caller gets its outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.data_source import DatasetCache, data_key, load_bytes
from app.document.editor import GraphEditor
from app.panels import data_loading
from app.panels.data_loading import DataLoader, LoadOutcome, LoadRequest, load_now
from nncore.project import DataSpec


class DataEditing:
    """Shared by the data panel's parts: the current settings, the edit that changes them,
    the cache of the data they name (so a file tried on import is not read again for the
    preview) and the loader.

    ``show_refusal(reason)`` shows why a change was refused (``None`` clears it);
    ``reset_controls()`` sets every control from the settings in force.
    """

    def __init__(self, editor: GraphEditor, show_refusal: Callable[[str | None], None],
                 reset_controls: Callable[[], None]) -> None:
        self.editor = editor
        self.cache = DatasetCache()
        self.loader = DataLoader(editor)
        self.loader.finished.connect(self._on_finished)
        self._show_refusal = show_refusal
        self.reset_controls = reset_controls
        self._callbacks: dict[int, Callable[[LoadOutcome], None]] = {}

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

    def loading(self, spec: DataSpec) -> bool:
        """Whether the loader is reading the data of ``spec`` now."""
        current = self.loader.current
        return current is not None and data_key(current.spec, current.base_dir) == \
            data_key(spec, self.base_dir)

    def load(self, request: LoadRequest, done: Callable[[LoadOutcome], None]) -> None:
        """Load ``request`` and call ``done`` with the outcome (at once for small data; for
        a big file once its thread ends). A loaded data set goes into the cache."""
        cached = self.cache.peek(request.spec, request.base_dir)
        if cached is not None:
            done(LoadOutcome(request, cached))
            return
        if load_bytes(request.spec, request.base_dir) < data_loading.INLINE_BYTES:
            self.loader.cancel()
            outcome = load_now(request)
            self._keep(outcome)
            done(outcome)
            return
        self._callbacks[request.id] = done  # a load it replaces ends as cancelled
        request.prepare = True
        self.loader.start(request)

    def _keep(self, outcome: LoadOutcome) -> None:
        if outcome.dataset is not None:
            self.cache.put(outcome.request.spec, outcome.request.base_dir, outcome.dataset,
                           outcome.prepared)

    def prepare(self, spec: DataSpec) -> None:
        """Split and normalize the big data set held for ``spec`` on the loader's thread,
        for training (nothing for small data: a run prepares it in no time)."""
        dataset = self.cache.peek(spec, self.base_dir)
        if (dataset is None or self.cache.prepared(spec, self.base_dir) is not None
                or load_bytes(spec, self.base_dir) < data_loading.INLINE_BYTES):
            return
        current = self.loader.current
        if current is not None and (current.purpose != "prepare" or current.spec == spec):
            return  # a load runs (it prepares too), or this very preparation
        # (A preparation for settings changed since is cancelled by the new one.)
        self.loader.start(LoadRequest(spec, self.base_dir, "prepare", prepare=True,
                                      dataset=dataset))

    def _on_finished(self, outcome: LoadOutcome) -> None:
        self._keep(outcome)
        done = self._callbacks.pop(outcome.request.id, None)
        if done is not None:
            done(outcome)
