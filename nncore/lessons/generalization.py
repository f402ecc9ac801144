"""Lessons on fitting the data you have versus the data you will see: overfitting, and
its cures: weight penalties (L1 and L2) and dropout."""

from __future__ import annotations

import numpy as np

from nncore.edits import InsertAfter, SetData, SetTraining
from nncore.lessons.base import Figure, Lesson, Outcome, Step, at_least, at_most, train
from nncore.lessons.projects import chain, dense_stack, synthetic
from nncore.project import Project
from nncore.run import network_inputs

#: The best validation loss must be at least this far below the last one to call it
#: overfitting (the issue's "at least 20% below").
OVERFIT = 0.8


def _few_moons() -> Project:
    return chain(
        "Lesson: overfitting",
        "A large network (two layers of 128 units) and only 40 training points of the "
        "noisy 'moons' data.",
        dense_stack([128, 128], "relu", 2, "softmax"),
        synthetic("moons", val_fraction=0.5, n_samples=80, noise=0.35),
        {"loss": "categorical_crossentropy", "optimizer": "adam", "learning_rate": 0.01,
         "batch_size": 32, "epochs": 300, "patience": 20})


def gap(run: Outcome) -> float:
    """Best validation loss over the last one: 1 when the end is the best, small when
    the validation loss climbed back up (overfitting)."""
    val = run.series("val_loss")
    return float(val.min() / val[-1])


def _baseline_gap() -> float:
    return gap(train(_few_moons()))


def _overfits(project: Project) -> list[Figure]:
    run = train(project)
    return [at_most("best validation loss / final validation loss", gap(run), OVERFIT),
            at_most("final training loss", run.final("train_loss"), 0.01,
                    "below 0.01: it has learned the training points by heart")]


def _narrows(project: Project) -> list[Figure]:
    g, base = gap(train(project)), _baseline_gap()
    return [at_least("best / final validation loss with the cure", g, base,
                     f"above the {base:.3g} without it (a smaller gap)")]


def _stops_early(project: Project) -> list[Figure]:
    run = train(project)
    fin = run.result.finished
    val = run.series("val_loss")
    return [at_least("stopped early (1: yes)", float(fin.reason == "early_stopping"), 1.0,
                     "yes"),
            at_most("epochs run", len(val), 300 - 1, "fewer than the 300 planned"),
            at_most("epochs from the best to the stop", len(val) - fin.best_epoch,
                    project.training.patience, "at most the patience, 20")]


OVERFITTING = Lesson(
    "overfitting", "Overfitting",
    "A network learns from its training data, but what matters is how it does on data it "
    "has not seen: that is why part of the data is held back for validation. A large "
    "network with few training points can learn those points by heart, noise included. "
    "Then the training loss keeps falling while the validation loss turns and climbs: the "
    "network has started memorising instead of learning the pattern. The cures limit what "
    "it can memorise: a penalty on large weights, dropout, stopping at the best epoch, or "
    "simply more data.",
    _few_moons,
    (
        Step("Train it as it is", (), "curves",
             "The training loss falls towards zero; the validation loss reaches its lowest "
             "point early, then climbs far above it.", _overfits),
        Step("Cure 1: an L2 penalty of 0.01", (SetTraining({"l2": 0.01}),), "curves",
             "The validation loss stays close to its best.", _narrows),
        Step("Cure 2: dropout instead (rate 0.5 after the first layer)",
             (SetTraining({"l2": 0.0}), InsertAfter("dense1", "Dropout", {"rate": 0.5})),
             "curves", "The climb is much smaller than without a cure.", _narrows),
        Step("Cure 3: more data (1,000 points instead of 80) and early stopping",
             (SetData(params={"n_samples": 1000}), SetTraining({"early_stopping": True})),
             "curves",
             "With more data the curves stay closer; early stopping ends the run soon after "
             "the best epoch and puts its weights back.", _stops_early),
    ))


def _penalty_moons() -> Project:
    return chain(
        "Lesson: L1 and L2 regularization",
        "Two layers of 64 units on 100 noisy 'moons' points, plain gradient descent.",
        dense_stack([64, 64], "relu", 2, "softmax"),
        synthetic("moons", val_fraction=0.5, n_samples=200, noise=0.3),
        {"loss": "categorical_crossentropy", "optimizer": "sgd", "learning_rate": 0.1,
         "batch_size": 32, "epochs": 300})


_KERNELS = ("dense1/W", "dense2/W")


def _near_zero(run: Outcome) -> float:
    return float(np.mean(np.abs(run.weights(*_KERNELS)) < 1e-3))


def _rms(run: Outcome) -> float:
    return float(np.sqrt(np.mean(run.weights(*_KERNELS) ** 2)))


def _no_penalty(project: Project) -> list[Figure]:
    return [at_most("share of weights within 0.001 of zero", _near_zero(train(project)),
                    0.05)]


def _l2(project: Project) -> list[Figure]:
    run, plain = train(project), train(_penalty_moons())
    return [at_most("weights' root mean square, with L2 / without", _rms(run) / _rms(plain),
                    0.85, "below 0.85: every weight shrinks"),
            at_most("share of weights within 0.001 of zero", _near_zero(run), 0.05,
                    "still almost none")]


def _l1(project: Project) -> list[Figure]:
    return [at_least("share of weights within 0.001 of zero", _near_zero(train(project)),
                     0.8, "most: L1 pushes the weights it does not need to zero")]


REGULARIZATION = Lesson(
    "regularization", "Regularization: L1 and L2",
    "A penalty on large weights keeps a network from bending itself around every noisy "
    "point. L2 adds the sum of the squared weights to the loss: every weight is pulled "
    "towards zero in proportion to its size, so all of them shrink but few reach zero. L1 "
    "adds the sum of their absolute values: every weight feels the same pull, so the ones "
    "the data does not need end up at zero. Watch the weight histograms of the two.",
    _penalty_moons,
    (
        Step("Train without a penalty", (), "histograms",
             "The weights spread widely; hardly any sits at zero.", _no_penalty),
        Step("Add an L2 penalty of 0.002", (SetTraining({"l2": 0.002}),), "histograms",
             "The whole histogram narrows, but it has no spike at zero.", _l2),
        Step("Replace it by an L1 penalty of 0.002",
             (SetTraining({"l2": 0.0, "l1": 0.002}),), "histograms",
             "A tall spike at zero: most weights are switched off, a few stay large.", _l1),
    ))


def _dropout_helps(project: Project) -> list[Figure]:
    run, plain = train(project), train(_few_moons())
    return [at_most("final validation loss, with dropout / without",
                    run.final("val_loss") / plain.final("val_loss"), 0.6),
            at_least("best / final validation loss", gap(run), gap(plain),
                     f"above the {gap(plain):.3g} without dropout")]


def _dropout_only_trains(project: Project) -> list[Figure]:
    run = train(project)
    net, val = run.result.network, run.result.data.val
    x = network_inputs(net, val)
    a, b = net.forward(x, training=True).copy(), net.forward(x, training=True).copy()
    c, d = net.forward(x, training=False).copy(), net.forward(x, training=False).copy()
    return [at_least("largest difference of two training passes", float(np.abs(a - b).max()),
                     1e-3, "different: other units are dropped each time"),
            at_most("largest difference of two inference passes", float(np.abs(c - d).max()),
                    0.0, "none: every unit takes part")]


DROPOUT = Lesson(
    "dropout", "Dropout",
    "Dropout switches off a random half (or another share) of a layer's units at every "
    "training step. No unit can rely on a particular other unit being there, so the network "
    "cannot build the fragile, specialised combinations that memorise noise. When the "
    "network predicts, every unit takes part (their outputs scaled to match). Here it is "
    "used on the overfitting network of 40 points.",
    _few_moons,
    (
        Step("Train it as it is", (), "curves",
             "The validation loss climbs far above its best: overfitting.", _overfits),
        Step("Add dropout (0.5) after both hidden layers",
             (InsertAfter("dense1", "Dropout", {"rate": 0.5}),
              InsertAfter("dense2", "Dropout", {"rate": 0.5})), "curves",
             "The validation loss stays far lower; the training loss is noisier.",
             _dropout_helps),
        Step("See dropout at work: two passes over the same data",
             (), "predictions",
             "In training two passes differ (other units dropped); in prediction they are "
             "identical.", _dropout_only_trains),
    ))
