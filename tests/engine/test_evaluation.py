"""Evaluation of trained weights (nncore.evaluation) against metrics computed here from the
network's predictions: loss, confusion matrix, precision, recall, F1 and support for
softmax and single-sigmoid classifiers; RMSE, MAE and R² in the targets' own units for a
regression with standardized targets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nncore.errors import DataError
from nncore.evaluation import class_scores, evaluate_split
from nncore.project import load_project
from nncore.run import train_project

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def trained(name: str, epochs: int, edit=None):
    project = load_project(EXAMPLES / f"{name}.json")
    if edit is not None:
        edit(project)
    result = train_project(project, EXAMPLES, epochs=epochs)
    return project, result


def reference_scores(true: np.ndarray, pred: np.ndarray, k: int):
    confusion = np.zeros((k, k), int)
    for t, p in zip(true, pred):
        confusion[t, p] += 1
    rows = []
    for c in range(k):
        tp = sum(1 for t, p in zip(true, pred) if t == c and p == c)
        predicted = sum(1 for p in pred if p == c)
        present = sum(1 for t in true if t == c)
        precision = tp / predicted if predicted else 0.0
        recall = tp / present if present else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append((precision, recall, f1, present))
    return confusion, rows


def test_softmax_classifier_against_hand_computed_scores():
    project, result = trained("iris", 15)
    net, data = result.network, result.data
    ev = evaluate_split(net, data, project.training.loss)
    probs = np.asarray(net.predict(data.val.X), np.float64)
    true = data.val.y
    pred = probs.argmax(axis=1)
    confusion, rows = reference_scores(true, pred, 3)
    np.testing.assert_array_equal(ev.confusion, confusion)
    for got, (p, r, f, s) in zip(ev.per_class, rows):
        assert (got.precision, got.recall, got.f1, got.support) == pytest.approx((p, r, f, s))
    assert [c.name for c in ev.per_class] == data.class_names
    assert ev.metrics["accuracy"] == pytest.approx(np.mean(pred == true))
    ce = -np.mean(np.log(probs[np.arange(len(true)), true]))
    assert ev.loss == pytest.approx(ce, rel=1e-4)
    assert ev.loss == pytest.approx(result.finished.history.val_loss[-1], rel=1e-12)
    support = np.array([r[3] for r in rows])
    assert ev.macro["f1"] == pytest.approx(np.mean([r[2] for r in rows]))
    assert ev.weighted["recall"] == pytest.approx(
        np.dot(support, [r[1] for r in rows]) / support.sum())
    train = evaluate_split(net, data, project.training.loss, "train")
    assert train.n == len(data.train.y) and train.split == "train"


def test_single_sigmoid_classifier():
    def binary(p):
        p.graph.node("dense2").params.update(units=1, activation="sigmoid")
        p.training = p.training.replace(loss="binary_crossentropy")
    project, result = trained("xor", 10, binary)
    net, data = result.network, result.data
    ev = evaluate_split(net, data, "binary_crossentropy")
    p1 = np.asarray(net.predict(data.val.X), np.float64)[:, 0]
    pred = (p1 > 0.5).astype(int)
    confusion, rows = reference_scores(data.val.y, pred, 2)
    np.testing.assert_array_equal(ev.confusion, confusion)
    np.testing.assert_array_equal(ev.predictions, pred)
    y = data.val.y
    bce = -np.mean(y * np.log(p1) + (1 - y) * np.log(1 - p1))
    assert ev.loss == pytest.approx(bce, rel=1e-4)


def test_regression_metrics_are_in_the_targets_units():
    project, result = trained("regression", 10)
    net, data = result.network, result.data
    assert data.target_std is not None  # the example standardizes its targets
    ev = evaluate_split(net, data, "mse")
    pred = np.asarray(net.predict(data.val.X), np.float64) * data.target_std + data.target_mean
    true = data.val.y.astype(np.float64) * data.target_std + data.target_mean
    err = (pred - true).ravel()
    assert ev.metrics["rmse"] == pytest.approx(np.sqrt(np.mean(err ** 2)), rel=1e-6)
    assert ev.metrics["mae"] == pytest.approx(np.mean(np.abs(err)), rel=1e-6)
    r2 = 1 - np.sum(err ** 2) / np.sum((true - true.mean()) ** 2)
    assert ev.metrics["r2"] == pytest.approx(r2, rel=1e-6)
    assert ev.loss == pytest.approx(result.finished.history.val_loss[-1], rel=1e-12)
    np.testing.assert_allclose(ev.predictions, pred, rtol=1e-5)
    assert ev.confusion is None and "predictions" not in ev.to_dict()
    e = (np.asarray(net.predict(data.val.X), np.float64) - data.val.y).ravel()
    huber = evaluate_split(net, data, "huber", loss_params={"delta": 0.1})
    want = np.mean(np.where(np.abs(e) <= 0.1, 0.5 * e ** 2, 0.1 * (np.abs(e) - 0.05)))
    assert huber.loss == pytest.approx(want, rel=1e-5)
    assert huber.metrics == ev.metrics


def test_a_class_never_predicted_scores_zero():
    rows, macro, weighted = class_scores(np.array([[2, 0], [1, 0]]), ["a", "b"])
    assert (rows[0].precision, rows[0].recall, rows[0].f1) == pytest.approx((2 / 3, 1, 0.8))
    assert (rows[1].precision, rows[1].recall, rows[1].f1, rows[1].support) == (0, 0, 0, 1)
    assert macro["f1"] == pytest.approx(0.4) and weighted["f1"] == pytest.approx(1.6 / 3)


def test_missing_or_unknown_split():
    project, result = trained("xor", 1)
    with pytest.raises(DataError, match="no test split"):
        evaluate_split(result.network, result.data, "categorical_crossentropy", "test")
    with pytest.raises(DataError, match="split must be one of"):
        evaluate_split(result.network, result.data, "categorical_crossentropy", "dev")
