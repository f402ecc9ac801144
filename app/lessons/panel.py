"""The lesson panel: a chooser, the lesson's text, and its steps, each with the button that
sets it up, the view to watch (a link that shows it) and what the student should see.

The panel only shows and asks: it emits ``lessonChosen``, ``stepClicked`` and
``watchClicked``; the part (:mod:`app.lessons.part`) does the work."""

from __future__ import annotations

import html

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.lessons.watch import VIEW_NAMES
from app.theme import colors
from nncore.lessons import Lesson, Step


class StepBox(QFrame):
    """One step: its number and button, what to watch, what to see."""

    def __init__(self, index: int, step: Step, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"lessonStep{index + 1}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.current = False
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 6, 8, 8)
        lay.setSpacing(4)
        self.title = QLabel(f"<b>{index + 1}. {html.escape(step.title, quote=False)}</b>")
        self.title.setObjectName(f"lessonStepTitle{index + 1}")
        self.title.setWordWrap(True)
        lay.addWidget(self.title)
        self.button = QPushButton(f"Set up step {index + 1}")
        self.button.setObjectName(f"lessonStepButton{index + 1}")
        self.button.setAccessibleName(f"Step {index + 1}: {step.title}")
        self.button.setToolTip(f"{step.title}: applied to the project as one undo step; the "
                               "view to watch comes to the front. Then train.")
        self.watch = QLabel(f"Watch: <a href='{step.watch}'>"
                            f"{html.escape(VIEW_NAMES.get(step.watch, step.watch))}</a>")
        self.watch.setObjectName(f"lessonWatch{index + 1}")
        self.watch.setAccessibleName(f"Step {index + 1}: view to watch")
        self.watch.setToolTip("Show this view")
        self.watch.setWordWrap(True)
        self.watch.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse
                                           | Qt.TextInteractionFlag.LinksAccessibleByKeyboard)
        row = QHBoxLayout()
        row.addWidget(self.button)
        row.addWidget(self.watch, 1)
        lay.addLayout(row)
        if step.keeps:
            self.keeps = QLabel(f"Keeps the trained weights of {', '.join(step.keeps)} from "
                                "the run before: then Continue (F5), not from scratch.")
            self.keeps.setObjectName(f"lessonKeeps{index + 1}")
            self.keeps.setWordWrap(True)
            lay.addWidget(self.keeps)
        self.expect = QLabel(f"You should see: {step.expect}")
        self.expect.setTextFormat(Qt.TextFormat.PlainText)
        self.expect.setObjectName(f"lessonExpect{index + 1}")
        self.expect.setWordWrap(True)
        lay.addWidget(self.expect)

    def set_current(self, current: bool) -> None:
        """Mark the step the project is at (a frame in the selection colour)."""
        self.current = current
        self.setStyleSheet(f"QFrame#{self.objectName()} {{ border: 2px solid "
                           f"{colors().selection.name()}; border-radius: 4px; }}"
                           if current else "")


class LessonPanel(QWidget):
    """Chooser, text and steps of the lessons (``lessons``: in teaching order)."""

    #: The index of the lesson chosen in the chooser.
    lessonChosen = Signal(int)
    #: A step's button: its index.
    stepClicked = Signal(int)
    #: A "watch" link: the view's name.
    watchClicked = Signal(str)

    def __init__(self, lessons: tuple[Lesson, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lessons = lessons
        self.chooser = QComboBox()
        self.chooser.setObjectName("lessonChooser")
        self.chooser.setAccessibleName("Lesson")
        self.chooser.setToolTip("Choose a lesson: its project opens on the canvas")
        self.chooser.addItem("Choose a lesson…", None)
        for i, item in enumerate(lessons):
            self.chooser.addItem(f"{i + 1}. {item.title}", i)
        self.chooser.currentIndexChanged.connect(self._on_chosen)
        # Long titles must not widen the dock: the list shows them in full.
        self.chooser.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.chooser.setMinimumContentsLength(14)
        self.text = QLabel("Each lesson is a principle of deep learning as a few "
                           "experiments: a step sets up the project, you train it and "
                           "watch what the step names.")
        self.text.setObjectName("lessonText")
        self.text.setAccessibleName("What the lesson is about")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.steps_box = QWidget()
        self.steps_layout = QVBoxLayout(self.steps_box)
        self.steps_layout.setContentsMargins(0, 0, 0, 0)
        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(8, 4, 8, 8)
        body_layout.addWidget(self.text)
        self.how = QLabel("After each step, train from new weights: Train (F5), or Run > "
                          "Train from Scratch (Ctrl+F5) when the button offers to Continue "
                          "(unless the step keeps trained weights); then watch the view "
                          "the step names.")
        self.how.setObjectName("hint")
        self.how.setWordWrap(True)
        self.how.hide()
        body_layout.addWidget(self.how)
        body_layout.addWidget(self.steps_box)
        body_layout.addStretch(1)
        self.scroll = scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        scroll.setAccessibleName("The lesson's text and steps")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 0)
        lay.addWidget(self.chooser)
        lay.addWidget(scroll, 1)
        self.step_boxes: list[StepBox] = []

    def show_lesson(self, index: int | None) -> None:
        """Show lesson ``index`` (None: the chooser's prompt) without emitting."""
        with QSignalBlocker(self.chooser):
            self.chooser.setCurrentIndex(0 if index is None else index + 1)
        for box in self.step_boxes:
            self.steps_layout.removeWidget(box)
            box.hide()
            box.deleteLater()
        self.step_boxes = []
        self.how.setVisible(index is not None)
        if index is None:
            return
        item = self.lessons[index]
        self.text.setText(item.text)
        self.chooser.setToolTip(item.title)
        for i, step in enumerate(item.steps):
            box = StepBox(i, step, self.steps_box)
            box.button.clicked.connect(lambda _c=False, i=i: self.stepClicked.emit(i))
            box.watch.linkActivated.connect(self.watchClicked.emit)
            self.steps_layout.addWidget(box)
            self.step_boxes.append(box)

    def mark_step(self, index: int | None) -> None:
        """Show which step the project is at (None: none of them)."""
        for i, box in enumerate(self.step_boxes):
            box.set_current(i == index)
            if i == index:
                self.scroll.ensureWidgetVisible(box)

    def _on_chosen(self, row: int) -> None:
        index = self.chooser.itemData(row)
        if index is not None:
            self.lessonChosen.emit(index)
