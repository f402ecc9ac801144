"""Parts of a data set that a project can ask for: only some of its classes
(``data.classes``), and fewer training samples (``data.train_samples``): the few labels of
the transfer-learning lesson, the small subset of the augmentation lesson.

The options are read here from a project file (:func:`classes_option`,
:func:`train_samples_option`, FormatError naming the field) and applied by the run
pipeline: the classes when the data is loaded, the limit to the training split only, so
the validation split keeps its size.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nncore.errors import DataError, FormatError, ParameterError
from nncore.params import Param

from .dataset import Dataset

_TRAIN_SAMPLES = Param("train_samples", "int", 0, "Train on at most this many samples (0: "
                       "all).", min=0, max=2**31 - 1)


def classes_option(raw: Any) -> list[int | str] | None:
    """``data.classes``: None, or a list of at least two class indices or names."""
    if raw is None:
        return None
    ok = isinstance(raw, list) and len(raw) >= 2 and all(
        (isinstance(c, int) and not isinstance(c, bool) and c >= 0) or isinstance(c, str)
        for c in raw)
    if not ok:
        raise FormatError(f"data.classes: expected a list of at least two class indices or "
                          f"names, got {str(raw)[:60]}")
    return list(raw)


def train_samples_option(raw: Any) -> int:
    """``data.train_samples``: a whole number, 0 or more (0: all)."""
    try:
        return int(_TRAIN_SAMPLES.coerce(raw, "data"))
    except ParameterError as e:
        raise FormatError(f"data.train_samples: {e}") from None


def keep_classes(dataset: Dataset, classes: list[int | str]) -> Dataset:
    """The samples of ``classes`` only (each a class index or a class name), relabelled
    0, 1, ... in the order given, with their names: the digits 5 to 9 as a five-class data
    set. Raises DataError for regression data, an unknown class or a repeated one."""
    if dataset.task != "classification":
        raise DataError("data.classes: only data with classes can keep some of them; this "
                        "data is a regression task")
    names = dataset.class_names or [str(c) for c in range(int(dataset.n_classes or 0))]
    wanted: list[int] = []
    for c in classes:
        index = names.index(c) if isinstance(c, str) and c in names else c
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(names):
            raise DataError(f"data.classes: no class {c!r} (the classes: {', '.join(names)})")
        if index in wanted:
            raise DataError(f"data.classes: class {c!r} is listed twice")
        wanted.append(index)
    if len(wanted) < 2:
        raise DataError("data.classes: keep at least two classes")
    relabel = np.full(len(names), -1, dtype=np.int64)
    relabel[wanted] = np.arange(len(wanted))
    out = dataset.subset(np.flatnonzero(relabel[dataset.y] >= 0))
    out.y = relabel[out.y]
    out.class_names = [names[i] for i in wanted]
    return out


def limit_samples(dataset: Dataset, n: int, seed: int | None = 0) -> Dataset:
    """At most ``n`` samples of ``dataset`` (all when it has no more), drawn at random
    (``seed``); for classification as evenly over the classes as their counts allow."""
    if n <= 0 or dataset.n_samples <= n:
        return dataset
    rng = np.random.default_rng(seed)
    if dataset.task != "classification":
        return dataset.subset(np.sort(rng.permutation(dataset.n_samples)[:n]))
    counts = np.bincount(dataset.y, minlength=int(dataset.n_classes or 0))
    take = np.zeros_like(counts)
    left = n
    # Fill level by level: every class gets one more while it has samples and room remains.
    while left > 0:
        open_ = np.flatnonzero(take < counts)
        for c in open_[:left]:
            take[c] += 1
        left -= min(left, len(open_))
    idx = [rng.permutation(np.flatnonzero(dataset.y == c))[:take[c]]
           for c in range(len(counts))]
    return dataset.subset(np.sort(np.concatenate(idx)))
