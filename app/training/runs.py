"""Run history: one :class:`RunRecord` per press of Train, with its settings, its live
curves (plot buffers), how it ended and a copy of its final weights. Nothing here imports
Qt; the session fills the records on the GUI thread."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from app.plots.buffers import DebiasedEMA, GrowingArray, ema_alpha
from nncore.config import TrainingConfig
from nncore.events import Diverged, EpochEnd, TrainingFinished, TrainingStarted
from nncore.losses import LOSSES
from nncore.project import Project
from nncore.run import PreparedData

#: Most per-batch points kept per epoch for the smoothed batch-loss curve.
BATCH_POINTS_PER_EPOCH = 40

#: Colours of runs in the history and in overlaid curves (colour-blind friendly order).
RUN_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b",
              "#e377c2", "#7f7f7f", "#bcbd22")

#: Status of a run -> how the history names it.
STATUS_TEXT = {"preparing": "preparing", "running": "running", "paused": "paused",
               "completed": "completed", "stopped": "stopped",
               "early_stopping": "stopped early", "diverged": "diverged",
               "failed": "failed"}


def hidden_activations(project: Project) -> list[str]:
    """Activations of the layers between the inputs and the output, in graph order, without
    repeats (a run's label: "relu", "sigmoid", "tanh + relu")."""
    g = project.graph
    targets = {e.target for e in g.edges}
    sources = {e.source for e in g.edges}
    outputs = targets - sources
    seen: list[str] = []
    for n in g.nodes:
        act = n.params.get("activation")
        if act is None and n.type in ("Dense", "Conv2D"):
            act = "linear"
        if act is None or n.id in outputs or act == "linear":
            continue
        if act not in seen:
            seen.append(act)
    return seen


def run_label(project: Project) -> str:
    cfg = project.training
    acts = " + ".join(hidden_activations(project)) or "linear"
    return f"{acts} · {cfg.optimizer} {cfg.learning_rate:g}"


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

    def add_batches(self, xs, losses) -> None:
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
        """Latest gradient norms per layer, smoothed over the last 8 samples (geometric
        mean, robust to the noise of single batches)."""
        if self._grad_now is None:
            if self.grad is None or not len(self.grad):
                self._grad_now = {}
            else:
                recent = self.grad.data[-8:]
                with np.errstate(divide="ignore", invalid="ignore"):
                    now = np.exp(np.nanmean(np.log(np.maximum(recent, 1e-30)), axis=0))
                self._grad_now = dict(zip(self.layers, now.tolist()))
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


@dataclass
class RunRecord:
    number: int
    color: str
    label: str
    project: Project
    config: TrainingConfig
    start_epoch: int
    continued: bool
    task: str
    status: str = "preparing"
    epochs_planned: int = 0
    started_at: float = field(default_factory=time.time)
    #: Seconds spent training (pauses excluded).
    active_time: float = 0.0
    data: PreparedData | None = None
    finished: TrainingFinished | None = None
    diverged: Diverged | None = None
    error: str | None = None
    error_node: str | None = None
    #: Copy of the final weights (``Network.get_weights()`` keys), once the run has ended.
    weights: dict[str, np.ndarray] | None = None
    steps_per_epoch: int = 0
    n_train: int = 0
    n_val: int = 0
    last_lr: float | None = None
    curves: RunCurves = field(init=False)

    def __post_init__(self) -> None:
        self.curves = RunCurves(self.start_epoch, self.metric)

    @property
    def name(self) -> str:
        return f"Run {self.number}"

    @property
    def title(self) -> str:
        return f"Run {self.number}: {self.label}"

    @property
    def metric(self) -> str:
        return "accuracy" if self.task == "classification" else "rmse"

    @property
    def epochs_done(self) -> int:
        return len(self.curves)

    @property
    def active(self) -> bool:
        return self.status in ("preparing", "running", "paused")

    def best(self) -> tuple[int, float] | None:
        """(epoch counted from the run's start, loss) of the best monitored loss."""
        if self.finished is not None and self.finished.best_epoch:
            return self.finished.best_epoch, self.finished.best_loss
        c = self.curves
        if not len(c):
            return None
        monitored = c.val_loss.data if np.isfinite(c.val_loss.data).any() else \
            c.train_loss.data
        if not np.isfinite(monitored).any():
            return None
        i = int(np.nanargmin(monitored))
        return int(c.epoch.data[i] - self.start_epoch), float(monitored[i])

    def final_metrics(self) -> dict[str, float]:
        c = self.curves
        if not len(c):
            return {}
        out = {"train_loss": float(c.train_loss.last()),
               f"train_{self.metric}": float(c.train_metric.last())}
        v = float(c.val_loss.last())
        if math.isfinite(v):
            out["val_loss"] = v
            out[f"val_{self.metric}"] = float(c.val_metric.last())
        return out

    def summary(self) -> str:
        """One line: how it ended, best validation loss and epoch, time, final metrics."""
        parts = [STATUS_TEXT.get(self.status, self.status)]
        best = self.best()
        has_val = math.isfinite(float(self.curves.val_loss.last())) if len(self.curves) \
            else False
        if best is not None:
            what = "validation" if has_val else "training"
            parts.append(f"best {what} loss {best[1]:.4g} at epoch "
                         f"{self.start_epoch + best[0]}")
        parts.append(f"{self.epochs_done} epoch{'s' if self.epochs_done != 1 else ''} in "
                     f"{format_duration(self.active_time)}")
        m = self.final_metrics()
        key = f"val_{self.metric}" if f"val_{self.metric}" in m else f"train_{self.metric}"
        if key in m:
            parts.append(f"{key.replace('_', ' ')} {format_metric(self.metric, m[key])}")
        return " · ".join(parts)

    def settings_text(self) -> str:
        cfg = self.config
        lines = [f"{cfg.loss.replace('_', ' ')}, {cfg.optimizer} lr {cfg.learning_rate:g}"
                 f" ({cfg.schedule}), batch {cfg.batch_size}, {cfg.epochs} epochs"]
        extra = []
        if cfg.l1:
            extra.append(f"L1 {cfg.l1:g}")
        if cfg.l2:
            extra.append(f"L2 {cfg.l2:g}")
        if cfg.clip_norm is not None:
            extra.append(f"clip {cfg.clip_norm:g}")
        if cfg.early_stopping:
            extra.append(f"early stopping (patience {cfg.patience})")
        if extra:
            lines.append(", ".join(extra))
        if self.continued:
            lines.append(f"continued from epoch {self.start_epoch}")
        return "\n".join(lines)


def metric_for_loss(loss: str) -> str:
    return "accuracy" if LOSSES[loss].task == "classification" else "rmse"


def format_metric(metric: str, value: float) -> str:
    if not math.isfinite(value):
        return "–"
    return f"{value:.1%}" if metric == "accuracy" else f"{value:.4g}"


def format_duration(seconds: float) -> str:
    s = max(0.0, float(seconds))
    if s < 10:
        return f"{s:.1f} s"
    s = int(round(s))
    if s < 3600:
        return f"{s // 60}:{s % 60:02d}"
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


