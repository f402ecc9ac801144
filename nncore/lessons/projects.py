"""Lesson projects built in code: a chain of layers laid out left to right on the canvas,
its data and its training settings, validated as any project file is."""

from __future__ import annotations

from typing import Any

from nncore.project import Project, project_from_dict
from nncore.spec import GraphSpec

#: Canvas distance between consecutive layers.
STEP_X = 170.0


def chain(name: str, description: str, layers: list[tuple[str, dict[str, Any]]],
          data: dict[str, Any], training: dict[str, Any]) -> Project:
    """A project whose network is ``layers`` in a row (ids ``dense1``, ``dense2``...)."""
    graph = GraphSpec.sequential(layers)
    return project_from_dict({
        "format": "netcanvas-project", "version": 1, "name": name,
        "description": description,
        "network": {
            "nodes": [{"id": n.id, "type": n.type, "params": n.params,
                       "position": [i * STEP_X, 0.0]} for i, n in enumerate(graph.nodes)],
            "edges": [{"source": e.source, "target": e.target} for e in graph.edges]},
        "data": data, "training": training})


def dense_stack(units: list[int], activation: str, outputs: int, output_activation: str,
                inputs: int = 2, **dense: Any) -> list[tuple[str, dict[str, Any]]]:
    """Input, one Dense layer per entry of ``units`` (with ``dense`` parameters), output."""
    return ([("Input", {"shape": [inputs]})]
            + [("Dense", {"units": u, "activation": activation, **dense}) for u in units]
            + [("Dense", {"units": outputs, "activation": output_activation})])


def synthetic(name: str, val_fraction: float = 0.25, **params: Any) -> dict[str, Any]:
    return {"source": "synthetic", "name": name, "val_fraction": val_fraction,
            "params": {"seed": 0, **params}}
