"""The lesson on interpretability: which inputs a trained network's answers rest on, read
two ways (shuffling each input, and integrated gradients for one answer)."""

from __future__ import annotations

import numpy as np

from nncore.importance import permutation_importance
from nncore.integrated_gradients import integrated_gradients
from nncore.lessons.base import Figure, Lesson, Outcome, Step, at_least, at_most, train
from nncore.lessons.projects import chain, dense_stack, synthetic
from nncore.project import Project
from nncore.run import network_inputs

#: Inputs of the lesson's data; only the first two decide the class.
INPUTS = 6


def _clues() -> Project:
    return chain(
        "Lesson: interpretability",
        f"{INPUTS} numbers per row; only x1 and x2 decide the class (x1 + x2 > 0), the "
        "other four are noise.",
        dense_stack([16], "tanh", 2, "softmax", inputs=INPUTS),
        synthetic("clues", n_samples=600, noise=0.05, n_inputs=INPUTS),
        {"loss": "categorical_crossentropy", "optimizer": "adam", "learning_rate": 0.02,
         "batch_size": 32, "epochs": 40})


def _validation(outcome: Outcome) -> tuple[object, np.ndarray]:
    net, val = outcome.result.network, outcome.result.data.val
    return network_inputs(net, val), val.y


def _importance(project: Project) -> list[Figure]:
    outcome = train(project)
    x, y = _validation(outcome)
    found = permutation_importance(outcome.result.network, x, y, project.training.loss,
                                   repeats=5, seed=0)
    rise = found.loss_increase
    weakest_clue, strongest_noise = float(min(rise[:2])), float(max(rise[2:].max(), 1e-9))
    return [at_least("validation accuracy", outcome.final("val_accuracy"), 0.9),
            at_least("loss rise when x1 or x2 is shuffled / the largest for a noise input",
                     weakest_clue / strongest_noise, 30.0,
                     "at least 30: the answers rest on x1 and x2 alone")]


def _completeness(project: Project) -> list[Figure]:
    outcome = train(project)
    x, _ = _validation(outcome)
    rows = np.asarray(x)[:20]
    found = integrated_gradients(outcome.result.network, rows)
    change = np.abs(found.scores - found.baseline_scores)
    error = np.abs(found.completeness_error) / np.maximum(change, 1e-6)
    share = np.abs(found.values[:, :2]).sum(axis=1) / np.abs(found.values).sum(axis=1)
    return [at_most("largest gap between the attributions' sum and the score's change",
                    float(error.max()), 0.01, "at most 1% of the change"),
            at_least("share of the attribution on x1 and x2 (median of 20 rows)",
                     float(np.median(share)), 0.7)]


INTERPRETABILITY = Lesson(
    "interpretability", "Interpretability: which inputs an answer rests on",
    "A trained network gives answers, not reasons. Two simple tools ask it which inputs "
    "mattered. Shuffling one input across the rows breaks its link to the answers: if the "
    "loss rises a lot, the network relied on that input (permutation importance). For a "
    "single answer, integrated gradients walk from a neutral input (all zeros) to the real "
    "one and add up how much each input moved the score on the way; the parts add up to the "
    "whole change of the score. Here only x1 and x2 decide the class, so both tools should "
    "point at them and ignore the four noise inputs.",
    _clues,
    (
        Step("Train, then shuffle each input (Run > Explain, Data set)", (), "attributions",
             "The loss rises sharply when x1 or x2 is shuffled and hardly at all for x3 to "
             "x6: the network ignores the noise.", _importance),
        Step("Explain single answers with integrated gradients", (), "attributions",
             "For each row, the bars of x1 and x2 are long and the others short, and all the "
             "bars together add up to the change of the score from the all-zero input.",
             _completeness),
    ))
