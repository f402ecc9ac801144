"""Activation functions, each with its forward and backward side by side.

An activation is stateless: ``forward(x)`` returns ``y`` and ``backward(grad, x, y)`` returns
the gradient with respect to ``x`` given the forward's input and output (layers keep both).
All formulas are numerically stable for large |x| and keep the input's dtype.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod

import numpy as np

from nncore.errors import ParameterError


class Activation(ABC):
    name: str = ""
    #: One line for tooltips and docs.
    help: str = ""
    #: True when backward needs the pre-activation ``x`` (otherwise ``y`` suffices).
    needs_input: bool = True

    @abstractmethod
    def forward(self, x: np.ndarray) -> np.ndarray:
        """Return f(x)."""

    @abstractmethod
    def backward(self, grad: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Return dL/dx given dL/dy, the forward's input x and output y."""


class Linear(Activation):
    name, help, needs_input = "linear", "Identity: f(x) = x (no non-linearity).", False

    def forward(self, x):
        return x

    def backward(self, grad, x, y):
        return grad


class Sigmoid(Activation):
    name, help, needs_input = "sigmoid", "Logistic 1/(1+e^-x); saturates, gradients vanish.", False

    def forward(self, x):
        # 0.5*(1+tanh(x/2)) equals the logistic function and never overflows.
        y = np.tanh(x * 0.5)
        y *= 0.5
        y += 0.5
        return y

    def backward(self, grad, x, y):
        return grad * (y * (1.0 - y))


class Tanh(Activation):
    name, help, needs_input = "tanh", "Hyperbolic tangent, zero-centred, range (-1, 1).", False

    def forward(self, x):
        return np.tanh(x)

    def backward(self, grad, x, y):
        return grad * (1.0 - y * y)


class ReLU(Activation):
    name, help, needs_input = "relu", "Rectified linear max(0, x); units can die at 0.", False

    def forward(self, x):
        return np.maximum(x, 0)

    def backward(self, grad, x, y):
        return grad * (y > 0)


class LeakyReLU(Activation):
    name, help = "leaky_relu", "max(x, 0.01x): like ReLU with a small slope below zero."
    alpha = 0.01

    def forward(self, x):
        return np.where(x > 0, x, x * self.alpha)

    def backward(self, grad, x, y):
        return np.where(x > 0, grad, grad * self.alpha)


class ELU(Activation):
    name, help = "elu", "x for x > 0, e^x - 1 below: smooth, negative outputs."

    def forward(self, x):
        return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))

    def backward(self, grad, x, y):
        return np.where(x > 0, grad, grad * (y + 1.0))


_GELU_C = math.sqrt(2.0 / math.pi)


class GELU(Activation):
    name, help = "gelu", "Gaussian error linear unit (tanh approximation), used in transformers."

    def forward(self, x):
        inner = _GELU_C * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1.0 + np.tanh(inner))

    def backward(self, grad, x, y):
        x2 = x * x
        t = np.tanh(_GELU_C * (x + 0.044715 * x2 * x))
        d = 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * _GELU_C * (1.0 + 3 * 0.044715 * x2)
        return grad * d


class Softplus(Activation):
    name, help = "softplus", "log(1 + e^x): a smooth ReLU."

    def forward(self, x):
        return np.logaddexp(x, 0)

    def backward(self, grad, x, y):
        return grad * (0.5 * (1.0 + np.tanh(x * 0.5)))


class SiLU(Activation):
    name, help = "silu", "x * sigmoid(x) (swish): smooth, non-monotonic."

    def forward(self, x):
        return x * (0.5 * (1.0 + np.tanh(x * 0.5)))

    def backward(self, grad, x, y):
        s = 0.5 * (1.0 + np.tanh(x * 0.5))
        return grad * (s * (1.0 + x * (1.0 - s)))


class Softmax(Activation):
    name, needs_input = "softmax", False
    help = "Normalised exponentials over the last axis: class probabilities."

    def forward(self, x):
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        e /= e.sum(axis=-1, keepdims=True)
        return e

    def backward(self, grad, x, y):
        return y * (grad - (grad * y).sum(axis=-1, keepdims=True))


ACTIVATIONS: dict[str, type[Activation]] = {
    cls.name: cls
    for cls in (Linear, Sigmoid, Tanh, ReLU, LeakyReLU, ELU, GELU, Softplus, SiLU, Softmax)
}
ACTIVATION_NAMES: tuple[str, ...] = tuple(ACTIVATIONS)


def get_activation(name: str) -> Activation:
    """Return a new activation object for ``name`` or raise ParameterError."""
    try:
        return ACTIVATIONS[name]()
    except KeyError:
        raise ParameterError(
            f"unknown activation {name!r} (known: {', '.join(ACTIVATION_NAMES)})"
        ) from None
