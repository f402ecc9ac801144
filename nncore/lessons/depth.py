"""Lessons on deep networks: vanishing gradients."""

from __future__ import annotations

from nncore.edits import InsertAfter, RemoveNode, SetHiddenActivation, SetTypeParams
from nncore.lessons.base import Figure, Lesson, Step, at_least, at_most, train
from nncore.lessons.projects import chain, dense_stack, synthetic
from nncore.project import Project

#: Hidden layers, and units in each: 32 units make the ratios steady across seeds (over 10
#: seeds: sigmoid at most 6e-5, ReLU at least 0.14, sigmoid with batch normalization at
#: least 0.96).
DEPTH, UNITS = 8, 32
#: Layers the last step adds: 24 ReLU layers lose the gradient with Glorot's weights (at
#: most 0.003 over 10 seeds) and keep it with He's (at least 0.18).
DEEPER = 16


def _deep_sigmoid() -> Project:
    return chain(
        "Lesson: vanishing gradients",
        f"{DEPTH} hidden layers of {UNITS} sigmoid units on the 'moons' data, plain SGD.",
        dense_stack([UNITS] * DEPTH, "sigmoid", 2, "softmax"),
        synthetic("moons", n_samples=400, noise=0.2),
        {"loss": "categorical_crossentropy", "optimizer": "sgd", "learning_rate": 0.1,
         "batch_size": 32, "epochs": 3})


def first_over_last(project: Project) -> float:
    """First hidden layer's gradient norm over the output layer's, averaged over the first
    epoch: 1 when the gradient reaches the bottom as strong as it was at the top."""
    norms = train(project).grad_norms(0)
    dense = [n.id for n in project.graph.nodes if n.type == "Dense"]
    return norms[dense[0]] / norms[dense[-1]]


def _vanishes(project: Project) -> list[Figure]:
    return [at_most("first layer's gradient / last layer's", first_over_last(project), 0.01,
                    "at most 1/100")]


def _flows(project: Project) -> list[Figure]:
    return [at_least("first layer's gradient / last layer's", first_over_last(project), 0.1,
                     "at least 1/10")]


def _he_versus_glorot(project: Project) -> list[Figure]:
    glorot = project.copy()
    for node in glorot.graph.nodes:
        if node.type == "Dense":
            node.params["kernel_initializer"] = "glorot_uniform"
    return [at_most("with Glorot's initial weights", first_over_last(glorot), 0.01,
                    "at most 1/100: the deep ReLU stack still loses it"),
            at_least("with He's initial weights", first_over_last(project), 0.1,
                     "at least 1/10")]


_BATCH_NORM = tuple(InsertAfter(f"dense{i}", "BatchNormalization", id=f"norm{i}")
                    for i in range(1, DEPTH + 1))
_NO_BATCH_NORM = tuple(RemoveNode(f"norm{i}") for i in range(1, DEPTH + 1))
_DEEPER = tuple(InsertAfter(f"dense{DEPTH}", "Dense", {"units": UNITS, "activation": "relu"},
                            f"deep{i}") for i in range(DEEPER, 0, -1))

VANISHING = Lesson(
    "vanishing_gradients", "Vanishing gradients",
    "Backpropagation sends the error from the output back through every layer, and each "
    "layer multiplies it by the slope of its activation. A sigmoid's slope is at most 1/4, "
    "so after eight sigmoid layers the signal reaching the first layer is thousands of "
    "times weaker than at the top: the first layers barely learn. ReLU passes the signal on "
    "at full strength where it is active; batch normalization keeps each layer's inputs in "
    "the range where the slope is large; and initial weights of the right size (He's, for "
    "ReLU) keep the signal from shrinking layer by layer in very deep networks.",
    _deep_sigmoid,
    (
        Step("Train it as it is: watch the gradient norms", (), "gradients",
             "The first layers' gradient norms sit thousands of times below the last "
             "layer's: the bars for the first layers are near the bottom of the plot.",
             _vanishes),
        Step("Switch every activation to ReLU", (SetHiddenActivation("relu"),), "gradients",
             "All layers' gradient norms are now within a factor of a few of each other.",
             _flows),
        Step("Back to sigmoid, with batch normalization after each layer",
             (SetHiddenActivation("sigmoid"), *_BATCH_NORM), "gradients",
             "Even with sigmoid, the first layer now gets a gradient as strong as the last.",
             _flows),
        Step(f"Go deeper: {DEPTH + DEEPER} ReLU layers with He's initial weights",
             (*_NO_BATCH_NORM, SetHiddenActivation("relu"), *_DEEPER,
              SetTypeParams("Dense", {"kernel_initializer": "he_uniform"})),
             "gradients",
             f"With Glorot's initial weights {DEPTH + DEEPER} ReLU layers lose the gradient "
             "again; with He's, sized for ReLU, it reaches the first layer.",
             _he_versus_glorot),
    ))
