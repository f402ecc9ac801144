"""The bounded, stratified samples the data views draw."""

from __future__ import annotations

import numpy as np

from app.models.sampling import per_class_counts, sample_indices, shown_text


def test_small_data_is_drawn_whole():
    assert sample_indices(10, 50).tolist() == list(range(10))


def test_a_sample_keeps_each_class_share_and_every_class():
    classes = np.repeat([0, 1, 2], [9000, 990, 10])
    idx = sample_indices(len(classes), 1000, classes)
    assert len(idx) == 1000 and len(np.unique(idx)) == 1000
    assert np.all(np.diff(idx) > 0)
    assert np.bincount(classes[idx]).tolist() == [900, 99, 1]
    np.testing.assert_array_equal(idx, sample_indices(len(classes), 1000, classes))


def test_every_class_gets_one_while_room_allows():
    counts = np.array([1000, 1, 1, 1])
    take = per_class_counts(counts, 10)
    assert take.sum() == 10 and take.tolist() == [7, 1, 1, 1]


def test_shown_text():
    assert shown_text(5000, 60000) == "showing 5,000 of 60,000 points"
    assert shown_text(10, 10) == ""
