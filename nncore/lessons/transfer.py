"""The lesson on transfer learning: a network trained to read the ten digits from every
label is kept, frozen, under a new last layer that learns another question (even or odd?)
from 20 labels, against the same network trained on those 20 labels from scratch.

The even/odd data splits into the same validation digits as the ten digits do (merged
classes split as the classes they were: :func:`nncore.data.subsets.stratum_labels`), so
the frozen network has never trained on the digits the new task is validated on.

A step that reuses trained weights names the layers it keeps (``Step.keeps``): its check
trains the step before it first and starts from those layers' weights; the window carries
them over from the last run (:mod:`app.lessons.carry`)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np

from nncore.edits import InsertAfter, RemoveNode, SetData, SetFrozen, SetTraining, applied
from nncore.events import EpochEnd
from nncore.lessons.base import Figure, Lesson, Outcome, Step, at_least, at_most, train
from nncore.lessons.projects import chain
from nncore.project import Project
from nncore.run import RunRequest, prepare_data, run_project
from nncore.weights import WeightsFile

#: Labelled digits of the new question (2 of each digit).
FEW = 20
#: The layers trained on the ten digits that the new question keeps.
KEPT = ("conv2d1", "dense1", "dense2")
EVEN_ODD = [[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]]


def _digits() -> Project:
    return chain(
        "Lesson: transfer learning",
        "A small convolutional network learns the ten handwritten digits from about 1,250 "
        "labelled images.",
        [("Input", {"shape": [1, 8, 8]}),
         ("Conv2D", {"filters": 8, "kernel_size": [3, 3], "padding": "same",
                     "activation": "relu"}),
         ("MaxPool2D", {"pool_size": [2, 2]}), ("Flatten", {}),
         ("Dense", {"units": 32, "activation": "relu"}),
         ("Dense", {"units": 10, "activation": "softmax"})],
        {"source": "bundled", "name": "digits", "val_fraction": 0.3,
         "params": {"as_images": True}},
        {"loss": "categorical_crossentropy", "optimizer": "adam", "learning_rate": 0.005,
         "batch_size": 16, "epochs": 20})


def with_seed(project: Project, seed: int) -> Project:
    """A copy of ``project`` that trains with ``seed``."""
    out = project.copy()
    out.training = out.training.replace(seed=seed)
    return out


@lru_cache(maxsize=8)
def digit_weights(seed: int) -> Mapping[str, np.ndarray]:
    """The weights of the digits network trained with ``seed`` (kept between checks)."""
    return train(with_seed(TRANSFER.project(1), seed)).result.network.get_weights()


def train_from(project: Project, weights: Mapping[str, np.ndarray],
               keep: tuple[str, ...]) -> Outcome:
    """Train ``project`` starting from the arrays of ``weights`` that belong to the layers
    ``keep`` (the other layers start from fresh weights); frozen as its nodes say."""
    arrays = {k: v for k, v in weights.items() if k.split("/", 1)[0] in keep}
    epochs: list[EpochEnd] = []

    def keep_epoch(ev: Any) -> None:
        if isinstance(ev, EpochEnd):
            epochs.append(ev)

    result = run_project(RunRequest(project, init_weights=WeightsFile(
        arrays, source="the digits network"), partial=True), None, keep_epoch)
    return Outcome(result, epochs)


def transferred(project: Project) -> tuple[Outcome, Mapping[str, np.ndarray]]:
    """``project`` (as step 2 leaves it, or like it) trained from the digits network
    trained with the same seed; and those starting weights."""
    start = digit_weights(project.training.seed)
    return train_from(project, start, KEPT), start


def _learns_digits(project: Project) -> list[Figure]:
    return [at_least("validation accuracy, ten digits", train(project).final("val_accuracy"),
                     0.93)]


def _seen_before(project: Project) -> int:
    """How many of ``project``'s validation digits the digits network trained on."""
    first = prepare_data(TRANSFER.project(1).data).train.rows
    return len(np.intersect1d(first, prepare_data(project.data).val.rows))


def _head_learns(project: Project) -> list[Figure]:
    run, start = transferred(project)
    after = run.result.network.get_weights()
    moved = max(float(np.abs(after[k] - start[k]).max()) for k in start
                if k.split("/", 1)[0] in KEPT)
    return [at_most("validation digits the digits network trained on",
                    _seen_before(project), 0, "0: they are new to it"),
            at_most("largest change of a frozen weight", moved, 0.0,
                    "0: frozen layers keep their trained weights"),
            at_least("validation accuracy, even or odd", run.final("val_accuracy"), 0.95)]


def _scratch_is_worse(project: Project) -> list[Figure]:
    scratch = train(project).final("val_accuracy")
    # The usual shape, without the ten-unit softmax layer in the middle (which saturates
    # when trained from scratch): it must not do better, or the comparison is unfair.
    usual = train(applied(project, [RemoveNode("dense2")])).final("val_accuracy")
    frozen = TRANSFER.project(2)
    kept = transferred(with_seed(frozen, project.training.seed))[0].final("val_accuracy")
    return [at_most("validation accuracy from scratch", scratch, 0.92),
            at_most("the same from scratch without the ten-unit layer", usual, 0.92),
            at_least("validation accuracy, kept layers minus the better from scratch",
                     kept - max(scratch, usual), 0.06, "at least 6 points")]


TRANSFER = Lesson(
    "transfer", "Transfer learning",
    "A network that has learned one task from many labels has layers that already pick "
    "out what matters in its images, here the strokes and shapes of the ten digits. "
    "Transfer learning reuses those layers for a new task that has only a few labels: they "
    "are frozen, so training leaves their weights as they are, and only a new layer added "
    "on top learns. Here the new task asks whether a digit is even or odd, from 20 "
    "labelled digits (2 of each). The new layer only has to learn which digits are even; "
    "trained from scratch on the same 20, the whole network must also learn what digits "
    "look like, and gets more of them wrong.",
    _digits,
    (
        Step("Train the network on the ten digits", (), "curves",
             "It learns the digits from all their labels: more than 93% of the validation "
             "digits right.", _learns_digits),
        Step(f"Keep all its layers, frozen, and add a new last layer for even or odd "
             f"({FEW} labels)",
             (SetData({"classes": EVEN_ODD, "train_samples": FEW}),
              SetFrozen(KEPT), SetTraining({"epochs": 60, "learning_rate": 0.01}),
              InsertAfter("dense2", "Dense", {"units": 2, "activation": "softmax"},
                          id="even_odd")),
             "curves",
             "Only the new layer learns (22 weights), and even or odd comes out right for "
             "about 98% of the validation digits, which the network never trained on.",
             _head_learns,
             keeps=KEPT),
        Step("Unfreeze every layer and train the same network from scratch",
             (SetFrozen(KEPT, False),), "runs",
             "Train from Scratch. On the same 20 labels this run ends more than 6 points "
             "lower (about 85%) than the one that kept the trained layers. A warning about "
             "vanishing gradients may appear: the ten-unit layer in the middle, sure of its "
             "answers, passes little back (without it the network does no better).",
             _scratch_is_worse),
    ))
