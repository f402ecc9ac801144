"""Embedding (integer ids -> learned vectors) and Dot (dot product of two vectors).

Together they make the classic matrix-factorisation recommender: a user id and an item id
each look up a vector, and their dot product predicts the rating.
"""

from __future__ import annotations

import numpy as np

from nncore.errors import DataError
from nncore.initializers import INITIALIZER_NAMES
from nncore.layers.base import Layer, WeightSpec, is_flat
from nncore.params import Param
from nncore.registry import register


@register
class Embedding(Layer):
    """A lookup table of ``input_dim`` learned vectors of ``output_dim`` values.

    Its input holds integer ids (an Input with per-sample shape () or (1,) for one id,
    (T,) for a sequence of ids); each id is replaced by its row of the table
    ``embeddings`` (input_dim, output_dim), so the output has shape
    ``(*input shape, output_dim)``: (1, D) for one id (add a Flatten for a vector),
    (T, D) for a sequence (ready for a recurrent layer). Ids must lie in
    ``0 .. input_dim - 1``; others raise a DataError naming the layer and the id. The input
    gets no gradient (ids are not differentiable); the table's gradient adds up the output
    gradients of every occurrence of an id (``np.add.at``).
    """

    type_name = "Embedding"
    formula = (
        "y = E[x]: each id x picks its row of the table E (input_dim, output_dim)",
        "dL/dE[i] = sum of dL/dy over the positions holding id i (other rows 0); ids get no "
        "gradient",
    )
    category = "core"
    description = ("Turns integer ids (words, users, items...) into learned vectors: row id "
                   "of a table of input_dim vectors.")
    schema = (
        Param("input_dim", "int", 1000, "Vocabulary size: ids run from 0 to input_dim - 1.",
              min=1, max=10_000_000, key=True),
        Param("output_dim", "int", 16, "Length of each learned vector.", min=1, max=100_000,
              key=True),
        Param("embeddings_initializer", "choice", "glorot_uniform",
              "How the vectors start.", choices=INITIALIZER_NAMES),
    )
    input_dtype = "int"
    glyph = "embedding"
    examples = (
        ({"input_dim": 7, "output_dim": 3}, [(5,)]),
        ({"input_dim": 4, "output_dim": 2}, [(1,)]),
        ({"input_dim": 5, "output_dim": 4}, [()]),
        ({"input_dim": 6, "output_dim": 2}, [(2, 3)]),
    )

    @property
    def input_id_limit(self) -> int:
        """Ids must be below this (the vocabulary size)."""
        return self.config["input_dim"]

    def compute_output_shape(self, input_shapes):
        (shape,) = input_shapes
        return (*shape, self.config["output_dim"])

    def weight_specs(self, input_shapes):
        shape = (self.config["input_dim"], self.config["output_dim"])
        return [WeightSpec("embeddings", shape, self.config["embeddings_initializer"],
                           regularize=True)]

    def check_ids(self, x) -> np.ndarray:
        """``x`` as an int64 array of valid ids, or a DataError naming the first bad one."""
        a = np.asarray(x)
        if a.dtype.kind == "f":
            bad = ~np.isfinite(a) | (a != np.round(a))
            if bad.any():
                v = float(a[tuple(np.argwhere(bad)[0])])
                raise DataError(f"{self.owner}: expects integer ids, got {v!r}; feed it "
                                "directly from an Input of ids")
        elif a.dtype.kind not in "iub":
            raise DataError(f"{self.owner}: expects integer ids, got data of type {a.dtype}")
        a = a.astype(np.int64, copy=False)
        if a.size:
            n = self.config["input_dim"]
            lo, hi = int(a.min()), int(a.max())
            if lo < 0 or hi >= n:
                bad_id = lo if lo < 0 else hi
                raise DataError(f"{self.owner}: id {bad_id} is out of range: input_dim is {n}, "
                                f"so ids must be 0 to {n - 1}; raise input_dim to at least "
                                f"{max(hi + 1, n)} or fix the data")
        return a

    def forward(self, x, training):
        self.ids = self.check_ids(x)
        return self.weights["embeddings"][self.ids]

    def backward(self, grad):
        if self.trainable:
            g = self.grads["embeddings"]
            g[...] = 0
            np.add.at(g, self.ids.reshape(-1), grad.reshape(-1, g.shape[1]))
        return None


@register
class Dot(Layer):
    """Dot product of two vectors of equal length, per sample: output shape (1,).

    With ``normalize`` both vectors are first scaled to unit length (``x / sqrt(max(|x|^2,
    1e-12))``, as Keras), which gives their cosine similarity.
    """

    type_name = "Dot"
    formula = (
        "y = sum_k a_k * b_k (normalize: a and b divided by their lengths first)",
        "dL/da = dL/dy * b;  dL/db = dL/dy * a  (normalize: dL/da = dL/dy * (v - y u) / |a| "
        "with u, v the unit vectors, and the same for b)",
    )
    category = "merge"
    description = ("Dot product of two vectors of the same length (one number per sample); "
                   "with normalize, their cosine similarity.")
    schema = (Param("normalize", "bool", False,
                    "Scale both vectors to unit length first (cosine similarity)."),)
    min_inputs = max_inputs = 2
    glyph = "dot_product"
    examples = (({}, [(4,), (4,)]), ({"normalize": True}, [(5,), (5,)]))

    #: Squared norms below this are clamped (the vector is divided by 1e-6 instead).
    EPS = 1e-12

    def compute_output_shape(self, input_shapes):
        a, b = input_shapes
        for s in (a, b):
            if not is_flat(s):
                raise self.shape_error(f"expects two flat vectors, got shape {s}; add a "
                                       "Flatten layer before it")
        if a != b:
            raise self.shape_error(f"inputs must have the same length, got {a[0]} and {b[0]}")
        return (1,)

    def _unit(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        sq = np.sum(x * x, axis=1, keepdims=True)
        norm = np.sqrt(np.maximum(sq, self.EPS))
        return x / norm, norm, sq >= self.EPS  # not clamped (ties are not below the limit)

    def forward(self, xs, training):
        a, b = xs
        if self.config["normalize"]:
            (a, self.na, self.ka), (b, self.nb, self.kb) = self._unit(a), self._unit(b)
        self.a, self.b = a, b
        return np.sum(a * b, axis=1, keepdims=True)

    def backward(self, grad):
        a, b = self.a, self.b
        if not self.config["normalize"]:
            return [grad * b, grad * a]
        # out = <u, v> with u = a / |a|: d out / d a = (v - out u) / |a| (when not clamped)
        out = np.sum(a * b, axis=1, keepdims=True)
        ga = (b - (out * a) * self.ka) / self.na
        gb = (a - (out * b) * self.kb) / self.nb
        return [grad * ga, grad * gb]
