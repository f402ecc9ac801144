"""A sequence task with a long dependency: the number to predict is the first value of the
sequence, and the network reads that value first and must remember it through every value
after it (noise) until the end. A second input is 1 at the first step and 0 after it (a
marker), so a network can tell when to take a value in. A recurrent network whose memory
fades and mixes every new input into its state (SimpleRNN) loses the first value; an LSTM
or GRU, whose gates can shut out the noise and keep a value unchanged, does not. The
recurrent lesson trains both on it (:mod:`nncore.lessons.sequences`)."""

from __future__ import annotations

import numpy as np

from .dataset import Dataset


def first_value_sequences(n_samples: int = 600, length: int = 30, noise: float = 1.0,
                          seed: int = 0) -> Dataset:
    """``n_samples`` sequences of ``length`` steps, ``X`` of shape ``(n, length, 2)``: the
    value (the first uniform in [-1, 1], the others Gaussian noise of standard deviation
    ``noise``) and the marker (1 at the first step, 0 after). The target is the first
    value."""
    rng = np.random.default_rng(seed)
    first = rng.uniform(-1.0, 1.0, n_samples)
    x = np.zeros((n_samples, length, 2))
    x[:, :, 0] = rng.normal(0.0, noise, (n_samples, length))
    x[:, 0, 0] = first
    x[:, 0, 1] = 1.0
    return Dataset(
        X=x.astype(np.float32), y=first.astype(np.float32).reshape(-1, 1), task="regression",
        feature_names=["value", "marker"], name="first_value",
        description=f"{n_samples} sequences of {length} values; the number to predict is "
                    "the first value, the rest is noise.")
