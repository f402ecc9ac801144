"""Exports of a run's trained weights (``.npz``, ONNX, Python script) and imports of
weights into the window's network. The same calls as ``netcanvas export`` (nncore/cli.py):
normalizer state, class names and target scaling travel with the weights."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.models.runs import RunRecord
from app.training.controller import RunController
from nncore.errors import FormatError
from nncore.export import export_onnx, export_python
from nncore.network import Network
from nncore.run import build_network
from nncore.weights import load_into, read_weights, save_weights

FORMATS = {"weights": ("Trained weights", "NetCanvas weights (*.npz)", ".npz"),
           "onnx": ("ONNX model", "ONNX models (*.onnx)", ".onnx"),
           "python": ("Python script", "Python scripts (*.py)", ".py")}


def run_network(run: RunRecord) -> Network:
    """A fresh network of the run's graph holding the run's final weights."""
    if run.weights is None:
        raise FormatError(f"{run.name} has no trained weights")
    net = build_network(run.project)
    net.set_weights(run.weights, strict=True)
    return net


def _norm_state(run: RunRecord) -> Any:
    data = run.data
    if data is None or not data.normalizer.fitted:
        return None
    return data.normalizer.to_dict()


def _scaling(run: RunRecord) -> tuple | None:
    data = run.data
    if data is None or data.target_mean is None or data.target_std is None:
        return None
    return [float(v) for v in data.target_mean], [float(v) for v in data.target_std]


def _class_names(run: RunRecord) -> list[str] | None:
    data = run.data
    if data is None or data.dataset.task != "classification":
        return None
    return data.class_names


def export_run(run: RunRecord, fmt: str, path: str | Path) -> Path:
    """Write ``run``'s weights as ``fmt`` ('weights', 'onnx', 'python') to ``path``; a
    Python script gets its weights file next to it (same name, ``.npz``)."""
    path = Path(path)
    net = run_network(run)
    data = run.data
    if fmt == "weights":
        save_weights(path, net, normalizer=data.normalizer if data else None,
                     class_names=_class_names(run),
                     task=data.dataset.task if data else None, project_name=run.project.name,
                     target_mean=data.target_mean if data else None,
                     target_std=data.target_std if data else None)
    elif fmt == "onnx":
        export_onnx(net, path, normalizer_state=_norm_state(run),
                    class_names=_class_names(run), model_name=run.project.name or "netcanvas",
                    target_scaling=_scaling(run))
    elif fmt == "python":
        export_python(net, path, weights_filename=path.with_suffix(".npz").name,
                      normalizer_state=_norm_state(run), class_names=_class_names(run),
                      target_scaling=_scaling(run), write_weights=True)
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    return path


def import_weights(training: RunController, path: str | Path, partial: bool) -> list[str]:
    """Load a weights file into the current network (built for the current graph if
    needed). Strict: every array must match by name and shape. Partial: the layers that
    match are loaded, the others keep their weights. Returns the loaded node ids."""
    path = Path(path)
    net = training.current_network()
    weights = read_weights(path, net.weight_shapes())
    loaded = load_into(net, weights, partial=partial, source=path.name)
    training.weights_loaded(f"imported from {path.name}")
    return loaded
