"""The computation behind the Hidden Space dock (run on a worker thread): a layer's
activations on (a bounded sample of) the validation set, or an Embedding layer's vectors,
and their coordinates on principal axes (:mod:`nncore.projection`), fitted anew or kept
from the previous update so the points move on fixed axes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.explain.sources import NetworkSnapshot
from app.training.probe import eval_set
from nncore.projection import Projection, embedding_vectors, layer_activations
from nncore.run import network_inputs

#: Most samples drawn (evenly spaced through the validation split beyond this).
MAX_POINTS = 1000


def sample_index(n: int, limit: int = MAX_POINTS) -> np.ndarray:
    """The rows of a split of ``n`` samples that the view draws: all, or ``limit`` evenly
    spaced ones."""
    return np.arange(n) if n <= limit else np.linspace(0, n - 1, limit).astype(np.int64)


@dataclass
class HiddenSpace:
    """What one update draws. ``coords`` (n, 3): the points on the axes (a missing
    component is 0); ``rows``: the split's row of each point (an id for Embedding
    vectors); ``labels``/``predictions``: true and predicted class (or value) per point,
    None for Embedding vectors."""

    layer: str
    projection: Projection
    coords: np.ndarray
    rows: np.ndarray
    refit: bool
    split: str
    embedding: bool
    labels: np.ndarray | None = None
    predictions: np.ndarray | None = None
    class_names: list[str] | None = None
    task: str = "classification"
    #: Image samples in the data's units (C, H, W each), for the hovered point's picture.
    images: np.ndarray | None = None


def compute_hidden_space(snapshot: NetworkSnapshot, layer: str,
                         previous: Projection | None, refit: bool,
                         stop=None) -> HiddenSpace:
    """The points of ``layer`` for ``snapshot``'s weights: on ``previous``'s axes unless
    ``refit`` (then fitted now, each axis pointing as ``previous``'s did)."""
    net = snapshot.network()
    if net.layers[layer].type_name == "Embedding":
        rows = embedding_vectors(net, layer)
        result = _project(rows, previous, refit)
        return HiddenSpace(layer, result[0], result[1], np.arange(len(rows)), result[2],
                           "", True)
    data = snapshot.prepared()
    ds = eval_set(data)
    split = "validation" if ds is data.val else "training"
    index = sample_index(len(ds.y))
    x = network_inputs(net, ds.subset(index))
    acts = layer_activations(net, x, layer, stop)
    projection, coords, refitted = _project(acts, previous, refit)
    out = net.predict(x).reshape(len(index), -1)
    if ds.task == "classification":
        pred = (out[:, 0] > 0.5).astype(np.int64) if out.shape[1] == 1 else out.argmax(1)
        labels = np.asarray(ds.y[index], np.int64)
    else:
        mean, std = data.target_mean, data.target_std
        pred = out[:, 0] * (std[0] if std is not None else 1.0) \
            + (mean[0] if mean is not None else 0.0)
        y = np.asarray(ds.y[index], np.float64).reshape(len(index), -1)[:, 0]
        labels = y * (std[0] if std is not None else 1.0) \
            + (mean[0] if mean is not None else 0.0)
    images = None
    if ds.inputs is None and ds.X.ndim == 4:
        x_img = ds.X[index]
        images = data.normalizer.inverse_transform(x_img) if data.normalizer.fitted \
            else x_img
    return HiddenSpace(layer, projection, coords, index, refitted, split, False, labels,
                       pred, data.class_names, ds.task, images)


def _project(rows: np.ndarray, previous: Projection | None, refit: bool
             ) -> tuple[Projection, np.ndarray, bool]:
    if previous is None or refit or previous.axes.shape[1] != rows.shape[1]:
        projection, refit = Projection.fit(rows, previous=previous), True
    else:
        projection = previous
    coords = projection.project(rows)
    padded = np.zeros((len(coords), 3))
    padded[:, :coords.shape[1]] = coords[:, :3]
    return projection, padded, refit
