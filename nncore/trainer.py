"""The mini-batch training loop.

One :class:`Trainer` runs one training run of a :class:`~nncore.network.Network`: seeded
shuffling (from the network's generator), forward, loss, backward, L1/L2, clipping,
optimizer step, metrics, validation each epoch, early stopping, divergence detection. It
reports through events (see :mod:`nncore.events`) and is steered by a
:class:`~nncore.events.RunControl`.

The hot path of one step does no Python-level work per weight: everything acts on the
network's flat parameter and gradient buffers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from nncore.augment import augmentation_for
from nncore.config import TrainingConfig
from nncore.errors import DataError, DivergenceError, SpecError
from nncore.events import (
    BatchEnd,
    Diverged,
    EpochEnd,
    History,
    Paused,
    RunControl,
    TrainingFinished,
    TrainingStarted,
)
from nncore.losses import Loss, get_loss
from nncore.network import Network, _take
from nncore.optimizers import get_optimizer
from nncore.schedules import learning_rate

EventCallback = Callable[[Any], None]

#: A finite batch loss above this many times max(1, the run's first batch loss) counts as
#: divergence: healthy training never climbs that far above where it started.
EXPLODE_FACTOR = 1e4

#: BatchEnd.weight_norms are recomputed at most this often (seconds); in between, events
#: repeat the last values. Gradient norms are exact for every batch.
WEIGHT_NORMS_PERIOD = 0.05

_SUGGESTION = ("Try a lower learning rate, enable gradient clipping, or normalise the data.")


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


class Trainer:
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
        self.optimizer.bind(network.params_flat[:network.n_trainable], network.grads_flat)
        #: Augmentation of training batches (None: off); checks the Inputs are images.
        self.augment = augmentation_for(network, config)
        self.step = 0
        self.history = History()

    # -- data checks -------------------------------------------------------------------
    def _prepare(self, x: Any, y: np.ndarray, what: str) -> tuple[Any, np.ndarray]:
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
            if a.dtype.kind == "f" and not np.isfinite(a).all():
                raise DataError(f"{what}: the inputs contain NaN or infinite values")
        if n == 0:
            raise DataError(f"{what}: there are no samples")
        t = self.loss.check_targets(y, net.output_shape)
        if t.dtype.kind == "f" and not np.isfinite(t).all():
            raise DataError(f"{what}: the targets contain NaN or infinite values")
        if len(net.input_ids) == 1:
            a = np.asarray(arrays[net.input_ids[0]])
            return (a.astype(net.dtype) if a.dtype.kind == "f" and a.dtype != net.dtype
                    else a), t
        return {k: np.asarray(arrays[k]) for k in net.input_ids}, t

    # -- metrics -----------------------------------------------------------------------
    def _correct(self, out: np.ndarray, t: np.ndarray) -> float:
        """Number of correctly classified samples in a batch; with several sigmoid outputs
        (multi-label) each sample counts by the fraction of its labels that are right."""
        if self.loss.fused_activation == "softmax":
            pred = out.argmax(axis=1)
            true = t if t.ndim == 1 else t.argmax(axis=1)
            return int(np.count_nonzero(pred == true))
        right = int(np.count_nonzero((out > 0) == (t > 0.5)))
        per_sample = out.size // max(len(out), 1)
        return right if per_sample == 1 else right / per_sample

    def evaluate(self, x: Any, t: np.ndarray, batch_size: int = 1024) -> tuple[float, dict]:
        """Loss and metrics of the current weights on prepared data (inference mode)."""
        n = len(t)
        total_loss, correct, sse = 0.0, 0, 0.0
        for a in range(0, n, batch_size):
            sl = slice(a, a + batch_size)
            out = self.net.forward(_take(x, sl, self.net.dtype), training=False)
            tb = t[sl]
            total_loss += self.loss.forward(out, tb) * len(tb)
            if self.loss.task == "classification":
                correct += self._correct(out, tb)
            else:
                d = (out - tb).reshape(-1).astype(np.float64)
                sse += float(d @ d)
        metrics = {}
        if self.loss.task == "classification":
            metrics["accuracy"] = correct / n
        else:
            metrics.update(_regression_metrics(sse, t))
        return total_loss / n, metrics

    # -- statistics --------------------------------------------------------------------
    def _norms(self, buf: np.ndarray, slices: dict[str, list[slice]]) -> dict[str, float]:
        out = {}
        for node, sls in slices.items():
            s = 0.0
            for sl in sls:
                s += _sum_sq(buf[sl])
            out[node] = math.sqrt(s) if s == s and s != math.inf else s
        return out

    #: Settings that may change during a run (between batches, e.g. while paused).
    LIVE_SETTINGS = ("learning_rate", "schedule", "schedule_params", "warmup_epochs", "l1",
                     "l2", "clip_norm", "optimizer_params", "early_stopping", "patience",
                     "min_delta")

    def update_settings(self, **changes: Any) -> None:
        """Change optimizer and regularization settings of the running fit. Call it on the
        training thread, e.g. through ``RunControl.call_in_run``; takes effect at the next
        batch. Raises ParameterError for a bad value or a setting that cannot change."""
        from nncore.errors import ParameterError

        fixed = sorted(set(changes) - set(self.LIVE_SETTINGS))
        if fixed:
            raise ParameterError(f"{', '.join(fixed)} cannot change during a run")
        new = self.config.replace(**changes)
        for k in changes:
            setattr(self.config, k, getattr(new, k))
        if "optimizer_params" in changes:
            self.optimizer.update_config(**self.config.optimizer_params)

    def _weight_norms(self, names: list[str], frozen: dict[str, float]) -> dict[str, float]:
        out = dict(zip(names, self.net.layer_norms(self.net.params_flat).tolist()))
        if frozen:
            out.update(frozen)
        return out

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
            return self._fit(x, y, x_val, y_val, callback, batch_seconds)

    def _fit(self, x: Any, y: np.ndarray, x_val: Any, y_val: np.ndarray | None,
             callback: EventCallback | None, batch_seconds: float) -> TrainingFinished:
        cfg, net, ctl, loss = self.config, self.net, self.control, self.loss
        # Batches not reported yet: their losses, and the last one's other values.
        pending: list[float] = []
        last: tuple = ()

        def emit(ev: Any) -> None:
            nonlocal pending
            if callback is None:
                return
            if pending:
                e, b_, step, loss_, lr_, gn_, wn_, t_ = last
                callback(BatchEnd(e, b_, steps, step, loss_, lr_,
                                  dict(zip(names, gn_.tolist())), wn_, t_, pending))
                pending = []
            callback(ev)
        x, t = self._prepare(x, y, "training data")
        has_val = x_val is not None and y_val is not None and len(y_val) > 0
        if has_val:
            x_val, t_val = self._prepare(x_val, y_val, "validation data")
        n = len(t)
        bs = min(cfg.batch_size, n)
        steps = math.ceil(n / bs)
        classification = loss.task == "classification"
        sst = _total_sum_squares(t) if not classification else 0.0
        p_all, g_all = net.params_flat, net.grads_flat
        n_reg = net.n_regularized
        names = net.norm_layers
        # Frozen layers' weights do not change during the run: their norms are computed once.
        frozen_norms = self._norms(p_all, {k: v for k, v in net.layer_weight_slices.items()
                                           if k not in names})
        opt = self.optimizer
        wn: dict[str, float] = {}
        wn_time = -math.inf
        first_loss: float | None = None
        explode_limit = math.inf
        rng = net.rng
        augment = self.augment
        t0 = time.perf_counter()
        t_report = -math.inf
        emit(TrainingStarted(cfg.epochs, steps, n, len(y_val) if has_val else 0))

        good = net.snapshot()  # weights at the end of the last good epoch
        good_epoch = 0
        best = net.snapshot() if cfg.early_stopping and cfg.restore_best else None
        best_loss, best_epoch, bad_epochs = math.inf, 0, 0
        reason, message, restored = "completed", "", False
        epoch = 0
        lr = cfg.learning_rate
        while epoch < cfg.epochs:
            perm = rng.permutation(n) if cfg.shuffle else np.arange(n)
            sum_loss, correct, sse = 0.0, 0, 0.0
            grad_acc = np.zeros(len(names))
            diverged = None
            interrupted = False
            for b in range(steps):
                if ctl._pending:
                    ctl.run_pending()
                if not ctl._running.is_set():
                    emit(Paused(epoch + 1, "user"))
                    ctl.wait_while_paused()
                    ctl.run_pending()
                if ctl.stop_event.is_set():
                    interrupted = True
                    break
                idx = perm[b * bs:(b + 1) * bs]
                xb = _take(x, idx, net.dtype)
                if augment is not None:
                    xb = augment.apply_batch(xb, rng, net.input_ids)
                tb = t[idx]
                if cfg.schedule == "constant" and not cfg.warmup_epochs:
                    lr = cfg.learning_rate
                else:
                    lr = learning_rate(cfg.learning_rate, cfg.schedule, cfg.schedule_params,
                                       self.step, steps, cfg.epochs, cfg.warmup_epochs)
                out = net.forward(xb, training=True)
                batch_loss = loss.forward(out, tb)
                if not math.isfinite(batch_loss):
                    diverged = self._divergence("loss", epoch + 1, b + 1, batch_loss)
                    break
                net.backward(loss.backward())
                gn = net.layer_norms(g_all)
                total_sq = float(np.dot(gn, gn))
                if not math.isfinite(total_sq):
                    diverged = self._divergence("gradient", epoch + 1, b + 1, batch_loss)
                    break
                if batch_loss > explode_limit:
                    diverged = self._explosion(epoch + 1, b + 1, batch_loss, first_loss, gn)
                    break
                if first_loss is None:
                    first_loss = batch_loss
                    explode_limit = EXPLODE_FACTOR * max(batch_loss, 1.0)
                if cfg.l2 and n_reg:
                    g_all[:n_reg] += (2.0 * cfg.l2) * p_all[:n_reg]
                if cfg.l1 and n_reg:
                    g_all[:n_reg] += cfg.l1 * np.sign(p_all[:n_reg])
                if cfg.clip_norm is not None:
                    total = math.sqrt(total_sq)
                    if cfg.l1 or cfg.l2:
                        total = math.sqrt(_sum_sq(g_all))
                    if total > cfg.clip_norm:
                        g_all *= cfg.clip_norm / total
                opt.step(lr)
                self.step += 1
                nb = len(tb)
                sum_loss += batch_loss * nb
                if classification:
                    correct += self._correct(out, tb)
                elif loss.name == "mse":
                    sse += batch_loss * tb.size
                else:
                    d = (out - tb).reshape(-1)
                    sse += float(np.dot(d, d))
                grad_acc += gn
                now = time.perf_counter()
                if now - wn_time >= WEIGHT_NORMS_PERIOD:  # a full pass over the weights
                    wn, wn_time = self._weight_norms(names, frozen_norms), now
                if callback is not None:
                    pending.append(batch_loss)
                    if now - t_report >= batch_seconds:
                        t_report = now
                        callback(BatchEnd(epoch + 1, b + 1, steps, self.step, batch_loss, lr,
                                          dict(zip(names, gn.tolist())), wn, now - t0,
                                          pending))
                        pending = []
                    else:
                        last = (epoch + 1, b + 1, self.step, batch_loss, lr, gn, wn, now - t0)

            if diverged is not None:
                net.restore(good)
                emit(Diverged(epoch + 1, diverged.batch or 0, diverged.layer, str(diverged),
                              good_epoch))
                if self.on_divergence == "pause" and not ctl.stop_event.is_set():
                    # Fresh optimizer state: the moments may hold the non-finite values.
                    opt.bind(p_all[:net.n_trainable], g_all)
                    ctl.pause()
                    emit(Paused(epoch + 1, "diverged", str(diverged)))
                    ctl.wait_while_paused()
                    ctl.run_pending()
                    if not ctl.stop_event.is_set():
                        continue  # redo this epoch from the restored weights
                reason, message = "diverged", str(diverged)
                break
            if interrupted:
                reason = "stopped"
                break

            epoch += 1
            train_loss = sum_loss / n
            train_metrics = ({"accuracy": correct / n} if classification
                             else _regression_metrics(sse, t, sst))
            val_loss, val_metrics = None, {}
            if has_val:
                val_loss, val_metrics = self.evaluate(x_val, t_val)
            monitored = val_loss if val_loss is not None else train_loss
            bad_weights = not np.isfinite(p_all).all()
            if bad_weights or not math.isfinite(monitored):
                err = (self._divergence("weights", epoch, 0, math.nan) if bad_weights else
                       self._divergence("validation loss" if has_val else "loss", epoch, 0,
                                        monitored))
                net.restore(good)
                emit(Diverged(epoch, 0, err.layer, str(err), good_epoch))
                reason, message = "diverged", str(err)
                break
            net.snapshot(good)
            good_epoch = epoch
            if monitored < best_loss - cfg.min_delta:
                best_loss, best_epoch, bad_epochs = monitored, epoch, 0
                if best is not None:
                    net.snapshot(best)
            else:
                bad_epochs += 1
            ev = EpochEnd(epoch, cfg.epochs, train_loss, val_loss, train_metrics, val_metrics,
                          lr, dict(zip(names, (grad_acc / steps).tolist())),
                          self._weight_norms(names, frozen_norms), time.perf_counter() - t0,
                          best_epoch, best_loss)
            self.history.add(ev)
            emit(ev)
            if cfg.early_stopping and bad_epochs >= cfg.patience:
                reason = "early_stopping"
                message = (f"stopped after epoch {epoch}: no improvement for {cfg.patience} "
                           f"epochs; best epoch {best_epoch}")
                if best is not None:
                    net.restore(best)
                    restored = True
                    message += " (its weights restored)"
                break
            if epoch < cfg.epochs and ctl.take_pause_after_epoch():
                emit(Paused(epoch, "step"))
                ctl.wait_while_paused()
                ctl.run_pending()
                if ctl.stop_event.is_set():
                    reason = "stopped"
                    break

        fin = TrainingFinished(reason, epoch, best_epoch, best_loss, time.perf_counter() - t0,
                               self.history, restored, message)
        emit(fin)
        return fin

    def _explosion(self, epoch: int, batch: int, value: float, first: float,
                   grad_norms: np.ndarray) -> DivergenceError:
        """A finite loss that grew far beyond its value at the start of the run."""
        names = self.net.norm_layers
        node = names[int(np.argmax(grad_norms))] if len(names) else None
        worst = (f"; the largest gradients are in {self.net.layers[node].owner}"
                 if node else "")
        return DivergenceError(
            f"training diverged: the loss exploded to {value:.3g} at epoch {epoch}, batch "
            f"{batch}, more than {EXPLODE_FACTOR:,.0f} times its value at the start of the "
            f"run ({first:.3g}){worst}. The weights from the last good epoch were restored. "
            + _SUGGESTION, layer=node, epoch=epoch, batch=batch)

    def _divergence(self, what: str, epoch: int, batch: int, value: float) -> DivergenceError:
        layer = (first_nonfinite_weights(self.net) if what == "weights"
                 else first_nonfinite_layer(self.net))
        where = f"epoch {epoch}" + (f", batch {batch}" if batch else "")
        at = f"; the first non-finite values appeared in {layer}" if layer else ""
        if layer is None and what == "loss":
            # Every output is finite but too large for the loss (its square overflows).
            out = self.net._acts[-1]
            peak = float(np.max(np.abs(out))) if out is not None and out.size else math.nan
            layer = f"{self.net.layers[self.net.output_id].owner} (its output)"
            at = (f"; the outputs of {self.net.layers[self.net.output_id].owner} grew too "
                  f"large for the loss (up to {peak:.3g})")
        node = next((n for n in self.net.order  # (ids may contain quotes: match owners)
                     if layer and layer.startswith(self.net.layers[n].owner + " (")), None)
        became = "NaN/Inf" if what in ("gradient", "weights") else value
        return DivergenceError(
            f"training diverged: the {what} became {became}"
            f" at {where}{at}. The weights from the last good epoch were restored. "
            + _SUGGESTION, layer=node, epoch=epoch, batch=batch)


def first_nonfinite_layer(net: Network) -> str | None:
    """Name (``Dense 'h2'``) of the first layer whose output, or failing that whose
    gradients, hold NaN/Inf after the last forward/backward pass."""
    for node_id, act in zip(net.order, net._acts):
        if act is not None and act.dtype.kind == "f" and not np.isfinite(act).all():
            if net.layers[node_id].max_inputs == 0:
                continue
            return f"{net.layers[node_id].owner} (its output)"
    for node_id in reversed(net.order):
        for sl in net.layer_grad_slices.get(node_id, []):
            if not np.isfinite(net.grads_flat[sl]).all():
                return f"{net.layers[node_id].owner} (its gradient)"
    return None


def first_nonfinite_weights(net: Network) -> str | None:
    """Name (``Dense 'h2' (its weights)``) of the first layer, in execution order, that holds
    NaN/Inf weights or state."""
    rank = {n: i for i, n in enumerate(net.order)}
    bad = [s.node_id for s in net.slots
           if not np.isfinite(net.params_flat[s.start:s.stop]).all()]
    if not bad:
        return None
    return f"{net.layers[min(bad, key=rank.__getitem__)].owner} (its weights)"


def _sum_sq(v: np.ndarray) -> float:
    """Sum of squares of ``v``; infinite only when ``v`` holds NaN/Inf (a float32 dot product
    overflows from values of about 1e19, so that case is redone in float64)."""
    s = float(np.dot(v, v))
    if s == math.inf and v.dtype != np.float64:
        s = float(np.dot(v.astype(np.float64), v.astype(np.float64)))
    return s


def _total_sum_squares(t: np.ndarray) -> float:
    t64 = t.astype(np.float64).reshape(len(t), -1)
    return float(((t64 - t64.mean(axis=0)) ** 2).sum())


def _regression_metrics(sse: float, t: np.ndarray, sst: float | None = None) -> dict:
    if sst is None:
        sst = _total_sum_squares(t)
    rmse = math.sqrt(sse / max(t.size, 1))
    r2 = 1.0 - sse / sst if sst > 0 else 0.0
    return {"rmse": rmse, "r2": r2}
