"""Lessons on network shapes made for a kind of data: convolutions for images."""

from __future__ import annotations

from nncore.edits import InsertAfter, RemoveNode
from nncore.graph import analyze
from nncore.lessons.base import Figure, Lesson, Step, at_least, at_most, train
from nncore.lessons.projects import chain
from nncore.project import Project

_DIGITS = {"source": "bundled", "name": "digits", "val_fraction": 0.3,
           "params": {"as_images": True}}


def _dense_digits() -> Project:
    return chain(
        "Lesson: convolutional networks",
        "The 8x8 handwritten digits, first through a dense network that sees the image as "
        "64 unrelated numbers.",
        [("Input", {"shape": [1, 8, 8]}), ("Flatten", {}),
         ("Dense", {"units": 20, "activation": "relu"}),
         ("Dense", {"units": 10, "activation": "softmax"})],
        _DIGITS,
        {"loss": "categorical_crossentropy", "optimizer": "adam", "learning_rate": 0.005,
         "batch_size": 32, "epochs": 30})


def _params(project: Project) -> int:
    return analyze(project.graph).total_params


def _dense_baseline(project: Project) -> list[Figure]:
    run = train(project)
    return [at_least("validation accuracy", run.final("val_accuracy"), 0.9),
            at_most("parameters", _params(project), 2000)]


def _cnn_beats_dense(project: Project) -> list[Figure]:
    dense = _dense_digits()
    cnn_acc = train(project).final("val_accuracy")
    dense_acc = train(dense).final("val_accuracy")
    return [at_most("parameters, CNN / dense", _params(project) / _params(dense), 1.0,
                    "no more than the dense network"),
            at_least("validation accuracy, CNN minus dense", cnn_acc - dense_acc, 0.01,
                     "at least 1 point higher")]


def _pooling_saves(project: Project) -> list[Figure]:
    pooled = CNN_LESSON.project(2)
    weights = [analyze(p.graph).params["dense2"][1] for p in (project, pooled)]
    return [at_least("classifier weights without pooling / with", weights[0] / weights[1],
                     3.9, "about 4: pooling halves the image in both directions"),
            at_most("validation accuracy lost by pooling",
                    train(project).final("val_accuracy")
                    - train(pooled).final("val_accuracy"), 0.01, "at most 1 point")]


CNN_LESSON = Lesson(
    "convolution", "Convolutional networks",
    "A dense layer treats an image as a list of unrelated numbers: it must learn a stroke "
    "separately at every place it can appear. A convolution slides a small filter, here 3x3 "
    "pixels, over the whole image, so the same few weights find the same pattern anywhere; "
    "each filter gives a feature map showing where its pattern is. Pooling then keeps the "
    "strongest response of each 2x2 patch, halving the map's size. With fewer weights a "
    "convolutional network recognises digits better than a dense one.",
    _dense_digits,
    (
        Step("Train the dense network", (), "curves",
             "It learns, with about 1,500 weights: mistakes remain on the confusion "
             "matrix.", _dense_baseline),
        Step("Replace the hidden dense layer by 8 convolution filters and pooling",
             (InsertAfter("input1", "Conv2D", {"filters": 8, "kernel_size": [3, 3],
                                               "padding": "same", "activation": "relu"}),
              InsertAfter("conv2d1", "MaxPool2D", {"pool_size": [2, 2]}),
              RemoveNode("dense1")), "feature_maps",
             "Fewer weights, higher accuracy; the feature maps light up along the strokes.",
             _cnn_beats_dense),
        Step("Remove the pooling", (RemoveNode("maxpool2d1"),), "feature_maps",
             "The classifier after the convolution needs four times the weights, and the "
             "accuracy is no better.", _pooling_saves),
    ))
