"""Lessons on what a network is made of and how it learns: layers and non-linearity,
activation functions, the learning rate, and epochs, batches and the two data splits."""

from __future__ import annotations

import numpy as np

from nncore.edits import InsertAfter, SetHiddenActivation, SetTraining
from nncore.lessons.base import Figure, Lesson, Step, at_least, at_most, train
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


def _spiral(activation: str) -> Project:
    return chain(
        "Lesson: activation functions",
        "The two-armed spiral, two hidden layers of 16 units, 150 epochs.",
        dense_stack([16, 16], activation, 2, "softmax"),
        synthetic("spiral", n_samples=500, noise=0.1),
        {"loss": "categorical_crossentropy", "optimizer": "adam", "learning_rate": 0.01,
         "batch_size": 32, "epochs": 150})


def _sigmoid(project: Project) -> list[Figure]:
    run = train(project)
    return [at_least("training loss after 150 epochs", run.final("train_loss"), 0.5,
                     "above 0.5: barely learned (0.69 is guessing)"),
            at_least("mean output of the first hidden layer", run.outputs("dense1").mean(),
                     0.3, "well above 0: sigmoid's outputs are all positive")]


def _tanh(project: Project) -> list[Figure]:
    mean = float(train(project).outputs("dense1").mean())
    return [at_most("mean output of the first hidden layer (its size)", abs(mean), 0.25,
                    "near 0: tanh's outputs are centred")]


def _relu(project: Project) -> list[Figure]:
    relu = train(project)
    sigmoid = train(_spiral("sigmoid"))
    return [at_most("training loss after 150 epochs", relu.final("train_loss"), 0.05),
            at_most("ReLU's final loss / sigmoid's", relu.final("train_loss")
                    / sigmoid.final("train_loss"), 0.1, "at most 1/10"),
            at_least("validation accuracy", relu.final("val_accuracy"), 0.9)]


ACTIVATIONS = Lesson(
    "activations", "Activation functions",
    "The activation function decides how each unit bends its weighted sum. Sigmoid squeezes "
    "it between 0 and 1: its outputs are all positive, and its slope is small almost "
    "everywhere, so learning is slow. Tanh has the same S shape but is centred on zero, "
    "which makes the next layer's updates better balanced. ReLU keeps positive sums as they "
    "are and sets negative ones to zero: a steep, simple slope that lets networks learn "
    "quickly. Train the same network with each and overlay the runs.",
    lambda: _spiral("sigmoid"),
    (
        Step("Train with sigmoid", (), "curves",
             "The loss hardly moves from 0.69 (guessing) in 150 epochs; the first layer's "
             "outputs all sit above zero.", _sigmoid),
        Step("Switch to tanh and train again", (SetHiddenActivation("tanh"),), "runs",
             "Tanh's outputs are spread around zero instead of around 0.5.", _tanh),
        Step("Switch to ReLU and train again", (SetHiddenActivation("relu"),), "runs",
             "The loss falls to almost nothing and the boundary follows both arms of the "
             "spiral; compare the three curves.", _relu),
    ))


def _moons_batches() -> Project:
    return chain(
        "Lesson: epochs, batches and validation",
        "400 points of the 'moons' data: 300 to train on, 100 held back to validate.",
        dense_stack([16], "tanh", 2, "softmax"), synthetic("moons", n_samples=400, noise=0.2),
        {"loss": "categorical_crossentropy", "optimizer": "sgd", "learning_rate": 0.1,
         "batch_size": 4, "epochs": 5})


def _small_batches(project: Project) -> list[Figure]:
    run = train(project)
    return [at_least("steps per epoch", run.steps_per_epoch, 75, "75: 300 points / 4"),
            at_most("training loss after 5 epochs", run.final("train_loss"), 0.35)]


def _one_batch(project: Project) -> list[Figure]:
    run = train(project)
    return [at_most("steps per epoch", run.steps_per_epoch, 1, "1: the whole split at once"),
            at_least("training loss after 5 epochs", run.final("train_loss"), 0.4,
                     "above 0.4: only 5 steps taken")]


def _same_steps(project: Project) -> list[Figure]:
    full = train(project)
    small = train(_moons_batches())
    small_long = train(_moons_batches(), epochs=40)
    rises = int(np.sum(np.diff(full.series("train_loss")) > 0))
    return [at_most("full batch after 375 epochs / small batches after 5 epochs",
                    full.final("train_loss") / small.final("train_loss"), 1.15,
                    "about 1: the same 375 steps reach the same loss"),
            at_most("epochs in which the full-batch loss went up", rises, 0,
                    "none: a smooth curve"),
            at_least("epochs in which the small-batch loss went up (40 epochs)",
                     int(np.sum(np.diff(small_long.series("train_loss")) > 0)), 1,
                     "some: a noisy curve"),
            at_most("validation loss / training loss", full.final("val_loss")
                    / full.final("train_loss"), 1.3,
                    "close to 1: the held-back points are fitted as well")]


EPOCHS_AND_BATCHES = Lesson(
    "epochs_and_batches", "Epochs, batches and validation",
    "Training does not look at all the data at once. It takes a batch of a few samples, "
    "makes one step from that batch's loss, and moves on to the next batch; an epoch is one "
    "pass over all the training data. Small batches make many small, noisy steps per epoch; "
    "one big batch makes a single smooth step. The training curve is the loss on the "
    "batches as they were trained; the validation curve is measured after each epoch on "
    "data held back, which the network never trains on.",
    _moons_batches,
    (
        Step("Batches of 4 samples, 5 epochs", (), "curves",
             "75 steps per epoch; after 5 epochs the loss is already low.", _small_batches),
        Step("One batch of all 300 training points", (SetTraining({"batch_size": 300}),),
             "curves", "One step per epoch: after 5 epochs the loss has barely moved.",
             _one_batch),
        Step("Keep the big batch, but train for 375 epochs",
             (SetTraining({"epochs": 375}),), "curves",
             "With as many steps as before the loss gets as low, along a perfectly smooth "
             "curve; the validation curve stays close to the training curve.", _same_steps),
    ))
