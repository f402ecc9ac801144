"""The lesson on loss functions: cross-entropy against squared error on classes, and Huber
against squared error on data with outliers."""

from __future__ import annotations

import numpy as np

from nncore.edits import SetData, SetNodeParams, SetTraining
from nncore.lessons.base import Figure, Lesson, Outcome, Step, at_least, at_most, train
from nncore.lessons.projects import chain, dense_stack, synthetic
from nncore.project import Project

#: Validation accuracy that counts as "learned" XOR, and the epochs allowed to get there.
LEARNED, EPOCHS = 0.9, 80
#: Squared error needs at least this many times cross-entropy's epochs (seeds 1-4: 1.84
#: to 1.96; 1.5 leaves room).
SLOWER = 1.5


def _xor() -> Project:
    return chain(
        "Lesson: loss functions",
        "XOR with one hidden layer of 16 tanh units, plain gradient descent.",
        dense_stack([16], "tanh", 2, "softmax"), synthetic("xor", n_samples=400, noise=0.2),
        {"loss": "categorical_crossentropy", "optimizer": "sgd", "learning_rate": 0.03,
         "batch_size": 16, "epochs": EPOCHS})


def epochs_to_learn(run: Outcome) -> int:
    """The first epoch whose validation accuracy reaches :data:`LEARNED` (one past the
    last epoch when none does)."""
    reached = np.flatnonzero(run.series("val_accuracy") >= LEARNED)
    return int(reached[0]) + 1 if len(reached) else len(run.epochs) + 1


def _cross_entropy(project: Project) -> list[Figure]:
    return [at_most(f"epochs to reach {LEARNED:.0%} validation accuracy",
                    epochs_to_learn(train(project)), EPOCHS // 2, f"at most {EPOCHS // 2}")]


def _squared_error(project: Project) -> list[Figure]:
    mse, ce = train(project), train(_xor())
    return [at_least("epochs to reach 90%, squared error / cross-entropy",
                     epochs_to_learn(mse) / epochs_to_learn(ce), SLOWER,
                     f"at least {SLOWER}: squared error learns more slowly"),
            at_least("final validation accuracy with squared error",
                     mse.final("val_accuracy"), LEARNED, "it does get there")]


def plane_error(run: Outcome) -> float:
    """Mean distance of the predictions from the plane itself, ``(x1 + x2) / 10``, over the
    validation points: how far the outliers pulled the fit."""
    data, net = run.result.data, run.result.network
    raw = data.normalizer.inverse_transform(data.val.X)
    pred = net.predict(data.val.X).reshape(-1)
    return float(np.mean(np.abs(pred - (raw[:, 0] + raw[:, 1]) / 10.0)))


def _pulled(project: Project) -> list[Figure]:
    return [at_least("mean distance of the fit from the plane", plane_error(train(project)),
                     0.25, "at least 0.25: pulled towards the outliers (a tenth of them, "
                     "4 higher)")]


def _robust(project: Project) -> list[Figure]:
    huber = plane_error(train(project))
    mse = plane_error(train(LOSSES_LESSON.project(3)))
    return [at_most("distance from the plane, Huber / squared error", huber / mse, 0.5,
                    "at most half")]


_OUTLIERS = (SetData(changes={"name": "plane"}, params={"outliers": 0.1, "noise": 0.0}),
             SetNodeParams("dense2", {"units": 1, "activation": "linear"}),
             SetTraining({"loss": "mse"}))

LOSSES_LESSON = Lesson(
    "losses", "Loss functions",
    "The loss is the one number training makes smaller, so it decides what the network "
    "learns. For classes, cross-entropy measures how little probability the network gave "
    "the right class: a confident mistake costs a lot and pushes hard on the weights. "
    "Squared error only compares the outputs with 0 and 1, so even a confident mistake has "
    "a small, limited cost and pushes gently: learning is slower. For numbers, squared "
    "error grows with the square of each miss, so a few far-off points (outliers) pull the "
    "whole fit towards them; Huber's loss grows only in proportion beyond a point, and the "
    "outliers matter less.",
    _xor,
    (
        Step("Train with cross-entropy", (), "curves",
             "The accuracy passes 90% within a few dozen epochs.", _cross_entropy),
        Step("Switch the loss to squared error (MSE)", (SetTraining({"loss": "mse"}),),
             "runs",
             "The same network learns XOR too, but it takes about twice the epochs to "
             "reach 90%: overlay the two runs.", _squared_error),
        Step("Fit a plane with 10% outliers, with squared error", _OUTLIERS, "predictions",
             "Predicted against actual values: the outliers lie far off to one side, and the "
             "other points miss the diagonal, every prediction lifted towards them.",
             _pulled),
        Step("Switch to Huber's loss", (SetTraining({"loss": "huber"}),), "predictions",
             "The points that are not outliers lie on the diagonal again: the outliers pull "
             "far less.", _robust),
    ))
