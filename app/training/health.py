"""How healthy a layer looks while training: gradient health and activation statistics.

These are the rules behind the colour badges on canvas nodes (and the tooltips that
explain them). Nothing here imports Qt.

Gradient health of a layer with trainable weights, from its gradient norm ``g`` (the L2
norm over all its weight gradients, smoothed over recent batches) compared with the largest
gradient norm ``g_max`` among the layers that are not exploding and with the
layer's weight norm ``w``:

- **exploding** when ``g > EXPLODING_NORM`` (1e3), or ``g > EXPLODING_RATIO * w``
  (10 x): one plain gradient step at learning rate 0.1 would move the weights by more than
  their own size;
- **vanishing** when ``g < VANISHING_RATIO * g_max`` (1e-3), or ``g`` is 0: the layer
  learns at least a thousand times more slowly than the fastest one (not at all at 0);
  typical of the first layers of a deep sigmoid or tanh network, where each layer
  multiplies the gradient by the activation's slope (at most 0.25 for the sigmoid), and of
  layers whose units are all saturated or dead;
- **weak** when ``g < WEAK_RATIO * g_max`` (1e-2);
- **ok** otherwise.

Activation statistics, from the outputs of a layer on a batch of validation samples:

- **dead ReLU fraction**: the share of units (features; channels of images) whose output is
  0 for every sample of the batch. A dead unit passes no gradient and no longer learns.
- **saturated fraction** (sigmoid, tanh): the share of units that are saturated for at
  least ``SATURATED_SAMPLES`` (90 %) of the samples, where saturated means the
  activation's slope is below ``SATURATION_SLOPE`` (5 %) of its maximum: sigmoid outputs
  below 0.0127 or above 0.9873, tanh outputs beyond +-0.975. Such a unit passes almost no
  gradient for almost any input. (Counted per output value instead, a healthy classifier
  is "saturated": a trained XOR network's tanh units sit at +-1 for 62 % of the values,
  which is how it separates the classes, while each of its units still switches.)
- Either counts as a problem from ``ACTIVITY_WARN`` (half of the layer), a serious one
  from ``ACTIVITY_BAD`` (80 %).

The thresholds were measured on the shipped examples trained to their bars (the most: a
quarter of a ReLU layer dead in ``regression``, 6 % of a tanh layer saturated in
``spiral``, all gradients "ok") and on broken runs that must raise them: eight sigmoid
layers (vanishing gradients, up to 69 % saturated units), SGD at learning rate 1000 on the
spiral (gradients of 0, every unit saturated), SGD at 0.6 on ``regression`` (98 % dead).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

EXPLODING_NORM = 1e3
EXPLODING_RATIO = 10.0
VANISHING_RATIO = 1e-3
WEAK_RATIO = 1e-2
SATURATION_SLOPE = 0.05
SATURATED_SAMPLES = 0.9
ACTIVITY_WARN = 0.5
ACTIVITY_BAD = 0.8

HEALTH_LEVELS = ("ok", "weak", "vanishing", "exploding")


def gradient_health(norms: dict[str, float],
                    weight_norms: dict[str, float] | None = None) -> dict[str, str]:
    """Classify each layer's gradient norm (see the module notes): layer -> level. The
    reference ``g_max`` is the largest norm among the layers that are not exploding."""
    out: dict[str, str] = {}
    for layer, g in norms.items():
        w = (weight_norms or {}).get(layer)
        if not math.isfinite(g) or g > EXPLODING_NORM or (
                w is not None and w > 0 and g > EXPLODING_RATIO * w):
            out[layer] = "exploding"
    g_max = max((g for k, g in norms.items() if k not in out), default=0.0)
    for layer, g in norms.items():
        if layer in out:
            continue
        if g <= 0 or g < VANISHING_RATIO * g_max:
            out[layer] = "vanishing"
        elif g_max > 0 and g < WEAK_RATIO * g_max:
            out[layer] = "weak"
        else:
            out[layer] = "ok"
    return {k: out[k] for k in norms}


def feature_axis(ndim: int) -> int:
    """Axis of units in a batch of layer outputs: channels of (n, C, H, W) images, the last
    axis of (n, T, F) sequences, features of (n, F)."""
    return 1 if ndim in (2, 4) else ndim - 1


@dataclass(frozen=True)
class Activity:
    """How many units of a layer are dead or saturated, and how bad that is."""

    kind: str  # "dead" (ReLU) or "saturated" (sigmoid, tanh)
    fraction: float

    @property
    def level(self) -> str:
        if self.fraction >= ACTIVITY_BAD:
            return "bad"
        if self.fraction >= ACTIVITY_WARN:
            return "warn"
        return "ok"

    def short(self) -> str:
        return f"{'dead' if self.kind == 'dead' else 'sat'} {self.fraction:.0%}"


def dead_fraction(y: np.ndarray) -> float:
    """Share of units whose output is <= 0 for every sample of ``y`` (a batch)."""
    y = np.asarray(y)
    if y.ndim < 2 or len(y) == 0:
        return 0.0
    axis = feature_axis(y.ndim)
    others = tuple(a for a in range(y.ndim) if a != axis)
    alive = (y > 0).any(axis=others)
    return float(1.0 - alive.mean()) if alive.size else 0.0


def _saturated(activation: str, y: np.ndarray) -> np.ndarray:
    """Where the slope of ``activation`` at outputs ``y`` is below ``SATURATION_SLOPE`` of
    its maximum."""
    if activation == "sigmoid":
        slope = y * (1.0 - y) / 0.25
    elif activation == "tanh":
        slope = 1.0 - y * y
    else:
        raise ValueError(f"saturation is defined for sigmoid and tanh, not {activation!r}")
    return slope < SATURATION_SLOPE


def saturated_units(activation: str, y: np.ndarray) -> float:
    """Share of units (features; channels of images) saturated for at least
    ``SATURATED_SAMPLES`` of the samples of ``y`` (a batch)."""
    y = np.asarray(y, np.float64)
    if y.ndim < 2 or y.size == 0:
        return 0.0
    axis = feature_axis(y.ndim)
    others = tuple(a for a in range(y.ndim) if a != axis)
    share = _saturated(activation, y).mean(axis=others)
    return float(np.mean(share >= SATURATED_SAMPLES))


def activity(activation: str | None, y: np.ndarray) -> Activity | None:
    """The statistic that matters for ``activation`` (None for other activations)."""
    if activation == "relu":
        return Activity("dead", dead_fraction(y))
    if activation in ("sigmoid", "tanh"):
        return Activity("saturated", saturated_units(activation, y))
    return None
