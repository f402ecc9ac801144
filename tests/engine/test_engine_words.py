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
