"""Parts of a data set that a project can ask for: only some of its classes, or classes
merged into groups (``data.classes``: even and odd digits), and fewer training samples
(``data.train_samples``): the few labels of the transfer-learning lesson, the small subset
of the augmentation lesson.

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


ClassChoice = int | str | list[int | str]


def _one_class(c: Any) -> bool:
    return (isinstance(c, int) and not isinstance(c, bool) and c >= 0) or isinstance(c, str)


def classes_option(raw: Any) -> list[ClassChoice] | None:
    """``data.classes``: None, or a list of at least two entries, each a class index or
    name, or a list of them (a group: those classes become one)."""
    if raw is None:
        return None
    ok = isinstance(raw, list) and len(raw) >= 2 and all(
        _one_class(c) or (isinstance(c, list) and c and all(_one_class(x) for x in c))
        for c in raw)
    if not ok:
        raise FormatError(f"data.classes: expected a list of at least two class indices or "
                          f"names (or lists of them, merged into one class), got "
                          f"{str(raw)[:60]}")
    return [list(c) if isinstance(c, list) else c for c in raw]


def train_samples_option(raw: Any) -> int:
    """``data.train_samples``: a whole number, 0 or more (0: all)."""
    try:
        return int(_TRAIN_SAMPLES.coerce(raw, "data"))
    except ParameterError as e:
        raise FormatError(f"data.train_samples: {e}") from None


def keep_classes(dataset: Dataset, classes: list[ClassChoice]) -> Dataset:
    """The samples of ``classes`` only (each a class index or a class name, or a list of
    them merged into one class named ``"0/2/4"``), relabelled 0, 1, ... in the order given:
    the digits 5 to 9 as a five-class data set, or even and odd digits as two classes.
    Raises DataError for regression data, an unknown class or a repeated one."""
    if dataset.task != "classification":
        raise DataError("data.classes: only data with classes can keep some of them; this "
                        "data is a regression task")
    names = dataset.class_names or [str(c) for c in range(int(dataset.n_classes or 0))]
    relabel = np.full(len(names), -1, dtype=np.int64)
    for label, entry in enumerate(classes):
        for c in entry if isinstance(entry, list) else [entry]:
            index = names.index(c) if isinstance(c, str) and c in names else c
            if isinstance(index, bool) or not isinstance(index, int) \
                    or not 0 <= index < len(names):
                raise DataError(f"data.classes: no class {c!r} (the classes: "
                                f"{', '.join(names)})")
            if relabel[index] >= 0:
                raise DataError(f"data.classes: class {c!r} is listed twice")
            relabel[index] = label
    if len(classes) < 2:
        raise DataError("data.classes: keep at least two classes")
    out = dataset.subset(np.flatnonzero(relabel[dataset.y] >= 0))
    if any(isinstance(entry, list) for entry in classes):
        # Splits and limits stay stratified by the classes as they were: merged classes
        # split into the same rows as the data set they came from (see stratum_labels).
        out.meta[STRATA] = _labels_by_row(dataset)
    out.y = relabel[out.y]
    out.class_names = ["/".join(names[i] for i in np.flatnonzero(relabel == label))
                       if isinstance(entry, list) else names[int(np.flatnonzero(
                           relabel == label)[0])] for label, entry in enumerate(classes)]
    return out


#: ``Dataset.meta`` key: the class each row of the data set as loaded had before classes
#: were merged (indexed by ``Dataset.rows``).
STRATA = "strata"


def _labels_by_row(dataset: Dataset) -> np.ndarray:
    rows = np.arange(dataset.n_samples) if dataset.rows is None else dataset.rows
    out = np.full(int(rows.max()) + 1 if len(rows) else 0, -1, dtype=np.int64)
    out[rows] = dataset.y
    return out


def stratum_labels(dataset: Dataset) -> np.ndarray:
    """The labels a split or a limit of classified data keeps in proportion: the classes
    before any were merged (even and odd digits split as the ten digits do), else ``y``."""
    by_row = dataset.meta.get(STRATA)
    if by_row is None:
        return dataset.y
    rows = np.arange(dataset.n_samples) if dataset.rows is None else dataset.rows
    return by_row[rows]


def limit_samples(dataset: Dataset, n: int, seed: int | None = 0) -> Dataset:
    """At most ``n`` samples of ``dataset`` (all when it has no more), drawn at random
    (``seed``); for classification as evenly over the classes (before any were merged:
    :func:`stratum_labels`) as their counts allow."""
    if n <= 0 or dataset.n_samples <= n:
        return dataset
    rng = np.random.default_rng(seed)
    if dataset.task != "classification":
        return dataset.subset(np.sort(rng.permutation(dataset.n_samples)[:n]))
    labels = stratum_labels(dataset)
    counts = np.bincount(labels, minlength=int(dataset.n_classes or 0))
    take = np.zeros_like(counts)
    left = n
    # Fill level by level: every class gets one more while it has samples and room remains.
    while left > 0:
        open_ = np.flatnonzero(take < counts)
        for c in open_[:left]:
            take[c] += 1
        left -= min(left, len(open_))
    idx = [rng.permutation(np.flatnonzero(labels == c))[:take[c]]
           for c in range(len(counts))]
    return dataset.subset(np.sort(np.concatenate(idx)))
