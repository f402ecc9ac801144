"""A click on a sample (a dot of the data preview or the decision boundary, a misclassified
image) offers to trace it through the network or to explain its prediction.

The views say which sample was clicked as ``(split, row)``: ``"all"`` and its row in the
data set as loaded, or a split and its row there. The trace and the explanation work on a
split's rows, so an ``"all"`` row is looked up in the project's prepared splits
(:func:`nncore.run.locate_row`): those the last run or the data panel prepared, or, for
generated, bundled and stored data (small, quick), prepared here; a file is never read
on the GUI thread for this.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QCursor
from PySide6.QtWidgets import QMenu

from app.window.context import WindowContext
from nncore.errors import NetCanvasError
from nncore.run import PreparedData, locate_row, prepare_data

if TYPE_CHECKING:  # (the training package builds on the window's context)
    from app.training.controller import RunController

#: The splits by the names a person reads.
SPLIT_WORDS = {"train": "training", "val": "validation", "test": "test"}
Opener = Callable[[str, int], None]


class SamplePicking(QObject):
    """Turns sample clicks into a small menu: Trace This Sample, Explain This Sample."""

    def __init__(self, context: WindowContext, training: RunController, trace: Opener,
                 explain: Opener, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._training = training
        self._openers = (("Trace This Sample…", trace), ("Explain This Sample…", explain))
        #: The last menu shown (tests trigger its actions).
        self.menu: QMenu | None = None

    def pick(self, split: str, row: int) -> None:
        """A view reported a click on ``row`` of ``split``: show the menu at the pointer."""
        menu = self.menu_for(split, row)
        if menu is not None:
            menu.popup(QCursor.pos())

    def menu_for(self, split: str, row: int) -> QMenu | None:
        """The menu for a clicked sample (None, with a message, when it cannot be found)."""
        where = self.locate(split, row)
        if where is None:
            return None
        name, index = where
        menu = QMenu(self._context.dialog_parent)
        menu.setAccessibleName("Sample")
        title = menu.addAction(f"{SPLIT_WORDS[name].capitalize()} sample {index}")
        title.setEnabled(False)
        for text, opener in self._openers:
            act = QAction(text, menu)
            act.triggered.connect(lambda _c=False, o=opener: o(name, index))
            menu.addAction(act)
        self.menu = menu
        return menu

    def locate(self, split: str, row: int) -> tuple[str, int] | None:
        """The split and row of a clicked sample."""
        if split != "all":
            return split, row
        data = self._prepared()
        if data is None:
            return None
        where = locate_row(data, row)
        if where is None:
            self._context.status("This sample is in no split of the data (see the Data panel)",
                                 6000)
        return where

    def _prepared(self) -> PreparedData | None:
        doc = self._context.document
        project = doc.snapshot()
        data = self._training.trained.cached_data(project, doc.base_dir)
        if data is not None:
            return data
        if project.data.source == "file":
            self._context.status("Open the Data panel (or train once) to pick samples of a "
                                 "data file", 8000)
            return None
        try:
            return prepare_data(project.data, doc.base_dir)
        except NetCanvasError as e:
            self._context.status(f"Cannot find the sample: {e}", 8000)
            return None
