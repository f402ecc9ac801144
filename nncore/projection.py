"""What a hidden layer has learned: its activations (or an Embedding's vectors) projected
onto their principal axes.

:func:`layer_activations` gives a node's outputs for a set of samples (inference mode), one
flat row per sample. :class:`Projection` fits principal component analysis once (the SVD
of the centred rows: the axes are the right singular vectors, ordered by the variance they
explain) and then projects any rows, later ones included, onto the same axes: a window can
redraw the validation set on fixed axes while the network trains. Each axis's sign is
fixed so that its largest loading is positive, and a refit given the previous projection
keeps each axis pointing the way it pointed, so axes never flip between updates.
:func:`embedding_vectors` gives an Embedding layer's vectors (row ``i``: id ``i``, such as
the recommender's item vectors), which project the same way.

Up to :data:`COMPONENTS` components are kept (a view shows two of them, or all three).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from nncore.attribution import StopFlag, check_stop
from nncore.errors import ParameterError
from nncore.network import Network, _n_samples, _take

COMPONENTS = 3
#: Rows a fit uses at most (a random subset, drawn from a fixed seed, beyond this).
MAX_FIT_ROWS = 20_000
BATCH = 1024


def layer_activations(network: Network, x: Any, node: str,
                      stop: StopFlag = None) -> np.ndarray:
    """Outputs of ``node`` for the samples ``x`` (an array, or {Input id: array}), in
    inference mode, one flat float64 row per sample."""
    if node not in network.layers:
        raise ParameterError(f"no node is named {node!r} (nodes: "
                             f"{', '.join(network.order)})")
    n = _n_samples(x)
    width = int(np.prod(network.shapes[node]))
    out = np.empty((n, width))
    fused = network.fused_output
    network.set_fused_output(False)  # the output node gives what predict gives
    try:
        for a in range(0, n, BATCH):
            check_stop(stop)
            network.forward(_take(x, slice(a, a + BATCH), network.dtype), training=False)
            acts = network.activations()[node]
            out[a:a + BATCH] = np.asarray(acts, np.float64).reshape(len(acts), -1)
    finally:
        network.set_fused_output(fused)
    return out


def embedding_vectors(network: Network, node: str) -> np.ndarray:
    """An Embedding node's vectors, (input_dim, output_dim): row ``i`` is id ``i``'s."""
    layer = network.layers.get(node)
    if layer is None or layer.type_name != "Embedding":
        raise ParameterError(f"{node!r} is not an Embedding layer")
    return np.array(layer.weights["embeddings"], np.float64)


@dataclass
class Projection:
    """Principal axes fitted once: ``mean`` (features,), ``axes`` (k, features) with
    unit rows, ``variance`` (k,) along each axis and ``variance_ratio`` (k,), the share of
    the total variance each explains."""

    mean: np.ndarray
    axes: np.ndarray
    variance: np.ndarray
    variance_ratio: np.ndarray

    @classmethod
    def fit(cls, rows: np.ndarray, components: int = COMPONENTS,
            previous: Projection | None = None) -> Projection:
        """PCA of ``rows`` (samples, features). With ``previous`` (a projection of the
        same features) each axis keeps the direction of the previous one it matches."""
        rows = np.asarray(rows, np.float64)
        if rows.ndim != 2 or len(rows) < 2 or not np.isfinite(rows).all():
            raise ParameterError(f"a projection needs at least 2 rows of finite numbers, "
                                 f"got an array of shape {rows.shape}")
        if len(rows) > MAX_FIT_ROWS:
            pick = np.random.default_rng(0).choice(len(rows), MAX_FIT_ROWS, replace=False)
            rows = rows[np.sort(pick)]
        mean = rows.mean(axis=0)
        _, s, vt = np.linalg.svd(rows - mean, full_matrices=False)
        k = min(components, len(s))
        axes = vt[:k].copy()
        for i, axis in enumerate(axes):
            if previous is not None and i < len(previous.axes) \
                    and previous.axes.shape[1] == axes.shape[1]:
                flip = float(axis @ previous.axes[i]) < 0
            else:
                flip = axis[np.argmax(np.abs(axis))] < 0
            if flip:
                axes[i] = -axis
        var = s ** 2 / (len(rows) - 1)
        total = var.sum()
        ratio = var[:k] / total if total > 0 else np.zeros(k)
        return cls(mean, axes, var[:k], ratio)

    def project(self, rows: np.ndarray) -> np.ndarray:
        """Coordinates of ``rows`` on the fitted axes, (n, k)."""
        rows = np.asarray(rows, np.float64)
        if rows.ndim != 2 or rows.shape[1] != len(self.mean):
            raise ParameterError(f"expected rows of {len(self.mean)} features, got an array "
                                 f"of shape {rows.shape}")
        return (rows - self.mean) @ self.axes.T


def hidden_space(network: Network, x: Any, node: str, previous: Projection | None = None,
                 refit: bool = True, stop: StopFlag = None
                 ) -> tuple[Projection, np.ndarray]:
    """A node's activations for ``x`` and their coordinates: on ``previous``'s axes when
    ``refit`` is False, else on axes fitted now (signs kept from ``previous``)."""
    rows = layer_activations(network, x, node, stop)
    if previous is not None and not refit:
        return previous, previous.project(rows)
    projection = Projection.fit(rows, previous=previous)
    return projection, projection.project(rows)
