"""The parts a training run is put together from, each with one job.

:class:`StepResult` is what :meth:`nncore.trainer.Trainer.train_step` returns. The parts
:class:`nncore.fit_loop.FitLoop` composes, besides the learning-rate schedule
(:class:`nncore.schedules.LearningRateSchedule`), the divergence guard
(:class:`nncore.divergence.DivergenceGuard`) and the metrics
(:class:`nncore.metrics.MetricsAccumulator`), are here: early stopping and the batch
reporter (with the norm statistics the reports carry).

A part that observes every batch has a ``batch_end(epoch, batch, result)`` method (epoch
and batch 1-based); the loop combines those bound methods once per run
(:func:`combine_hooks`) and calls only them, so a part without per-batch work costs the hot
loop nothing.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import numpy as np

from nncore.config import TrainingConfig
from nncore.events import BatchEnd
from nncore.network import Network

#: BatchEnd.weight_norms are recomputed at most this often (seconds); in between, events
#: repeat the last values. Gradient norms are exact for every batch.
WEIGHT_NORMS_PERIOD = 0.05
#: A small network's listener keeps one row of gradients per batch (the epoch's rows in at
#: most this many bytes) and takes their per-layer norms per report and per epoch in a few
#: vectorised passes: for a network of a few hundred weights, norms taken batch by batch
#: cost the training thread a tenth of its speed, a row's copy a fraction of that.
GRAD_ROWS_BYTES = 4 * 1024**2

#: ``hook(epoch, batch, result)``: a part's per-batch method.
BatchHook = Callable[[int, int, "StepResult"], None]


def combine_hooks(hooks: list[BatchHook]) -> BatchHook | None:
    """One callable for the per-batch hooks, in order (None: there are none). With one
    hook it is that hook: the loop then pays one call per batch, not a loop over a list."""
    if not hooks:
        return None
    if len(hooks) == 1:
        return hooks[0]

    def batch_end(epoch: int, batch: int, result: StepResult) -> None:
        for hook in hooks:
            hook(epoch, batch, result)

    return batch_end


class StepResult(NamedTuple):
    """One training step: what it computed and whether the update was made."""

    #: Mean loss of the batch.
    loss: float
    #: Learning rate of the update.
    lr: float
    #: Updates made so far by the trainer (this one included when it was made).
    step: int
    #: The network's output for the batch (logits when the loss fuses the activation).
    output: np.ndarray
    #: Per-layer L2 norms of the batch's gradients (``Network.norm_layers`` order), before
    #: L1/L2 and clipping; None when the loss was refused before back-propagation.
    grad_norms: np.ndarray | None
    #: None: the weights were updated. Otherwise the guard refused the update, which was
    #: not made: "loss" (not finite), "gradient" (not finite) or "exploded".
    divergence: str | None = None


#: ``new_step_result((loss, lr, step, output, grad_norms, divergence))``: a StepResult
#: without the Python-level ``__new__`` NamedTuple generates, which costs a small
#: network's step more than the rest of the loop's bookkeeping.
new_step_result = partial(tuple.__new__, StepResult)


def sum_of_squares(v: np.ndarray) -> float:
    """Sum of squares of ``v``; infinite only when ``v`` holds NaN/Inf (a float32 dot product
    overflows from values of about 1e19, so that case is redone in float64)."""
    s = float(np.dot(v, v))
    if s == math.inf and v.dtype != np.float64:
        s = float(np.dot(v.astype(np.float64), v.astype(np.float64)))
    return s


class EarlyStopping:
    """The best epoch of the monitored loss, and when to stop: early stopping on and no
    improvement by more than ``min_delta`` for ``patience`` epochs. The settings are read
    at every epoch (they may change during a run); the best weights are kept when
    ``early_stopping`` and ``restore_best`` were on at the start."""

    def __init__(self, network: Network, config: TrainingConfig) -> None:
        self.net = network
        self.config = config
        self.best = network.snapshot() if config.early_stopping and config.restore_best \
            else None
        self.best_loss, self.best_epoch, self.bad_epochs = math.inf, 0, 0
        #: The best weights were put back when the run stopped.
        self.restored = False

    def update(self, epoch: int, monitored: float) -> None:
        """Take in the monitored loss after ``epoch``."""
        if monitored < self.best_loss - self.config.min_delta:
            self.best_loss, self.best_epoch, self.bad_epochs = monitored, epoch, 0
            if self.best is not None:
                self.net.snapshot(self.best)
        else:
            self.bad_epochs += 1

    def should_stop(self) -> bool:
        return self.config.early_stopping and self.bad_epochs >= self.config.patience

    def stop(self, epoch: int) -> str:
        """Stop after ``epoch``: put the best weights back if kept; returns the message."""
        message = (f"stopped after epoch {epoch}: no improvement for {self.config.patience} "
                   f"epochs; best epoch {self.best_epoch}")
        if self.best is not None:
            self.net.restore(self.best)
            self.restored = True
            message += " (its weights restored)"
        return message


class WeightNorms:
    """Per-layer L2 norms of the weights (trainable layers, and frozen ones whose norms are
    computed once: their weights do not change during a run)."""

    def __init__(self, network: Network) -> None:
        self.net = network
        self.names = network.norm_layers
        self.frozen = {node: _norm(network.params_flat, slices)
                       for node, slices in network.layer_weight_slices.items()
                       if node not in self.names}

    def now(self) -> dict[str, float]:
        """The norms of the current weights (a full pass over them)."""
        out = dict(zip(self.names, self.net.layer_norms(self.net.params_flat).tolist()))
        if self.frozen:
            out.update(self.frozen)
        return out


def _norm(buf: np.ndarray, slices: list[slice]) -> float:
    s = 0.0
    for sl in slices:
        s += sum_of_squares(buf[sl])
    return math.sqrt(s)  # (NaN and Inf stay what they are)


class BatchReporter:
    """Sends the run's events to a listener, batches included, with the norm statistics
    they carry. A BatchEnd goes out after every batch, or with ``batch_seconds`` > 0 at
    most that often, carrying the losses of every batch since the previous one (a listener
    that wants batches in bulk then costs one call per report, not one per batch). Batches
    not reported yet go out before any other event, so the events stay in order. Built
    only when there is a listener: without one, no statistics are kept."""

    def __init__(self, callback: Callable[[Any], None], batch_seconds: float,
                 network: Network, batches: int, start: float) -> None:
        self.callback = callback
        self.batch_seconds = batch_seconds
        self.weight_norms = WeightNorms(network)
        self.net = network
        self.names = network.norm_layers
        n = network.n_trainable
        #: One row of gradients per batch of the epoch (``train_step`` copies them there),
        #: or None: then each step computes its norms (large networks).
        self.rows: np.ndarray | None = (
            np.empty((batches, n), network.dtype)
            if 0 < n <= 1 << 15 and batches * n * network.params_flat.itemsize
            <= GRAD_ROWS_BYTES else None)
        self.batches = batches
        self.start = start
        #: Losses of the batches not reported yet, and the last one's other values.
        self.pending: list[float] = []
        self._last: tuple = ()
        self._reported = -math.inf
        self._weights: dict[str, float] = {}
        self._weights_time = -math.inf
        self.epoch_start()

    def epoch_start(self) -> None:
        # The batches' gradient norms are summed at the epoch's end: for a small network a
        # NumPy addition per batch costs more than the rest of this bookkeeping.
        self._grad_norms: list[np.ndarray] = []
        self._count = 0  # rows filled this epoch

    def batch_end(self, epoch: int, batch: int, result: StepResult) -> None:
        now = time.perf_counter()
        if now - self._weights_time >= WEIGHT_NORMS_PERIOD:  # a full pass over the weights
            self._weights, self._weights_time = self.weight_norms.now(), now
        if self.rows is None:
            self._grad_norms.append(result.grad_norms)
        else:
            self._count = batch
        self.pending.append(result.loss)
        if now - self._reported >= self.batch_seconds:
            self._reported = now
            self._report(epoch, batch, result, now)
        else:
            self._last = (epoch, batch, result, now)

    def emit(self, event: Any) -> None:
        """Send ``event``, after the batches not reported yet."""
        if self.pending:
            # (The weight norms are still those of the last pending batch: they change
            # only in batch_end.)
            self._report(*self._last)
        self.callback(event)

    def epoch_norms(self) -> tuple[dict[str, float], dict[str, float]]:
        """Per-layer gradient norms averaged over the epoch's batches, and weight norms."""
        # A running sum, row after row, as adding each batch's norms would give (a plain
        # sum may add in another order: pairwise).
        per_batch = (np.array(self._grad_norms) if self.rows is None else
                     self.net.layer_norms_rows(self.rows[:self._count]))
        total = np.add.accumulate(per_batch, axis=0)[-1]
        grads = dict(zip(self.names, (total / len(per_batch)).tolist()))
        return grads, self.weight_norms.now()

    def _report(self, epoch: int, batch: int, result: StepResult, time_: float) -> None:
        norms = (result.grad_norms if self.rows is None else
                 self.net.layer_norms_rows(self.rows[batch - 1:batch])[0])
        self.callback(BatchEnd(epoch, batch, self.batches, result.step, result.loss,
                               result.lr, dict(zip(self.names, norms.tolist())),
                               self._weights, time_ - self.start, self.pending))
        self.pending = []
