"""Comparing runs, without Qt: the settings that differ between runs (from
:func:`nncore.compare.differences`), short names for them, the values a runs table shows
(final and best metrics), the best run, and the CSV texts of the metrics and the curves.

A run's settings are those of its project snapshot with the training settings in effect
at its end (a learning rate changed while it ran counts as changed).
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, replace
from typing import Any

from app.models.runs import RunRecord
from nncore.compare import Difference, settings, settings_differences


def run_project(run: RunRecord) -> Any:
    """``run``'s project with the training settings it ended with."""
    return replace(run.project, training=run.settings or run.config)


def _kinds_and_values(run: RunRecord) -> dict[str, tuple[Any, Any]]:
    """``nncore.compare.settings`` of the run, kept on the record while its settings
    object is the same: a table refilled after every run of a sweep would otherwise build
    every run's layers again each time."""
    cfg = run.settings or run.config
    if run.compared is None or run.compared[0] is not cfg:
        run.compared = (cfg, settings(run_project(run)))
    return run.compared[1]


def run_settings(run: RunRecord) -> dict[str, Any]:
    """Every setting of ``run`` by its path in the project file (defaults filled in)."""
    return {path: value for path, (_kind, value) in _kinds_and_values(run).items()}


def differing(runs: list[RunRecord]) -> list[Difference]:
    """The settings whose value is not the same in all ``runs`` (none for fewer than 2)."""
    if len(runs) < 2:
        return []
    return settings_differences([_kinds_and_values(r) for r in runs])


def short_name(path: str) -> str:
    """A column title for a setting's path: ``training.learning_rate`` -> "learning_rate",
    ``network.nodes.dense1.params.units`` -> "dense1.units", ``data.params.noise`` ->
    "data noise", ``network.edges.a->b`` -> "a->b"."""
    parts = path.split(".")
    if parts[0] == "training":
        return ".".join(parts[1:]).replace("_params.", ".")
    if parts[0] == "data":
        return "data " + ".".join(p for p in parts[1:] if p != "params")
    if parts[:2] == ["network", "nodes"]:
        return ".".join(p for p in parts[2:] if p != "params") + \
            (" (layer)" if len(parts) == 3 else "")
    if parts[:2] == ["network", "edges"]:
        return ".".join(parts[2:])
    return path


def show_value(value: Any) -> str:
    """A setting's value as a table shows it ("–" where a run lacks the setting)."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return value
    return json.dumps(value)


@dataclass
class RunNumbers:
    """What the runs table shows of a run's results (None: not there yet)."""

    final_loss: float | None
    final_metric: float | None
    best_epoch: int | None
    best_loss: float | None
    #: The monitored loss: "validation" or "training".
    monitored: str


def run_numbers(run: RunRecord) -> RunNumbers:
    """The final loss and metric (validation when the run has a validation split, else
    training) and the best epoch (counted as the curves count) and its loss."""
    m = run.final_metrics()
    split = "val" if "val_loss" in m else "train"
    metric = metric_key(run)
    best = run.best()
    return RunNumbers(m.get(f"{split}_loss"), m.get(f"{split}_{metric}"),
                      run.best_x() if best is not None else None,
                      best[1] if best is not None else None,
                      "validation" if split == "val" else "training")


def metric_key(run: RunRecord) -> str:
    """The metric the table compares: accuracy, or R² for a regression run that has it
    (a finished run), else RMSE."""
    if run.metric == "accuracy":
        return "accuracy"
    return "r2" if any(k.endswith("_r2") for k in run.final_metrics()) else "rmse"


def best_run(runs: list[RunRecord]) -> RunRecord | None:
    """The finished run with the lowest best monitored loss (the first of equals); None
    when fewer than two runs have one."""
    scored = [(n.best_loss, i, r) for i, r in enumerate(runs) if not r.active
              for n in [run_numbers(r)] if n.best_loss is not None
              and math.isfinite(n.best_loss)]
    if len(scored) < 2:
        return None
    return min(scored, key=lambda t: (t[0], t[1]))[2]


def _cell(v: float | None) -> str:
    return "" if v is None or not math.isfinite(v) else repr(float(v))


def metrics_csv(runs: list[RunRecord], seconds: dict[int, float] | None = None) -> str:
    """One row per run: run, parent, status, every differing setting (by path), epochs,
    the final losses and metrics of both splits, best epoch and loss, seconds."""
    diffs = differing(runs)
    names: list[str] = []
    for r in runs:
        names += [k for k in r.final_metrics() if k not in names]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["run", "parent", "status", *(d.path for d in diffs), "epochs",
                *(f"final_{n}" for n in names), "best_epoch", "best_loss", "seconds"])
    for i, r in enumerate(runs):
        m, nums = r.final_metrics(), run_numbers(r)
        t = (seconds or {}).get(r.number, r.active_time)
        w.writerow([r.number, r.parent[0] if r.parent else "", r.status,
                    *(json.dumps(d.values[i]) if not isinstance(d.values[i], str)
                      else d.values[i] for d in diffs), r.epochs_done,
                    *(_cell(m.get(n)) for n in names),
                    "" if nums.best_epoch is None else nums.best_epoch,
                    _cell(nums.best_loss), f"{t:.3f}"])
    return buf.getvalue()


def curves_csv(runs: list[RunRecord]) -> str:
    """One row per run and epoch: run, epoch (counted over the life of the weights),
    training and validation loss and metric, learning rate."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["run", "epoch", "train_loss", "val_loss", "metric", "train_metric",
                "val_metric", "lr"])
    for r in runs:
        c = r.curves
        for i in range(len(c)):
            w.writerow([r.number, int(c.epoch.data[i]), _cell(c.train_loss.data[i]),
                        _cell(c.val_loss.data[i]), r.metric, _cell(c.train_metric.data[i]),
                        _cell(c.val_metric.data[i]), _cell(c.lr.data[i])])
    return buf.getvalue()
