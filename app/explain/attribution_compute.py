"""The computations behind Explain a Sample (run on a worker thread): the attributions of
one sample of a split, and the data-set view over the validation split (each feature's
mean absolute attribution and its permutation importance), with the engine's functions
(:mod:`nncore.explain`, :mod:`nncore.importance`) on a copy of the weights."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.explain.sources import NetworkSnapshot
from app.training.probe import eval_set
from nncore.attribution import Attribution, StopFlag
from nncore.data import Dataset
from nncore.errors import DataError
from nncore.explain import attribute, make_baseline
from nncore.importance import PermutationImportance, permutation_importance
from nncore.network import Network
from nncore.run import PreparedData

#: Samples per pass of the data-set view's attributions (its progress steps).
CHUNK = 64
SPLIT_TITLES = {"train": "training", "val": "validation", "test": "test"}


@dataclass(frozen=True)
class Settings:
    """What to explain: ``method`` (a name of :data:`nncore.explain.METHODS`), the
    integrated-gradients ``baseline`` and ``steps``, the Grad-CAM ``layer`` and the
    ``target`` class or output unit (None: the predicted class)."""

    method: str
    baseline: str = "zeros"
    steps: int = 64
    layer: str | None = None
    target: int | None = None

    def run(self, net: Network, x: np.ndarray, data: PreparedData,
            stop: StopFlag = None) -> Attribution:
        base = None
        if self.method == "integrated-gradients":
            base = make_baseline(self.baseline, x, data.normalizer,
                                 data.train.X.mean(axis=0))
        return attribute(net, x, self.method, target=self.target, baseline=base,
                         steps=self.steps, layer=self.layer, stop=stop)


@dataclass
class SampleResult:
    """One sample explained: its input in the data's units (``raw``), its label, the
    network's output, and the :class:`Attribution` (of one sample)."""

    split: str
    index: int
    raw: np.ndarray
    label: Any
    output: np.ndarray
    attribution: Attribution
    feature_names: list[str] | None
    class_names: list[str] | None
    task: str


def split_set(data: PreparedData, split: str) -> Dataset:
    """A split of the prepared data; DataError when it is missing or empty, or when the
    data feeds several Inputs (attributions explain networks with one)."""
    ds = getattr(data, split, None)
    if ds is None or len(ds.y) == 0:
        raise DataError(f"the project's data has no {SPLIT_TITLES.get(split, split)} split")
    if ds.inputs is not None:
        raise DataError(f"attributions explain networks with one numeric Input; this data "
                        f"feeds {len(ds.inputs)} ({', '.join(ds.inputs)})")
    return ds


def raw_inputs(data: PreparedData, x: np.ndarray) -> np.ndarray:
    """Network inputs back in the data's own units."""
    return data.normalizer.inverse_transform(x) if data.normalizer.fitted else x


def feature_names(data: PreparedData, shape: tuple[int, ...]) -> list[str] | None:
    """The data's column names when a sample is one row of them."""
    names = data.dataset.feature_names
    return list(names) if len(shape) == 1 and names and len(names) == shape[0] else None


def explain_sample(snapshot: NetworkSnapshot, split: str, index: int, settings: Settings,
                   stop: StopFlag = None) -> SampleResult:
    data = snapshot.prepared()
    ds = split_set(data, split)
    if not 0 <= index < len(ds.y):
        raise DataError(f"the {SPLIT_TITLES[split]} split has {len(ds.y)} samples; there is "
                        f"no sample {index + 1}")
    net = snapshot.network()
    x = ds.X[index:index + 1]
    result = settings.run(net, x, data, stop)
    output = net.predict(x)[0]
    return SampleResult(split, index, raw_inputs(data, x)[0], ds.y[index], output, result,
                        feature_names(data, x.shape[1:]), data.class_names, ds.task)


@dataclass
class DataSetResult:
    """The data-set view: each feature's mean absolute attribution (the input's shape; the
    map's for Grad-CAM) and the permutation importance of every feature."""

    split: str
    samples: int
    mean_abs: np.ndarray
    importance: PermutationImportance
    mean_input: np.ndarray
    settings: Settings


def explain_data_set(snapshot: NetworkSnapshot, settings: Settings, repeats: int,
                     stop: StopFlag, progress: Callable[[int, int], None],
                     seed: int = 0) -> DataSetResult:
    """Mean |attribution| over the validation split (the training split without one), in
    passes of :data:`CHUNK` samples, then permutation importance; ``progress`` counts
    samples explained and shuffles done."""
    data = snapshot.prepared()
    ds = eval_set(data)
    split = "val" if ds is data.val else "train"
    ds = split_set(data, split)
    net = snapshot.network()
    n = len(ds.y)
    total = n + int(np.prod(ds.X.shape[1:])) * repeats
    sums: np.ndarray | None = None
    for a in range(0, n, CHUNK):
        values = np.abs(settings.run(net, ds.X[a:a + CHUNK], data, stop).values)
        part = values.sum(axis=0)
        sums = part if sums is None else sums + part
        progress(min(a + CHUNK, n), total)
    assert sums is not None
    done = [n]

    def counting_stop() -> bool:  # the engine asks once per shuffle
        progress(done[0], total)
        done[0] += 1
        return bool(stop())

    loss, params = snapshot.loss
    imp = permutation_importance(net, ds.X, ds.y, loss, params, repeats, seed,
                                 feature_names(data, ds.X.shape[1:]), counting_stop)
    mean_input = raw_inputs(data, ds.X).mean(axis=0)
    return DataSetResult(split, n, sums / n, imp, mean_input, settings)
