"""What each unit of a network with a 2-D input responds to, over the input plane: the
small pictures TensorFlow Playground draws on every neuron.

A :class:`ResponseGrid` lays a ``size`` x ``size`` grid over a rectangle of the input
plane (in the data's own units, as the scatter plot shows it), normalizes the points once
as training did, and :meth:`ResponseGrid.responses` runs one inference-mode forward pass
of all the points and returns, for every node with a flat output (Dense, Activation,
Dropout, BatchNormalization, ...), each unit's value at each point: an array (units,
size, size) whose ``[k, i, j]`` is unit k at ``(xs[j], ys[i])`` (rows go up the y axis).
The output layer's values are what ``predict`` gives (probabilities when the loss fuses
its activation).

Speed: the forward pass of the grid is the whole cost. CPU time of one call, median of
200 (2 shared cores): 64 x 64 points 0.34 ms for xor (2-8-2), 0.61 ms for spiral
(2-16-16-2), 2.3 ms for regression (2-64-64-1); 100 x 100 points 0.81, 1.9 and 6.6 ms.
A window can recompute it at every redraw (``tests/engine/test_responses.py`` bounds it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nncore.activations import get_activation
from nncore.errors import DataError, SpecError
from nncore.network import Network

#: Points per side of the grid by default (TensorFlow Playground's thumbnails use 10 x
#: 10 cells of its 100 x 100 picture; 64 is sharp at thumbnail size).
GRID_SIZE = 64
MAX_GRID_SIZE = 512
#: Margin added on each side of the data's range (a fraction of the range).
MARGIN = 0.08


def plane_ranges(X: np.ndarray, margin: float = MARGIN
                 ) -> tuple[tuple[float, float], tuple[float, float]]:
    """The range of the data's two input features, each widened by ``margin`` of its
    length on both sides (by 1 when all values are equal)."""
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != 2 or len(X) == 0:
        raise DataError(f"the input plane needs samples of 2 features, got shape {X.shape}")
    out = []
    for j in range(2):
        lo, hi = float(X[:, j].min()), float(X[:, j].max())
        pad = margin * (hi - lo) if hi > lo else 1.0
        out.append((lo - pad, hi + pad))
    return out[0], out[1]


@dataclass
class ResponseGrid:
    """A grid over the input plane, ready to be run through networks (see the module
    docstring). ``normalizer``: the one training fitted (None: inputs as they are)."""

    x_range: tuple[float, float]
    y_range: tuple[float, float]
    size: int = GRID_SIZE
    normalizer: object | None = None

    def __post_init__(self) -> None:
        if not 2 <= self.size <= MAX_GRID_SIZE:
            raise DataError(f"the grid needs 2 to {MAX_GRID_SIZE} points per side, got "
                            f"{self.size}")
        for name, (lo, hi) in (("x", self.x_range), ("y", self.y_range)):
            if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
                raise DataError(f"the grid's {name} range must be finite and increasing, "
                                f"got {lo} to {hi}")
        self.xs = np.linspace(*self.x_range, self.size)
        self.ys = np.linspace(*self.y_range, self.size)
        xx, yy = np.meshgrid(self.xs, self.ys)
        raw = np.column_stack([xx.ravel(), yy.ravel()])
        norm = self.normalizer
        self.points = norm.transform(raw) if norm is not None and norm.fitted else raw
        self._cast: dict[np.dtype, np.ndarray] = {}

    def responses(self, network: Network) -> dict[str, np.ndarray]:
        """node id -> (units, size, size) for every node with a flat output, in execution
        order. Runs ``network`` in inference mode (as ``predict`` does, it replaces the
        activations the network keeps from its last forward pass)."""
        check_plane_input(network)
        x = self._cast.get(network.dtype)
        if x is None:
            x = self._cast[network.dtype] = self.points.astype(network.dtype)
        with np.errstate(over="ignore", invalid="ignore"):
            network.forward(x, training=False)
        acts = network.activations()
        out = {}
        n = self.size
        for node_id in network.order:
            layer = network.layers[node_id]
            a = acts[node_id]
            if layer.max_inputs == 0 or a is None or a.ndim != 2:
                continue
            if layer.skip_activation:  # a fused output: its logits, activated
                a = get_activation(layer.activation_name or "linear").forward(a)
            out[node_id] = np.ascontiguousarray(a.T).reshape(a.shape[1], n, n)
        return out


def check_plane_input(network: Network) -> None:
    """Raise SpecError unless the network has one Input of 2 features."""
    shapes = [network.shapes[i] for i in network.input_ids]
    if shapes != [(2,)]:
        raise SpecError("unit responses over the input plane need one Input of shape [2]; "
                        f"this network's Inputs have shapes {shapes}")
