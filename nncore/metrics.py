"""Loss and metrics over a pass of batches: one training epoch or one evaluation.

:class:`MetricsAccumulator` sums per batch what the metrics need (the loss, correct
predictions for classification, squared errors for regression) and turns the sums into the
loss and metrics at the end. Classification reports ``accuracy``; regression ``rmse`` and
``r2`` (against the targets' own mean); a regression loss trained on classes (one-hot
targets, :mod:`nncore.one_hot`) reports all three.
"""

from __future__ import annotations

import math

import numpy as np

from nncore.losses import Loss


class MetricsAccumulator:
    """Sums of one pass over batches and the loss and metrics they give.

    ``exact``: squared errors are summed from the outputs in float64 (evaluation). Otherwise
    (training epochs) they come the cheap way: from the batch loss for MSE (its batch loss
    is their mean), in the network's precision for other losses."""

    def __init__(self, loss: Loss, targets: np.ndarray, exact: bool) -> None:
        self.n = len(targets)
        self.classification = loss.task == "classification"
        self._softmax = loss.fused_activation == "softmax"
        self._size = targets.size
        #: Regression loss on one-hot class rows: accuracy from the largest output too.
        self.one_hot = bool(getattr(loss, "one_hot", False))
        self._sst = 0.0 if self.classification else total_sum_squares(targets)
        #: ``add(outputs, targets, batch_loss)``: take one batch in (the batch-mean loss).
        if self.classification:
            self.add = self._add_classified
        elif self.one_hot:
            self.add = self._add_one_hot
        elif exact:
            self.add = self._add_errors_exactly
        elif loss.name == "mse":
            self.add = self._add_mse
        else:
            self.add = self._add_errors
        self.reset()

    def reset(self) -> None:
        self.loss_sum = 0.0
        self.correct: float = 0
        self.sse = 0.0

    def result(self) -> tuple[float, dict[str, float]]:
        """The mean loss over the samples and the metrics."""
        n = self.n
        if self.classification:
            return self.loss_sum / n, {"accuracy": self.correct / n}
        metrics = regression_metrics(self.sse, self._size, self._sst)
        if self.one_hot:
            metrics["accuracy"] = self.correct / n
        return self.loss_sum / n, metrics

    # -- one batch ---------------------------------------------------------------------
    def _add_classified(self, out: np.ndarray, t: np.ndarray, batch_loss: float) -> None:
        self.loss_sum += batch_loss * len(t)
        self.correct += correct_predictions(out, t, self._softmax)

    def _add_one_hot(self, out: np.ndarray, t: np.ndarray, batch_loss: float) -> None:
        self._add_errors_exactly(out, t, batch_loss)
        self.correct += correct_predictions(out, t, softmax=True)

    def _add_mse(self, out: np.ndarray, t: np.ndarray, batch_loss: float) -> None:
        self.loss_sum += batch_loss * len(t)
        self.sse += batch_loss * t.size

    def _add_errors(self, out: np.ndarray, t: np.ndarray, batch_loss: float) -> None:
        self.loss_sum += batch_loss * len(t)
        d = (out - t).reshape(-1)
        self.sse += float(np.dot(d, d))

    def _add_errors_exactly(self, out: np.ndarray, t: np.ndarray, batch_loss: float) -> None:
        self.loss_sum += batch_loss * len(t)
        # (The difference in float64 too: in float32 an output close to a large target
        # would lose the error's low digits to cancellation.)
        d = out.reshape(-1).astype(np.float64) - t.reshape(-1)
        self.sse += float(d @ d)


def correct_predictions(out: np.ndarray, t: np.ndarray, softmax: bool) -> float:
    """Number of correctly classified samples in a batch of outputs (logits, or
    probabilities' log-odds for sigmoid outputs); with several sigmoid outputs (multi-label)
    each sample counts by the fraction of its labels that are right."""
    if softmax:
        pred = out.argmax(axis=1)
        true = t if t.ndim == 1 else t.argmax(axis=1)
        return int(np.count_nonzero(pred == true))
    right = int(np.count_nonzero((out > 0) == (t > 0.5)))
    per_sample = out.size // max(len(out), 1)
    return right if per_sample == 1 else right / per_sample


def total_sum_squares(t: np.ndarray) -> float:
    """Sum of squared deviations of the targets from their per-output mean (float64)."""
    t64 = t.astype(np.float64).reshape(len(t), -1)
    return float(((t64 - t64.mean(axis=0)) ** 2).sum())


def regression_metrics(sse: float, size: int, sst: float) -> dict[str, float]:
    """``rmse`` and ``r2`` from the sum of squared errors over ``size`` target values and
    the targets' total sum of squares."""
    rmse = math.sqrt(sse / max(size, 1))
    r2 = 1.0 - sse / sst if sst > 0 else 0.0
    return {"rmse": rmse, "r2": r2}
