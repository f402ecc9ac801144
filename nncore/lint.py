"""Lint: meaning-level warnings about a project before it trains.

:func:`lint` reads a project (and, when it can, its data) and returns :class:`Finding`\\ s:
where (a node id and/or a setting path such as ``training.learning_rate``), what, why it
matters and the fix in words, plus the fix as :mod:`nncore.edits` (set a node parameter,
set a setting, insert a layer after a node, remove a node) that a window applies as one
undoable edit; :func:`nncore.edits.applied` is their reference meaning. The rules and the
reasons for their thresholds are in ``docs/understanding.md`` ("Lint"); the thresholds are
below.

Rules that need the data (output size against the classes or targets, the task against the
loss, Input shapes, input scale, batch size against the training split, the validation
split's size) run only when the data loads; otherwise one note says they were skipped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nncore.edits import Edit, InsertAfter, SetNodeParams
from nncore.errors import NetCanvasError
from nncore.graph import GraphAnalysis, analyze
from nncore.project import Project
from nncore.registry import layer_class

SEVERITIES = ("error", "warning", "note")
REGRESSION_LOSSES = ("mse", "mae", "huber")
#: Usual learning rates per optimizer (inclusive): two decades either side of the Keras /
#: PyTorch default, and confirmed by measurement (docs/understanding.md). Momentum and
#: Nesterov are judged by their effective rate lr / (1 - momentum), against SGD's range.
LR_RANGES: dict[str, tuple[float, float]] = {
    "sgd": (1e-4, 1.0), "momentum": (1e-4, 1.0), "nesterov": (1e-4, 1.0),
    "rmsprop": (1e-5, 0.1), "adagrad": (1e-4, 1.0), "adam": (1e-5, 0.1), "adamw": (1e-5, 0.1),
}
#: A path through this many sigmoid layers with no normalization between them is "deep".
DEEP_SIGMOID = 3
#: Without normalization, an input feature reaching beyond this in absolute value is "wide".
WIDE_INPUT = 20.0
#: A validation split of fewer samples cannot measure accuracy or R2 usefully.
MIN_VALIDATION = 30
#: Layers that change no value's meaning between two Dense layers (no non-linearity).
PASS_THROUGH = ("Dropout", "SpatialDropout2D", "BatchNormalization", "Flatten", "Reshape")
OUTPUT_REGULARIZERS = ("Dropout", "SpatialDropout2D", "BatchNormalization")


@dataclass(frozen=True)
class Finding:
    """One thing lint found. ``severity``: ``"error"`` (training would refuse the project),
    ``"warning"`` (it would train, badly or not as meant) or ``"note"`` (what lint could not
    check). ``edits`` (possibly empty) carry out ``fix`` when applied together."""

    rule: str
    severity: str
    what: str
    why: str
    fix: str
    node_id: str | None = None
    setting: str | None = None
    edits: tuple[Edit, ...] = ()

    @property
    def where(self) -> str:
        parts = ([f"node '{self.node_id}'"] if self.node_id else []) + (
            [self.setting] if self.setting else [])
        return ", ".join(parts) or "project"

    def line(self) -> str:
        """The finding on one line: severity, where, what, why, fix."""
        return (f"{self.severity}: {self.where}: {self.what}. Why: {self.why}. "
                f"Fix: {self.fix}.")

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in ("rule", "severity", "what", "why", "fix",
                                           "node_id", "setting")}
        d["edits"] = [e.to_dict() for e in self.edits]
        return d


# -- what the rules look at -----------------------------------------------------------------

@dataclass
class _View:
    project: Project
    analysis: GraphAnalysis
    data: Any = None  # nncore.run.PreparedData, or None when the data did not load
    fed: dict[str, list[str]] = field(init=False)

    def __post_init__(self) -> None:
        self.fed = {n: [] for n in self.analysis.order}
        for m in self.analysis.order:
            for n in self.analysis.inputs[m]:
                self.fed[n].append(m)

    @property
    def loss(self) -> str:
        return self.project.training.loss

    @property
    def out(self) -> str:
        return self.analysis.output_id or ""

    def owner(self, n: str) -> str:
        return self.analysis.layers[n].owner

    def type_of(self, n: str) -> str:
        return self.analysis.layers[n].type_name

    def act(self, n: str) -> str | None:
        return self.analysis.layers[n].activation_name

    def takes(self, n: str, param: str) -> bool:
        return any(p.name == param for p in layer_class(self.type_of(n)).schema)

    def consumers(self, n: str) -> list[str]:
        return list(self.fed[n])

    def set_act(self, n: str, act: str) -> Edit:
        """Give node ``n`` the activation ``act`` (a new Activation layer if it has none)."""
        if self.takes(n, "activation"):
            return SetNodeParams(n, {"activation": act})
        return InsertAfter(n, "Activation", {"activation": act})


def lint(project: Project, base_dir: str | Path | None = None,
         data: Any = None) -> list[Finding]:
    """The findings for ``project``, errors first, then warnings, then notes.

    ``data``: the project's :class:`~nncore.run.PreparedData` or raw
    :class:`~nncore.data.Dataset` when the caller has it, or the ``NetCanvasError`` that
    preparing it raised; otherwise it is loaded through :func:`nncore.run.prepare_data`
    (relative paths from ``base_dir``). A data set that does not load is a note, and the
    rules that need it are skipped."""
    from nncore import lint_rules

    analysis = analyze(project.graph)
    findings = list(lint_rules.settings_rules(project))
    if not analysis.ok:
        findings += [Finding("graph", "error", str(e), "a network that cannot be built "
                             "cannot train", "change the network as the message says",
                             node_id=e.node_id) for e in analysis.errors]
        findings.append(Finding("graph", "note", "the network is not valid, so its layers "
                                "were not linted", "the meaning of a network can only be "
                                "judged once it can be built", "correct the errors above"))
        return _ordered(findings)
    prepared, reason = _load(project, base_dir, data)
    view = _View(project, analysis, prepared)
    findings += lint_rules.network_rules(view)
    if prepared is None:
        findings.append(Finding(
            "data", "note", f"the data was not loaded ({reason})",
            "the output size, the task against the loss, the Input shapes, the input scale, "
            "the batch size and the validation split are judged on the data",
            "make the data available to lint those too", setting="data"))
    else:
        findings += lint_rules.data_rules(view)
    return _ordered(findings)


def _ordered(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: SEVERITIES.index(f.severity))


def _load(project: Project, base_dir: str | Path | None, data: Any) -> tuple[Any, str]:
    """(prepared data or None, why it is None)."""
    from nncore.data import Dataset
    from nncore.run import PreparedData, prepare_data

    if isinstance(data, PreparedData):
        return data, ""
    if isinstance(data, NetCanvasError):
        return None, str(data)
    try:
        return prepare_data(project.data, base_dir,
                            data if isinstance(data, Dataset) else None), ""
    except (NetCanvasError, OSError) as e:
        return None, str(e)
    except MemoryError:
        return None, "not enough memory to load it"


def effective_learning_rate(optimizer: str, lr: float, params: dict[str, Any]) -> float:
    """The rate an optimizer's steps scale with: lr, or lr / (1 - momentum) for momentum
    and Nesterov (a velocity that keeps a fraction mu sums to 1 / (1 - mu) steps)."""
    if optimizer in ("momentum", "nesterov"):
        return lr / max(1.0 - float(params.get("momentum", 0.9)), 1e-12)
    return lr


def suggested_validation_fraction(n: int, test_fraction: float) -> float | None:
    """The smallest fraction (in steps of 0.05, at most 0.5) that holds out
    :data:`MIN_VALIDATION` samples of ``n``; None when none does."""
    f = math.ceil(MIN_VALIDATION / max(n, 1) * 20 - 1e-9) / 20
    return f if f <= 0.5 and f + test_fraction < 0.95 else None


def widest_feature(a: np.ndarray) -> tuple[float, int]:
    """(largest absolute value, the flat feature index holding it) of a float array of
    samples, per sample flattened."""
    flat = np.abs(a.reshape(len(a), -1))
    per_feature = flat.max(axis=0) if len(flat) else np.zeros(flat.shape[1])
    i = int(np.argmax(per_feature)) if per_feature.size else 0
    return (float(per_feature[i]) if per_feature.size else 0.0), i
