"""Plain-data description of a network graph: nodes (id, type, params) and edges by id.

This is what the canvas edits, the project file stores and the engine compiles. It holds no
arrays and no behaviour beyond simple look-ups; validation lives in :mod:`nncore.graph`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class NodeSpec:
    id: str
    type: str
    params: dict[str, Any] = field(default_factory=dict)
    #: Canvas position (x, y) of the node's top-left corner; ignored by the engine.
    position: tuple[float, float] = (0.0, 0.0)
    #: Frozen nodes keep their weights fixed during training (transfer learning).
    frozen: bool = False


@dataclass(frozen=True)
class EdgeSpec:
    """A connection from ``source``'s output to one input of ``target``.

    For merge layers whose input order matters (Concatenate), inputs are ordered by the
    order of their edges in :attr:`GraphSpec.edges`.
    """

    source: str
    target: str


@dataclass
class GraphSpec:
    nodes: list[NodeSpec] = field(default_factory=list)
    edges: list[EdgeSpec] = field(default_factory=list)

    def node(self, node_id: str) -> NodeSpec:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    def ids(self) -> list[str]:
        return [n.id for n in self.nodes]

    def inputs_of(self, node_id: str) -> list[str]:
        return [e.source for e in self.edges if e.target == node_id]

    def outputs_of(self, node_id: str) -> list[str]:
        return [e.target for e in self.edges if e.source == node_id]

    def copy(self) -> GraphSpec:
        return GraphSpec(
            [NodeSpec(n.id, n.type, dict(n.params), tuple(n.position), n.frozen)
             for n in self.nodes],
            list(self.edges),
        )

    # -- convenience for building graphs in code and tests -----------------------------
    @classmethod
    def sequential(cls, layers: list[tuple[str, dict[str, Any]]]) -> GraphSpec:
        """A chain: ``[("Input", {"shape": [2]}), ("Dense", {"units": 8}), ...]``.

        Node ids are the lower-case type name with a counter (``dense1``, ``dense2``).
        """
        g = cls()
        counts: dict[str, int] = {}
        prev = None
        for type_, params in layers:
            counts[type_] = counts.get(type_, 0) + 1
            node_id = f"{type_.lower()}{counts[type_]}"
            g.nodes.append(NodeSpec(node_id, type_, dict(params)))
            if prev is not None:
                g.edges.append(EdgeSpec(prev, node_id))
            prev = node_id
        return g


def new_node_id(type_name: str, taken: Iterable[str]) -> str:
    """The lower-case type name with the smallest counter not in ``taken`` (``dense2``)."""
    used = set(taken)
    base = type_name.lower()
    k = 1
    while f"{base}{k}" in used:
        k += 1
    return f"{base}{k}"
