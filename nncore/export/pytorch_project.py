"""Export a project as a PyTorch training project: a small, self-contained folder.

:func:`export_pytorch_project` writes, as one set of files (all new, or all as they were):

* ``model.py``: the network as a ``torch.nn.Module`` (:mod:`nncore.export.pytorch_model`);
* ``train.py``: training as ``netcanvas train`` does it (the project's loss, optimizer,
  schedule, warm-up, L1/L2, clipping, early stopping, batch order, augmentation), alone or
  under ``torchrun`` (template ``pytorch_templates/train.py.tmpl``);
* ``data.npz``: the prepared splits (the network's inputs and the loss's targets), the
  normalization statistics fitted on the training split and a description (task, classes);
* ``README.md``: how to run it; ``init_weights.npz`` when weights were given.

The data and network come from the run pipeline's stages (``prepare_data``,
``build_network``, ``check_run``), so the export refuses what ``netcanvas train`` refuses.
PyTorch is not needed to export: the files are text and NumPy arrays.
"""

from __future__ import annotations

import io
import json
import os
import pprint
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import numpy as np

from nncore.errors import ParameterError
from nncore.export.pytorch_model import generate_model_code
from nncore.fileio import OutputSet
from nncore.project import Project

#: Files the export writes (besides ``init_weights.npz``).
FILES = ("model.py", "train.py", "data.npz", "README.md")
INIT_WEIGHTS = "init_weights.npz"


def _template(name: str) -> str:
    return (resources.files("nncore.export") / "pytorch_templates" / name).read_text(
        encoding="utf-8")


def _version() -> str:
    try:
        return metadata.version("netcanvas")
    except metadata.PackageNotFoundError:
        return "0"


def data_bytes(network: Any, data: Any, loss: Any) -> bytes:
    """``data.npz``: per split ``<split>/x/<input id>`` (what feeds each Input) and
    ``<split>/y`` (the targets as the loss takes them), ``norm/<stat>`` (the normalizer's
    statistics) and ``info`` (JSON: task, class names, normalization mode, target scaling,
    Input ids)."""
    from nncore.run import network_inputs

    arrays: dict[str, np.ndarray] = {}
    for name in ("train", "val", "test"):
        split = getattr(data, name)
        if split is None:
            continue
        x = network_inputs(network, split)
        feeds = x if isinstance(x, dict) else {network.input_ids[0]: x}
        for input_id, a in feeds.items():
            arrays[f"{name}/x/{input_id}"] = np.asarray(a)
        arrays[f"{name}/y"] = loss.check_targets(split.y, network.output_shape)
    norm = data.normalizer
    mode = norm.mode if norm.fitted else None
    if mode is not None:
        for k, v in norm.state_arrays().items():
            arrays[f"norm/{k}"] = v
    info = {"task": data.dataset.task, "class_names": data.class_names, "normalization": mode,
            "target_mean": _floats(data.target_mean), "target_std": _floats(data.target_std),
            "inputs": list(network.input_ids)}
    arrays["info"] = np.array(json.dumps(info))
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _floats(a: Any) -> list[float] | None:
    return None if a is None else [float(v) for v in a]


def train_code(project: Project, has_init_weights: bool) -> str:
    """The text of ``train.py``: a docstring, the template, and the project's settings
    where the template marks them."""
    from nncore.augment import SETTINGS as AUGMENT_SETTINGS

    cfg = project.training
    settings = cfg.to_dict()
    augment = {field: settings[name] for name, field in AUGMENT_SETTINGS.items()}
    augment["active"] = any(augment.values())
    block = "\n".join([
        "#: The project's training settings (NetCanvas' training settings, docs/training.md)",
        "SETTINGS = " + pprint.pformat(settings, width=90, sort_dicts=False),
        "#: Augmentation of training images (NetCanvas' augment_* settings)",
        "AUGMENT = " + pprint.pformat(augment, width=90, sort_dicts=False),
        "#: The prepared data (override with --data)",
        "DATA_FILE = 'data.npz'",
        "#: Weights training starts from by default (None: NetCanvas' initial weights)",
        f"INIT_WEIGHTS = {INIT_WEIGHTS if has_init_weights else None!r}",
    ])
    doc = _template("train_doc.txt").replace("@NAME@", repr(project.name)).replace(
        "@VERSION@", _version())
    return doc + _template("train.py.tmpl").replace("#@SETTINGS@", block)


def readme_text(project: Project, has_init_weights: bool) -> str:
    text = _template("README.md.tmpl")
    start = ("It starts from `init_weights.npz` (the weights given to the export); delete "
             "that file, or pass `--init-weights` another file, to start elsewhere."
             if has_init_weights else
             "It starts from the initial weights `netcanvas train` draws for the seed.")
    return (text.replace("@NAME@", project.name or "Untitled").replace("@VERSION@", _version())
            .replace("@START@", start)
            .replace("@BATCH@", str(project.training.batch_size)))


def export_pytorch_project(project: Project, folder: str | os.PathLike, *,
                           base_dir: str | os.PathLike | None = None,
                           weights: Any = None, data: Any = None) -> list[Path]:
    """Write ``project``'s PyTorch training project into ``folder`` (created if missing;
    its parent must exist); returns the paths written.

    ``base_dir``: the folder relative data paths start from (the project file's).
    ``weights``: a :class:`~nncore.weights.WeightsFile` to start from (written as
    ``init_weights.npz``, which ``train.py`` then loads by default). ``data``: prepared data
    to use (:class:`~nncore.run.PreparedData`; default: the project's, prepared now).
    Raises SpecError / DataError / ParameterError / FormatError (NetCanvasError
    subclasses) with the message ``netcanvas train`` would give; nothing is written then.
    """
    check_folder(folder)
    files = pytorch_project_files(project, base_dir=base_dir, weights=weights, data=data)
    return write_project_files(folder, files)


def check_folder(folder: str | os.PathLike) -> None:
    """Refuse a folder the export cannot be written into: a file, or no parent folder."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ParameterError(f"{folder}: exists and is not a folder")
    if not folder.parent.is_dir():
        raise ParameterError(f"{folder}: the folder {folder.parent} does not exist")


def pytorch_project_files(project: Project, *, base_dir: str | os.PathLike | None = None,
                          weights: Any = None, data: Any = None) -> dict[str, bytes]:
    """The export's files, name -> content, computed without writing anything (the long
    part: the data is prepared and the network checked as for training). Arguments and
    errors as :func:`export_pytorch_project`."""
    from nncore.run import build_network, check_run, prepare_data
    from nncore.weights import load_into, weights_bytes

    data = data if data is not None else prepare_data(project.data, base_dir)
    network = build_network(project)
    trainer = check_run(network, data, project.training).trainer
    files: dict[str, str | bytes] = {
        "model.py": generate_model_code(network, project.name, _version())}
    if weights is not None:
        load_into(network, weights, source=weights.source)
        weights.check_outputs(network)
        files[INIT_WEIGHTS] = weights_bytes(
            network, normalizer=data.normalizer, class_names=data.class_names,
            task=data.dataset.task, project_name=project.name,
            target_mean=data.target_mean, target_std=data.target_std)
    files["train.py"] = train_code(project, weights is not None)
    files["data.npz"] = data_bytes(network, data, trainer.loss)
    files["README.md"] = readme_text(project, weights is not None)
    for name in ("model.py", "train.py"):
        compile(files[name], name, "exec")  # a generator bug must not leave a broken file
    return {name: c.encode("utf-8") if isinstance(c, str) else c for name, c in files.items()}


def write_project_files(folder: str | os.PathLike, files: dict[str, bytes]) -> list[Path]:
    """Write ``files`` (from :func:`pytorch_project_files`) into ``folder`` as one set (all
    new, or all as they were; ``train.py`` executable); returns the paths written."""
    folder = Path(folder)
    check_folder(folder)
    folder.mkdir(exist_ok=True)
    written = []
    with OutputSet() as out:
        for name, raw in files.items():
            out.add_bytes(folder / name, raw, mode=0o755 if name == "train.py" else None)
            written.append(folder / name)
        out.commit()
    return written
