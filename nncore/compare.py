"""Comparing runs: which settings differ between projects, and a history's best epoch.

:func:`differences` lists, as plain data, every setting that differs between two or more
projects: training settings (with their defaults filled in, so an omitted setting equals
its default written out), data settings, layer parameters (likewise), frozen flags, nodes
added or removed (or of another type) and connections added or removed. Nodes are matched
by id; canvas positions, names and descriptions are not settings. :func:`best_epoch` finds
the epoch early stopping would call best (and restore).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from nncore.events import History
from nncore.project import Project
from nncore.registry import layer_class

KINDS = ("training", "data", "node", "layer", "connection")


@dataclass
class Difference:
    """One setting that differs: its JSON path in the project file (a connection's is
    ``network.edges.<source>-><target>``), its kind (:data:`KINDS`) and its value in each
    project (None where the project lacks it: a node or connection not there)."""

    path: str
    kind: str
    values: list[Any]


def settings(project: Project) -> dict[str, tuple[str, Any]]:
    """Every setting of ``project`` by path: (kind, value), defaults filled in; a layer
    parameter's kind is ``("layer", node id)``."""
    out: dict[str, tuple[Any, Any]] = {}
    for name, value in project.training.to_dict().items():
        if isinstance(value, dict):
            for k, v in value.items():
                out[f"training.{name}.{k}"] = ("training", v)
        else:
            out[f"training.{name}"] = ("training", value)
    data = project.data.to_dict()
    for name, value in data.items():
        if name == "params":
            for k, v in value.items():
                out[f"data.params.{k}"] = ("data", v)
        else:
            out[f"data.{name}"] = ("data", value)
    for node in project.graph.nodes:
        prefix = f"network.nodes.{node.id}"
        out[prefix] = ("node", node.type)
        layer = layer_class(node.type)(node.id, **node.params)
        for k, v in layer.config.items():
            out[f"{prefix}.params.{k}"] = (("layer", node.id),
                                           list(v) if isinstance(v, tuple) else v)
        out[f"{prefix}.frozen"] = (("layer", node.id), bool(node.frozen))
    for i, edge in enumerate(project.graph.edges):
        order = [e.target for e in project.graph.edges[:i]].count(edge.target)
        suffix = f" ({order + 1})" if order else ""
        out[f"network.edges.{edge.source}->{edge.target}{suffix}"] = ("connection", True)
    return out


def differences(projects: list[Project]) -> list[Difference]:
    """Every setting whose value is not the same in all ``projects``, in the order of the
    first project that has it (training, data, then the network)."""
    if len(projects) < 2:
        raise ValueError("comparing needs at least two projects")
    return settings_differences([settings(p) for p in projects])


def settings_differences(all_settings: list[dict[str, tuple[Any, Any]]]) -> list[Difference]:
    """:func:`differences` of projects given by their :func:`settings` (a caller that
    compares the same projects again and again keeps those)."""
    order: dict[str, Any] = {}
    for s in all_settings:
        for path, (kind, _) in s.items():
            order.setdefault(path, kind)
    out = []
    for path, kind in order.items():
        if isinstance(kind, tuple):  # a layer parameter of an added or removed node: the
            kind, node = kind        # node's own difference says it
            if any(f"network.nodes.{node}" not in s for s in all_settings):
                continue
        values = [s[path][1] if path in s else None for s in all_settings]
        first = values[0]
        # Of the same type and equal: the same value (cheap); otherwise compared as JSON.
        if any(not (type(v) is type(first) and v == first) and _key(v) != _key(first)
               for v in values[1:]):
            out.append(Difference(path, kind, values))
    return out


def _key(v: Any) -> str:
    return json.dumps(v, sort_keys=True)


def best_epoch(history: History, min_delta: float = 0.0) -> int:
    """The epoch (1-based) early stopping calls best: the last whose monitored loss (the
    validation loss, else the training loss) fell below the best so far minus
    ``min_delta``; with ``restore_best`` its weights are the ones a stopped run keeps.
    0 for an empty history."""
    best, best_loss = 0, math.inf
    for i, (val, train) in enumerate(zip(history.val_loss, history.train_loss)):
        loss = val if val is not None else train
        if loss < best_loss - min_delta:
            best, best_loss = i + 1, loss
    return best
