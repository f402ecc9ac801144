"""The train/validation/test split at its edges, word for word: fractions that are not
numbers or out of range, data too small for the fractions (by one sample either way), the
one-sample minimum of each split, and the default seed. Written against mutation-testing
survivors (issue 19)."""

from __future__ import annotations

import numpy as np
import pytest

from nncore.data.dataset import Dataset
from nncore.data.preprocess import split
from nncore.errors import DataError


def regression(n: int) -> Dataset:
    return Dataset(X=np.arange(2.0 * n).reshape(n, 2), y=np.arange(float(n)),
                   task="regression")


@pytest.mark.parametrize("val, test, words", [
    ("x", 0.0, "val_fraction must be a number, got 'x'"),
    (True, 0.0, "val_fraction must be a number, got True"),
    (0.2, float("nan"), "test_fraction must be a number, got nan"),
    (0.2, float("inf"), "test_fraction must be a number, got inf"),
    (0.2, 1.0, "test_fraction must be in [0, 1), got 1.0"),
    (0.2, 1.5, "test_fraction must be in [0, 1), got 1.5"),
    (0.6, 0.4, "val_fraction + test_fraction must be below 1 (nothing left to train on), "
               "got 0.6 + 0.4"),
])
def test_bad_fractions_are_refused_word_for_word(val, test, words):
    with pytest.raises(DataError) as err:
        split(regression(20), val, test)
    assert str(err.value) == words


@pytest.mark.parametrize("n, val, test, words", [
    (1, 0.5, 0.0, "too few samples to split: 1 sample(s) cannot give a non-empty training, "
                  "validation set (need at least 2, and more for these fractions)"),
    (3, 0.5, 0.3, "too few samples to split: 3 sample(s) cannot give a non-empty training, "
                  "validation and test set (need at least 3, and more for these fractions)"),
])
def test_too_few_samples_are_refused_word_for_word(n, val, test, words):
    with pytest.raises(DataError) as err:
        split(regression(n), val, test)
    assert str(err.value) == words


def test_one_sample_more_than_the_splits_take_is_enough():
    train, val, test = split(regression(4), 0.5, 0.3)  # 2 + 1 taken, 1 left to train on
    assert (train.n_samples, val.n_samples, test.n_samples) == (1, 2, 1)
    train, val, test = split(regression(2), 0.5)
    assert (train.n_samples, val.n_samples, test) == (1, 1, None)


def test_each_split_takes_at_least_one_sample():
    train, val, test = split(regression(10), 0.01, 0.01)
    assert (train.n_samples, val.n_samples, test.n_samples) == (8, 1, 1)


def test_the_default_seed_is_zero():
    a, b = split(regression(30), 0.2), split(regression(30), 0.2, seed=0)
    for x, y in zip(a[:2], b[:2]):
        np.testing.assert_array_equal(x.y, y.y)
    c = split(regression(30), 0.2, seed=1)
    assert not np.array_equal(a[1].y, c[1].y)


def classes(counts: list[int], n_classes: int) -> Dataset:
    y = np.repeat(np.arange(len(counts)), counts)
    return Dataset(X=np.arange(2.0 * len(y)).reshape(len(y), 2), y=y,
                   class_names=[f"c{i}" for i in range(n_classes)])


def test_a_stratified_split_keeps_one_sample_of_each_class_for_training():
    # Two classes of two samples: one of each to validation, one of each to training.
    train, val, _ = split(classes([2, 2], 2), 0.5)
    assert sorted(train.y.tolist()) == [0, 1] and sorted(val.y.tolist()) == [0, 1]


def test_too_few_samples_for_stratification_counts_every_class():
    # Class 2 has no sample: still one of the 3 classes named.
    with pytest.raises(DataError) as err:
        split(classes([2, 1], 3), 0.5)
    assert str(err.value) == ("too few samples to split with stratification: 3 samples in "
                              "3 classes; lower the fractions or use stratify=False")


def test_the_default_fractions_hold_out_a_fifth_for_validation_and_no_test():
    train, val, test = split(regression(10))
    assert (train.n_samples, val.n_samples, test) == (8, 2, None)


def test_the_test_split_also_leaves_each_class_one_training_sample():
    # Class 0 has 2 samples: one goes to validation, none may go to the test set.
    train, val, test = split(classes([2, 4], 2), 0.25, 0.25)
    assert sorted(set(train.y.tolist())) == [0, 1]
    assert (val.n_samples, test.n_samples) == (2, 2)


def test_an_empty_class_between_others_is_skipped_not_the_end():
    train, val, _ = split(classes([2, 0, 2], 3), 0.5)
    assert sorted(train.y.tolist() + val.y.tolist()) == [0, 0, 2, 2]
