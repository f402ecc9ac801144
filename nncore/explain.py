"""Attributions: which inputs a prediction rests on.

For samples of a network with one numeric Input (flat, image or sequence), as plain arrays
a window can draw (:class:`~nncore.attribution.Attribution`):

- :func:`saliency`: the gradient of the explained score with respect to the input
  (Simonyan et al. 2014), signed;
- :func:`~nncore.integrated_gradients.integrated_gradients`: ``(x - x')`` times the mean
  gradient along the straight path from a baseline ``x'`` to ``x`` (Sundararajan et al.
  2017); a sample's attributions add up to score(x) - score(x');
- :func:`grad_cam`: for a layer with image outputs (a Conv2D), ``relu(sum_k a_k A_k)``
  with ``a_k`` the mean gradient of the score over channel k's map ``A_k`` (Selvaraju et
  al. 2017), upsampled bilinearly to the input's size.

:func:`attribute` picks one by name. The explained score, the gradients and the ``stop``
flag are described in :mod:`nncore.attribution`. Inputs are the network's: normalized as
the training split was; :func:`make_baseline` builds baselines in the same space.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nncore.attribution import (
    Attribution,
    StopFlag,
    Stopped,
    check_stop,
    chunk_rows,
    explaining,
    prepare_inputs,
    score_gradients,
)
from nncore.errors import ParameterError
from nncore.integrated_gradients import (
    DEFAULT_MAX_STEPS,
    DEFAULT_STEPS,
    DEFAULT_TOLERANCE,
    integrated_gradients,
)
from nncore.network import Network

__all__ = ["METHODS", "BASELINES", "Attribution", "Stopped", "attribute", "make_baseline",
           "grad_cam", "integrated_gradients", "saliency"]

METHODS = ("saliency", "integrated-gradients", "gradcam")
BASELINES = ("zeros", "mean", "blur")


# -- the methods -------------------------------------------------------------------------

def saliency(network: Network, x: Any, target: Any = None, score: str = "logit",
             stop: StopFlag = None) -> Attribution:
    """The gradient of each sample's score with respect to its input."""
    network, x, head, targets = prepare_inputs(network, x, target, score)
    values = np.empty(x.shape, np.float64)
    scores = np.empty(len(x))
    rows = chunk_rows(network)
    with explaining(network):
        for a in range(0, len(x), rows):
            check_stop(stop)
            sl = slice(a, a + rows)
            scores[sl], values[sl], _ = score_gradients(network, head, x[sl], targets[sl])
    return Attribution("saliency", values, targets, scores, score)


def grad_cam(network: Network, x: Any, layer: str | None = None, target: Any = None,
             score: str = "logit", stop: StopFlag = None) -> Attribution:
    """Grad-CAM on ``layer`` (a node with image outputs; None: the last Conv2D)."""
    network, x, head, targets = prepare_inputs(network, x, target, score)
    layer = cam_layer(network, layer)
    _, h, w = network.shapes[layer]
    maps = np.empty((len(x), h, w))
    scores = np.empty(len(x))
    rows = chunk_rows(network)
    with explaining(network):
        for a in range(0, len(x), rows):
            check_stop(stop)
            sl = slice(a, a + rows)
            scores[sl], _, (acts, grads) = score_gradients(network, head, x[sl],
                                                           targets[sl], layer)
            alpha = grads.mean(axis=(2, 3))
            maps[sl] = np.maximum(np.einsum("nc,nchw->nhw", alpha, acts), 0.0)
    shape = network.input_shape
    values = upsample_bilinear(maps, shape[1:]) if len(shape) == 3 else maps
    return Attribution("gradcam", values, targets, scores, score, layer=layer,
                       layer_map=maps)


def cam_layer(network: Network, layer: str | None) -> str:
    """``layer`` checked (a node whose outputs are images), or the last Conv2D."""
    if layer is None:
        convs = [n for n in network.order if network.layers[n].type_name == "Conv2D"]
        if not convs:
            raise ParameterError("Grad-CAM needs a convolutional layer; this network has "
                                 "no Conv2D")
        return convs[-1]
    if layer not in network.layers:
        raise ParameterError(f"layer: no node is named {layer!r} (nodes: "
                             f"{', '.join(network.order)})")
    if len(network.shapes[layer]) != 3 or layer in network.input_ids:
        raise ParameterError(f"layer: Grad-CAM needs a layer whose outputs are images "
                             f"(channels, height, width); {network.layers[layer].owner} "
                             f"outputs {network.shapes[layer]}")
    return layer


def upsample_bilinear(maps: np.ndarray, size: tuple[int, ...]) -> np.ndarray:
    """(n, h, w) maps resized to (n, H, W) by bilinear interpolation with pixel centres
    aligned (as PyTorch's ``align_corners=False``, edges clamped)."""
    mh = _interpolation_matrix(maps.shape[1], size[0])
    mw = _interpolation_matrix(maps.shape[2], size[1])
    return np.einsum("Hh,nhw,Ww->nHW", mh, maps, mw)


def _interpolation_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in): linear interpolation weights of each output cell."""
    src = np.clip((np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5, 0.0, n_in - 1)
    lo = np.floor(src).astype(int)
    hi = np.minimum(lo + 1, n_in - 1)
    frac = src - lo
    m = np.zeros((n_out, n_in))
    np.add.at(m, (np.arange(n_out), lo), 1.0 - frac)
    np.add.at(m, (np.arange(n_out), hi), frac)
    return m


# -- baselines ---------------------------------------------------------------------------

def make_baseline(kind: str, x: Any, normalizer: Any = None, train_mean: Any = None,
             blur_sigma: float | None = None) -> np.ndarray:
    """Integrated gradients' baseline for inputs ``x`` (in the network's space), one per
    sample: ``"zeros"`` (a zero input in the data's own units, through ``normalizer``),
    ``"mean"`` (``train_mean``: the mean sample of the normalized training split) or
    ``"blur"`` (each image blurred by a Gaussian of ``blur_sigma`` pixels; default a
    tenth of the larger side, at least 1)."""
    x = np.asarray(x, np.float64)
    if kind == "zeros":
        zeros = np.zeros(x.shape, np.float32)
        return (np.asarray(normalizer.transform(zeros), np.float64)
                if normalizer is not None and getattr(normalizer, "fitted", False) else
                zeros.astype(np.float64))
    if kind == "mean":
        if train_mean is None:
            raise ParameterError("the 'mean' baseline needs the training split's mean")
        return np.broadcast_to(np.asarray(train_mean, np.float64), x.shape).copy()
    if kind == "blur":
        if x.ndim != 4:
            raise ParameterError(f"the 'blur' baseline needs image inputs (channels, height, "
                                 f"width); these samples have shape {x.shape[1:]}")
        sigma = max(1.0, max(x.shape[2:]) / 10) if blur_sigma is None else blur_sigma
        if not np.isfinite(sigma) or sigma <= 0:
            raise ParameterError(f"blur sigma must be a positive number, got {sigma!r}")
        return gaussian_blur(x, float(sigma))
    raise ParameterError(f"baseline must be one of {', '.join(BASELINES)}, got {kind!r}")


def gaussian_blur(images: np.ndarray, sigma: float) -> np.ndarray:
    """(n, C, H, W) images blurred along H and W by a normalized Gaussian of ``sigma``
    pixels (truncated at 3 sigma), edges extended by their nearest pixel."""
    radius = max(1, int(np.ceil(3 * sigma)))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps /= taps.sum()
    out = np.asarray(images, np.float64)
    for axis in (2, 3):
        n = out.shape[axis]
        idx = np.clip(np.arange(n)[:, None] + np.arange(-radius, radius + 1)[None], 0, n - 1)
        m = np.zeros((n, n))
        np.add.at(m, (np.repeat(np.arange(n), len(taps)), idx.ravel()), np.tile(taps, n))
        out = np.moveaxis(np.tensordot(out, m, axes=([axis], [1])), -1, axis)
    return out


def attribute(network: Network, x: Any, method: str, *, target: Any = None,
              score: str = "logit", baseline: Any = None, steps: int = DEFAULT_STEPS,
              tolerance: float = DEFAULT_TOLERANCE, max_steps: int = DEFAULT_MAX_STEPS,
              layer: str | None = None, stop: StopFlag = None) -> Attribution:
    """One of :data:`METHODS` by name."""
    if method == "saliency":
        return saliency(network, x, target, score, stop)
    if method == "integrated-gradients":
        return integrated_gradients(network, x, baseline, target, steps, score, tolerance,
                                    max_steps, stop)
    if method == "gradcam":
        return grad_cam(network, x, layer, target, score, stop)
    raise ParameterError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
