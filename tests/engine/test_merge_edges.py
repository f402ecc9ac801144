"""Edges of the merge layers: Concatenate refuses an axis one past the last with a shape
error naming the axis and the shape (not an IndexError from inside), and a mismatch names
the first input and the one that does not match it; the joined shape and the split gradient
checked against NumPy for every axis, counted from the start or the end."""

from __future__ import annotations

import numpy as np
import pytest

from nncore.errors import ShapeError
from nncore.layers.merge import Add, Concatenate


@pytest.mark.parametrize("axis,shapes,words", [
    (1, [(3,), (2,)], "axis 1 is out of range for (3,)"),
    (-2, [(3,), (2,)], "axis -2 is out of range for (3,)"),
    (3, [(2, 4, 4), (1, 4, 4)], "axis 3 is out of range for (2, 4, 4)"),
    (2, [(4, 2), (4, 3)], "axis 2 is out of range for (4, 2)"),
])
def test_concatenate_refuses_an_axis_past_the_inputs_rank(axis, shapes, words):
    with pytest.raises(ShapeError) as e:
        Concatenate("cat", axis=axis).compute_output_shape(shapes)
    assert str(e.value) == f"Concatenate 'cat': {words}"
    assert e.value.node_id == "cat"


@pytest.mark.parametrize("axis,shapes,named", [
    # the third input differs outside the axis: named with the first (not the second)
    (0, [(2, 3), (5, 3), (2, 4)], "got (2, 3) and (2, 4)"),
    # the first two differ outside the axis: named in input order
    (-1, [(4, 2), (5, 3)], "got (4, 2) and (5, 3)"),
    (0, [(2, 3, 3), (1, 3, 3), (1, 3)], "got (2, 3, 3) and (1, 3)"),
])
def test_concatenate_mismatch_names_the_first_input_and_the_odd_one(axis, shapes, named):
    with pytest.raises(ShapeError) as e:
        Concatenate("cat", axis=axis).compute_output_shape(shapes)
    assert str(e.value) == (f"Concatenate 'cat': inputs must match except along axis "
                            f"{axis}, {named}")


@pytest.mark.parametrize("axis,shapes", [
    (0, [(3,), (5,), (1,)]),
    (-1, [(4, 2), (4, 3), (4, 1)]),
    (1, [(2, 3, 4), (2, 1, 4)]),
    (-3, [(2, 3, 4), (5, 3, 4)]),
    (2, [(2, 3, 1), (2, 3, 6)]),
])
def test_concatenate_joins_and_splits_like_numpy(axis, shapes):
    layer = Concatenate("cat", axis=axis)
    layer.input_shapes = list(shapes)
    layer.output_shape = layer.compute_output_shape(shapes)
    layer.on_built()
    rng = np.random.default_rng(21)
    xs = [rng.normal(0, 1, (2, *s)) for s in shapes]
    batch_axis = axis if axis < 0 else axis + 1
    want = np.concatenate(xs, axis=batch_axis)
    assert layer.output_shape == want.shape[1:]
    np.testing.assert_array_equal(layer.forward(xs, True), want)
    g = rng.normal(0, 1, want.shape)
    parts = layer.backward(g)
    assert [p.shape for p in parts] == [x.shape for x in xs]
    # each input's gradient is the block of g where that input was placed
    at = 0
    for p, s in zip(parts, shapes):
        size = s[axis]
        np.testing.assert_array_equal(p, np.take(g, range(at, at + size), axis=batch_axis))
        at += size


def test_add_sums_any_number_of_inputs_and_refuses_other_shapes():
    layer = Add("add")
    layer.input_shapes = [(2, 3)] * 3
    layer.output_shape = layer.compute_output_shape(layer.input_shapes)
    xs = [np.full((4, 2, 3), v) for v in (1.0, 10.0, 100.0)]
    np.testing.assert_array_equal(layer.forward(xs, True), np.full((4, 2, 3), 111.0))
    assert xs[0][0, 0, 0] == 1.0  # the inputs are left as they were
    g = np.arange(24.0).reshape(4, 2, 3)
    assert all(d is g for d in layer.backward(g)) and len(layer.backward(g)) == 3
    with pytest.raises(ShapeError) as e:
        layer.compute_output_shape([(2, 3), (2, 3), (3, 2)])
    assert str(e.value) == "Add 'add': inputs must have the same shape, got (2, 3) and (3, 2)"
