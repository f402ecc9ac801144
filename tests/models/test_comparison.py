"""Comparing runs without Qt: the differing settings and their short names, the numbers a
runs table shows (a fork's best epoch counted over the life of its weights), the best run,
and the CSV texts."""

from __future__ import annotations

import csv
import io

from app.examples import builtin_spiral
from app.models.comparison import (
    best_run,
    curves_csv,
    differing,
    metrics_csv,
    run_numbers,
    short_name,
    show_value,
)
from app.models.runs import RunRecord
from nncore.events import EpochEnd, History, TrainingFinished


def _run(number: int, lr: float, losses: list[float], parent=None, start=0) -> RunRecord:
    project = builtin_spiral()
    project.training = project.training.replace(learning_rate=lr)
    run = RunRecord(number, "#000", project, project.training, start_epoch=start,
                    continued=parent is not None, task="classification", parent=parent,
                    resumed_from=start if parent is not None else 0)
    base = start if parent is not None else 0  # a fork's engine counts from its parent's
    events = [EpochEnd(base + i + 1, 10, 1.0, v, {"accuracy": 0.5}, {"accuracy": 0.6 + i / 100},
                       lr, {}, {}, 0.1, 0, 0.0) for i, v in enumerate(losses)]
    run.curves.add_epochs(events)
    h = History()
    for e in events:
        h.add(e)
    best = min(range(len(losses)), key=lambda i: losses[i])
    run.finished = TrainingFinished("completed", base + len(losses), base + best + 1,
                                    losses[best], 1.0, h)
    run.status = "completed"
    return run


def test_short_names_and_values():
    assert short_name("training.learning_rate") == "learning_rate"
    assert short_name("training.optimizer_params.momentum") == "optimizer.momentum"
    assert short_name("network.nodes.dense1.params.units") == "dense1.units"
    assert short_name("network.nodes.dense1.frozen") == "dense1.frozen"
    assert short_name("data.params.noise") == "data noise"
    assert [show_value(v) for v in (None, True, 0.001, "adam", [3, 3])] == \
        ["–", "on", "0.001", "adam", "[3, 3]"]


def test_differences_numbers_and_the_best_run():
    a, b = _run(1, 0.01, [0.9, 0.5, 0.6]), _run(2, 0.1, [0.8, 0.7, 0.4])
    diffs = differing([a, b])
    assert [(d.path, d.values) for d in diffs] == [("training.learning_rate", [0.01, 0.1])]
    assert differing([a]) == []
    n = run_numbers(a)
    assert (n.final_loss, n.best_epoch, n.best_loss, n.monitored) == (0.6, 2, 0.5,
                                                                       "validation")
    assert n.final_metric == 0.62
    assert best_run([a, b]) is b


def test_a_forks_epochs_count_on_from_its_parent():
    fork = _run(3, 0.01, [0.45, 0.3], parent=(1, 3), start=3)
    assert fork.lineage == "Run 3 ← Run 1 @ epoch 3"
    assert list(fork.curves.epoch.data) == [4, 5]
    assert run_numbers(fork).best_epoch == 5
    assert fork.epochs_done == 2


def test_csv_texts():
    a, b = _run(1, 0.01, [0.9, 0.5]), _run(2, 0.1, [0.8, 0.7])
    rows = list(csv.DictReader(io.StringIO(metrics_csv([a, b], {1: 1.5, 2: 2.0}))))
    assert [r["training.learning_rate"] for r in rows] == ["0.01", "0.1"]
    assert [float(r["final_val_loss"]) for r in rows] == [0.5, 0.7]
    assert [r["best_epoch"] for r in rows] == ["2", "2"]
    assert [r["seconds"] for r in rows] == ["1.500", "2.000"]
    curves = list(csv.DictReader(io.StringIO(curves_csv([a, b]))))
    assert [(c["run"], c["epoch"], float(c["val_loss"])) for c in curves] == \
        [("1", "1", 0.9), ("1", "2", 0.5), ("2", "1", 0.8), ("2", "2", 0.7)]
