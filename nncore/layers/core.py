"""Core layers: Input, Dense, Activation, Dropout, BatchNormalization, Flatten, Reshape."""

from __future__ import annotations

import numpy as np

from nncore.activations import ACTIVATION_NAMES, Linear, get_activation
from nncore.initializers import INITIALIZER_NAMES
from nncore.layers.base import Layer, Shape, WeightSpec, is_flat
from nncore.params import Param
from nncore.registry import register

_ACT = Param("activation", "choice", "relu", "Non-linearity applied to the output.",
             choices=ACTIVATION_NAMES, key=True)


def _init_param(name: str, default: str, help_: str) -> Param:
    return Param(name, "choice", default, help_, choices=INITIALIZER_NAMES)


class _ActivationMixin:
    """Shared handling of a layer's own activation (Dense, Conv2D, ...)."""

    def _setup_activation(self) -> None:
        self.act = get_activation(self.config["activation"])
        self._linear = isinstance(self.act, Linear)

    def _activate(self, z: np.ndarray) -> np.ndarray:
        self.z = z
        if self._linear or self.skip_activation:
            self.y = z
            return z
        self.y = self.act.forward(z)
        return self.y

    def _activation_backward(self, grad: np.ndarray) -> np.ndarray:
        if self._linear or self.skip_activation:
            return grad
        return self.act.backward(grad, self.z, self.y)


@register
class Input(Layer):
    type_name = "Input"
    formula = (
        "y = x (the sample, normalized as in training)",
        "dL/dx = dL/dy (where back-propagation ends)",
    )
    description = "Where data enters the network; its shape is one sample's shape."
    schema = (Param("shape", "shape", (2,), "Shape of one sample, e.g. [2] or [1, 8, 8].",
                    key=True),)
    min_inputs = max_inputs = 0
    glyph = "input"
    examples = (({"shape": [3]}, []), ({"shape": [1, 4, 4]}, []))

    def compute_output_shape(self, input_shapes):
        return tuple(self.config["shape"])

    def forward(self, x, training):
        return x

    def backward(self, grad):
        return None


@register
class Dense(_ActivationMixin, Layer):
    type_name = "Dense"
    formula = (
        "z = x @ W + b;  y = f(z)",
        "dL/dz = dL/dy * f'(z);  dL/dW = x^T @ dL/dz;  dL/db = sum over the batch of dL/dz;  "
        "dL/dx = dL/dz @ W^T",
    )
    description = "Fully connected layer: every input feeds every unit, y = f(xW + b)."
    glyph = "dense"
    schema = (
        Param("units", "int", 16, "Number of neurons.", min=1, max=1_000_000, key=True),
        _ACT,
        Param("use_bias", "bool", True, "Add a learned bias to each unit."),
        _init_param("kernel_initializer", "glorot_uniform", "How the weights start."),
        _init_param("bias_initializer", "zeros", "How the biases start."),
    )
    examples = (
        ({"units": 4, "activation": "linear"}, [(5,)]),
        ({"units": 3, "activation": "tanh"}, [(4,)]),
        ({"units": 3, "activation": "relu", "use_bias": False}, [(6,)]),
        ({"units": 4, "activation": "softmax"}, [(3,)]),
    )

    def __init__(self, name="", /, **params):
        super().__init__(name, **params)
        self._setup_activation()

    def compute_output_shape(self, input_shapes):
        (shape,) = input_shapes
        if not is_flat(shape):
            raise self.shape_error(
                f"expects a flat input, got shape {shape}; add a Flatten layer before it")
        return (self.config["units"],)

    def weight_specs(self, input_shapes):
        n_in, units = input_shapes[0][0], self.config["units"]
        specs = [WeightSpec("W", (n_in, units), self.config["kernel_initializer"],
                            regularize=True)]
        if self.config["use_bias"]:
            specs.append(WeightSpec("b", (units,), self.config["bias_initializer"]))
        return specs

    def on_built(self):
        self._use_bias = self.config["use_bias"]
        self._ones = np.ones(0, self.dtype)

    # np.dot rather than matmul/sum: the same BLAS calls with less per-call overhead, which
    # matters for small networks; the bias gradient is a gemv with a ones vector.
    def forward(self, x, training):
        self.x = x
        z = np.dot(x, self.weights["W"])
        if self._use_bias:
            z += self.weights["b"]
        return self._activate(z)

    def backward(self, grad):
        g = self._activation_backward(grad)
        if self.trainable:
            np.dot(self.x.T, g, out=self.grads["W"])
            if self._use_bias:
                n = g.shape[0]
                if self._ones.shape[0] < n:
                    self._ones = np.ones(n, g.dtype)
                np.dot(self._ones[:n], g, out=self.grads["b"])
        if self.need_input_grad:
            return np.dot(g, self.weights["W"].T)
        return None


@register
class Activation(_ActivationMixin, Layer):
    type_name = "Activation"
    formula = (
        "y = f(x)",
        "dL/dx = dL/dy * f'(x)",
    )
    description = "Applies a non-linearity element by element."
    glyph = "activation"
    schema = (_ACT,)
    examples = tuple(({"activation": a}, [(7,)]) for a in ACTIVATION_NAMES) + (
        ({"activation": "relu"}, [(2, 3, 3)]),)

    def __init__(self, name="", /, **params):
        super().__init__(name, **params)
        self._setup_activation()

    def compute_output_shape(self, input_shapes):
        return input_shapes[0]

    def forward(self, x, training):
        return self._activate(x)

    def backward(self, grad):
        return self._activation_backward(grad)


@register
class Dropout(Layer):
    type_name = "Dropout"
    formula = (
        "training: y = x * m / (1 - rate), each m_i 0 or 1 (1 with probability 1 - rate); "
        "inference: y = x",
        "training: dL/dx = dL/dy * m / (1 - rate);  inference: dL/dx = dL/dy",
    )
    description = "During training zeroes a random fraction of inputs (regularization)."
    glyph = "dropout"
    schema = (Param("rate", "float", 0.5, "Fraction of inputs dropped during training.",
                    min=0.0, max=0.95, key=True),)
    examples = (({"rate": 0.3}, [(6,)]), ({"rate": 0.5}, [(2, 3, 3)]))

    def compute_output_shape(self, input_shapes):
        return input_shapes[0]

    def forward(self, x, training):
        rate = self.config["rate"]
        if not training or rate == 0.0:
            self.mask = None
            return x
        keep = 1.0 - rate
        self.mask = (self.rng.random(x.shape, dtype=x.dtype) < keep) * x.dtype.type(1 / keep)
        return x * self.mask

    def backward(self, grad):
        return grad if self.mask is None else grad * self.mask


@register
class BatchNormalization(Layer):
    type_name = "BatchNormalization"
    formula = (
        "training: mu, var = mean and variance (divided by n) of x over the batch, per "
        "feature; moving_mean = momentum * moving_mean + (1 - momentum) * mu (and moving_var "
        "from var); inference: mu, var = moving_mean, moving_var;  xhat = (x - mu) / sqrt(var "
        "+ epsilon);  y = gamma * xhat + beta",
        "dL/dgamma = sum of dL/dy * xhat;  dL/dbeta = sum of dL/dy;  training: dL/dx = gamma "
        "/ sqrt(var + epsilon) * (dL/dy - mean(dL/dy) - xhat * mean(dL/dy * xhat));  "
        "inference: dL/dx = gamma / sqrt(var + epsilon) * dL/dy",
    )
    description = ("Normalises each feature (or image channel) over the batch, then scales "
                   "and shifts it.")
    glyph = "normalization"
    schema = (
        Param("momentum", "float", 0.99, "Decay of the moving mean and variance, which "
              "inference uses; the variance is the batch's biased one (divided by n), as in "
              "Keras. PyTorch's momentum is 1 minus this, and its running variance divides "
              "by n - 1.", min=0.0, max=0.9999),
        Param("epsilon", "float", 1e-3, "Added to the variance to avoid division by zero.",
              min=1e-12, max=1.0),
    )
    examples = (({}, [(5,)]), ({"momentum": 0.9}, [(3, 4, 4)]), ({}, [(6, 3)]))

    @staticmethod
    def feature_axis(shape: Shape) -> int:
        """Per-sample axis that holds features: channels (axis 0) for images and flat
        vectors, the last axis for sequences (T, F)."""
        return len(shape) - 1 if len(shape) == 2 else 0

    def compute_output_shape(self, input_shapes):
        (shape,) = input_shapes
        if len(shape) not in (1, 2, 3):
            raise self.shape_error(f"expects a flat, sequence or image input, got {shape}")
        return shape

    def weight_specs(self, input_shapes):
        shape = input_shapes[0]
        n = shape[self.feature_axis(shape)]
        return [
            WeightSpec("gamma", (n,), "ones"),
            WeightSpec("beta", (n,), "zeros"),
            WeightSpec("moving_mean", (n,), "zeros", trainable=False),
            WeightSpec("moving_var", (n,), "ones", trainable=False, minimum=0.0),
        ]

    def on_built(self):
        shape = self.input_shapes[0]
        axis = self.feature_axis(shape) + 1  # with the batch axis
        ndim = len(shape) + 1
        self._reduce = tuple(a for a in range(ndim) if a != axis)
        self._bshape = tuple(-1 if a == axis else 1 for a in range(ndim))

    def forward(self, x, training):
        w, eps, bs = self.weights, self.config["epsilon"], self._bshape
        if training and self.trainable:
            mean = x.mean(axis=self._reduce)
            var = x.var(axis=self._reduce)
            m = self.config["momentum"]
            w["moving_mean"] *= m
            w["moving_mean"] += (1 - m) * mean
            w["moving_var"] *= m
            w["moving_var"] += (1 - m) * var
        else:
            mean, var = w["moving_mean"], w["moving_var"]
        self.inv_std = (1.0 / np.sqrt(var + eps)).astype(x.dtype)
        self.xhat = (x - mean.reshape(bs)) * self.inv_std.reshape(bs)
        self.batch_stats = training and self.trainable
        return self.xhat * w["gamma"].reshape(bs) + w["beta"].reshape(bs)

    def backward(self, grad):
        bs, red = self._bshape, self._reduce
        gamma = self.weights["gamma"]
        if self.trainable:
            np.sum(grad * self.xhat, axis=red, out=self.grads["gamma"])
            np.sum(grad, axis=red, out=self.grads["beta"])
        if not self.need_input_grad:
            return None
        scale = (gamma * self.inv_std).reshape(bs)
        if not self.batch_stats:  # inference-mode statistics are constants
            return grad * scale
        n = grad.size // gamma.size
        dbeta = grad.sum(axis=red).reshape(bs)
        dgamma = (grad * self.xhat).sum(axis=red).reshape(bs)
        return scale * (grad - dbeta / n - self.xhat * (dgamma / n))


@register
class Flatten(Layer):
    type_name = "Flatten"
    formula = (
        "y = x as one vector (row-major order)",
        "dL/dx = dL/dy in the shape of x",
    )
    description = "Turns an image or sequence into one flat vector per sample."
    glyph = "flatten"
    examples = (({}, [(2, 3, 4)]), ({}, [(5, 2)]))

    def compute_output_shape(self, input_shapes):
        return (int(np.prod(input_shapes[0])),)

    def forward(self, x, training):
        self.in_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, grad):
        return grad.reshape(self.in_shape)


@register
class Reshape(Layer):
    type_name = "Reshape"
    formula = (
        "y = x in the shape target_shape (row-major order)",
        "dL/dx = dL/dy in the shape of x",
    )
    description = "Gives each sample a new shape with the same number of values."
    glyph = "reshape"
    schema = (Param("target_shape", "shape", (1, 8, 8), "The new per-sample shape.",
                    key=True),)
    examples = (({"target_shape": [2, 6]}, [(12,)]), ({"target_shape": [16]}, [(1, 4, 4)]))

    def compute_output_shape(self, input_shapes):
        (shape,) = input_shapes
        target = tuple(self.config["target_shape"])
        if int(np.prod(shape)) != int(np.prod(target)):
            raise self.shape_error(
                f"cannot reshape {shape} ({int(np.prod(shape))} values) into {target} "
                f"({int(np.prod(target))} values)")
        return target

    def forward(self, x, training):
        self.in_shape = x.shape
        return x.reshape((x.shape[0], *self.output_shape))

    def backward(self, grad):
        return grad.reshape(self.in_shape)
