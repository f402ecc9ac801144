"""The live curves of one run: every value the plots draw, in growing buffers, filled on
the GUI thread from the worker's drained progress. Nothing here imports Qt."""

from __future__ import annotations

import math

import numpy as np

from app.models.buffers import DebiasedEMA, GrowingArray, ema_alpha
from nncore.events import Diverged, EpochEnd, TrainingStarted

#: Most per-batch points kept per epoch for the smoothed batch-loss curve.
BATCH_POINTS_PER_EPOCH = 40


def smoothed_norms(recent: np.ndarray) -> list[float]:
    """Per column of ``recent`` (samples x layers): 0 when at least half of the finite
    values are 0, else the geometric mean of the positive ones; NaN when none is finite."""
    out = []
    for col in np.asarray(recent, np.float64).T:
        col = col[np.isfinite(col)]
        positive = col[col > 0]
        if not col.size:
            out.append(math.nan)
        elif 2 * positive.size <= col.size:
            out.append(0.0)
        else:
            out.append(float(np.exp(np.mean(np.log(positive)))))
    return out


class RunCurves:
    """Everything the plots draw for one run, in growing buffers. ``x`` values are epochs
    counted over the life of the weights (a run that continues from earlier weights starts
    where the earlier run ended); per-batch values sit at fractional epochs."""

    def __init__(self, start_epoch: int, metric: str) -> None:
        self.start_epoch = start_epoch
        self.metric = metric
        self.epoch = GrowingArray()
        self.train_loss = GrowingArray()
        self.val_loss = GrowingArray()
        self.train_metric = GrowingArray()
        self.val_metric = GrowingArray()
        self.lr = GrowingArray()
        self.batch_x = GrowingArray(capacity=1024)
        self.batch_loss = GrowingArray(capacity=1024)  # smoothed (debiased EMA)
        self._ema = DebiasedEMA(0.1)
        self._stride = 1
        self._seen = 0
        self.layers: list[str] = []
        self.grad_x = GrowingArray()
        self.grad: GrowingArray | None = None
        self._grad_now: dict[str, float] | None = None
        self._weight_now: dict[str, float] = {}
        #: Training time (s) of the last gradient sample.
        self.last_grad_t = -1.0
        #: Incremented whenever data is added (plots redraw only when it moved).
        self.version = 0

    # -- filling (GUI thread) ------------------------------------------------------------
    def started(self, ev: TrainingStarted) -> None:
        self._ema = DebiasedEMA(ema_alpha(ev.steps_per_epoch))
        self._stride = max(1, -(-ev.steps_per_epoch // BATCH_POINTS_PER_EPOCH))

    def set_layers(self, layers: list[str]) -> None:
        if layers != self.layers:
            self.layers = list(layers)
            self.grad_x.clear()
            self.grad = GrowingArray(width=max(1, len(layers)))

    def add_batches(self, xs: np.ndarray, losses: np.ndarray) -> None:
        """Per-batch losses at fractional epochs ``xs``: smoothed (every value), then kept
        at most ``BATCH_POINTS_PER_EPOCH`` per epoch (a curve of a million batches would
        only cost drawing time; the smoothing makes the thinned curve look the same)."""
        n = len(xs)
        if not n:
            return
        smooth = self._ema.update(losses)
        stride = self._stride
        x = np.asarray(xs, np.float64)
        if stride > 1:
            keep = (self._seen + np.arange(n)) % stride == stride - 1
            x, smooth = x[keep], smooth[keep]
        self._seen += n
        self.batch_x.extend(x + self.start_epoch)
        self.batch_loss.extend(smooth)
        self.version += 1

    def add_grad_samples(self, samples: list) -> None:
        """GradSample-like objects (``x``, ``t``, ``grad_norms``, ``weight_norms``)."""
        if not samples:
            return
        if not self.layers:
            self.set_layers(list(samples[0].grad_norms))
        if self.grad is None:
            return
        nan = math.nan
        rows = [[s.grad_norms.get(k, nan) for k in self.layers] for s in samples]
        self.grad_x.extend([s.x + self.start_epoch for s in samples])
        self.grad.extend(rows)
        self.last_grad_t = samples[-1].t
        self._weight_now = samples[-1].weight_norms
        self._grad_now = None
        self.version += 1

    @property
    def grad_now(self) -> dict[str, float]:
        """Latest gradient norms per layer, smoothed over the last 8 samples: the geometric
        mean of the positive ones (robust to the noise of single batches); 0 for a layer
        whose norm was 0 in at least half of them (no gradient reaches it)."""
        if self._grad_now is None:
            if self.grad is None or not len(self.grad):
                self._grad_now = {}
            else:
                self._grad_now = dict(zip(self.layers, smoothed_norms(self.grad.data[-8:])))
        return self._grad_now

    @property
    def weight_now(self) -> dict[str, float]:
        return dict(self._weight_now)

    def add_epochs(self, evs: list[EpochEnd]) -> None:
        """Several epochs at once (one extend per buffer)."""
        nan = math.nan
        m = self.metric
        self.epoch.extend([self.start_epoch + e.epoch for e in evs])
        self.train_loss.extend([e.train_loss for e in evs])
        self.val_loss.extend([nan if e.val_loss is None else e.val_loss for e in evs])
        self.train_metric.extend([e.train_metrics.get(m, nan) for e in evs])
        self.val_metric.extend([e.val_metrics.get(m, nan) for e in evs])
        self.lr.extend([e.lr for e in evs])
        self.version += 1

    def diverged(self, ev: Diverged) -> None:
        """The epoch ``ev.epoch`` will be redone from restored weights: drop its batches."""
        keep_to = self.start_epoch + ev.epoch - 1
        n = int(np.searchsorted(self.batch_x.data, keep_to, side="right"))
        self.batch_x.truncate(n)
        self.batch_loss.truncate(n)
        m = int(np.searchsorted(self.grad_x.data, keep_to, side="right"))
        self.grad_x.truncate(m)
        if self.grad is not None:
            self.grad.truncate(m)
        self._ema.reset()
        self._grad_now = None
        self.version += 1

    # -- reading -------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.epoch)

    def value_at(self, x: float) -> dict[str, float] | None:
        """Values of the epoch nearest to ``x`` (for the cursor readout)."""
        if not len(self.epoch):
            return None
        e = self.epoch.data
        i = int(np.clip(np.searchsorted(e, x), 0, len(e) - 1))
        if i > 0 and abs(e[i - 1] - x) <= abs(e[i] - x):
            i -= 1
        out = {"epoch": float(e[i]), "train_loss": float(self.train_loss.data[i]),
               "val_loss": float(self.val_loss.data[i]),
               "train_metric": float(self.train_metric.data[i]),
               "val_metric": float(self.val_metric.data[i]), "lr": float(self.lr.data[i])}
        if len(self.batch_x):
            j = int(np.clip(np.searchsorted(self.batch_x.data, x), 0, len(self.batch_x) - 1))
            out["batch_loss"] = float(self.batch_loss.data[j])
        return out
