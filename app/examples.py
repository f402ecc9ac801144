"""The project a fresh window opens with: the spiral example."""

from __future__ import annotations

from pathlib import Path

from app.paths import examples_dir
from nncore.config import TrainingConfig
from nncore.errors import NetCanvasError
from nncore.project import DataSpec, Project, load_project
from nncore.spec import GraphSpec


def spiral_path() -> Path:
    return examples_dir() / "spiral.json"


def builtin_spiral() -> Project:
    """Input(2) -> Dense 16 tanh -> Dense 16 tanh -> Dense 2 softmax on spiral data."""
    graph = GraphSpec.sequential([
        ("Input", {"shape": (2,)}),
        ("Dense", {"units": 16, "activation": "tanh"}),
        ("Dense", {"units": 16, "activation": "tanh"}),
        ("Dense", {"units": 2, "activation": "softmax"}),
    ])
    for i, node in enumerate(graph.nodes):
        node.position = (i * 266.0, 0.0)
    return Project(
        name="spiral",
        description="Two interleaved spiral arms: a small network with two hidden tanh "
                    "layers learns the curved boundary.",
        graph=graph,
        data=DataSpec(source="synthetic", name="spiral",
                      params={"n_samples": 500, "noise": 0.1, "seed": 0}),
        training=TrainingConfig(loss="categorical_crossentropy", optimizer="adam",
                                learning_rate=0.01, batch_size=32, epochs=200),
    )


def default_project() -> Project:
    """The spiral example from ``resources/examples`` if it is there and valid, else the
    same network built in code."""
    path = spiral_path()
    if path.is_file():
        try:
            return load_project(path)
        except NetCanvasError:
            pass
    return builtin_spiral()
