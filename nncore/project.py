"""The project file: versioned JSON holding the network, the data settings and the training
settings. It is the contract between the window, the command line and other tools.

Loading validates every field and names the bad one by its path
(``network.nodes[3].params.units: expected a positive integer, got -4``). A file from an
older format version is brought up to this one (:data:`MIGRATIONS`); a file from a newer
one is refused with a clear message. Nothing in a file is executed.
Saving is atomic: the JSON goes to a temporary file in the same folder, then replaces the
target. The format is documented in ``docs/file-formats.md``.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from nncore.config import TrainingConfig
from nncore.data.subsets import classes_option, train_samples_option
from nncore.errors import DataError, FormatError, NetCanvasError, ParameterError, SpecError
from nncore.fileio import atomic_write_bytes, atomic_write_text  # noqa: F401 (re-exported)
from nncore.params import Param
from nncore.points import points_dataset
from nncore.readers import is_number, parse_json, read_bounded, short_value
from nncore.registry import layer_class
from nncore.spec import EdgeSpec, GraphSpec, NodeSpec

FORMAT_NAME = "netcanvas-project"
#: 2: the "points" data source (the data itself in the file).
FORMAT_VERSION = 2
#: Largest project file read (bytes): far above any real project, stops absurd inputs.
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_NODES = 10_000

DATA_SOURCES = ("synthetic", "bundled", "file", "points")
#: Most points a "points" data source holds (points are placed and edited by hand).
NORMALIZATIONS = ("standardize", "minmax", "none")

DATA_SCHEMA: tuple[Param, ...] = (
    Param("source", "choice", "synthetic", "Where the data comes from.", choices=DATA_SOURCES),
    Param("name", "str", "spiral", "Generator or bundled data set name."),
    Param("path", "str", None, "Data file or folder, relative to the project file.",
          optional=True),
    Param("normalization", "choice", "standardize", "How input features are scaled "
          "(fitted on the training split only).", choices=NORMALIZATIONS),
    Param("val_fraction", "float", 0.2, "Fraction of samples held out for validation.",
          min=0.0, max=0.9),
    Param("test_fraction", "float", 0.0, "Fraction held out as a test set.", min=0.0,
          max=0.9),
    Param("split_seed", "int", 0, "Seed of the train/validation/test split.", min=0,
          max=2**32 - 1),
    Param("standardize_target", "bool", False, "Regression: train on (y - mean) / std of the "
          "training targets; predictions are scaled back."),
)


@dataclass
class DataSpec:
    source: str = "synthetic"
    name: str = "spiral"
    path: str | None = None
    normalization: str = "standardize"
    val_fraction: float = 0.2
    test_fraction: float = 0.0
    split_seed: int = 0
    standardize_target: bool = False
    #: Generator parameters (n_samples, noise, seed, ...) or loader options (target, ...).
    params: dict[str, Any] = field(default_factory=dict)
    #: The data of the "points" source, as plain JSON data (see :func:`points_dataset`):
    #: {"task", "x", "y", "class_names"?, "feature_names"?}; None for other sources.
    points: dict[str, Any] | None = None
    #: Only these classes (indices, names, or lists of them merged into one; None: all),
    #: and at most this many training samples (0: all); see :mod:`nncore.data.subsets`.
    classes: list[Any] | None = None
    train_samples: int = 0

    def to_dict(self) -> dict[str, Any]:
        d = {p.name: getattr(self, p.name) for p in DATA_SCHEMA}
        d["params"] = dict(self.params)
        if self.points is not None:
            d["points"] = self.points
        if self.classes is not None:
            d["classes"] = [list(c) if isinstance(c, list) else c for c in self.classes]
        if self.train_samples:
            d["train_samples"] = self.train_samples
        return d


@dataclass
class Project:
    name: str = "Untitled"
    description: str = ""
    graph: GraphSpec = field(default_factory=GraphSpec)
    data: DataSpec = field(default_factory=DataSpec)
    training: TrainingConfig = field(default_factory=TrainingConfig)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "name": self.name,
            "description": self.description,
            "network": {
                "nodes": [
                    {"id": n.id, "type": n.type, "params": _jsonable(n.params),
                     "position": [float(n.position[0]), float(n.position[1])],
                     **({"frozen": True} if n.frozen else {})}
                    for n in self.graph.nodes
                ],
                "edges": [{"source": e.source, "target": e.target} for e in self.graph.edges],
            },
            "data": _jsonable(self.data.to_dict()),
            "training": _jsonable(self.training.to_dict()),
        }

    def copy(self) -> Project:
        return project_from_dict(self.to_dict())


# -- loading ----------------------------------------------------------------------------

def load_project(path: str | os.PathLike) -> Project:
    """Read and validate a project file; raise FormatError naming the file and field."""
    p = Path(path)
    raw = read_bounded(p, "project file", FormatError, MAX_FILE_BYTES)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FormatError(f"{p}: not a text file (a project file is UTF-8 JSON)") from None
    if not text.strip():
        raise FormatError(f"{p}: the file is empty")
    data = parse_json(text, str(p), FormatError)
    try:
        return project_from_dict(data)
    except FormatError as e:
        raise FormatError(f"{p}: {e}") from None


def project_from_dict(data: Any) -> Project:
    if not isinstance(data, dict):
        raise FormatError("the file must hold a JSON object")
    fmt = data.get("format")
    if fmt != FORMAT_NAME:
        raise FormatError(f"format: expected {FORMAT_NAME!r}, got {fmt!r} (not a NetCanvas "
                          "project file)")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise FormatError(f"version: expected a positive integer, got {version!r}")
    if version > FORMAT_VERSION:
        raise FormatError(f"version: this file was written by a newer NetCanvas (format "
                          f"version {version}); this program reads versions up to "
                          f"{FORMAT_VERSION}")
    for older in range(version, FORMAT_VERSION):
        data = MIGRATIONS[older](data)
    _only_keys(data, {"format", "version", "name", "description", "network", "data",
                      "training"}, "")
    name = _get(data, "name", str, "", "name")
    description = _get(data, "description", str, "", "description")
    graph = _graph_from(data.get("network"))
    data_spec = _data_from(data.get("data", {}))
    training = _training_from(data.get("training", {}))
    return Project(name, description, graph, data_spec, training)


def _graph_from(net: Any) -> GraphSpec:
    if not isinstance(net, dict):
        raise FormatError(f"network: expected an object with nodes and edges, got {net!r}")
    _only_keys(net, {"nodes", "edges"}, "network")
    nodes_raw = net.get("nodes")
    edges_raw = net.get("edges", [])
    if not isinstance(nodes_raw, list):
        raise FormatError(f"network.nodes: expected a list, got {short_value(nodes_raw)}")
    if len(nodes_raw) > MAX_NODES:
        raise FormatError(f"network.nodes: {len(nodes_raw)} nodes is more than the "
                          f"{MAX_NODES} allowed")
    if not isinstance(edges_raw, list):
        raise FormatError(f"network.edges: expected a list, got {short_value(edges_raw)}")
    g = GraphSpec()
    ids: set[str] = set()
    for i, raw in enumerate(nodes_raw):
        node = _node_from(raw, f"network.nodes[{i}]", ids)
        ids.add(node.id)
        g.nodes.append(node)
    for i, raw in enumerate(edges_raw):
        g.edges.append(_edge_from(raw, f"network.edges[{i}]", ids))
    return g


def _node_from(raw: Any, where: str, ids: set[str]) -> NodeSpec:
    """One node; ``ids`` are those of the nodes before it (an id must be unique)."""
    if not isinstance(raw, dict):
        raise FormatError(f"{where}: expected an object, got {short_value(raw)}")
    _only_keys(raw, {"id", "type", "params", "position", "frozen"}, where)
    node_id = _get(raw, "id", str, None, f"{where}.id")
    if not node_id.strip():
        raise FormatError(f"{where}.id: must not be empty")
    if node_id in ids:
        raise FormatError(f"{where}.id: {node_id!r} is used by another node")
    type_ = _get(raw, "type", str, None, f"{where}.type")
    params = _layer_params_from(raw.get("params", {}), node_id, type_, where)
    pos = raw.get("position", [0.0, 0.0])
    if (not isinstance(pos, list) or len(pos) != 2
            or not all(is_number(v) and math.isfinite(v) for v in pos)):
        raise FormatError(f"{where}.position: expected [x, y] numbers, got {short_value(pos)}")
    frozen = _get(raw, "frozen", bool, False, f"{where}.frozen")
    return NodeSpec(node_id, type_, params, (float(pos[0]), float(pos[1])), frozen)


def _layer_params_from(params: Any, node_id: str, type_: str, where: str) -> dict[str, Any]:
    """A node's layer parameters, each checked against its layer type's schema, then
    together by the layer's constructor."""
    try:
        cls = layer_class(type_)
    except SpecError as e:
        raise FormatError(f"{where}.type: {e}") from None
    if not isinstance(params, dict):
        raise FormatError(f"{where}.params: expected an object, got {short_value(params)}")
    schema = {p.name: p for p in cls.schema}
    clean = {}
    for key, value in params.items():
        if key not in schema:
            allowed = ", ".join(schema) or "none"
            raise FormatError(f"{where}.params.{key}: {type_} has no parameter {key!r} "
                              f"(allowed: {allowed})")
        clean[key] = _coerce(schema[key], value, f"{where}.params.{key}")
    try:  # cross-parameter checks a layer makes in its constructor
        cls(node_id, **clean)
    except NetCanvasError as e:
        raise FormatError(f"{where}.params: {e}") from None
    return clean


def _edge_from(raw: Any, where: str, ids: set[str]) -> EdgeSpec:
    if not isinstance(raw, dict):
        raise FormatError(f"{where}: expected an object, got {short_value(raw)}")
    _only_keys(raw, {"source", "target"}, where)
    src = _get(raw, "source", str, None, f"{where}.source")
    dst = _get(raw, "target", str, None, f"{where}.target")
    for end, v in (("source", src), ("target", dst)):
        if v not in ids:
            raise FormatError(f"{where}.{end}: no node is named {v!r}")
    return EdgeSpec(src, dst)


def _data_from(raw: Any) -> DataSpec:
    if not isinstance(raw, dict):
        raise FormatError(f"data: expected an object, got {short_value(raw)}")
    schema = {p.name: p for p in DATA_SCHEMA}
    extra = ("params", "points", "classes", "train_samples")
    _only_keys(raw, set(schema) | set(extra), "data")
    values = {k: _coerce(schema[k], v, f"data.{k}") for k, v in raw.items()
              if k not in extra}
    params = raw.get("params", {})
    if not isinstance(params, dict):
        raise FormatError(f"data.params: expected an object, got {short_value(params)}")
    spec = DataSpec(**values, params=dict(params), points=raw.get("points"), classes=classes_option(
        raw.get("classes")), train_samples=train_samples_option(raw.get("train_samples", 0)))
    if spec.val_fraction + spec.test_fraction >= 0.95:
        raise FormatError("data: val_fraction + test_fraction leave too little training data "
                          f"({spec.val_fraction} + {spec.test_fraction})")
    if (spec.source == "points") != (spec.points is not None):
        raise FormatError("data.points: holds the data of the \"points\" source, and only "
                          f"of it (the source is {spec.source!r})")
    if spec.points is not None:
        try:
            points_dataset(spec.points)  # (kept as written: the values exactly)
        except DataError as e:
            raise FormatError(str(e)) from None
        if spec.params:
            raise FormatError("data.params: the points source takes no parameters")
    return spec


def _training_from(raw: Any) -> TrainingConfig:
    """The training settings, validated by :class:`TrainingConfig` alone; the loader only
    names a refused setting by its path in the file."""
    if not isinstance(raw, dict):
        raise FormatError(f"training: expected an object, got {short_value(raw)}")
    _only_keys(raw, {f.name for f in fields(TrainingConfig)}, "training")
    try:
        return TrainingConfig.from_dict(raw)
    except ParameterError as e:
        where, error = _refused_setting(raw) or ("training", e)
        message = str(error)
        if message.startswith("training: "):  # the path names it already
            message = message[len("training: "):]
        raise FormatError(f"{where}: {message}") from None


#: Nested training settings -> the setting whose choice they belong to.
_NESTED_SETTINGS = {"optimizer_params": "optimizer", "schedule_params": "schedule",
                    "loss_params": "loss"}


def _refused_setting(raw: dict) -> tuple[str, ParameterError] | None:
    """(JSON path, error) of the first setting :class:`TrainingConfig` refuses on its own:
    the plain settings in file order, then each nested parameter together with the
    optimizer, schedule or loss it belongs to. None if each passes alone."""
    for key, value in raw.items():
        if key not in _NESTED_SETTINGS and (e := _refusal({key: value})):
            return f"training.{key}", e
    for key, owner in _NESTED_SETTINGS.items():
        nested = raw.get(key, {})
        if not isinstance(nested, dict):
            if e := _refusal({key: nested}):
                return f"training.{key}", e
            continue
        chosen = {owner: raw[owner]} if owner in raw else {}
        for name, value in nested.items():
            if e := _refusal({**chosen, key: {name: value}}):
                return f"training.{key}.{name}", e
    return None


def _refusal(settings: dict) -> ParameterError | None:
    try:
        TrainingConfig.from_dict(settings)
    except ParameterError as e:
        return e
    return None


# -- older versions ---------------------------------------------------------------------

def _from_version_1(data: dict) -> dict:
    """Version 1 -> 2. Version 2 added the "points" data source; a version-1 file cannot
    use it (its readers would refuse it), and is otherwise a valid version-2 file."""
    raw = data.get("data")
    if isinstance(raw, dict) and (raw.get("source") == "points" or "points" in raw):
        raise FormatError("data.source: the \"points\" source needs format version 2 or "
                          "later; this file says version 1")
    return {**data, "version": 2}


#: version -> the function bringing a file's dict from it to the next version.
MIGRATIONS = {1: _from_version_1}


# -- saving -----------------------------------------------------------------------------

def save_project(project: Project, path: str | os.PathLike) -> None:
    """Write ``project`` as JSON atomically (temporary file, then rename)."""
    text = json.dumps(project.to_dict(), indent=2, allow_nan=False) + "\n"
    atomic_write_text(Path(path), text)


# -- helpers ----------------------------------------------------------------------------

def _only_keys(obj: dict, allowed: set[str], where: str) -> None:
    for k in obj:
        if k not in allowed:
            prefix = f"{where}." if where else ""
            raise FormatError(f"{prefix}{k}: unknown field (allowed: "
                              f"{', '.join(sorted(allowed))})")


def _get(obj: dict, key: str, typ: type, default: Any, where: str) -> Any:
    if key not in obj:
        if default is None:
            raise FormatError(f"{where}: missing")
        return default
    v = obj[key]
    if typ is bool and not isinstance(v, bool):
        raise FormatError(f"{where}: expected true or false, got {short_value(v)}")
    if typ is str and not isinstance(v, str):
        raise FormatError(f"{where}: expected a text, got {short_value(v)}")
    return v


def _coerce(p: Param, value: Any, where: str) -> Any:
    try:
        return p.coerce(value)
    except ParameterError:
        raise FormatError(f"{where}: expected {p.describe_range(value)}, got {short_value(value)}"
                          ) from None


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return v
