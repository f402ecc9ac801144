"""What a lesson is, and how its claims are checked.

A :class:`Lesson` is a project, a short text saying what the principle is, and a few
:class:`Step` s. A step is one experiment: edits to the project (a button in the window
applies them as one undoable edit; the edits of earlier steps stay applied), the view to
watch, what the student should see, and a check: a function that trains the project as it
is after the step (headless, fixed seeds) and returns :class:`Figure` s, the numbers the
step's claim rests on, each with the margin it must meet. ``netcanvas lesson NAME --check``
prints them; the test suite asserts them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nncore.edits import Edit, applied
from nncore.events import EpochEnd, RunControl
from nncore.project import Project
from nncore.run import RunRequest, RunResult, network_inputs, run_project

#: Views of the window a step can point at (the lesson panel highlights that one).
VIEWS = ("curves", "gradients", "boundary", "histograms", "feature_maps", "confusion",
         "projector", "runs", "attributions", "predictions")


@dataclass(frozen=True)
class Figure:
    """One number a claim rests on, and whether it meets its margin."""

    name: str
    value: float
    #: The margin in words: "at least 100", "below run 1's".
    claim: str
    holds: bool

    def line(self) -> str:
        mark = "ok" if self.holds else "FAILS"
        return f"{self.name}: {format_value(self.value)} (claim: {self.claim}) {mark}"


def at_least(name: str, value: float, bound: float, words: str = "") -> Figure:
    return Figure(name, float(value), words or f"at least {format_value(bound)}",
                  bool(value >= bound))


def at_most(name: str, value: float, bound: float, words: str = "") -> Figure:
    return Figure(name, float(value), words or f"at most {format_value(bound)}",
                  bool(value <= bound))


def format_value(v: float) -> str:
    if v != v:
        return "nan"
    if v == 0 or 1e-3 <= abs(v) < 1e5:
        return f"{v:.4g}"
    return f"{v:.3g}"


@dataclass
class Outcome:
    """What a check reads from one training run."""

    result: RunResult
    epochs: list[EpochEnd]

    @property
    def reason(self) -> str:
        return self.result.finished.reason if self.result.finished else "stopped"

    def series(self, what: str) -> np.ndarray:
        """Per-epoch values: ``train_loss``, ``val_loss``, or a metric such as
        ``val_accuracy`` / ``train_rmse``."""
        if what in ("train_loss", "val_loss"):
            return np.array([getattr(e, what) for e in self.epochs], dtype=float)
        split, metric = what.split("_", 1)
        key = "val_metrics" if split == "val" else "train_metrics"
        return np.array([getattr(e, key)[metric] for e in self.epochs], dtype=float)

    def final(self, what: str) -> float:
        return float(self.series(what)[-1])

    def grad_norms(self, epoch: int = 0) -> dict[str, float]:
        """Per-layer gradient norms averaged over one epoch (0: the first)."""
        return dict(self.epochs[epoch].grad_norms)

    @property
    def steps_per_epoch(self) -> float:
        return self.result.trainer.step / max(len(self.epochs), 1)

    def weights(self, *keys: str) -> np.ndarray:
        """The trained arrays ``keys`` (``"dense1/W"``), flattened into one vector."""
        arrays = self.result.network.get_weights()
        return np.concatenate([arrays[k].ravel() for k in keys])

    def outputs(self, node_id: str) -> np.ndarray:
        """What ``node_id`` outputs for the validation split with the trained weights."""
        net = self.result.network
        val = self.result.data.val
        net.forward(network_inputs(net, val), training=False)
        return net.activations()[node_id]


def train(project: Project, control: RunControl | None = None, **overrides: Any) -> Outcome:
    """Train ``project`` headless (``overrides``: training settings such as ``epochs``);
    the events every check reads are kept (``Outcome``)."""
    if overrides:
        project = project.copy()
        project.training = project.training.replace(**overrides)
    epochs: list[EpochEnd] = []

    def keep(ev: Any) -> None:
        if isinstance(ev, EpochEnd):
            epochs.append(ev)

    # A callback makes the trainer compute the per-layer gradient norms the checks read.
    result = run_project(RunRequest(project), control, keep)
    return Outcome(result, epochs)


Check = Callable[[Project], Sequence[Figure]]


@dataclass(frozen=True)
class Step:
    """One experiment of a lesson."""

    #: The button: what it does, in a few words ("Switch every activation to ReLU").
    title: str
    edits: tuple[Edit, ...]
    #: Which view to watch (one of VIEWS).
    watch: str
    #: What the student should see, in one or two sentences.
    expect: str
    check: Check
    #: Layers whose trained weights the step keeps from the run before it (transfer
    #: learning): the window carries them into the changed network, and the person trains
    #: on from them (Train, not from scratch); the check trains the step before it first.
    keeps: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.watch not in VIEWS:
            raise ValueError(f"step {self.title!r}: unknown view {self.watch!r}")


@dataclass(frozen=True)
class Lesson:
    """A principle as experiments: a project, a text, steps."""

    name: str
    title: str
    #: What the principle is, in plain words (3-6 sentences).
    text: str
    make_project: Callable[[], Project]
    steps: tuple[Step, ...] = field(default_factory=tuple)

    def project(self, after_step: int = 0) -> Project:
        """The lesson's project with the edits of its first ``after_step`` steps applied."""
        edits = [e for step in self.steps[:after_step] for e in step.edits]
        return applied(self.make_project(), edits)

    def check(self) -> list[tuple[Step, list[Figure]]]:
        """Every step's figures, each step run on the project as that step leaves it."""
        return [(step, list(step.check(self.project(i + 1))))
                for i, step in enumerate(self.steps)]
