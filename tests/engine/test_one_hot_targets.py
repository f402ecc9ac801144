"""A regression loss on class labels: the labels become one-hot rows, the run reports
accuracy besides RMSE, and a network without one output per class is refused."""

from __future__ import annotations

import numpy as np
import pytest

from nncore.errors import DataError, SpecError
from nncore.lessons.base import train
from nncore.lessons.projects import chain, dense_stack, synthetic
from nncore.losses import get_loss
from nncore.metrics import MetricsAccumulator
from nncore.one_hot import OneHotTargets, one_hot
from nncore.run import build_network, check_run, prepare_data


def _project(loss: str, outputs: int = 2, activation: str = "softmax"):
    return chain("t", "", dense_stack([8], "tanh", outputs, activation),
                 synthetic("xor", n_samples=200, noise=0.1),
                 {"loss": loss, "optimizer": "adam", "learning_rate": 0.03,
                  "batch_size": 16, "epochs": 30})


def test_labels_become_one_hot_rows():
    assert one_hot(np.array([1, 0, 2]), 3).tolist() == [[0, 1, 0], [1, 0, 0], [0, 0, 1]]
    with pytest.raises(DataError, match="0..1"):
        one_hot(np.array([0, 2]), 2)
    with pytest.raises(DataError, match="whole numbers"):
        one_hot(np.array([0.5]), 2)


def test_the_loss_is_squared_error_against_the_one_hot_rows():
    loss = OneHotTargets(get_loss("mse"), 2)
    t = loss.check_targets(np.array([0, 1]), (2,))
    out = np.array([[0.9, 0.1], [0.4, 0.6]], dtype=np.float32)
    # ((0.1^2 + 0.1^2) + (0.4^2 + 0.4^2)) / 4 values
    assert loss.forward(out, t) == pytest.approx((0.02 + 0.32) / 4, rel=1e-6)
    assert np.allclose(loss.backward(), 2 * (out - t) / 4)


def test_metrics_report_accuracy_and_rmse():
    loss = OneHotTargets(get_loss("mse"), 2)
    t = loss.check_targets(np.array([0, 1, 1]), (2,))
    out = np.array([[0.9, 0.1], [0.7, 0.3], [0.2, 0.8]])
    acc = MetricsAccumulator(loss, t, exact=True)
    acc.add(out, t, loss.forward(out, t))
    _, metrics = acc.result()
    assert metrics["accuracy"] == pytest.approx(2 / 3)
    assert metrics["rmse"] == pytest.approx(np.sqrt(np.mean((out - t) ** 2)))


def test_a_run_with_squared_error_on_classes_learns_and_reports_accuracy():
    run = train(_project("mse"))
    assert run.final("val_accuracy") >= 0.9
    assert {"accuracy", "rmse", "r2"} <= set(run.epochs[-1].val_metrics)


def test_cross_entropy_runs_report_accuracy_only():
    run = train(_project("categorical_crossentropy"), epochs=2)
    assert set(run.epochs[-1].val_metrics) == {"accuracy"}


def test_one_output_per_class_is_required():
    project = _project("mse", outputs=3, activation="linear")
    with pytest.raises(SpecError, match="give it 2 units"):
        check_run(build_network(project), prepare_data(project.data), project.training)
