"""Where the open project stands in a lesson, and the edits that bring it to a step.

A step's edits assume the project as the steps before it left it. When the person clicks a
step in order, its own edits are applied; when the project is elsewhere (a step skipped,
the network changed by hand) the step sets the whole lesson setup of that step instead
(:class:`BecomeSetup`), still as one undo step. Both go through the editor's
``apply_edits``. Qt-free.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from nncore.edits import Edit
from nncore.lessons import Lesson
from nncore.project import Project


def setup_of(project: Project) -> dict[str, Any]:
    """What a lesson step sets: the layers (without their places on the canvas), the
    connections, the data and the training settings."""
    d = project.to_dict()
    nodes = [{k: v for k, v in n.items() if k != "position"} for n in d["network"]["nodes"]]
    return {"nodes": nodes, "edges": d["network"]["edges"], "data": d["data"],
            "training": d["training"]}


def same_setup(a: Project, b: Project) -> bool:
    return setup_of(a) == setup_of(b)


@dataclass(frozen=True)
class BecomeSetup(Edit):
    """Make a project's network, data and training settings those of ``target`` (its name,
    description and the layers' places are kept where the layers are the same)."""

    target: Project
    label: str
    kind: ClassVar[str] = "become_setup"

    def describe(self) -> str:
        return self.label

    def apply(self, project: Project) -> None:
        target = self.target.copy()
        places = {n.id: n.position for n in project.graph.nodes}
        for node in target.graph.nodes:
            if node.id in places:
                node.position = places[node.id]
        project.graph = target.graph
        project.data = target.data
        project.training = target.training


def step_edits(lesson: Lesson, index: int, current: Project) -> list[Edit]:
    """The edits that take ``current`` to the setup of step ``index`` (0-based) of
    ``lesson``: the step's own edits when ``current`` is where the step starts, otherwise
    the whole setup; none when it is there already."""
    after = lesson.project(index + 1)
    if same_setup(current, after):
        return []
    step = lesson.steps[index]
    if step.edits and same_setup(current, lesson.project(index)):
        return list(step.edits)
    return [BecomeSetup(after, f"Set up step {index + 1} of the lesson")]


def step_setups(lesson: Lesson) -> list[dict[str, Any]]:
    """The setup of the lesson's start and after each of its steps (:func:`setup_of`)."""
    return [setup_of(lesson.project(i)) for i in range(len(lesson.steps) + 1)]


def current_step(setups: list[dict[str, Any]], current: Project) -> int | None:
    """The last step whose setup (``setups``, from :func:`step_setups`) ``current`` has
    (0-based; -1: the lesson's start), or None when it has none of them."""
    have = setup_of(current)
    for i in range(len(setups) - 1, -1, -1):
        if setups[i] == have:
            return i - 1
    return None
