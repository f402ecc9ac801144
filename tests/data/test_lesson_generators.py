"""The generators the lessons added: sequences with a long dependency ("first_value") and
a plane with outliers."""

from __future__ import annotations

import numpy as np
import pytest

from nncore.data import GENERATORS
from nncore.data.synthetic import OUTLIER_SHIFT


def test_the_target_of_a_sequence_is_its_first_value():
    ds = GENERATORS["first_value"].generate({"n_samples": 40, "length": 12, "seed": 2})
    assert ds.X.shape == (40, 12, 2) and ds.task == "regression"
    assert np.array_equal(ds.X[:, 0, 0], ds.y[:, 0])
    assert np.all(np.abs(ds.y) <= 1.0)
    # The marker: 1 at the first step only.
    assert np.all(ds.X[:, 0, 1] == 1.0) and not ds.X[:, 1:, 1].any()
    # The rest is noise that says nothing about the target.
    rest = ds.X[:, 1:, 0].mean(axis=1)
    assert abs(np.corrcoef(rest, ds.y[:, 0])[0, 1]) < 0.5


def test_outliers_lift_a_share_of_the_plane_and_leave_the_rest():
    clean = GENERATORS["plane"].generate({"n_samples": 200, "seed": 1})
    lifted = GENERATORS["plane"].generate({"n_samples": 200, "seed": 1, "outliers": 0.1})
    assert np.array_equal(clean.X, lifted.X)
    moved = np.flatnonzero(~np.isclose(clean.y, lifted.y).ravel())
    assert len(moved) == 20
    assert np.allclose(lifted.y[moved] - clean.y[moved], OUTLIER_SHIFT)


def test_clues_decides_the_class_by_the_first_two_inputs_only():
    from nncore.data.synthetic import GENERATORS

    data = GENERATORS["clues"](n_samples=2000, noise=0.0, seed=3, n_inputs=5)
    assert data.X.shape == (2000, 5) and data.feature_names == ["x1", "x2", "x3", "x4", "x5"]
    assert np.all(np.abs(data.X) <= 1.0)
    np.testing.assert_array_equal(data.y, (data.X[:, 0] + data.X[:, 1] > 0).astype(int))
    # The other inputs carry no information about the class.
    for j in range(2, 5):
        assert abs(np.corrcoef(data.X[:, j], data.y)[0, 1]) < 0.1
    noisy = GENERATORS["clues"](n_samples=2000, noise=0.3, seed=3, n_inputs=5)
    agree = np.mean(noisy.y == (noisy.X[:, 0] + noisy.X[:, 1] > 0))
    assert 0.7 < agree < 0.99  # the noise flips the rows near the boundary


@pytest.mark.parametrize("n_inputs", [2, 21, 3.0, True])
def test_clues_refuses_a_bad_number_of_inputs(n_inputs):
    from nncore.data.synthetic import GENERATORS
    from nncore.errors import NetCanvasError

    with pytest.raises(NetCanvasError, match="n_inputs"):
        GENERATORS["clues"](n_inputs=n_inputs)
