"""Saved normaliser states are read strictly: each refusal names what is wrong, and every
valid edge (ndim 1, no ndim at all) is accepted. Written against mutation-testing
survivors (issue 19): each assertion fails for a mutant that an earlier test let through."""

from __future__ import annotations

import numpy as np
import pytest

from nncore.data.preprocess import Normalizer, _largest_remainder, _saved_ndim
from nncore.errors import DataError


@pytest.mark.parametrize("state", [["mode"], {}, {"ndim": 2}])
def test_a_state_without_a_mode_is_refused_in_words(state) -> None:
    with pytest.raises(DataError, match=r"^normaliser state must be a dict with a 'mode' "
                                        r"field$"):
        Normalizer.from_dict(state)


def test_a_state_without_ndim_loads_and_stays_unbound_to_a_rank() -> None:
    norm = Normalizer.from_dict({"mode": "standardize", "mean": [1.0], "std": [2.0]})
    assert norm.ndim is None
    assert norm.stats["mean"].tolist() == [1.0]


def test_ndim_one_is_a_valid_rank_and_transforms_a_vector() -> None:
    norm = Normalizer.from_dict({"mode": "minmax", "min": [2.0], "max": [6.0], "ndim": 1})
    np.testing.assert_array_equal(norm.transform(np.array([2.0, 4.0, 6.0])), [0, 0.5, 1])


@pytest.mark.parametrize("ndim", [0, -1, "2", 2.0])
def test_a_bad_ndim_is_refused_in_words(ndim) -> None:
    with pytest.raises(DataError, match=rf"^normaliser state: bad 'ndim' {ndim!r}$"):
        Normalizer.from_dict({"mode": "standardize", "mean": [0.0], "std": [1.0],
                              "ndim": ndim})


def test_statistics_of_different_lengths_are_named_both() -> None:
    with pytest.raises(DataError, match=r"^normaliser state: 'min' and 'max' differ in "
                                        r"length$"):
        Normalizer.from_dict({"mode": "minmax", "min": [0.0, 1.0], "max": [1.0]})


@pytest.mark.parametrize("saved, message", [
    (np.array([2, 2]), r"'ndim' must be one integer, got an array of shape \(2,\) and "
                       r"dtype int64"),
    (np.array([], np.int64), r"got an array of shape \(0,\)"),
    (np.array(["2"]), r"dtype <U1"),
    (np.array([2.5]), r"'ndim' must be an integer from 1 to 4, got 2.5"),
    (np.array([np.inf]), r"from 1 to 4, got inf"),
    (np.array([0]), r"from 1 to 4, got 0"),
    (np.array([5]), r"from 1 to 4, got 5"),
])
def test_a_damaged_saved_ndim_is_refused_in_words(saved, message) -> None:
    with pytest.raises(DataError, match=message):
        _saved_ndim(saved)


@pytest.mark.parametrize("value", [1, 2, 3, 4])
def test_every_saved_rank_from_one_to_four_is_read(value) -> None:
    assert _saved_ndim(np.array([value], np.int64)) == value
    assert _saved_ndim(np.array([float(value)])) == value


def test_inverse_transform_writes_into_the_given_output() -> None:
    norm = Normalizer("standardize").fit(np.array([[0.0, 10.0], [2.0, 30.0]]))
    z = np.array([[1.0, -1.0], [0.0, 2.0]], np.float32)
    out = np.full_like(z, np.nan)
    got = norm.inverse_transform(z, out=out)
    assert got is out
    np.testing.assert_allclose(out, [[2.0, 10.0], [1.0, 40.0]])


# -- largest-remainder rounding of the split's per-class counts --------------------------
def reference_rounding(ideal: list[float], total: int) -> list[int]:
    """Hamilton's method: floors, then one more for the largest fractional parts (the
    first index wins a tie), or one less for the smallest when the floors overshoot."""
    out = [int(np.floor(v)) for v in ideal]
    order = sorted(range(len(ideal)), key=lambda i: (-(ideal[i] - out[i]), i))
    for i in order[:max(total - sum(out), 0)]:
        out[i] += 1
    return out


@pytest.mark.parametrize("ideal, total", [
    ([1.5, 2.25, 3.75, 0.5], 8),
    ([0.2, 0.3, 0.5], 1),
    ([2.9, 0.1, 1.0], 4),
    ([0.0, 0.0], 0),
])
def test_counts_follow_the_largest_remainders(ideal, total) -> None:
    got = _largest_remainder(np.array(ideal), total, np.full(len(ideal), 100))
    assert got.tolist() == reference_rounding(ideal, total)


def test_a_capped_class_passes_its_share_to_the_next_largest_remainder() -> None:
    # Class 0 has the largest remainder but no room: the unit goes to class 2.
    got = _largest_remainder(np.array([1.9, 1.2, 1.5]), 4, np.array([1, 5, 5]))
    assert got.tolist() == [1, 1, 2]


def test_when_no_class_has_room_the_counts_stop_at_their_caps() -> None:
    got = _largest_remainder(np.array([2.6, 2.6]), 9, np.array([3, 3]))
    assert got.tolist() == [3, 3]


def test_an_overshoot_is_taken_from_the_smallest_remainder() -> None:
    # Floors of [2.2, 3.6] already give 5 > 4: one less where the remainder is smallest.
    got = _largest_remainder(np.array([2.2, 3.6]), 4, np.array([9, 9]))
    assert got.tolist() == [1, 3]
    got = _largest_remainder(np.array([2.7, 3.1, 1.4]), 4, np.array([9, 9, 9]))
    assert got.tolist() == [2, 2, 0]  # 3.1 loses one (remainder 0.1, then 1.1), 1.4 the next


@pytest.mark.parametrize("mode", ["standardize", "minmax"])
def test_a_normaliser_fitted_on_a_vector_transforms_vectors(mode) -> None:
    x = np.array([1.0, 2.0, 3.0, 6.0])
    got = Normalizer(mode).fit(x).transform(x)
    want = ((x - x.mean()) / x.std() if mode == "standardize"
            else (x - x.min()) / (x.max() - x.min()))
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_an_overshoot_never_takes_from_a_class_at_zero() -> None:
    # Floors [0, 2, 3] give 5 > 4; class 0 has the smallest remainder but nothing to give.
    got = _largest_remainder(np.array([0.0, 2.2, 3.6]), 4, np.array([9, 9, 9]))
    assert got.tolist() == [0, 1, 3]


def test_repeated_overshoot_takes_from_the_smallest_remainder_each_time() -> None:
    # Floors [2, 2], total 1: remainders 0.5 and 0.1. Class 1 gives first (0.1 -> 1.1),
    # then class 0 (0.5 -> 1.5), then class 1 again (1.1 < 1.5).
    got = _largest_remainder(np.array([2.5, 2.1]), 1, np.array([9, 9]))
    assert got.tolist() == [1, 0]


# -- scales too small to divide by ---------------------------------------------------------------
def test_a_scale_tiny_next_to_its_offset_is_taken_as_one() -> None:
    """A feature near 1e6 that varies by 1e-7 is constant for float64 arithmetic: its scale
    is taken as 1 (the threshold grows with the offset), so the values stay small."""
    x = np.array([[1e6], [1e6 + 2e-7]])
    z = Normalizer("minmax").fit(x).transform(x)
    np.testing.assert_allclose(z[:, 0], [0.0, 2e-7], atol=1e-9)


def test_a_small_but_real_scale_near_zero_is_kept() -> None:
    x = np.array([[0.0], [1.5e-12]])  # a range of 1.5e-12 around 0: above 1e-12, kept
    z = Normalizer("minmax").fit(x).transform(x)
    np.testing.assert_allclose(z[:, 0], [0.0, 1.0], rtol=1e-5)


def test_a_constant_feature_moves_new_values_by_their_distance_from_it() -> None:
    norm = Normalizer("minmax").fit(np.array([[5.0], [5.0]]))
    np.testing.assert_allclose(norm.transform(np.array([[7.0], [5.0]]))[:, 0], [2.0, 0.0])


def test_multi_input_data_sets_are_refused_in_words() -> None:
    from nncore.data.dataset import Dataset

    ds = Dataset(np.zeros((2, 1)), np.zeros(2), inputs={"a": np.zeros((2, 1)),
                                                        "b": np.zeros((2, 1))})
    with pytest.raises(DataError, match=r"^normalising multi-input data sets is not "
                                        r"supported$"):
        Normalizer("standardize").fit(np.zeros((2, 1))).apply(ds)
