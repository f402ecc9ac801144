"""One record per press of Train: its settings, its live curves, how it ended and a copy of
its final weights; and how the window names and formats runs. Nothing here imports Qt; the
run controller fills the records on the GUI thread."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from app.models.curves import RunCurves
from nncore.config import TrainingConfig
from nncore.events import Diverged, TrainingFinished, TrainingStarted
from nncore.project import Project
from nncore.run import PreparedData

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


def task_of(config: TrainingConfig) -> str:
    """"classification" or "regression": what the loss of ``config`` trains for."""
    return config.task


def metric_of(task: str) -> str:
    """The metric the window shows for ``task``: "accuracy" or "rmse"."""
    return "accuracy" if task == "classification" else "rmse"


def metric_title(metric: str) -> str:
    return "accuracy" if metric == "accuracy" else "RMSE"


def run_label(project: Project, config: TrainingConfig | None = None,
              settings: TrainingConfig | None = None) -> str:
    """How the history names a run: hidden activations, optimizer and learning rate
    (``config``: the settings it started with, the project's by default); a learning rate
    changed while the run trained shows as "sgd 0.1 → 0.01" (``settings``: the settings in
    effect now)."""
    cfg = config if config is not None else project.training
    acts = " + ".join(hidden_activations(project)) or "linear"
    lr = f"{cfg.learning_rate:g}"
    if settings is not None and settings.learning_rate != cfg.learning_rate:
        lr += f" → {settings.learning_rate:g}"
    return f"{acts} · {cfg.optimizer} {lr}"


@dataclass
class RunRecord:
    """One run: what it trained (a snapshot of the project, and a copy of the settings it
    started with: the trainer changes the snapshot's settings in place when they change
    while it runs), how far it got, how it ended, and its curves and final weights."""

    number: int
    color: str
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
    #: The settings in effect now: ``config`` with the live changes made while it ran.
    settings: TrainingConfig | None = None
    #: A fork: (the parent run's number, the epoch it was forked at, as the curves count).
    parent: tuple[int, int] | None = None
    #: The epoch of the checkpoint a fork's trainer resumed: the engine counts on from it
    #: (0: a trainer that counts from 0).
    resumed_from: int = 0
    #: The sweep it belongs to ("Sweep 1, run 2 of 4") and the settings the sweep set.
    sweep: str = ""
    sweep_settings: dict | None = None
    #: Where the run ended (:class:`nncore.checkpoint.Checkpoint`), to save or fork it.
    checkpoint: object = None
    #: (settings object, ``nncore.compare.settings``) kept by app.models.comparison.
    compared: tuple | None = field(default=None, repr=False, compare=False)
    curves: RunCurves = field(init=False)

    def __post_init__(self) -> None:
        self.curves = RunCurves(self.epoch_base, self.metric)
        if self.settings is None:
            self.settings = self.config

    def started(self, ev: TrainingStarted) -> None:
        """Training began (the engine's TrainingStarted)."""
        self.status = "running"
        self.epochs_planned = self.engine_epochs(ev.epochs)
        self.steps_per_epoch = ev.steps_per_epoch
        self.n_train, self.n_val = ev.n_train, ev.n_val
        self.curves.started(ev)

    @property
    def epoch_base(self) -> int:
        """What turns the engine's epoch numbers into the curves' epochs: a run's trainer
        counts from 0, a fork's from its checkpoint's epoch."""
        return self.start_epoch - self.resumed_from

    def engine_epochs(self, epoch: int) -> int:
        """A count of the engine's epochs (a TrainingFinished's) as this run's own."""
        return epoch - self.resumed_from

    @property
    def label(self) -> str:
        """Hidden activations, optimizer and learning rate (following live changes)."""
        return run_label(self.project, self.config, self.settings)

    @property
    def name(self) -> str:
        return f"Run {self.number}"

    @property
    def lineage(self) -> str:
        """"Run 3", or "Run 3 ← Run 1 @ epoch 5" for a fork."""
        if self.parent is None:
            return self.name
        return f"{self.name} ← Run {self.parent[0]} @ epoch {self.parent[1]}"

    @property
    def title(self) -> str:
        return f"Run {self.number}: {self.label}"

    @property
    def metric(self) -> str:
        return metric_of(self.task)

    @property
    def epochs_done(self) -> int:
        """The epochs this run trained (the progress, the history and the summary count
        these; its curves count on from ``start_epoch`` when it continued)."""
        return len(self.curves)

    def epochs_text(self) -> str:
        """The run's epoch count as the history and the summary show it: "300", or
        "300 from epoch 7458" for a run that continued earlier weights."""
        n = self.epochs_done
        return f"{n} from epoch {self.start_epoch}" if self.continued else str(n)

    @property
    def active(self) -> bool:
        return self.status in ("preparing", "running", "paused")

    def best(self) -> tuple[int, float] | None:
        """(epoch counted from the run's start, loss) of the best monitored loss."""
        if self.finished is not None and self.finished.best_epoch:
            return (self.engine_epochs(self.finished.best_epoch),
                    float(self.finished.best_loss))
        c = self.curves
        if not len(c):
            return None
        monitored = c.val_loss.data if np.isfinite(c.val_loss.data).any() else \
            c.train_loss.data
        if not np.isfinite(monitored).any():
            return None
        i = int(np.nanargmin(monitored))
        return int(c.epoch.data[i] - self.start_epoch), float(monitored[i])

    def best_x(self) -> int | None:
        """The best epoch as the curves count it (over the life of the weights)."""
        best = self.best()
        return None if best is None else self.start_epoch + best[0]

    def final_metrics(self) -> dict[str, float]:
        """The last epoch's losses and metrics (with R² for a finished regression run)."""
        fin = self.finished
        if fin is not None and len(fin.history) and self.epochs_done:
            h = fin.history
            out = {"train_loss": float(h.train_loss[-1])}
            out.update({f"train_{k}": float(v) for k, v in h.train_metrics[-1].items()})
            if h.val_loss[-1] is not None:
                out["val_loss"] = float(h.val_loss[-1])
                out.update({f"val_{k}": float(v) for k, v in h.val_metrics[-1].items()})
            return out
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
            parts.append(f"best {what} loss {format_loss(best[1])} at epoch "
                         f"{self.start_epoch + best[0]}")
        n = self.epochs_done
        count = self.epochs_text().replace(str(n), f"{n} epoch{'s' if n != 1 else ''}", 1)
        parts.append(f"{count} in {format_duration(self.active_time)}")
        m = self.final_metrics()
        key = f"val_{self.metric}" if f"val_{self.metric}" in m else f"train_{self.metric}"
        if key in m:
            parts.append(f"{key.replace('_', ' ')} {format_metric(self.metric, m[key])}")
        return " · ".join(parts)

    def settings_text(self) -> str:
        cfg = self.config
        lr = f"{cfg.learning_rate:g}"
        if self.settings is not None and self.settings.learning_rate != cfg.learning_rate:
            lr += f" → {self.settings.learning_rate:g} (changed while it ran)"
        lines = [f"{cfg.loss.replace('_', ' ')}, {cfg.optimizer} lr {lr}"
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
        if self.parent is not None:
            lines.append(f"forked from Run {self.parent[0]} at epoch {self.parent[1]}")
        elif self.continued:
            lines.append(f"continued from epoch {self.start_epoch}")
        if self.sweep:
            lines.append(self.sweep)
        return "\n".join(lines)


def format_loss(value: float | None) -> str:
    """A loss (or another positive value) that is never shown as 0 unless it is 0: four
    significant digits, three in scientific notation below 1e-3 ("2.35e-05") or from
    1e5 on; "–" for none."""
    if value is None or not math.isfinite(value):
        return "–"
    a = abs(value)
    if a == 0:
        return "0"
    if a < 1e-3 or a >= 1e5:
        return f"{value:.2e}"
    return f"{value:.4g}"


def format_metric(metric: str, value: float) -> str:
    if not math.isfinite(value):
        return "–"
    return f"{value:.1%}" if metric == "accuracy" else format_loss(value)


def format_duration(seconds: float) -> str:
    s = max(0.0, float(seconds))
    if s < 10:
        return f"{s:.1f} s"
    s = int(round(s))
    if s < 3600:
        return f"{s // 60}:{s % 60:02d}"
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


