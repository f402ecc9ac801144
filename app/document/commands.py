"""Undo commands: the only code that changes a :class:`ProjectDocument`.

Each command changes the document in ``redo`` and puts it back exactly in ``undo`` (node
and edge order included: the order of a Concatenate's edges is the order of its inputs).
Commands never touch graphics items; the scene follows the document's signals.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtGui import QUndoCommand

from app.document.document import ProjectDocument
from nncore.config import TrainingConfig
from nncore.project import DataSpec
from nncore.spec import EdgeSpec, NodeSpec

# Ids of mergeable commands (QUndoCommand.id); consecutive commands with the same id and
# the same target merge into one undo step (spin box arrows, slider drags).
_ID_PARAM = 1001
_ID_TRAINING = 1002
_ID_DATA = 1003
_ID_INFO = 1004


def copy_node(n: NodeSpec) -> NodeSpec:
    """An independent copy of a node (commands keep their own, the document its own)."""
    return NodeSpec(n.id, n.type, dict(n.params), tuple(n.position), n.frozen)


class AddNodesCommand(QUndoCommand):
    """Add nodes and edges (a new layer, a connected new layer, a paste, a duplicate)."""

    def __init__(self, doc: ProjectDocument, nodes: list[NodeSpec], edges: list[EdgeSpec],
                 text: str) -> None:
        super().__init__(text)
        self.doc = doc
        self.nodes = [copy_node(n) for n in nodes]
        self.edges = list(edges)

    def redo(self) -> None:
        with self.doc.batch():
            for n in self.nodes:
                self.doc.insert_node(copy_node(n))
            for e in self.edges:
                self.doc.insert_edge(e)

    def undo(self) -> None:
        with self.doc.batch():
            for e in reversed(self.edges):
                self.doc.remove_edge(e)
            for n in reversed(self.nodes):
                self.doc.remove_node(n.id)


class AddEdgeCommand(QUndoCommand):
    def __init__(self, doc: ProjectDocument, edge: EdgeSpec) -> None:
        super().__init__(f"Connect {edge.source} to {edge.target}")
        self.doc = doc
        self.edge = edge

    def redo(self) -> None:
        self.doc.insert_edge(self.edge)

    def undo(self) -> None:
        self.doc.remove_edge(self.edge)


class RemoveItemsCommand(QUndoCommand):
    """Remove nodes (with every edge attached to them) and edges."""

    def __init__(self, doc: ProjectDocument, node_ids: list[str], edges: list[EdgeSpec],
                 text: str) -> None:
        super().__init__(text)
        self.doc = doc
        self.node_ids = list(node_ids)
        self.edges = list(edges)
        self._removed_edges: list[tuple[int, EdgeSpec]] = []
        self._removed_nodes: list[tuple[int, NodeSpec]] = []

    def redo(self) -> None:
        graph = self.doc.graph
        ids = set(self.node_ids)
        doomed = [(i, e) for i, e in enumerate(graph.edges)
                  if e in self.edges or e.source in ids or e.target in ids]
        node_idx = sorted((self.doc.node_index(n), n) for n in self.node_ids)
        with self.doc.batch():
            for _, e in reversed(doomed):
                self.doc.remove_edge(e)
            removed = []
            for _, node_id in reversed(node_idx):
                removed.append(self.doc.remove_node(node_id))
        self._removed_edges = doomed
        self._removed_nodes = sorted(removed, key=lambda t: t[0])

    def undo(self) -> None:
        with self.doc.batch():
            for i, n in self._removed_nodes:
                self.doc.insert_node(copy_node(n), i)
            for i, e in self._removed_edges:
                self.doc.insert_edge(e, i)


class MoveNodesCommand(QUndoCommand):
    def __init__(self, doc: ProjectDocument,
                 moves: dict[str, tuple[tuple[float, float], tuple[float, float]]],
                 text: str = "") -> None:
        n = len(moves)
        super().__init__(text or (f"Move {next(iter(moves))}" if n == 1 else f"Move {n} nodes"))
        self.doc = doc
        self.moves = dict(moves)

    def redo(self) -> None:
        for node_id, (_, new) in self.moves.items():
            self.doc.set_node_position(node_id, new)

    def undo(self) -> None:
        for node_id, (old, _) in self.moves.items():
            self.doc.set_node_position(node_id, old)


class SetNodeParamsCommand(QUndoCommand):
    """Change parameters of one node. Consecutive changes of the same parameter merge."""

    def __init__(self, doc: ProjectDocument, node_id: str, old: dict[str, Any],
                 new: dict[str, Any], text: str) -> None:
        super().__init__(text)
        self.doc = doc
        self.node_id = node_id
        self.old = dict(old)
        self.new = dict(new)
        self._keys = frozenset(k for k in set(old) | set(new) if old.get(k) != new.get(k))

    def redo(self) -> None:
        self.doc.set_node_params(self.node_id, self.new)

    def undo(self) -> None:
        self.doc.set_node_params(self.node_id, self.old)

    def id(self) -> int:  # noqa: A003  (Qt's name)
        return _ID_PARAM

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802
        if (not isinstance(other, SetNodeParamsCommand) or other.node_id != self.node_id
                or other._keys != self._keys):
            return False
        self.new = dict(other.new)
        return True


class SetFrozenCommand(QUndoCommand):
    def __init__(self, doc: ProjectDocument, node_id: str, frozen: bool) -> None:
        super().__init__(f"{'Freeze' if frozen else 'Unfreeze'} {node_id}")
        self.doc = doc
        self.node_id = node_id
        self.frozen = frozen

    def redo(self) -> None:
        self.doc.set_node_frozen(self.node_id, self.frozen)

    def undo(self) -> None:
        self.doc.set_node_frozen(self.node_id, not self.frozen)


class RenameNodeCommand(QUndoCommand):
    def __init__(self, doc: ProjectDocument, old: str, new: str) -> None:
        super().__init__(f"Rename {old} to {new}")
        self.doc = doc
        self.old = old
        self.new = new

    def redo(self) -> None:
        self.doc.rename_node(self.old, self.new)

    def undo(self) -> None:
        self.doc.rename_node(self.new, self.old)


class SetTrainingCommand(QUndoCommand):
    """Replace the training settings. Consecutive changes of the same setting merge."""

    def __init__(self, doc: ProjectDocument, old: TrainingConfig, new: TrainingConfig,
                 key: str, text: str) -> None:
        super().__init__(text)
        self.doc = doc
        self.old = old
        self.new = new
        self.key = key

    def redo(self) -> None:
        self.doc.set_training(self.new)

    def undo(self) -> None:
        self.doc.set_training(self.old)

    def id(self) -> int:  # noqa: A003
        return _ID_TRAINING

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802
        if not isinstance(other, SetTrainingCommand) or other.key != self.key:
            return False
        self.new = other.new
        return True


class SetDataCommand(QUndoCommand):
    """Replace the data settings. Consecutive changes of the same setting merge."""

    def __init__(self, doc: ProjectDocument, old: DataSpec, new: DataSpec, key: str,
                 text: str) -> None:
        super().__init__(text)
        self.doc = doc
        self.old = replace(old, params=dict(old.params))
        self.new = replace(new, params=dict(new.params))
        self.key = key

    def redo(self) -> None:
        self.doc.set_data(replace(self.new, params=dict(self.new.params)))

    def undo(self) -> None:
        self.doc.set_data(replace(self.old, params=dict(self.old.params)))

    def id(self) -> int:  # noqa: A003
        return _ID_DATA

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802
        if not isinstance(other, SetDataCommand) or other.key != self.key:
            return False
        self.new = other.new
        return True


class SetInfoCommand(QUndoCommand):
    """Change the project's name or description."""

    def __init__(self, doc: ProjectDocument, old: tuple[str, str], new: tuple[str, str],
                 key: str) -> None:
        super().__init__(f"Change project {key}")
        self.doc = doc
        self.old = old
        self.new = new
        self.key = key

    def redo(self) -> None:
        self.doc.set_info(*self.new)

    def undo(self) -> None:
        self.doc.set_info(*self.old)

    def id(self) -> int:  # noqa: A003
        return _ID_INFO

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802
        if not isinstance(other, SetInfoCommand) or other.key != self.key:
            return False
        self.new = other.new
        return True
