"""How a run is named and counted (issue 12, no Qt): one epoch count for the history and the
summary, losses never shown as 0 when they are not, a label that follows a learning rate
changed while the run trained, and the metric of a project's loss."""

from __future__ import annotations

import math

import pytest

from app.examples import builtin_spiral
from app.models.runs import (
    RunRecord,
    format_loss,
    format_metric,
    metric_of,
    run_label,
    task_of,
)
from nncore.events import EpochEnd


def _epoch(e: int, loss: float) -> EpochEnd:
    return EpochEnd(e, 10, loss, loss, {"accuracy": 0.5}, {"accuracy": 0.5}, 0.01, {}, {},
                    0.1 * e, 0, 0.0)


def _run(start_epoch: int = 0, continued: bool = False) -> RunRecord:
    project = builtin_spiral()
    return RunRecord(1, "#000", project, project.training, start_epoch=start_epoch,
                     continued=continued, task="classification")


@pytest.mark.parametrize("value, text", [
    (0.5248, "0.5248"), (12.345, "12.35"), (0.001, "0.001"), (0.000999, "9.99e-04"),
    (2.345e-5, "2.35e-05"), (3e-9, "3.00e-09"), (123456.0, "1.23e+05"), (0.0, "0"),
    (math.nan, "–"), (None, "–"), (math.inf, "–"),
])
def test_losses_are_never_shown_as_zero_unless_they_are(value, text):
    assert format_loss(value) == text


def test_a_small_rmse_is_not_shown_as_zero():
    assert format_metric("rmse", 4.2e-6) == "4.20e-06"
    assert format_metric("accuracy", 0.9876) == "98.8%"


def test_one_epoch_count_for_the_history_and_the_summary():
    """A run that continued from epoch 8559 and trained 3000 epochs: both say 3000, and
    where it continued from."""
    run = _run(start_epoch=8559, continued=True)
    run.curves.add_epochs([_epoch(e, 1.0 / e) for e in range(1, 3001)])
    run.status = "completed"
    assert run.epochs_done == 3000
    assert run.epochs_text() == "3000 from epoch 8559"
    assert "3000 epochs from epoch 8559 in" in run.summary()
    fresh = _run()
    fresh.curves.add_epochs([_epoch(1, 0.3)])
    assert fresh.epochs_text() == "1" and "1 epoch in" in fresh.summary()


def test_the_summary_shows_a_tiny_best_loss():
    run = _run()
    run.curves.add_epochs([_epoch(1, 0.1), _epoch(2, 3.2e-6)])
    run.status = "completed"
    assert "best validation loss 3.20e-06 at epoch 2" in run.summary()


def test_the_label_follows_a_live_learning_rate_change():
    run = _run()
    project = run.project
    assert run.label == "tanh · adam 0.01" == run_label(project)
    run.settings = run.config.replace(learning_rate=0.001)
    assert run.label == "tanh · adam 0.01 → 0.001"
    assert run.title == "Run 1: tanh · adam 0.01 → 0.001"
    assert "lr 0.01 → 0.001" in run.settings_text()
    run.settings = run.config.replace(learning_rate=0.01)  # changed back
    assert run.label == "tanh · adam 0.01"


def test_the_metric_follows_the_loss():
    cfg = builtin_spiral().training
    assert task_of(cfg) == "classification" and metric_of("classification") == "accuracy"
    assert task_of(cfg.replace(loss="mse")) == "regression" and metric_of("regression") == \
        "rmse"
