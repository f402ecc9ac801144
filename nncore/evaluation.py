"""Evaluating trained weights on a split of the data, without training.

:func:`evaluate_split` gives, as plain data (:class:`Evaluation`): the loss and metrics as
training reports them, and for classification a confusion matrix (rows: true class,
columns: predicted) and per class precision, recall, F1 and support, with their macro and
support-weighted averages; for regression RMSE, MAE and R² in the targets' own units (a
project that standardizes its targets is scaled back), over every target value, R²
against each output's mean. A class never predicted has precision 0 (and never present,
recall 0), as scikit-learn reports them with ``zero_division=0``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from nncore.errors import DataError
from nncore.losses import Loss, get_loss
from nncore.metrics import MetricsAccumulator
from nncore.network import Network, _take

SPLITS = ("train", "val", "test")


@dataclass
class ClassScores:
    name: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class Evaluation:
    split: str
    task: str
    n: int
    #: Mean loss as training reports it (in the training targets' units).
    loss: float
    #: Classification: accuracy; regression: rmse, mae, r2 (in the targets' units).
    metrics: dict[str, float]
    #: Predicted class (int) or predicted values (targets' units) of each sample.
    predictions: np.ndarray
    class_names: list[str] | None = None
    confusion: np.ndarray | None = None
    per_class: list[ClassScores] | None = None
    macro: dict[str, float] | None = None
    weighted: dict[str, float] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: everything but the predictions."""
        d = asdict(self)
        d.pop("predictions")
        if self.confusion is not None:
            d["confusion"] = self.confusion.tolist()
        return d


def outputs_and_loss(network: Network, loss: Loss, x: Any, t: np.ndarray,
                     batch_size: int = 1024) -> tuple[np.ndarray, float, dict[str, float]]:
    """The network's outputs for ``x`` in inference mode (logits when ``loss`` fuses the
    output activation), the mean loss against ``t`` (as checked by ``loss.check_targets``)
    and the metrics training reports, in batches."""
    fused = network.fused_output
    network.set_fused_output(loss.fused_activation is not None)
    try:
        metrics = MetricsAccumulator(loss, t, exact=True)
        outs = []
        for a in range(0, len(t), batch_size):
            sl = slice(a, a + batch_size)
            out = network.forward(_take(x, sl, network.dtype), training=False)
            metrics.add(out, t[sl], loss.forward(out, t[sl]))
            outs.append(np.array(out, copy=True))
        value, reported = metrics.result()
        return np.concatenate(outs), value, reported
    finally:
        network.set_fused_output(fused)


def evaluate_split(network: Network, data: Any, loss_name: str, split: str = "val",
                   loss_params: dict[str, Any] | None = None) -> Evaluation:
    """Evaluate ``network`` on one split of prepared data (:class:`nncore.run.PreparedData`,
    whose regression targets may be standardized). Raises DataError for a missing split."""
    from nncore.run import check_compatible, network_inputs

    if split not in SPLITS:
        raise DataError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    ds = getattr(data, split)
    if ds is None or len(ds.y) == 0:
        fraction = {"val": "val_fraction", "test": "test_fraction"}.get(split, "")
        raise DataError(f"the project's data has no {split} split"
                        + (f" (data.{fraction} is 0)" if fraction else ""))
    check_compatible(network, data.dataset, loss_name)
    loss = get_loss(loss_name, **(loss_params or {}))
    t = loss.check_targets(ds.y, network.output_shape)
    out, value, _ = outputs_and_loss(network, loss, network_inputs(network, ds), t)
    if ds.task == "classification":
        return _classification(out, ds.y, value, split, data.class_names, loss)
    scale = (data.target_mean, data.target_std)
    return _regression(out, ds.y, value, split, scale)


def _classification(out: np.ndarray, y: np.ndarray, loss_value: float, split: str,
                    names: list[str] | None, loss: Loss) -> Evaluation:
    if out.ndim == 2 and out.shape[1] > 1:
        pred, k = out.argmax(axis=1), out.shape[1]
    else:  # one sigmoid unit (logits when fused): class 1 above 0, else 0.5
        cut = 0.0 if loss.fused_activation == "sigmoid" else 0.5
        pred, k = (out.reshape(len(out)) > cut).astype(np.int64), 2
    true = np.asarray(y, np.int64)
    names = list(names) if names and len(names) == k else [str(i) for i in range(k)]
    confusion = confusion_matrix(true, pred, k)
    per_class, macro, weighted = class_scores(confusion, names)
    accuracy = float(np.trace(confusion) / max(len(true), 1))
    return Evaluation(split, "classification", len(true), loss_value,
                      {"accuracy": accuracy}, pred, names, confusion, per_class, macro,
                      weighted)


def confusion_matrix(true: np.ndarray, pred: np.ndarray, k: int) -> np.ndarray:
    """(k, k) counts: row = true class, column = predicted class."""
    return np.bincount(true * k + pred, minlength=k * k).reshape(k, k)


def class_scores(confusion: np.ndarray, names: list[str]
                 ) -> tuple[list[ClassScores], dict[str, float], dict[str, float]]:
    """Per class precision, recall, F1, support; their macro and weighted averages."""
    tp = np.diag(confusion).astype(np.float64)
    predicted, support = confusion.sum(axis=0), confusion.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
    both = precision + recall
    f1 = np.divide(2 * precision * recall, both, out=np.zeros_like(tp), where=both > 0)
    rows = [ClassScores(n, float(p), float(r), float(f), int(s))
            for n, p, r, f, s in zip(names, precision, recall, f1, support)]
    w = support / max(support.sum(), 1)
    macro = {"precision": float(precision.mean()), "recall": float(recall.mean()),
             "f1": float(f1.mean())}
    weighted = {"precision": float(w @ precision), "recall": float(w @ recall),
                "f1": float(w @ f1)}
    return rows, macro, weighted


def _regression(out: np.ndarray, y: np.ndarray, loss_value: float, split: str,
                scale: tuple[Any, Any]) -> Evaluation:
    n = len(y)
    pred = out.reshape(n, -1).astype(np.float64)
    true = np.asarray(y, np.float64).reshape(n, -1)
    mean, std = scale
    if mean is not None and std is not None:
        pred = pred * np.asarray(std) + np.asarray(mean)
        true = true * np.asarray(std) + np.asarray(mean)
    err = pred - true
    sse = float((err ** 2).sum())
    sst = float(((true - true.mean(axis=0)) ** 2).sum())
    metrics = {"rmse": float(np.sqrt(sse / err.size)), "mae": float(np.abs(err).mean()),
               "r2": 1.0 - sse / sst if sst > 0 else 0.0}
    return Evaluation(split, "regression", n, loss_value, metrics,
                      pred.reshape(out.shape) if pred.size == out.size else pred)
