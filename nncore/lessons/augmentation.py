"""The lesson on data augmentation: a network trained on a few digits, with and without
shifted copies of them."""

from __future__ import annotations

from nncore.edits import SetTraining
from nncore.lessons.base import Figure, Lesson, Step, at_least, at_most, train
from nncore.lessons.projects import chain
from nncore.project import Project

#: Training digits: 5 of each.
FEW = 50


def _few_digits() -> Project:
    return chain(
        "Lesson: data augmentation",
        f"A small convolutional network and only {FEW} training digits (5 of each); the "
        "rest are held back to validate.",
        [("Input", {"shape": [1, 8, 8]}),
         ("Conv2D", {"filters": 8, "kernel_size": [3, 3], "padding": "same",
                     "activation": "relu"}),
         ("MaxPool2D", {"pool_size": [2, 2]}), ("Flatten", {}),
         ("Dense", {"units": 10, "activation": "softmax"})],
        {"source": "bundled", "name": "digits", "val_fraction": 0.3,
         "params": {"as_images": True}, "train_samples": FEW},
        {"loss": "categorical_crossentropy", "optimizer": "adam", "learning_rate": 0.01,
         "batch_size": 16, "epochs": 150})


def _memorises(project: Project) -> list[Figure]:
    run = train(project)
    return [at_most("final training loss", run.final("train_loss"), 0.05,
                    "below 0.05: the 50 digits are learned by heart"),
            at_least("validation loss / training loss", run.final("val_loss")
                     / run.final("train_loss"), 10, "at least 10: far worse on new digits")]


def _shifts_help(project: Project) -> list[Figure]:
    shifted, plain = train(project), train(_few_digits())
    return [at_most("final validation loss, with shifts / without",
                    shifted.final("val_loss") / plain.final("val_loss"), 0.9,
                    "at most 0.9"),
            at_least("validation accuracy, with shifts minus without",
                     shifted.final("val_accuracy") - plain.final("val_accuracy"), 0.0,
                     "no lower")]


AUGMENTATION = Lesson(
    "augmentation", "Data augmentation",
    "With few examples a network learns them by heart instead of learning what a digit "
    "looks like. Data augmentation makes more examples from the ones you have: each time a "
    "training image is used, it is changed a little in a way that keeps its label, here "
    "moved by up to one pixel in each direction. The network never sees the exact same "
    "picture twice, so memorising pays less and the shapes themselves matter more. The "
    "validation images are never changed.",
    _few_digits,
    (
        Step(f"Train on {FEW} digits as they are", (), "curves",
             "The training loss falls to almost nothing while the validation loss stays "
             "far above it.", _memorises),
        Step("Shift each training image by up to one pixel",
             (SetTraining({"augment_shift": 1}),), "runs",
             "The training loss stays higher (the task got harder), but the validation "
             "loss ends lower than without shifts.", _shifts_help),
    ))
