"""The data-set view of attributions: which features the network relies on over a split.

- :func:`mean_abs_attribution`: the mean over samples of each feature's absolute
  attribution (saliency, integrated gradients or Grad-CAM, :mod:`nncore.explain`).
- :func:`permutation_importance` (Breiman 2001; Fisher et al. 2019): how much the loss
  rises, and the metric (accuracy, or R² for regression) falls, when one feature's values
  are shuffled across the samples, breaking its link to the targets while keeping its
  distribution. Each feature is shuffled ``repeats`` times; the permutations come from one
  generator seeded with ``seed``, drawn feature by feature, repeat by repeat
  (``rng.permutation(n)``). A feature is one element of a sample (a pixel of an image, a
  column of a table); for a network with several Inputs, each Input is one feature.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from nncore.attribution import Attribution, StopFlag, check_stop
from nncore.errors import ParameterError
from nncore.evaluation import outputs_and_loss
from nncore.losses import get_loss
from nncore.network import Network

DEFAULT_REPEATS = 5


def mean_abs_attribution(attribution: Attribution) -> np.ndarray:
    """Each feature's mean absolute attribution over the samples (the input's shape;
    Grad-CAM: the map's)."""
    return np.abs(attribution.values).mean(axis=0)


@dataclass
class PermutationImportance:
    """Per feature (``features`` names them): the mean and standard deviation over the
    repeats of the loss's rise and of the metric's fall when the feature is shuffled."""

    features: list[str]
    loss_increase: np.ndarray
    loss_increase_std: np.ndarray
    metric: str
    metric_drop: np.ndarray
    metric_drop_std: np.ndarray
    #: Loss and metric with no feature shuffled.
    loss: float
    metric_value: float
    repeats: int


def permutation_importance(network: Network, x: Any, y: np.ndarray, loss_name: str,
                           loss_params: dict[str, Any] | None = None,
                           repeats: int = DEFAULT_REPEATS, seed: int = 0,
                           feature_names: list[str] | None = None,
                           stop: StopFlag = None) -> PermutationImportance:
    """Permutation importance of every feature of ``x`` (an array, or {Input id: array})
    against the targets ``y``, with the project's loss."""
    if isinstance(repeats, bool) or not isinstance(repeats, int) or not 1 <= repeats <= 1000:
        raise ParameterError(f"repeats must be an integer from 1 to 1,000, got {repeats!r}")
    loss = get_loss(loss_name, **(loss_params or {}))
    t = loss.check_targets(y, network.output_shape)
    n = len(t)
    if n < 2:
        raise ParameterError("permutation importance needs at least 2 samples")
    metric = "accuracy" if loss.task == "classification" else "r2"
    _, base_loss, base_metrics = outputs_and_loss(network, loss, x, t)
    shuffled, names = _features(x, feature_names)
    rng = np.random.default_rng(seed)
    rises = np.empty((len(names), repeats))
    drops = np.empty((len(names), repeats))
    for j, take in enumerate(shuffled):
        for r in range(repeats):
            check_stop(stop)
            _, value, metrics = outputs_and_loss(network, loss, take(rng.permutation(n)), t)
            rises[j, r] = value - base_loss
            drops[j, r] = base_metrics[metric] - metrics[metric]
    return PermutationImportance(names, rises.mean(axis=1), rises.std(axis=1), metric,
                                 drops.mean(axis=1), drops.std(axis=1), base_loss,
                                 base_metrics[metric], repeats)


def _features(x: Any, names: list[str] | None) -> tuple[list[Any], list[str]]:
    """For each feature, ``take(perm)``: the inputs with that feature shuffled by
    ``perm``; and the features' names."""
    if isinstance(x, dict):
        ids = list(x)
        return [lambda p, k=k: {**x, k: np.asarray(x[k])[p]} for k in ids], ids
    a = np.asarray(x)
    flat = a.reshape(len(a), -1)
    count = flat.shape[1]
    if names is None or len(names) != count:
        names = [f"x[{', '.join(map(str, i))}]" for i in np.ndindex(a.shape[1:])]

    def take(p: np.ndarray, j: int) -> np.ndarray:
        out = flat.copy()
        out[:, j] = flat[p, j]
        return out.reshape(a.shape)

    return [lambda p, j=j: take(p, j) for j in range(count)], list(names)
