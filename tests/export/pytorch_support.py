"""What the PyTorch-project tests share: small projects, exporting them, importing the
generated ``model.py`` / ``train.py`` under unique names, and training with the engine as
the reference (float64, through the run pipeline's stages)."""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import sys
from pathlib import Path
from typing import Any

import numpy as np

from nncore.config import TrainingConfig
from nncore.export.pytorch_project import export_pytorch_project
from nncore.project import DataSpec, Project, load_project
from nncore.run import build_network, check_run, fit, prepare_data
from nncore.spec import GraphSpec

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "resources" / "examples"
_counter = itertools.count()


def example(name: str) -> Project:
    return load_project(EXAMPLES / f"{name}.json")


def spiral_project(**training: Any) -> Project:
    """A spiral classifier: 200 training samples in batches of 20 (10 steps an epoch)."""
    g = GraphSpec.sequential([
        ("Input", {"shape": [2]}),
        ("Dense", {"units": 12, "activation": "tanh"}),
        ("Dense", {"units": 8, "activation": "relu", "kernel_initializer": "he_normal"}),
        ("Dense", {"units": 2, "activation": "softmax"}),
    ])
    data = DataSpec("synthetic", "spiral", val_fraction=0.2,
                    params={"n_samples": 250, "noise": 0.1, "seed": 3})
    cfg = {"optimizer": "adam", "learning_rate": 0.02, "batch_size": 20, "epochs": 10,
           "seed": 5, **training}
    return Project("Spiral test", "", g, data, TrainingConfig.from_dict(cfg))


def import_file(path: Path, name: str | None = None) -> Any:
    name = name or f"{path.stem}_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def import_model(folder: Path) -> Any:
    return import_file(folder / "model.py")


@contextlib.contextmanager
def _as_model(module: Any):
    """The generated ``train.py`` imports ``model``: this folder's, while inside."""
    saved = sys.modules.get("model")
    sys.modules["model"] = module
    try:
        yield
    finally:
        if saved is None:
            sys.modules.pop("model", None)
        else:
            sys.modules["model"] = saved


def run_train(folder: Path, *args: str) -> int:
    """Run ``folder/train.py`` in this process (torch is imported once for all tests);
    returns its exit code."""
    with _as_model(import_model(folder)):
        train = import_file(folder / "train.py")
    with _as_model(sys.modules.get("model")):
        return train.main(list(args))


def export(project: Project, folder: Path, **kwargs: Any) -> Path:
    kwargs.setdefault("base_dir", EXAMPLES)
    export_pytorch_project(project, folder, **kwargs)
    return folder


def engine_train(project: Project, dtype: Any = np.float64, base_dir: Path = EXAMPLES):
    """Train ``project`` with the engine through the pipeline's stages; returns the network
    and how the run finished."""
    data = prepare_data(project.data, base_dir)
    net = build_network(project, dtype=dtype)
    finished = fit(check_run(net, data, project.training))
    return net, finished


def max_relative(got: dict[str, np.ndarray], want: dict[str, np.ndarray],
                 floor: float = 1e-12) -> float:
    """The largest |got - want| / max(|want|, floor) over every array."""
    assert set(got) >= set(want)
    return max(float(np.max(np.abs(got[k] - w) / np.maximum(np.abs(w), floor)))
               for k, w in want.items())
