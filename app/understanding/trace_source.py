"""Where a traced sample's network, optimizer state and data come from in the window.

- While no run is active: the window's current network (its trained weights, or the
  initial weights a run would start from) with a fresh optimizer at the first step's
  learning rate, as ``netcanvas trace`` does, and the data as the last run prepared it (or
  prepared now, as the next run will).
- While a run is *paused*: the run's own trainer, read while the training thread stands
  still in the run control's hold, so the trace shows the next step the run would make
  with its optimizer state and scheduled rate. :func:`nncore.trace.trace_sample` works on
  copies: the run's weights, generator and optimizer state are left as they were.
- While a run trains: nothing (the weights change under the reader); the caller says to
  pause.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.training.controller import PAUSED, RunController
from nncore.data import Dataset
from nncore.errors import NetCanvasError
from nncore.run import PreparedData, network_inputs, prepare_data
from nncore.schedules import LearningRateSchedule
from nncore.trace import SampleTrace, copy_network, trace_sample
from nncore.trainer import Trainer

SPLITS = {"train": "training", "val": "validation", "test": "test"}


class TraceUnavailable(Exception):
    """Why no trace can be made now (a message for the person)."""


@dataclass
class TraceSource:
    """A trainer to trace with (the run's own while paused: only read), the prepared
    data, the learning rate of the traced step and a description of the weights."""

    trainer: Trainer
    data: PreparedData
    lr: float
    origin: str

    def split(self, name: str) -> Dataset | None:
        return {"train": self.data.train, "val": self.data.val, "test": self.data.test}[name]

    def sample(self, split: str, index: int) -> tuple[Any, np.ndarray]:
        """(network input, target) of row ``index`` of ``split``; TraceUnavailable when
        there is no such row."""
        part = self.split(split)
        if part is None or len(part.y) == 0:
            raise TraceUnavailable(f"This project has no {SPLITS[split]} split.")
        if not 0 <= index < len(part.y):
            raise TraceUnavailable(f"The {SPLITS[split]} split has rows 0 to "
                                   f"{len(part.y) - 1}.")
        return network_inputs(self.trainer.net, part.subset([index])), part.y[index:index + 1]

    def trace(self, split: str, index: int) -> SampleTrace:
        x, target = self.sample(split, index)
        try:
            return trace_sample(self.trainer, x, target, self.lr)
        except NetCanvasError as e:
            raise TraceUnavailable(str(e)) from None


def run_is_holding(training: RunController) -> bool:
    """True when the active run is paused and its training thread stands still: the pause
    was taken at a batch boundary (the run control clears ``requested`` when the trainer
    reaches it, before it holds)."""
    control, worker = training.control, training.worker
    return (training.state == PAUSED and control is not None and not control.requested
            and worker is not None and worker.trainer is not None)


def trace_source(training: RunController) -> TraceSource:
    """The trainer and data to trace with now (see the module docstring)."""
    if training.active:
        return _paused_source(training)
    doc = training.doc
    project = doc.snapshot()
    if doc.analysis.errors:
        raise TraceUnavailable(f"The network has a problem: {doc.analysis.errors[0]}")
    try:
        net = copy_network(training.current_network())
        trainer = Trainer(net, project.training)
        data = training.trained.cached_data(project, doc.base_dir)
        if data is None:
            data = prepare_data(project.data, doc.base_dir)
    except NetCanvasError as e:
        raise TraceUnavailable(str(e)) from None
    epochs = training.trained.epochs_trained
    origin = training.trained.weights_origin
    if epochs:
        what = f"the trained weights ({epochs} epoch{'s' if epochs != 1 else ''})"
    elif origin:
        what = f"the weights imported from {origin}"
    else:
        what = "the initial weights (before training)"
    n = len(data.train.y)
    steps = math.ceil(n / max(1, min(project.training.batch_size, n)))
    lr = LearningRateSchedule(project.training, steps).rate(0)
    return TraceSource(trainer, data, lr, f"Weights: {what}; the update is the first step "
                       "of a new run (fresh optimizer).")


def _paused_source(training: RunController) -> TraceSource:
    run = training.history.active_run
    if training.state == PAUSED and not run_is_holding(training):
        raise TraceUnavailable("The run is pausing (or paused after a divergence, whose "
                               "weights it is restoring): trace once it has stopped, or "
                               "after the run ends.")
    if not run_is_holding(training) or run is None or run.data is None:
        raise TraceUnavailable("Training is running: pause it (Run > Pause) to trace a "
                               "sample with the run's current weights.")
    trainer = training.worker.trainer
    steps = max(1, run.steps_per_epoch)
    lr = LearningRateSchedule(trainer.config, steps).rate(trainer.step)
    return TraceSource(trainer, run.data, lr, f"Weights: {run.name}, paused after step "
                       f"{trainer.step} (epoch {run.epochs_done}); the update is the step "
                       "the run makes next, with its optimizer state. The run is not "
                       "changed.")
