"""A regression loss (MSE, MAE, Huber) trained on class labels.

Classification data holds one class index per sample; a regression loss compares each
output unit with a number. :class:`OneHotTargets` wraps such a loss so that the label of
class ``c`` becomes the row "1 in unit ``c``, 0 elsewhere" (one-hot) before it is compared:
the classic "squared error on a softmax" setup, which the loss-function lesson trains
against cross-entropy. The run pipeline wraps the loss when the data holds classes
(:func:`nncore.run.check_run`); the metrics then report accuracy besides the regression
ones (:class:`nncore.metrics.MetricsAccumulator`).
"""

from __future__ import annotations

import numpy as np

from nncore.losses import Loss, class_labels


class OneHotTargets(Loss):
    """``inner`` (a regression loss) on the one-hot rows of ``n_classes`` classes."""

    #: Read by the metrics: the targets are one-hot rows of class labels.
    one_hot = True

    def __init__(self, inner: Loss, n_classes: int) -> None:
        self.inner = inner
        self.n_classes = int(n_classes)
        self.name, self.label, self.help = inner.name, inner.label, inner.help
        self.task = inner.task
        self.schema = inner.schema
        self.config = inner.config

    def check_targets(self, target: np.ndarray, out_shape: tuple[int, ...]) -> np.ndarray:
        t = np.asarray(target)
        if t.ndim == 2 and t.shape[1] == 1:
            t = t.reshape(-1)
        if t.ndim == 1:
            t = one_hot(t, self.n_classes, self.label)
        return self.inner.check_targets(t, out_shape)

    def forward(self, out: np.ndarray, target: np.ndarray) -> float:
        return self.inner.forward(out, target)

    def backward(self) -> np.ndarray:
        return self.inner.backward()


def one_hot(labels: np.ndarray, n_classes: int, label: str = "targets") -> np.ndarray:
    """``float32 (n, n_classes)``: 1 in each label's column. Raises DataError for labels
    that are not whole numbers in ``0..n_classes-1``."""
    t = class_labels(labels, n_classes, label)
    out = np.zeros((len(t), n_classes), dtype=np.float32)
    out[np.arange(len(t)), t] = 1.0
    return out
