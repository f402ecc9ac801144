"""The editor: every user action becomes one undo command on one QUndoStack.

Views (canvas gestures, palette, inspector, settings panels, menus) call these methods;
they check the request, return a reason when it is refused, and otherwise push a command
that changes the document. Nothing else changes the document.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QUndoStack

from app.document.commands import (
    AddEdgeCommand,
    AddNodesCommand,
    MoveNodesCommand,
    RemoveItemsCommand,
    RenameNodeCommand,
    SetDataCommand,
    SetFrozenCommand,
    SetInfoCommand,
    SetNodeParamsCommand,
    SetTrainingCommand,
)
from app.document.document import ProjectDocument
from app.document.naming import id_problem, with_fresh_ids
from app.document.project_edits import edit_command
from nncore.edits import Edit
from nncore.errors import CycleError, NetCanvasError, ShapeError
from nncore.graph import new_errors
from nncore.layout import layered_layout
from nncore.project import DATA_SCHEMA
from nncore.registry import layer_class
from nncore.spec import EdgeSpec, GraphSpec, NodeSpec, new_node_id

Point = tuple[float, float]


class GraphEditor(QObject):
    def __init__(self, document: ProjectDocument, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.undo_stack = QUndoStack(self)

    @property
    def doc(self) -> ProjectDocument:
        return self.document

    def _push(self, cmd: Any) -> None:
        self.undo_stack.push(cmd)

    # -- nodes -----------------------------------------------------------------------------
    def make_node(self, type_name: str, pos: Point) -> NodeSpec:
        layer_class(type_name)  # raises SpecError for an unknown type
        node_id = new_node_id(type_name, self.doc.graph.ids())
        return NodeSpec(node_id, type_name, {}, (float(pos[0]), float(pos[1])))

    def add_node(self, type_name: str, pos: Point, connect_from: str | None = None) -> str:
        """Add a layer of ``type_name`` with its top-left at ``pos``; return its id.

        With ``connect_from``, the new layer is also fed from that node in the same undo
        step, when the engine accepts that connection.
        """
        node = self.make_node(type_name, pos)
        edges = []
        if connect_from is not None and self.doc.has_node(connect_from):
            g = self.doc.graph.copy()
            g.nodes.append(node)
            if self._refusal(g, connect_from, node.id) is None:
                edges.append(EdgeSpec(connect_from, node.id))
        self._push(AddNodesCommand(self.doc, [node], edges, f"Add {node.id}"))
        return node.id

    def remove(self, node_ids: list[str], edges: list[EdgeSpec] = ()) -> None:
        node_ids = [n for n in node_ids if self.doc.has_node(n)]
        edges = [e for e in edges if e in self.doc.graph.edges]
        if not node_ids and not edges:
            return
        if len(node_ids) == 1 and not edges:
            text = f"Delete {node_ids[0]}"
        elif not node_ids and len(edges) == 1:
            text = f"Disconnect {edges[0].source} from {edges[0].target}"
        else:
            text = f"Delete {len(node_ids) + len(edges)} items"
        self._push(RemoveItemsCommand(self.doc, node_ids, list(edges), text))

    def move_nodes(self, moves: dict[str, tuple[Point, Point]], text: str = "") -> None:
        moves = {k: (old, new) for k, (old, new) in moves.items()
                 if self.doc.has_node(k) and tuple(old) != tuple(new)}
        if moves:
            self._push(MoveNodesCommand(self.doc, moves, text))

    def set_param(self, node_id: str, name: str, value: Any) -> str | None:
        """Set one layer parameter; return why it was refused (None when applied)."""
        node = self.doc.node(node_id)
        schema = {p.name: p for p in layer_class(node.type).schema}
        if name not in schema:
            return f"{node.type} has no parameter {name!r}"
        try:
            value = schema[name].coerce(value, f"{node.type} '{node_id}'")
        except NetCanvasError as e:
            return str(e)
        old = dict(node.params)
        current = old.get(name, schema[name].default)
        if current == value:
            return None
        new = dict(old)
        new[name] = value
        self._push(SetNodeParamsCommand(self.doc, node_id, old, new,
                                        f"Set {node_id} {name} to {_fmt(value)}"))
        return None

    def set_frozen(self, node_id: str, frozen: bool) -> None:
        if self.doc.node(node_id).frozen != bool(frozen):
            self._push(SetFrozenCommand(self.doc, node_id, bool(frozen)))

    def rename_node(self, old: str, new: str) -> str | None:
        """Rename a node (its edges follow); return why it was refused."""
        new = new.strip()
        if new == old:
            return None
        problem = id_problem(new, [i for i in self.doc.graph.ids() if i != old])
        if problem:
            return problem
        self._push(RenameNodeCommand(self.doc, old, new))
        return None

    # -- connections -----------------------------------------------------------------------
    def connection_refusal(self, source: str, target: str) -> str | None:
        """Why the engine would reject the edge ``source -> target`` (None if it accepts)."""
        return self._refusal(self.doc.graph, source, target)

    def connect(self, source: str, target: str) -> str | None:
        """Connect ``source``'s output to ``target``'s input, or return the refusal reason."""
        reason = self.connection_refusal(source, target)
        if reason is None:
            self._push(AddEdgeCommand(self.doc, EdgeSpec(source, target)))
        return reason

    def _refusal(self, graph: GraphSpec, source: str, target: str) -> str | None:
        ids = set(graph.ids())
        if source not in ids or target not in ids:
            return "both ends of a connection must be layers on the canvas"
        if source == target:
            return f"{target!r} cannot be connected to itself"
        if EdgeSpec(source, target) in graph.edges:
            return f"{source!r} is already connected to {target!r}"
        target_cls = layer_class(graph.node(target).type)
        if target_cls.max_inputs == 0:
            return f"{target_cls.type_name} '{target}' is an Input layer: it takes no inputs"
        n_in = len(graph.inputs_of(target))
        if target_cls.max_inputs is not None and n_in >= target_cls.max_inputs:
            k = target_cls.max_inputs
            return (f"{target_cls.type_name} '{target}' takes {k} input{'s' if k > 1 else ''} "
                    f"and already has {n_in}; use a merge layer (Add, Concatenate) to combine "
                    f"branches")
        trial = graph.copy()
        trial.edges.append(EdgeSpec(source, target))
        new = new_errors(graph, trial)
        for e in new:
            if isinstance(e, CycleError):
                return (f"connecting {source!r} to {target!r} would make a cycle; a network "
                        f"must flow one way from inputs to the output")
        for e in new:
            if e.node_id == target and isinstance(e, ShapeError):
                return str(e)
        return None

    # -- copy, paste, duplicate, layout ----------------------------------------------------
    def paste(self, sub: GraphSpec, offset: Point, text: str = "Paste") -> list[str]:
        """Add a copied sub-graph with fresh ids, moved by ``offset``; return the new ids."""
        fresh = with_fresh_ids(sub, self.doc.graph.ids(), offset)
        if not fresh.nodes:
            return []
        self._push(AddNodesCommand(self.doc, fresh.nodes, fresh.edges, text))
        return [n.id for n in fresh.nodes]

    def duplicate(self, node_ids: list[str], offset: Point = (40.0, 40.0)) -> list[str]:
        chosen = set(node_ids)
        g = self.doc.graph
        sub = GraphSpec([n for n in g.nodes if n.id in chosen],
                        [e for e in g.edges if e.source in chosen and e.target in chosen])
        return self.paste(sub.copy(), offset, "Duplicate")

    def auto_layout(self, sizes: dict[str, tuple[float, float]]) -> None:
        g = self.doc.graph
        if not g.nodes:
            return
        xs = [n.position[0] for n in g.nodes]
        ys = [n.position[1] for n in g.nodes]
        new = layered_layout(g, sizes, (min(xs), min(ys)))
        self.move_nodes({n.id: (tuple(n.position), new[n.id]) for n in g.nodes},
                        "Arrange layers")

    # -- settings --------------------------------------------------------------------------
    def set_training(self, text: str = "", merge_key: str = "", **changes: Any) -> str | None:
        """Change training settings (validated by TrainingConfig); return a refusal.

        Consecutive changes with the same ``merge_key`` (default: the names changed) merge
        into one undo step.
        """
        old = self.doc.training
        try:
            new = old.replace(**changes)
        except NetCanvasError as e:
            return str(e)
        if new == old:
            return None
        key = merge_key or ",".join(sorted(changes))
        self._push(SetTrainingCommand(self.doc, old, new, key,
                                      text or f"Change {key.replace('_', ' ')}"))
        return None

    def set_data(self, text: str = "", merge_key: str = "", **changes: Any) -> str | None:
        """Change data settings; return why they were refused."""
        old = self.doc.data
        schema = {p.name: p for p in DATA_SCHEMA}
        clean: dict[str, Any] = {}
        try:
            for k, v in changes.items():
                if k == "params":
                    if not isinstance(v, dict):
                        return "data parameters must be a mapping"
                    clean[k] = dict(v)
                elif k in schema:
                    clean[k] = schema[k].coerce(v, "data")
                else:
                    return f"unknown data setting {k!r}"
        except NetCanvasError as e:
            return str(e)
        new = replace(old, **clean)
        if new.source != "points" and new.points is not None:
            new = replace(new, points=None)  # stored points go with their source
        if new.val_fraction + new.test_fraction >= 0.95:
            return (f"validation ({new.val_fraction:g}) and test ({new.test_fraction:g}) "
                    f"fractions leave too little training data")
        if new == old:
            return None
        key = merge_key or ",".join(sorted(changes))
        self._push(SetDataCommand(self.doc, old, new, key,
                                  text or f"Change data {key.replace('_', ' ')}"))
        return None

    def apply_edits(self, edits: Iterable[Edit], text: str = "") -> str | None:
        """Apply engine edits (:mod:`nncore.edits`) as one undo step; return a refusal."""
        try:
            cmd = edit_command(self.doc, edits, text)
        except NetCanvasError as e:
            return str(e)
        if cmd is not None:
            self._push(cmd)
        return None

    def set_info(self, name: str | None = None, description: str | None = None) -> None:
        p = self.doc.project
        new = (p.name if name is None else name,
               p.description if description is None else description)
        if new != (p.name, p.description):
            key = "name" if name is not None else "description"
            self._push(SetInfoCommand(self.doc, (p.name, p.description), new, key))


def _fmt(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)

