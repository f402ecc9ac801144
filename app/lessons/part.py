"""The window part for the lessons: Help > Lessons… and the lesson dock beside the canvas.

Choosing a lesson opens its project (asking to save unsaved changes, as File > Open does,
through :class:`~app.window.files.ProjectFiles`). A step's button applies the step to the
project as one undo step (:mod:`app.lessons.steps`) and shows the view to watch
(:mod:`app.lessons.watch`); training stays the person's own click, from new weights
(every step's claim is about a fresh run) except after a step that keeps trained layers
(transfer learning: :mod:`app.lessons.carry` carries their weights over). On the
first start the Lessons tab is added beside the Inspector, so a new user finds them."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QSettings, Qt
from PySide6.QtWidgets import QDockWidget

from app.lessons.carry import put_kept, take_kept
from app.lessons.panel import LessonPanel
from app.lessons.steps import current_step, same_setup, step_edits, step_setups
from app.lessons.watch import OPENED_BY, VIEW_NAMES, show_view
from app.training.controller import RunController
from app.window.context import WindowContext
from app.window.files import ProjectFiles
from nncore.lessons import LESSONS, Lesson

#: Set once the lessons were offered on a first start.
OFFERED_KEY = "lessons/offered"


class LessonsPart(QObject):
    """Help > Lessons… (``act_lessons``) and the lesson dock (``dock``)."""

    def __init__(self, context: WindowContext, files: ProjectFiles,
                 training: RunController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._files = files
        self._training = training
        self.lesson: Lesson | None = None
        #: The open lesson's setups (start, after each step), to mark the current step.
        self._setups: list[dict[str, Any]] = []
        self.panel = LessonPanel(LESSONS)
        self.panel.setAccessibleName("Lessons")
        self.dock = context.parts.dock("Lessons", "lessonsDock", self.panel,
                                       Qt.DockWidgetArea.RightDockWidgetArea)
        self.dock.hide()
        self.act_lessons = context.parts.action(
            "actionLessons", "&Lessons…", self.show_lessons, (), None,
            "The principles of deep learning as experiments to run on the canvas")
        self.panel.lessonChosen.connect(self.open_lesson)
        self.panel.stepClicked.connect(self.apply_step)
        self.panel.watchClicked.connect(self.watch)
        context.document.projectReset.connect(self._follow_project)
        context.undo_stack.indexChanged.connect(self._follow_project)

    @property
    def docks(self) -> list[QDockWidget]:
        return [self.dock]

    def show_lessons(self) -> None:
        self.dock.show()
        self.dock.raise_()

    def offer_on_first_start(self, settings: QSettings) -> None:
        """On the first start, put the Lessons tab beside the others (the Inspector stays
        in front) and say where to begin."""
        if not settings.value(OFFERED_KEY, False, bool):
            settings.setValue(OFFERED_KEY, True)
            self.dock.show()
            self._context.status("New to neural networks? Start with a lesson: the Lessons "
                                 "tab on the right, or Help > Lessons…", 30000)

    def open_lesson(self, index: int) -> bool:
        """Open lesson ``index``: its project replaces the open one (after asking to save
        unsaved changes). False when the person cancels; the panel then stays as it was."""
        if not self._files.maybe_save():
            self.panel.show_lesson(LESSONS.index(self.lesson) if self.lesson else None)
            return False
        item = LESSONS[index]
        self.lesson = item
        self._setups = step_setups(item)
        self._files.replace_project(item.project(0), None)
        self.panel.show_lesson(index)
        self._follow_project()
        self._context.status(f"Lesson “{item.title}”: its project is on the canvas; click "
                             "the first step", 8000)
        return True

    def apply_step(self, index: int) -> None:
        """Set up step ``index`` of the open lesson as one undo step, then show its view."""
        item = self.lesson
        if item is None:
            return
        step = item.steps[index]
        current = self._context.document.snapshot()
        edits = step_edits(item, index, current)
        kept = None
        if step.keeps and edits and not self._training.active:
            if same_setup(current, item.project(index)):
                kept = take_kept(self._training, step.keeps)
            if kept is None:
                self._context.status(
                    f"Step {index + 1} keeps the layers step {index} trained: set up step "
                    f"{index}, train it (F5), then click step {index + 1} again", 15000)
                return
        if edits:
            refusal = self._context.editor.apply_edits(edits, f"Lesson step: {step.title}")
            if refusal:
                self._context.status(f"Step {index + 1} not applied: {refusal}", 10000)
                return
        # A view that is a window of its own opens from the Watch link, once trained.
        self.watch(step.watch, open_windows=False)
        view = VIEW_NAMES.get(step.watch, step.watch)
        if kept is not None:
            layers = ", ".join(put_kept(self._training, kept))
            self._context.status(f"Step {index + 1} is set up with the trained weights of "
                                 f"{layers} ({kept.origin}): Continue (F5), not from "
                                 f"scratch, and watch {view}", 20000)
            return
        self._context.status(f"Step {index + 1} is set up: train from new weights (F5, or "
                             f"Ctrl+F5 when Train offers to continue) and watch {view}",
                             15000)

    def watch(self, view: str, open_windows: bool = True) -> None:
        """Show the view a step watches (the Watch link, or a step just set up)."""
        shown = show_view(self._context.dialog_parent, view, open_windows)
        if shown is None and view not in OPENED_BY:
            self._context.status(f"{VIEW_NAMES.get(view, view)} is not in this window", 8000)

    def _follow_project(self, *_args: object) -> None:
        if self.lesson is not None:
            self.panel.mark_step(current_step(self._setups, self._context.document.snapshot()))
