"""Loss functions. Each returns the batch-mean loss and keeps what ``backward`` needs.

Cross-entropies are computed from logits: the network skips its output softmax/sigmoid
(``Network.set_fused_output``) and the loss applies it inside, in log-space, which is exact
for any logit size and never takes log(0). Categorical cross-entropy takes integer class
labels (n,) or one-hot / probability targets (n, k).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from nncore.errors import DataError, ParameterError
from nncore.params import Param


class Loss(ABC):
    name: str = ""
    label: str = ""
    help: str = ""
    task: str = "regression"
    #: The output activation this loss fuses with (None: uses outputs as they are).
    fused_activation: str | None = None
    schema: tuple[Param, ...] = ()

    def __init__(self, **params) -> None:
        from nncore.params import coerce_all

        self.config = coerce_all(self.schema, params, f"loss {self.name}")

    @abstractmethod
    def forward(self, out: np.ndarray, target: np.ndarray) -> float:
        """Mean loss over the batch."""

    @abstractmethod
    def backward(self) -> np.ndarray:
        """dLoss/dOut for the last ``forward``."""

    def check_targets(self, target: np.ndarray, out_shape: tuple[int, ...]) -> np.ndarray:
        """Return targets in the form ``forward`` expects, or raise DataError."""
        t = np.asarray(target)
        if t.ndim == 1 and len(out_shape) == 1 and out_shape[0] == 1:
            t = t.reshape(-1, 1)
        if t.shape[1:] != tuple(out_shape):
            raise DataError(f"{self.label}: targets have shape {t.shape[1:]} per sample but "
                            f"the network outputs {tuple(out_shape)}")
        return t.astype(np.float32) if t.dtype.kind != "f" else t


class _Elementwise(Loss):
    def forward(self, out, target):
        self.n = out.size
        self.diff = out - target.astype(out.dtype, copy=False)
        return float(self._value(self.diff))

    def backward(self):
        return self._grad(self.diff) * self.diff.dtype.type(1.0 / self.n)


class MSE(_Elementwise):
    name, label, help = "mse", "Mean squared error", "Mean of (prediction - target)^2."

    def _value(self, d):
        flat = d.reshape(-1)
        return np.dot(flat, flat) / self.n

    def backward(self):
        return self.diff * self.diff.dtype.type(2.0 / self.n)


class MAE(_Elementwise):
    name, label, help = "mae", "Mean absolute error", "Mean of |prediction - target|."

    def _value(self, d):
        return np.abs(d).sum() / self.n

    def _grad(self, d):
        return np.sign(d)


class Huber(_Elementwise):
    name, label = "huber", "Huber"
    help = "Squared error near zero, absolute error beyond delta: robust to outliers."
    schema = (Param("delta", "float", 1.0, "Where the loss turns from squared to linear.",
                    min=1e-6),)

    def _value(self, d):
        delta = self.config["delta"]
        a = np.abs(d)
        quad = np.minimum(a, delta)
        return (0.5 * quad * quad + delta * (a - quad)).sum() / self.n

    def _grad(self, d):
        delta = self.config["delta"]
        return np.clip(d, -delta, delta)


class BinaryCrossEntropy(Loss):
    name, label = "binary_crossentropy", "Binary cross-entropy"
    help = "For two classes with one sigmoid output: -[t log p + (1-t) log(1-p)]."
    task = "classification"
    fused_activation = "sigmoid"

    def check_targets(self, target, out_shape):
        t = np.asarray(target)
        if t.ndim == 1:
            t = t.reshape(-1, 1)
        if t.shape[1:] != tuple(out_shape):
            raise DataError(f"{self.label}: targets have shape {t.shape[1:]} per sample but "
                            f"the network outputs {tuple(out_shape)}; binary cross-entropy "
                            "needs one sigmoid output per binary label")
        if t.size and (t.min() < 0 or t.max() > 1):
            raise DataError(f"{self.label}: targets must lie in [0, 1] (class 0 or 1), got "
                            f"values from {t.min()} to {t.max()}")
        return t.astype(np.float32)

    def forward(self, z, target):
        t = target.astype(z.dtype, copy=False)
        self.z, self.t = z, t
        # max(z,0) - z t + log(1 + exp(-|z|)): exact and overflow-free.
        loss = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
        return float(loss.mean())

    def backward(self):
        p = 0.5 * (1.0 + np.tanh(0.5 * self.z))
        return (p - self.t) * self.z.dtype.type(1.0 / self.z.size)


class CategoricalCrossEntropy(Loss):
    name, label = "categorical_crossentropy", "Categorical cross-entropy"
    help = "For one-of-k classes with a softmax output: -log p(true class)."
    task = "classification"
    fused_activation = "softmax"

    def check_targets(self, target, out_shape):
        t = np.asarray(target)
        k = out_shape[-1]
        if len(out_shape) != 1:
            raise DataError(f"{self.label}: the network output must be flat, got {out_shape}")
        if t.ndim == 1 or (t.ndim == 2 and t.shape[1] == 1 and k > 1):
            return class_labels(t.reshape(-1), k, self.label)
        if t.shape[1:] != (k,):
            raise DataError(f"{self.label}: one-hot targets have {t.shape[1:]} per sample but "
                            f"the network outputs {k} classes")
        return t.astype(np.float32)

    def forward(self, z, target):
        self.z = z
        zmax = z.max(axis=1, keepdims=True)
        shifted = z - zmax
        e = np.exp(shifted)
        s = e.sum(axis=1, keepdims=True)
        self.p = e / s
        logsum = np.log(s)
        n = z.shape[0]
        self.t = target
        if target.ndim == 1:
            rows = np.arange(n)
            self.rows = rows
            picked = shifted[rows, target] - logsum[:, 0]
            return float(-picked.mean())
        return float(-(target * (shifted - logsum)).sum() / n)

    def backward(self):
        n = self.z.shape[0]
        g = self.p.copy()
        if self.t.ndim == 1:
            g[self.rows, self.t] -= 1.0
        else:
            g -= self.t.astype(g.dtype, copy=False)
        g *= g.dtype.type(1.0 / n)
        return g


def class_labels(values: np.ndarray, k: int, label: str) -> np.ndarray:
    """``values`` as int64 class labels for an output of ``k`` units; DataError (prefixed
    with ``label``) for labels that are not whole numbers in ``0..k-1``."""
    t = np.asarray(values)
    if t.dtype.kind == "f":
        if not np.all(np.mod(t, 1) == 0):
            raise DataError(f"{label}: class labels must be whole numbers")
        t = t.astype(np.int64)
    if t.dtype.kind not in "iu":
        raise DataError(f"{label}: class labels must be integers, got {t.dtype}")
    if t.size and (t.min() < 0 or t.max() >= k):
        raise DataError(f"{label}: class labels must be in 0..{k - 1} for an output of {k} "
                        f"units, got labels from {t.min()} to {t.max()}")
    return t.astype(np.int64)


LOSSES: dict[str, type[Loss]] = {
    c.name: c for c in (MSE, MAE, Huber, BinaryCrossEntropy, CategoricalCrossEntropy)
}


def get_loss(name: str, **params) -> Loss:
    try:
        cls = LOSSES[name]
    except KeyError:
        raise ParameterError(f"unknown loss {name!r} (known: {', '.join(LOSSES)})") from None
    return cls(**params)
