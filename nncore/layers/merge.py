"""Merge layers: several inputs, one output."""

from __future__ import annotations

import numpy as np

from nncore.layers.base import Layer
from nncore.params import Param
from nncore.registry import register


@register
class Add(Layer):
    type_name = "Add"
    formula = (
        "y = x1 + x2 + ...",
        "dL/dxk = dL/dy for every input k",
    )
    category = "merge"
    description = "Adds its inputs element by element (a residual connection)."
    glyph = "add"
    min_inputs, max_inputs = 2, None
    examples = (({}, [(4,), (4,)]), ({}, [(2, 3), (2, 3), (2, 3)]))

    def compute_output_shape(self, input_shapes):
        first = input_shapes[0]
        for s in input_shapes[1:]:
            if s != first:
                raise self.shape_error(f"inputs must have the same shape, got {first} and {s}")
        return first

    def forward(self, xs, training):
        out = xs[0] + xs[1]
        for x in xs[2:]:
            out += x
        return out

    def backward(self, grad):
        return [grad] * len(self.input_shapes)


@register
class Concatenate(Layer):
    type_name = "Concatenate"
    formula = (
        "y = [x1, x2, ...] joined along axis",
        "dL/dxk = the part of dL/dy where xk was placed",
    )
    category = "merge"
    description = "Joins its inputs along one axis (features, or channels for images)."
    glyph = "concatenate"
    schema = (Param("axis", "int", 0,
                    "Per-sample axis to join along: 0 = features / image channels, "
                    "-1 = last axis.", min=-4, max=3),)
    min_inputs, max_inputs = 2, None
    examples = (({}, [(3,), (5,)]), ({"axis": 0}, [(2, 3, 3), (1, 3, 3)]),
                ({"axis": -1}, [(4, 2), (4, 3), (4, 1)]))

    def per_sample_axis(self, rank: int) -> int:
        """The per-sample axis joined along, for inputs of this rank (``axis`` may count
        from the end)."""
        axis = self.config["axis"]
        return axis + rank if axis < 0 else axis

    def compute_output_shape(self, input_shapes):
        first = input_shapes[0]
        rank = len(first)
        axis = self.per_sample_axis(rank)
        if not 0 <= axis < rank:
            raise self.shape_error(f"axis {self.config['axis']} is out of range for {first}")
        total = 0
        for s in input_shapes:
            if len(s) != rank or any(a != b for i, (a, b) in enumerate(zip(s, first))
                                     if i != axis):
                raise self.shape_error(
                    f"inputs must match except along axis {self.config['axis']}, "
                    f"got {first} and {s}")
            total += s[axis]
        out = list(first)
        out[axis] = total
        return tuple(out)

    def on_built(self):
        axis = self.per_sample_axis(len(self.input_shapes[0])) + 1
        self._batch_axis = axis
        self._splits = np.cumsum([s[axis - 1] for s in self.input_shapes])[:-1]

    def forward(self, xs, training):
        return np.concatenate(xs, axis=self._batch_axis)

    def backward(self, grad):
        return np.split(grad, self._splits, axis=self._batch_axis)
