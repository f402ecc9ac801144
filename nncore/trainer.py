"""The trainer: one update of the weights, and the run of many.

A :class:`Trainer` trains a :class:`~nncore.network.Network` with one
:class:`~nncore.config.TrainingConfig`. :meth:`Trainer.train_step` makes one update
(forward, loss, backward, L1/L2, clipping, optimizer step), usable on its own: a learning-
rate finder, a gradient check or a single-sample trace call it without the loop.
:meth:`Trainer.fit` runs the whole loop (:class:`~nncore.fit_loop.FitLoop`: seeded
shuffling from the network's generator, validation each epoch, early stopping, divergence
detection), reports through events (see :mod:`nncore.events`) and is steered by a
:class:`~nncore.events.RunControl`.

The hot path of one step does no Python-level work per weight: everything acts on the
network's flat parameter and gradient buffers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from nncore.augment import augmentation_for
from nncore.config import LIVE_SETTINGS, TrainingConfig, fixed_settings_refusal
from nncore.data.dataset import all_finite
from nncore.divergence import DivergenceGuard
from nncore.errors import DataError, ParameterError, SpecError
from nncore.events import History, RunControl, TrainingFinished
from nncore.fit_loop import FitLoop
from nncore.losses import Loss, get_loss
from nncore.metrics import MetricsAccumulator
from nncore.network import Network, _take
from nncore.optimizers import get_optimizer
from nncore.training_parts import StepResult, new_step_result, sum_of_squares

if TYPE_CHECKING:
    from nncore.training_parts import EarlyStopping

EventCallback = Callable[[Any], None]

#: In ``fit``, a finite batch loss above this many times max(1, the run's first batch loss)
#: counts as divergence: healthy training never climbs that far above where it started.
EXPLODE_FACTOR = 1e4


def check_loss_matches(network: Network, loss: Loss) -> None:
    """Cross-entropies need the matching output activation; raise SpecError otherwise."""
    want = loss.fused_activation
    if want is None:
        return
    have = network.output_activation
    if have != want:
        out = network.layers[network.output_id]
        raise SpecError(
            f"{out.owner}: {loss.label} needs the output layer to use the {want} activation, "
            f"it uses {have or 'none'}; set its activation to {want} or pick another loss",
            node_id=network.output_id)
    k = network.output_shape
    if want == "softmax" and (len(k) != 1 or k[0] < 2):
        raise SpecError(f"{network.layers[network.output_id].owner}: softmax with categorical "
                        f"cross-entropy needs at least 2 output units, has shape {k}",
                        node_id=network.output_id)


@dataclass
class ResumePoint:
    """Where a run stands between epochs: what a checkpoint saves
    (:mod:`nncore.checkpoint`) and :meth:`Trainer.resume` continues from. Optimizer state
    arrays are flat over the network's trainable weights, saved under
    ``optimizer_config``."""

    epoch: int
    step: int
    optimizer: str
    optimizer_config: dict[str, Any]
    iterations: int
    optimizer_state: dict[str, np.ndarray]
    rng_state: dict[str, Any]
    history: History
    #: Early stopping: the best epoch so far, its loss, epochs since, its weights (the
    #: network's flat buffer; None when not kept).
    best_epoch: int = 0
    best_loss: float = math.inf
    bad_epochs: int = 0
    best_weights: np.ndarray | None = None


class Trainer:
    """Trains one network with one configuration: single steps, or whole runs (``fit``).

    ``on_divergence``: what ``fit`` does after restoring the last good epoch's weights
    when training diverges: "stop" the run, or "pause" it (the settings may change
    meanwhile) and redo the epoch on resume."""

    def __init__(self, network: Network, config: TrainingConfig,
                 control: RunControl | None = None, on_divergence: str = "stop") -> None:
        self.net = network
        self.config = config
        self.control = control or RunControl()
        self.on_divergence = on_divergence
        self.loss = get_loss(config.loss, **config.loss_params)
        check_loss_matches(network, self.loss)
        network.set_fused_output(self.loss.fused_activation is not None)
        self.optimizer = get_optimizer(config.optimizer, **config.optimizer_params)
        self.reset_optimizer()
        #: Augmentation of training batches (None: off); checks the Inputs are images.
        self.augment = augmentation_for(network, config)
        #: Updates made so far (the learning-rate schedule's clock).
        self.step = 0
        self.history = History()
        #: Epochs completed (counting those of a checkpoint resumed from); the last fit's
        #: early stopping. Both for checkpoints (:meth:`resume_point`).
        self.epoch = 0
        self.stopping: EarlyStopping | None = None
        #: Set by :meth:`resume`: the next fit starts after this point.
        self.resume_at: ResumePoint | None = None
        #: Where each fit's divergence guard keeps the last good weights (reused by the
        #: next fit: no fresh copy of the weights per fit).
        self._guard_buffer: np.ndarray | None = None

    # -- data checks -------------------------------------------------------------------
    def prepare(self, x: Any, y: np.ndarray, what: str) -> tuple[Any, np.ndarray]:
        """Inputs and targets checked against the network and the loss (``what`` names
        them in errors) and in the form a step takes: ``x`` an array, or a dict {input id:
        array}; float inputs in the network's dtype. Raises DataError."""
        net = self.net
        if isinstance(x, dict):
            arrays = x
        elif len(net.input_ids) == 1:
            arrays = {net.input_ids[0]: x}
        else:
            raise DataError(f"{what}: the network has inputs {', '.join(net.input_ids)}; "
                            "give one array for each")
        n = len(y)
        for node_id in net.input_ids:
            if node_id not in arrays:
                raise DataError(f"{what}: no data for Input '{node_id}'")
            a = np.asarray(arrays[node_id])
            if a.shape[1:] != net.shapes[node_id]:
                raise DataError(f"{what}: Input '{node_id}' expects samples of shape "
                                f"{net.shapes[node_id]}, the data has {a.shape[1:]}")
            if len(a) != n:
                raise DataError(f"{what}: {len(a)} input samples but {n} targets")
            if a.dtype.kind == "f" and not all_finite(a):  # (block by block: no full mask)
                raise DataError(f"{what}: the inputs contain NaN or infinite values")
        if n == 0:
            raise DataError(f"{what}: there are no samples")
        t = self.loss.check_targets(y, net.output_shape)
        if t.dtype.kind == "f" and not all_finite(t):
            raise DataError(f"{what}: the targets contain NaN or infinite values")
        if len(net.input_ids) == 1:
            a = np.asarray(arrays[net.input_ids[0]])
            return (a.astype(net.dtype) if a.dtype.kind == "f" and a.dtype != net.dtype
                    else a), t
        return {k: np.asarray(arrays[k]) for k in net.input_ids}, t

    # -- one step ----------------------------------------------------------------------
    def train_step(self, x: Any, t: np.ndarray, lr: float,
                   guard: DivergenceGuard | None = None,
                   norms: bool | np.ndarray = True) -> StepResult:
        """One update of the weights from the batch ``x``/``t`` (as :meth:`prepare` gives
        them): forward in training mode, loss, backward, L1/L2, gradient clipping, then an
        optimizer step with learning rate ``lr``.

        With a ``guard``, a non-finite loss (before back-propagation) or gradient norm, or
        an exploding loss, is caught before the update, which is then not made: the
        result's ``divergence`` says what went wrong (``guard.error`` words it). Without
        one the update is always made. ``norms=False`` leaves the per-layer gradient norms
        out of the result (``grad_norms`` None; the guard and clipping need only the total,
        one dot product): ``fit`` asks for them only when someone listens. ``norms`` an
        array (a row of ``n_trainable``): the gradients are copied into it as they come
        out of back-propagation and the norms are left to the caller (``grad_norms``
        None): for small networks a copy costs less than the norms, which a listener then
        takes for many batches at once (:meth:`Network.layer_norms_rows`)."""
        net, loss = self.net, self.loss
        out = net.forward(x, True)  # (training mode)
        value = loss.forward(out, t)
        if guard is not None and not math.isfinite(value):  # never back-propagated
            return new_step_result((value, lr, self.step, out, None, "loss"))
        net.backward(loss.backward())
        g = net.grads_flat
        if isinstance(norms, np.ndarray):
            np.copyto(norms, g)
            norms = False
        # Clipping scales by the float64 per-layer total whoever asks, so a run's weights
        # do not depend on whether its progress is watched.
        if norms or self.config.clip_norm is not None:
            layer = net.layer_norms(g)
            total_sq = float(np.dot(layer, layer))
        else:
            layer, total_sq = None, sum_of_squares(g)
        if guard is not None:
            refused = guard.check_gradients(value, total_sq)
            if refused is not None:
                return new_step_result((value, lr, self.step, out, layer, refused))
        cfg = self.config
        n_reg = net.n_regularized
        if cfg.l2 and n_reg:
            g[:n_reg] += (2.0 * cfg.l2) * net.params_flat[:n_reg]
        if cfg.l1 and n_reg:
            g[:n_reg] += cfg.l1 * np.sign(net.params_flat[:n_reg])
        if cfg.clip_norm is not None:
            total = math.sqrt(total_sq)
            if cfg.l1 or cfg.l2:
                total = math.sqrt(sum_of_squares(g))
            if total > cfg.clip_norm:
                g *= cfg.clip_norm / total
        self.optimizer.step(lr)
        self.step = step = self.step + 1
        return new_step_result((value, lr, step, out, layer, None))

    def reset_optimizer(self) -> None:
        """Bind the optimizer to the network's buffers with fresh state (moments at 0)."""
        net = self.net
        self.optimizer.bind(net.params_flat[:net.n_trainable], net.grads_flat)

    # -- checkpoints -------------------------------------------------------------------
    def resume_point(self) -> ResumePoint:
        """Where the run stands now (call it between fits, e.g. after one)."""
        opt, stopping = self.optimizer, self.stopping
        best = stopping.best if stopping is not None else None
        return ResumePoint(
            self.epoch, self.step, opt.name, dict(opt.config), opt.iterations,
            opt.get_state(), self.net.rng.bit_generator.state, self.history,
            stopping.best_epoch if stopping else 0,
            stopping.best_loss if stopping else math.inf,
            stopping.bad_epochs if stopping else 0, None if best is None else best.copy())

    def resume(self, point: ResumePoint) -> None:
        """Continue a run from ``point`` (the network holds its weights already): the
        optimizer's state (kept only for the same optimizer; its hyperparameters may have
        changed), the step count, the network's random generator, the history; the next
        :meth:`fit` starts after ``point.epoch`` with its early-stopping state. Raises
        ValueError when the state does not fit the network's trainable weights."""
        opt = self.optimizer
        if point.optimizer == opt.name:
            config = opt.config
            opt.set_config(point.optimizer_config)
            opt.set_state(point.iterations, point.optimizer_state)
            opt.set_config(config)
        self.step, self.epoch = int(point.step), int(point.epoch)
        self.net.rng.bit_generator.state = point.rng_state
        self.history = point.history
        self.resume_at = point

    # -- evaluation --------------------------------------------------------------------
    def evaluate(self, x: Any, t: np.ndarray, batch_size: int = 1024) -> tuple[float, dict]:
        """Loss and metrics of the current weights on prepared data (inference mode)."""
        net, loss = self.net, self.loss
        metrics = MetricsAccumulator(loss, t, exact=True)
        for a in range(0, len(t), batch_size):
            sl = slice(a, a + batch_size)
            out = net.forward(_take(x, sl, net.dtype), training=False)
            tb = t[sl]
            metrics.add(out, tb, loss.forward(out, tb))
        return metrics.result()

    # -- settings ----------------------------------------------------------------------
    def update_settings(self, **changes: Any) -> None:
        """Change live settings (``nncore.config.LIVE_SETTINGS``) of the running fit. Call
        it on the training thread, e.g. through ``RunControl.call_in_run``; takes effect at
        the next batch. Raises ParameterError for a bad value or a setting that cannot
        change."""
        refusal = fixed_settings_refusal(changes, label=str)
        if refusal is not None:
            raise ParameterError(refusal)
        new = self.config.replace(**changes)  # the one validation of the change
        # In place: the run's parts read this config at every batch or epoch. Every live
        # field is taken, so a new schedule brings its default parameters along.
        for name in LIVE_SETTINGS:
            setattr(self.config, name, getattr(new, name))
        # (Unchanged hyperparameters change nothing: Adam rescales its moments only for a
        # beta that changed.)
        self.optimizer.set_config(new.optimizer_params)

    # -- the loop ----------------------------------------------------------------------
    def fit(self, x: Any, y: np.ndarray, x_val: Any = None, y_val: np.ndarray | None = None,
            callback: EventCallback | None = None,
            batch_seconds: float = 0.0) -> TrainingFinished:
        """Train on ``x``/``y`` (``x`` an array, or a dict {input id: array}); validate on
        ``x_val``/``y_val`` after each epoch when given. Returns how the run ended.

        ``callback`` receives the events (nncore.events) on this thread. BatchEnd comes
        after every batch, or with ``batch_seconds`` > 0 at most that often (seconds of
        training) with the losses of every batch since the previous one: a listener that
        wants batches in bulk then costs the loop one call per report instead of one per
        batch. Batches not reported yet are reported before any other event, so the
        events stay in order."""
        # Overflow and NaN on the way to a divergence are detected and reported as such
        # (Diverged event, restored weights); numpy's warnings would only add noise, or
        # abort the run where warnings are errors.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            x, t = self.prepare(x, y, "training data")
            validation = None
            if x_val is not None and y_val is not None and len(y_val) > 0:
                validation = self.prepare(x_val, y_val, "validation data")
            guard = DivergenceGuard(self.net, EXPLODE_FACTOR, self._guard_buffer)
            self._guard_buffer = guard.good
            return FitLoop(self, x, t, validation, callback, batch_seconds, guard).run()
