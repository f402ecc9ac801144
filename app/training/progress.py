"""The worker's drained progress and a run's outcome, applied to the run's record on the
GUI thread.

Losses, epochs and gradient samples are collected and added to the run's buffers in bulk
(a few NumPy calls per drain, not per item); analyses go to the probe; every other event
(data, start, pause, divergence, end, refused settings) goes to the caller in order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from app.models.runs import RunRecord
from app.training.notices import Notice, error_text
from app.training.worker import Analysis, GradSample, LossChunk, RunOutcome
from nncore.errors import SpecError
from nncore.events import EpochEnd
from nncore.network import Network

#: Least training time between two gradient samples taken from epoch averages.
EPOCH_GRAD_SECONDS = 0.005


def apply_progress(run: RunRecord, items: list, accept_analysis: Callable[[str, Any], None],
                   handle: Callable[[RunRecord, Any], bool]) -> bool:
    """Apply drained ``items`` to ``run`` in order: ``accept_analysis(kind, result)`` for
    analyses, ``handle(run, event)`` (True when the run's state changed) for the other
    events. True when any state changed."""
    c = run.curves
    xs: list[np.ndarray] = []
    losses: list[list[float]] = []
    epochs: list[EpochEnd] = []
    grads: list[GradSample] = []
    state_changed = False

    def flush() -> None:
        if xs:
            c.add_batches(np.concatenate(xs), np.concatenate(losses))
            xs.clear()
            losses.clear()
        if epochs:
            c.add_epochs(epochs)
            run.last_lr = epochs[-1].lr
            epochs.clear()
        if grads:
            c.add_grad_samples(grads)
            grads.clear()

    for ev in items:
        cls = ev.__class__
        if cls is LossChunk:
            xs.append(ev.xs())
            losses.append(ev.losses)
        elif cls is GradSample:
            grads.append(ev)
        elif cls is EpochEnd:
            epochs.append(ev)
            # Short epochs: their averaged gradient norms are samples too (at most one
            # every EPOCH_GRAD_SECONDS of training).
            last_t = grads[-1].t if grads else c.last_grad_t
            if ev.elapsed - last_t >= EPOCH_GRAD_SECONDS and ev.grad_norms:
                grads.append(GradSample(float(ev.epoch), ev.elapsed, ev.grad_norms,
                                        ev.weight_norms))
        elif cls is Analysis:
            accept_analysis(ev.kind, ev.result)
        else:
            flush()
            state_changed |= handle(run, ev)
    flush()
    return state_changed


def record_outcome(run: RunRecord, outcome: RunOutcome, network: Network | None
                   ) -> tuple[Notice | None, int]:
    """Write how ``run`` ended into its record (status, error, a copy of ``network``'s
    weights when it trained); return the notice for the person, if any, and the epochs
    its weights trained."""
    started = run.steps_per_epoch > 0
    error = outcome.error
    if error is not None:
        msg = error_text(error)
        node = error.node_id if isinstance(error, SpecError) else None
        epochs = 0
        if started:
            run.status, run.error, run.error_node = "failed", msg, node
            epochs = run.epochs_done
        what = "go on" if started else "start"
        return Notice("error", f"Training could not {what}: {msg}", node, "failed",
                      run if started else None), epochs
    fin = outcome.finished or run.finished
    run.status = fin.reason if fin is not None else "stopped"
    if started and network is not None:
        run.weights = network.get_weights()
    if fin is not None and fin.reason == "early_stopping":
        return Notice("info", f"{run.name} stopped early: {fin.message}.",
                      topic="early_stopping", run=run), run.engine_epochs(fin.epochs_run)
    return None, run.engine_epochs(fin.epochs_run) if fin is not None else 0
