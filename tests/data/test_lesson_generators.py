"""The generators the lessons added: sequences with a long dependency ("first_value") and
a plane with outliers."""

from __future__ import annotations

import numpy as np

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
