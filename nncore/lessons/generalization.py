"""Lessons on fitting the data you have versus the data you will see: overfitting, and
its cures."""

from __future__ import annotations

from nncore.edits import InsertAfter, SetData, SetTraining
from nncore.lessons.base import Figure, Lesson, Outcome, Step, at_least, at_most, train
from nncore.lessons.projects import chain, dense_stack, synthetic
from nncore.project import Project

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
