"""The epoch and batch loop of :meth:`nncore.trainer.Trainer.fit`, put together from parts.

Per batch: the run control's checkpoint when something was requested, the batch (shuffled,
augmented), its learning rate (:class:`~nncore.schedules.LearningRateSchedule`), one
:meth:`~nncore.trainer.Trainer.train_step` guarded by a
:class:`~nncore.divergence.DivergenceGuard`, the training metrics
(:class:`~nncore.metrics.MetricsAccumulator`), then the per-batch hooks of the parts that
have them (:mod:`nncore.training_parts`). Per epoch: validation, the guard's epoch checks,
early stopping, the EpochEnd event, and a pause asked for by ``RunControl.step_epoch``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from nncore.divergence import DivergenceGuard
from nncore.errors import DivergenceError
from nncore.events import Diverged, EpochEnd, Paused, TrainingFinished, TrainingStarted
from nncore.metrics import MetricsAccumulator
from nncore.network import _take
from nncore.schedules import LearningRateSchedule
from nncore.training_parts import BatchHook, BatchReporter, EarlyStopping, combine_hooks

if TYPE_CHECKING:  # (the trainer module imports this one)
    from nncore.trainer import Trainer

#: What training one epoch can end in besides completing it (None).
STOPPED = "stopped"

#: Training data up to this size (inputs and targets) is shuffled into one copy per epoch
#: and batched by slicing; larger data is gathered batch by batch (no second copy of it).
SHUFFLED_COPY_BYTES = 16 << 20


def _discard(event: Any) -> None:
    """Where events go when nobody listens."""


class FitLoop:
    """One call of ``Trainer.fit``: its parts and its loop. ``validation`` is prepared
    (inputs, targets) or None; ``guard`` is fresh for the run."""

    def __init__(self, trainer: Trainer, x: Any, t: np.ndarray,
                 validation: tuple[Any, np.ndarray] | None,
                 callback: Callable[[Any], None] | None, batch_seconds: float,
                 guard: DivergenceGuard) -> None:
        net, cfg = trainer.net, trainer.config
        self.trainer, self.net, self.config, self.control = trainer, net, cfg, trainer.control
        self.x, self.t, self.validation = x, t, validation
        self.n = len(t)
        self.batch_size = min(cfg.batch_size, self.n)
        self.steps = math.ceil(self.n / self.batch_size)
        self.schedule = LearningRateSchedule(cfg, self.steps)
        self.metrics = MetricsAccumulator(trainer.loss, t, exact=False)
        self.guard = guard
        self.stopping = trainer.stopping = EarlyStopping(net, cfg)
        #: Epochs done before this fit: those of a checkpoint it resumes (Trainer.resume).
        self.start_epoch = 0
        if trainer.resume_at is not None:
            self._resume(trainer.resume_at)
            trainer.resume_at = None
        self.lr = cfg.learning_rate  # of the last batch trained
        self.start = time.perf_counter()
        # Without a listener nothing is called per batch besides the step and the metrics.
        self.reporter: BatchReporter | None = None
        hooks: list[BatchHook] = []
        self.emit: Callable[[Any], None] = _discard
        if callback is not None:
            self.reporter = BatchReporter(callback, batch_seconds, net, self.steps,
                                          self.start)
            hooks.append(self.reporter.batch_end)
            self.emit = self.reporter.emit
        self.batch_end = combine_hooks(hooks)

    def _resume(self, point: Any) -> None:
        """Start after ``point.epoch`` with its early-stopping state."""
        self.start_epoch = self.guard.good_epoch = point.epoch
        stopping = self.stopping
        stopping.best_epoch, stopping.best_loss = point.best_epoch, point.best_loss
        stopping.bad_epochs = point.bad_epochs
        if stopping.best is not None and point.best_weights is not None:
            np.copyto(stopping.best, point.best_weights)

    def run(self) -> TrainingFinished:
        cfg, ctl = self.config, self.control
        n_val = len(self.validation[1]) if self.validation is not None else 0
        self.emit(TrainingStarted(cfg.epochs, self.steps, self.n, n_val, self.start_epoch))
        reason, message, epoch = "completed", "", self.start_epoch
        while epoch < cfg.epochs:
            outcome = self._train_epoch(epoch)
            if isinstance(outcome, DivergenceError):
                if self._recover(epoch, outcome):
                    continue  # redo this epoch from the restored weights
                reason, message = "diverged", str(outcome)
                break
            if outcome == STOPPED:
                reason = "stopped"
                break
            epoch += 1
            self.trainer.epoch = epoch
            ended = self._end_epoch(epoch)
            if ended is not None:
                reason, message = ended
                break
            if epoch < cfg.epochs and ctl.take_pause_after_epoch() and ctl.hold(
                    lambda e=epoch: self.emit(Paused(e, "step"))):
                reason = "stopped"
                break
        stopping = self.stopping
        fin = TrainingFinished(reason, epoch, stopping.best_epoch, stopping.best_loss,
                               time.perf_counter() - self.start, self.trainer.history,
                               stopping.restored, message)
        self.emit(fin)
        return fin

    def _train_epoch(self, epoch: int) -> DivergenceError | str | None:
        """Train the batches of epoch ``epoch`` + 1: None when they are done, STOPPED, or
        the divergence that ended them (the update it would have made was not made)."""
        trainer, net, ctl, guard = self.trainer, self.net, self.control, self.guard
        x, t, n, size = self.x, self.t, self.n, self.batch_size
        perm = net.rng.permutation(n) if self.config.shuffle else np.arange(n)
        self.metrics.reset()
        if self.reporter is not None:
            self.reporter.epoch_start()
        step, rate, add, batch_end = (trainer.train_step, self.schedule.rate,
                                      self.metrics.add, self.batch_end)
        # Per-layer gradient norms cost a pass over the gradients: only for a listener,
        # which for a small network takes them from a row of gradients kept per batch.
        norms = self.reporter is not None
        rows = self.reporter.rows if norms else None
        augment, rng, inputs = trainer.augment, net.rng, net.input_ids
        # A prepared array's rows are in the network's dtype already: plain indexing.
        gather = x.__getitem__ if isinstance(x, np.ndarray) else partial(_take, x,
                                                                         dtype=net.dtype)
        # Small data: one shuffled copy per epoch, whose batches are slices (views), instead
        # of two fancy-index copies per batch: the same rows in the same order. (The copy
        # is this epoch's own, so nothing downstream can change the caller's arrays.)
        shuffled = (x[perm], t[perm]) if (isinstance(x, np.ndarray) and x.nbytes + t.nbytes
                                          <= SHUFFLED_COPY_BYTES) else None
        e = epoch + 1
        for b in range(self.steps):
            if ctl.requested and ctl.checkpoint(lambda: self.emit(Paused(e, "user"))):
                return STOPPED
            if shuffled is not None:
                lo = b * size
                xb, tb = shuffled[0][lo:lo + size], shuffled[1][lo:lo + size]
            else:
                idx = perm[b * size:(b + 1) * size]
                xb, tb = gather(idx), t[idx]
            if augment is not None:
                xb = augment.apply_batch(xb, rng, inputs)
            result = step(xb, tb, rate(trainer.step), guard,
                          norms if rows is None else rows[b])
            if result.divergence is not None:
                # The refused update left the gradients in place: they name the layer.
                grad_norms = (result.grad_norms if result.grad_norms is not None
                              else net.layer_norms(net.grads_flat))
                return guard.error(result.divergence, e, b + 1, result.loss, grad_norms)
            add(result.output, tb, result.loss)
            if batch_end is not None:
                batch_end(e, b + 1, result)
        self.lr = result.lr
        return None

    def _recover(self, epoch: int, err: DivergenceError) -> bool:
        """After a divergence in epoch ``epoch`` + 1: restore the last good weights, report,
        and with ``on_divergence="pause"`` pause. True: resumed, redo the epoch."""
        restored = self.guard.restore()
        self.emit(Diverged(epoch + 1, err.batch or 0, err.layer, str(err), restored))
        ctl = self.control
        if self.trainer.on_divergence != "pause" or ctl.stopped:
            return False
        # Fresh optimizer state: the moments may hold the non-finite values.
        self.trainer.reset_optimizer()
        ctl.pause()
        return not ctl.hold(lambda: self.emit(Paused(epoch + 1, "diverged", str(err))))

    def _end_epoch(self, epoch: int) -> tuple[str, str] | None:
        """Validate, check and report epoch ``epoch``; (reason, message) when the run ends
        here (divergence, early stopping)."""
        cfg, trainer, stopping = self.config, self.trainer, self.stopping
        train_loss, train_metrics = self.metrics.result()
        val_loss, val_metrics = None, {}
        if self.validation is not None:
            val_loss, val_metrics = trainer.evaluate(*self.validation)
        monitored = val_loss if val_loss is not None else train_loss
        err = self.guard.check_epoch(epoch, monitored, "validation loss"
                                     if self.validation is not None else "loss")
        if err is not None:
            restored = self.guard.restore()
            self.emit(Diverged(epoch, 0, err.layer, str(err), restored))
            return "diverged", str(err)
        self.guard.epoch_good(epoch)
        stopping.update(epoch, monitored)
        grad_norms, weight_norms = (self.reporter.epoch_norms() if self.reporter is not None
                                    else ({}, {}))
        ev = EpochEnd(epoch, cfg.epochs, train_loss, val_loss, train_metrics, val_metrics,
                      self.lr, grad_norms, weight_norms, time.perf_counter() - self.start,
                      stopping.best_epoch, stopping.best_loss)
        trainer.history.add(ev)
        self.emit(ev)
        if stopping.should_stop():
            return "early_stopping", stopping.stop(epoch)
        return None
