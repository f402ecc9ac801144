"""A sequence task with a long dependency: the class of a sequence is given by its first
value only, and the network reads that value first and must remember it through every
value after it (noise) until the end. A recurrent network whose memory fades (SimpleRNN)
loses it; an LSTM or GRU, whose gates can keep a value unchanged, does not. The recurrent
lesson trains both on it (:mod:`nncore.lessons.sequences`)."""

from __future__ import annotations

import numpy as np

from .dataset import Dataset


def first_value_sequences(n_samples: int = 600, length: int = 30, noise: float = 1.0,
                          seed: int = 0) -> Dataset:
    """``n_samples`` sequences of ``length`` values, ``X`` of shape ``(n, length, 1)``: the
    first is +1 (class "first +1") or -1 (class "first -1"), the others are Gaussian noise
    of standard deviation ``noise``; the classes are balanced."""
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n_samples) % 2)
    x = rng.normal(0.0, noise, (n_samples, length, 1))
    x[:, 0, 0] = np.where(labels == 1, 1.0, -1.0)
    return Dataset(
        X=x.astype(np.float32), y=labels.astype(np.int64), task="classification",
        class_names=["first -1", "first +1"], feature_names=["value"],
        name="first_value",
        description=f"{n_samples} sequences of {length} values whose class is the sign of "
                    "the first value; the rest is noise.")
