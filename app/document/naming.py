"""Node ids: ``dense1``, ``dense2``...; what makes a valid id; copied sub-graphs (no Qt)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from nncore.errors import FormatError
from nncore.project import Project, project_from_dict
from nncore.spec import EdgeSpec, GraphSpec, NodeSpec, new_node_id

#: Weight keys are "<node id>/<weight name>" and generated code uses ids as names, so an id
#: is a short identifier-like word.
_ID_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]{0,63}")

CLIPBOARD_MIME = "application/x-netcanvas-nodes"


def id_problem(new_id: str, taken: Iterable[str]) -> str | None:
    """Why ``new_id`` cannot name a node (None when it can)."""
    if not new_id:
        return "a node name cannot be empty"
    if not _ID_RE.fullmatch(new_id):
        return (f"{new_id!r} is not a valid node name: use letters, digits, '_', '-' or '.', "
                "starting with a letter or '_' (at most 64 characters)")
    if new_id in set(taken):
        return f"another node is already named {new_id!r}"
    return None


def subgraph_to_text(graph: GraphSpec, ids: Iterable[str]) -> str:
    """The nodes ``ids`` and the edges between them, as project-format JSON text."""
    chosen = set(ids)
    sub = GraphSpec([n for n in graph.nodes if n.id in chosen],
                    [e for e in graph.edges if e.source in chosen and e.target in chosen])
    d = Project(graph=sub.copy()).to_dict()  # (only its format and network are kept)
    return json.dumps({"format": d["format"], "version": d["version"],
                       "network": d["network"]})


def subgraph_from_text(text: str) -> GraphSpec:
    """Parse clipboard text written by :func:`subgraph_to_text`; raise FormatError."""
    try:
        data: Any = json.loads(text)
    except ValueError:
        raise FormatError("the clipboard does not hold NetCanvas layers") from None
    return project_from_dict(data).graph


def with_fresh_ids(sub: GraphSpec, taken: Iterable[str],
                   offset: tuple[float, float]) -> GraphSpec:
    """A copy of ``sub`` whose nodes get new unique ids and positions moved by ``offset``."""
    used = set(taken)
    mapping: dict[str, str] = {}
    nodes = []
    for n in sub.nodes:
        new = new_node_id(n.type, used)
        used.add(new)
        mapping[n.id] = new
        nodes.append(NodeSpec(new, n.type, dict(n.params),
                              (n.position[0] + offset[0], n.position[1] + offset[1]),
                              n.frozen))
    edges = [EdgeSpec(mapping[e.source], mapping[e.target]) for e in sub.edges]
    return GraphSpec(nodes, edges)
