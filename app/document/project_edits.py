"""One undoable step for a list of :mod:`nncore.edits` (a lint fix, a lesson's step, an
applied learning rate): the document is morphed from the project before to the project
after through its ordinary mutations, so every view follows the same signals it follows
for a hand edit, and undo morphs it back."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtGui import QUndoCommand

from app.document.commands import copy_node
from app.document.document import ProjectDocument
from nncore.edits import Edit, applied
from nncore.project import Project


def morph(doc: ProjectDocument, target: Project) -> None:
    """Change ``doc`` until its project equals ``target`` (nodes and edges in ``target``'s
    order), using only the document's mutations."""
    want_nodes = {n.id: n for n in target.graph.nodes}
    with doc.batch():
        for edge in [e for e in doc.graph.edges if e not in target.graph.edges]:
            doc.remove_edge(edge)
        for node in [n for n in doc.graph.nodes if n.id not in want_nodes]:
            doc.remove_node(node.id)
        for index, node in enumerate(target.graph.nodes):
            if not doc.has_node(node.id):
                doc.insert_node(copy_node(node), index)
                continue
            have = doc.node(node.id)
            if have.type != node.type:
                # A replaced type keeps its id: swap the node, keeping its place.
                edges = [e for e in doc.graph.edges if node.id in (e.source, e.target)]
                for e in edges:
                    doc.remove_edge(e)
                doc.remove_node(node.id)
                doc.insert_node(copy_node(node), index)
                continue
            if have.params != node.params:
                doc.set_node_params(node.id, dict(node.params))
            if have.frozen != node.frozen:
                doc.set_node_frozen(node.id, node.frozen)
            if tuple(have.position) != tuple(node.position):
                doc.set_node_position(node.id, tuple(node.position))
        for index, edge in enumerate(target.graph.edges):
            if edge not in doc.graph.edges:
                doc.insert_edge(edge, index)
    if doc.training != target.training:
        doc.set_training(target.training)
    if doc.data != target.data:
        doc.set_data(target.data)


class ProjectEditCommand(QUndoCommand):
    """Apply edits as one undo step: ``redo`` morphs to the edited project, ``undo`` back."""

    def __init__(self, doc: ProjectDocument, before: Project, after: Project,
                 text: str) -> None:
        super().__init__(text)
        self.doc = doc
        self.before = before
        self.after = after

    def redo(self) -> None:
        morph(self.doc, self.after.copy())

    def undo(self) -> None:
        morph(self.doc, self.before.copy())


def edit_command(doc: ProjectDocument, edits: Iterable[Edit],
                 text: str = "") -> ProjectEditCommand | None:
    """The command applying ``edits`` to ``doc``'s project (None when they change nothing).
    Raises the engine's error (a ``NetCanvasError``) when the result is not a valid project."""
    edits = list(edits)
    before = doc.snapshot()
    after = applied(before, edits)
    if after.to_dict() == before.to_dict():
        return None
    return ProjectEditCommand(doc, before, after,
                              text or "; ".join(e.describe() for e in edits))
