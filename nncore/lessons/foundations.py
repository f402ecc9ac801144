"""Lessons on what a network is made of and how it learns: layers and non-linearity, and
the learning rate."""

from __future__ import annotations

from nncore.edits import InsertAfter, SetHiddenActivation, SetTraining
from nncore.lessons.base import Lesson, Step, at_least, at_most, train
from nncore.lessons.projects import chain, dense_stack, synthetic
from nncore.project import Project

#: A straight line can put at most three of XOR's four corners on the right side (75%);
#: with the noise around the corners a little more or less. Checked with some room.
LINEAR_BEST = 0.8


def _xor() -> Project:
    return chain(
        "Lesson: layers and non-linearity",
        "XOR: the two classes sit in opposite corners, so no straight line separates them.",
        dense_stack([8], "tanh", 2, "softmax"), synthetic("xor", n_samples=400, noise=0.1),
        {"loss": "categorical_crossentropy", "optimizer": "adam", "learning_rate": 0.03,
         "batch_size": 16, "epochs": 60})


def _val_accuracy(project: Project) -> float:
    return train(project).final("val_accuracy")


NONLINEARITY = Lesson(
    "nonlinearity", "Layers and non-linearity",
    "A layer multiplies its inputs by weights and adds them up; its activation function "
    "then bends the result. Without that bend, a stack of layers is still one weighted sum, "
    "and its decision boundary is a straight line however many layers you add. The XOR data "
    "puts each class in two opposite corners, which no straight line can split. One hidden "
    "layer with a bending activation such as tanh is enough to curve the boundary around "
    "them.",
    _xor,
    (
        Step("Take the bend out: make the hidden layer linear",
             (SetHiddenActivation("linear"),), "boundary",
             "The boundary is a straight line. At best it puts three of the four corners on "
             "the right side, so accuracy stays at 75% or below (often near 50%).",
             lambda p: [at_most("validation accuracy", _val_accuracy(p), LINEAR_BEST,
                                "at most 0.8: a straight line gets 3 of 4 corners")]),
        Step("Add a second linear layer",
             (InsertAfter("dense1", "Dense", {"units": 8, "activation": "linear"}),),
             "boundary",
             "Still a straight line: two linear layers in a row are one linear layer.",
             lambda p: [at_most("validation accuracy", _val_accuracy(p), LINEAR_BEST,
                                "at most 0.8: still a straight line")]),
        Step("Bend it: switch the hidden layers to tanh", (SetHiddenActivation("tanh"),),
             "boundary",
             "The boundary curves around the corners and almost every point is right.",
             lambda p: [at_least("validation accuracy", _val_accuracy(p), 0.95)]),
    ))


def _regression() -> Project:
    return chain(
        "Lesson: the learning rate",
        "A bumpy surface of two inputs, fitted by plain gradient descent (SGD).",
        dense_stack([64, 64], "relu", 1, "linear"),
        {**synthetic("multi_gaussian", val_fraction=0.2, n_samples=1000, noise=0.02),
         "standardize_target": True},
        {"loss": "mse", "optimizer": "sgd", "learning_rate": 0.2, "batch_size": 32,
         "epochs": 100})


def _final_losses(project: Project) -> tuple[float, float]:
    run = train(project)
    return run.final("train_loss"), run.final("val_loss")


def _too_large(project: Project) -> list:
    run = train(project)
    return [at_most("epochs completed", len(run.epochs), 0,
                    "none: the loss explodes in the first epoch"),
            at_least("the run ended in divergence (1: yes)", float(run.reason == "diverged"),
                     1.0, "yes")]


LEARNING_RATE = Lesson(
    "learning_rate", "Gradient descent and the learning rate",
    "Training measures how wrong the network is (the loss) and how each weight changes "
    "that (its gradient), then moves every weight a small step downhill. The learning rate "
    "is the size of that step. Too small, and the loss creeps down so slowly that training "
    "seems stuck. Too large, and each step jumps past the valley, further up the other "
    "side, until the numbers explode. In between, the loss falls quickly and settles.",
    _regression,
    (
        Step("A tiny learning rate: 0.0003", (SetTraining({"learning_rate": 0.0003}),),
             "curves",
             "After 100 epochs the training loss has barely moved from where it started.",
             lambda p: [at_least("training loss after 100 epochs", _final_losses(p)[0],
                                 0.5, "above 0.5 (it starts near 1)")]),
        Step("A good learning rate: 0.2", (SetTraining({"learning_rate": 0.2}),), "curves",
             "The loss drops fast, then levels off low.",
             lambda p: [at_most("validation loss after 100 epochs", _final_losses(p)[1],
                                0.1)]),
        Step("Too large: 2.0", (SetTraining({"learning_rate": 2.0}),), "curves",
             "The loss explodes within the first epoch; training stops, says why and "
             "keeps the last good weights.", _too_large),
    ))
