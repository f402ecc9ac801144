"""Refusals of the engine's core word for word where other tests only check that something
is refused: binary cross-entropy targets of the wrong shape, and a normaliser state holding
non-finite statistics. Written against mutation-testing survivors (issue 19)."""

from __future__ import annotations

import numpy as np
import pytest

from nncore.data.preprocess import Normalizer
from nncore.errors import DataError
from nncore.losses import get_loss


@pytest.mark.parametrize("target, out_shape, shown", [
    (np.zeros((4, 3)), (2,), "(3,)"),
    (np.zeros((4, 2, 1)), (2,), "(2, 1)"),
    (np.zeros(4), (2,), "(1,)"),  # one label per sample is one column
])
def test_binary_cross_entropy_target_shape_refused_in_words(target, out_shape, shown):
    with pytest.raises(DataError) as err:
        get_loss("binary_crossentropy").check_targets(target, out_shape)
    assert str(err.value) == (f"Binary cross-entropy: targets have shape {shown} per sample "
                              f"but the network outputs {out_shape}; binary cross-entropy "
                              "needs one sigmoid output per binary label")


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_normaliser_state_with_non_finite_statistics_is_refused_in_words(bad):
    with pytest.raises(DataError) as err:
        Normalizer.from_dict({"mode": "minmax", "min": [0.0, 1.0], "max": [1.0, bad]})
    assert str(err.value) == "normaliser state 'max' contains non-finite values"


def test_normaliser_refusals_word_for_word():
    with pytest.raises(DataError) as err:
        Normalizer("standardize").transform(np.zeros((2, 3)))
    assert str(err.value) == ("the normaliser has not been fitted yet (call fit on the "
                              "training data first)")
    norm = Normalizer("standardize").fit(np.arange(12.0).reshape(4, 3))
    with pytest.raises(DataError) as err:
        norm.transform(np.zeros((2, 3, 1)))
    assert str(err.value) == ("the normaliser was fitted on 2-D data, got 3-D data of shape "
                              "(2, 3, 1)")
    for out in (np.empty((2, 2), np.float32), np.empty((2, 3), np.float64)):
        with pytest.raises(DataError) as err:
            norm.transform(np.zeros((2, 3)), out=out)
        assert str(err.value) == "the output array must be float32 of shape (2, 3)"


def test_a_scale_exactly_at_the_constant_feature_threshold_counts_as_constant():
    # std 1e-12 with mean 0 is at the threshold 1e-12 * max(1, |mean|): kept as 1 (the
    # feature is constant); just above it, it divides.
    norm = Normalizer.from_dict({"mode": "standardize", "mean": [0.0, 0.0],
                                 "std": [1e-12, 2e-12], "ndim": 2})
    x = np.array([[3e-12, 3e-12]])
    np.testing.assert_allclose(norm.transform(x), [[3e-12, 1.5]], rtol=1e-6)


@pytest.mark.parametrize("x, words", [
    (np.array([["a", "b"]]), "cannot normalise an array of dtype <U1"),
    (np.zeros((2, 2), complex), "cannot normalise an array of dtype complex128"),
    (np.zeros((0, 3)), "cannot fit a normaliser on an empty array"),
    (np.array(5.0), "cannot fit a normaliser on an empty array"),
    (np.array([[1.0, np.nan]]), "cannot fit a normaliser: the data contains NaN or Inf"),
])
def test_normaliser_fit_refusals_word_for_word(x, words):
    with pytest.raises(DataError) as err:
        Normalizer("standardize").fit(x)
    assert str(err.value) == words


def test_a_normaliser_fits_one_row():
    norm = Normalizer("minmax")
    norm.fit(np.array([[2.0, 5.0]]))
    np.testing.assert_array_equal(norm.stats["min"], [2.0, 5.0])


def test_an_unfitted_normaliser_has_no_statistics_to_save():
    norm = Normalizer("minmax")
    assert norm.state_arrays() == {}
    assert norm.to_dict() == {"mode": "minmax", "ndim": None}


def test_data_of_five_dimensions_cannot_be_normalised():
    with pytest.raises(DataError) as err:
        Normalizer("standardize").fit(np.zeros((2, 1, 1, 1, 1)))
    assert str(err.value) == ("cannot normalise arrays with 5 dimensions (expected (n, F), "
                              "(n, T, F) or (n, C, H, W))")


@pytest.mark.parametrize("exact", [False, True])
def test_regression_metrics_are_rmse_and_r2_only(exact):
    from nncore.metrics import MetricsAccumulator

    loss = get_loss("mse")
    t = np.array([[1.0], [2.0], [4.0]], np.float32)
    out = np.array([[1.5], [2.0], [3.0]], np.float32)
    acc = MetricsAccumulator(loss, t, exact)
    acc.add(out, t, loss.forward(out, t))
    value, metrics = acc.result()
    mse = (0.25 + 0.0 + 1.0) / 3  # closed forms
    sst = float(np.sum((t - t.mean()) ** 2))
    assert set(metrics) == {"rmse", "r2"}
    assert value == pytest.approx(mse, rel=1e-6)
    assert metrics["rmse"] == pytest.approx(mse ** 0.5, rel=1e-6)
    assert metrics["r2"] == pytest.approx(1 - 3 * mse / sst, rel=1e-6)


def test_a_constant_schedule_with_warm_up_ramps_the_rate():
    from nncore.config import TrainingConfig
    from nncore.schedules import LearningRateSchedule

    cfg = TrainingConfig(loss="mse", learning_rate=0.1, warmup_epochs=2, epochs=5)
    sched = LearningRateSchedule(cfg, steps_per_epoch=4)  # 8 warm-up steps
    assert [sched.rate(s) for s in (0, 3, 7, 8)] == pytest.approx([0.0125, 0.05, 0.1, 0.1])
