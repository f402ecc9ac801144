"""A run's curves and summary (no Qt): epochs, thinned and smoothed batch losses,
gradient samples, divergence, the best epoch and the one-line summary."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.examples import builtin_spiral
from app.models.curves import BATCH_POINTS_PER_EPOCH, RunCurves
from app.models.runs import RunRecord
from nncore.events import Diverged, EpochEnd, TrainingStarted


def _epoch(e: int, train: float, val: float | None, acc: float) -> EpochEnd:
    return EpochEnd(e, 10, train, val, {"accuracy": acc}, {"accuracy": acc} if val else {},
                    0.01, {}, {}, 0.1 * e, 0, 0.0)


class _Grad:
    def __init__(self, x: float, t: float, norms: dict[str, float]) -> None:
        self.x, self.t, self.grad_norms, self.weight_norms = x, t, norms, {"a": 1.0}


def test_epochs_count_on_from_the_start_epoch():
    c = RunCurves(start_epoch=4, metric="accuracy")
    c.add_epochs([_epoch(1, 0.9, 1.0, 0.5), _epoch(2, 0.7, None, 0.6)])
    assert list(c.epoch.data) == [5, 6] and len(c) == 2
    assert math.isnan(c.val_loss.data[1]) and c.val_metric.data[0] == 0.5
    v = c.value_at(5.4)
    assert v["epoch"] == 5 and v["train_loss"] == 0.9


def test_batch_losses_are_thinned_to_a_few_points_per_epoch():
    c = RunCurves(0, "accuracy")
    steps = 400
    c.started(TrainingStarted(epochs=2, steps_per_epoch=steps, n_train=4000, n_val=0))
    xs = np.arange(1, steps + 1) / steps
    c.add_batches(xs, np.full(steps, 2.0))
    assert len(c.batch_x) == BATCH_POINTS_PER_EPOCH
    assert np.allclose(c.batch_loss.data, 2.0)  # debiased: no pull towards 0


def test_gradient_samples_and_a_divergence_drop_the_redone_epoch():
    c = RunCurves(0, "accuracy")
    c.add_grad_samples([_Grad(0.5, 0.1, {"a": 1.0, "b": 1e-4}),
                        _Grad(1.5, 0.2, {"a": 4.0, "b": 4e-4})])
    assert c.layers == ["a", "b"] and c.grad.data.shape == (2, 2)
    assert c.grad_now["a"] == np.exp(np.mean(np.log([1.0, 4.0])))
    c.add_batches(np.array([0.5, 1.5]), np.array([1.0, 1.0]))
    c.diverged(Diverged(epoch=2, batch=3, layer="a", message="", restored_epoch=1))
    assert list(c.batch_x.data) == [0.5] and list(c.grad_x.data) == [0.5]


def test_summary_names_the_best_loss_and_the_final_metric():
    run = RunRecord(1, "#000", builtin_spiral(), builtin_spiral().training,
                    start_epoch=0, continued=False, task="classification")
    run.status = "completed"
    run.active_time = 3.0
    run.curves.add_epochs([_epoch(1, 0.9, 0.8, 0.5), _epoch(2, 0.7, 0.6, 0.75),
                           _epoch(3, 0.6, 0.7, 0.7)])
    assert run.best() == (2, 0.6)
    assert run.summary() == ("completed · best validation loss 0.6 at epoch 2 · 3 epochs "
                             "in 3.0 s · val accuracy 70.0%")


def test_a_layer_without_gradient_reads_zero_not_a_tiny_number():
    """Zero norms (a dead layer) stay 0 in the smoothed value the badges show, instead of
    the 1e-30 a floored logarithm made of them; a few zeros among positive norms (sparse
    batches) do not hide the layer's gradient."""
    c = RunCurves(0, "accuracy")
    c.add_grad_samples([_Grad(0.1 * i, 0.01 * i, {"a": 0.0, "b": 2.0, "c": 0.0 if i < 2
                                                    else 1e-3})
                        for i in range(8)])
    now = c.grad_now
    assert now["a"] == 0.0 and now["b"] == 2.0
    assert now["c"] == pytest.approx(1e-3)  # 6 of 8 positive: their geometric mean
    c.add_grad_samples([_Grad(1.0, 0.1, {"a": 1.0, "b": math.nan, "c": 0.0})])
    assert c.grad_now["a"] == 0.0  # 1 of 8 positive
    assert c.grad_now["b"] == 2.0  # NaN samples left out
