"""What the recurrent layers (:mod:`~nncore.layers.simple_rnn`, :mod:`~nncore.layers.lstm`,
:mod:`~nncore.layers.gru`) share: parameters, shapes, weights, buffers and the layout below.

They run over sequences of shape (T, F) per sample.

Each layer reads a batch ``x`` of shape (B, T, F), starts from a zero state and returns the
hidden state after the last step, (B, units), or with ``return_sequences`` the state after
every step, (B, T, units). Weights (``k`` = number of gates):

* ``W`` (F, k * units): input kernel, regularized by L1/L2;
* ``U`` (units, k * units): recurrent kernel, regularized by L1/L2;
* ``b`` (k * units,): bias (GRU has a second, recurrent bias ``rb``, see
  :class:`~nncore.layers.gru.GRU`).

Gate blocks are laid out along the last axis in the Keras order: LSTM ``i, f, c, o``,
GRU ``z, r, h``.

Computation (feature-major). Inside a layer every per-step array has the batch on its
last axis: states are (units, B), gate pre-activations (k * units, B), with the gates in
blocks of rows. Each gate block of a step is then one contiguous run of memory, so the
element-wise work runs on flat 1-D views (NumPy's fastest path: on 32 x 128 float32 blocks a
2-D contiguous operation took 2.4 times as long, a strided slice 4.5 times), and the step's
matmul is
``U^T (k units, units) @ h (units, B)``. The input projection of all time steps is one
batched matmul before the loop, with the bias inside it (the input gets a row of ones);
backward is back-propagation through time over the stored step states, and the weight
gradients are one matmul each after the loop: the pre-activation gradients of all steps
(k units, T B) times the inputs, or the states before each step. Buffers and the per-step
views into them are allocated once per batch geometry and reused. In inference mode
(``training=False``) only the current state is kept (all states with
``return_sequences``) and the input projection is computed in chunks of time steps, so
evaluating a large batch needs little memory; ``backward`` then refuses to run.

Sigmoid gates use ``sigmoid(z) = 0.5 + 0.5 * tanh(z / 2)`` (as :mod:`nncore.activations`):
their rows of the working copies of the weights are halved (exactly, a power of two), so
one ``tanh`` call activates all gates of a step.
"""

from __future__ import annotations

import contextlib
from typing import Any, ClassVar

import numpy as np

from nncore.blas import small_products
from nncore.errors import TrainingError
from nncore.initializers import INITIALIZER_NAMES
from nncore.layers.base import Layer, Shape, WeightSpec
from nncore.params import Param

#: Inference processes the input projection in chunks of at most this many values.
_CHUNK_VALUES = 1 << 20

UNITS = Param("units", "int", 32, "Size of the hidden state (number of units).",
              min=1, max=100_000, key=True)
RETURN_SEQUENCES = Param(
    "return_sequences", "bool", False,
    "Output the hidden state after every time step, shape (T, units), instead of only the "
    "last one, shape (units,). Needed to stack another recurrent layer on top.")
KERNEL_INIT = Param("kernel_initializer", "choice", "glorot_uniform",
                    "How the input weights W start.", choices=INITIALIZER_NAMES)
RECURRENT_INIT = Param("recurrent_initializer", "choice", "glorot_uniform",
                       "How the recurrent weights U start.", choices=INITIALIZER_NAMES)


class RecurrentLayer(Layer):
    """What SimpleRNN, LSTM and GRU share: shapes, weights, buffers and the feature-major
    layout (see the module docstring)."""

    category = "recurrent"
    glyph = "recurrent"
    #: Gate blocks per unit in W, U and b.
    n_gates: ClassVar[int] = 1
    #: GRU keeps a row of ones under each state so ``[U; rb]^T [h; 1]`` adds its recurrent
    #: bias inside the step's matmul.
    ones_row: ClassVar[bool] = False

    def __init__(self, name: str = "", /, **params: Any) -> None:
        super().__init__(name, **params)
        self._buffers: dict[str, np.ndarray] = {}
        self._buffer_key: tuple | None = None
        self._views: list[tuple] = []
        self._stored = False

    @property
    def activation_name(self) -> str | None:
        # The non-linearities act inside the recurrence; the output is not an activation a
        # loss could fuse, so a recurrent layer is never a softmax/sigmoid output layer.
        return None

    @property
    def units(self) -> int:
        return self.config["units"]

    def compute_output_shape(self, input_shapes: list[Shape]) -> Shape:
        (shape,) = input_shapes
        if len(shape) != 2:
            raise self.shape_error(
                f"expects sequences of shape (time steps, features), got {shape}; use an "
                "Input of shape [T, F], a Reshape to [T, F], or a recurrent layer with "
                "return_sequences before it")
        return (shape[0], self.units) if self.config["return_sequences"] else (self.units,)

    def weight_specs(self, input_shapes: list[Shape]) -> list[WeightSpec]:
        n_in, k = input_shapes[0][1], self.n_gates * self.units
        return [
            WeightSpec("W", (n_in, k), self.config["kernel_initializer"], regularize=True),
            WeightSpec("U", (self.units, k), self.config["recurrent_initializer"],
                       regularize=True),
            WeightSpec("b", (k,), "zeros"),
        ]

    def _small_products(self, B: int) -> contextlib.AbstractContextManager:
        """The time loop's products, (gates x units) @ (units x B), on one BLAS thread when
        they are small (see :mod:`nncore.blas`)."""
        return small_products(2 * self.n_gates * self.units * self._state_rows() * B)

    # -- buffers -----------------------------------------------------------------------
    def _state_rows(self) -> int:
        return self.units + self.ones_row

    def _new_states(self, n_slots: int, B: int, dtype: Any) -> np.ndarray:
        """Zero states (n_slots, rows, B), with the row of ones where the layer has one."""
        H = np.zeros((n_slots, self._state_rows(), B), dtype)
        if self.ones_row:
            H[:, self.units] = 1.0
        return H

    def _allocate(self, x: np.ndarray, shapes: dict[str, tuple[int, ...]]
                  ) -> dict[str, np.ndarray]:
        """Training buffers for this batch geometry, reused while it does not change, and
        the per-step views into them (``_step_views``).

        Always present: ``XT`` (T, F + 1, B), the input per step as columns with a last row
        of ones, so ``[W; b]^T XT`` adds the bias inside the matmul and ``dZ XT^T`` yields
        ``[dW; db]`` in one product; ``H`` (T + 1, rows, B), the states, H[0] = 0.
        """
        B, T, F = x.shape
        key = (B, T, F, x.dtype)
        if self._buffer_key != key:
            bufs = {name: np.empty(shape, x.dtype) for name, shape in shapes.items()}
            bufs["XT"] = np.empty((T, F + 1, B), x.dtype)
            bufs["XT"][:, F] = 1.0
            bufs["H"] = self._new_states(T + 1, B, x.dtype)
            self._buffers = bufs
            self._views = self._make_views(bufs, T)
            self._buffer_key = key
        return self._buffers

    def _buffer_shapes(self, T: int, B: int) -> dict[str, tuple[int, ...]]:
        """The layer's own training buffers for T steps of B samples (besides XT and H)."""
        return {}

    def training_floats(self, input_shapes):
        T, F = input_shapes[0]
        own = sum(int(np.prod(s)) for s in self._buffer_shapes(T, 1).values())
        return (own + T * (F + 1) + (T + 1) * self._state_rows()
                + 3 * int(np.prod(self.compute_output_shape(input_shapes))))

    def _make_views(self, bufs: dict[str, np.ndarray], T: int) -> list[tuple]:
        """Per-step views (forward and backward) into the training buffers."""
        return []

    def _project(self, x: np.ndarray, WbT: np.ndarray, G: np.ndarray) -> None:
        """Fill XT from ``x`` (B, T, F) and write ``[W; b]^T XT`` into G (T, k, B)."""
        F = x.shape[2]
        XT = self._buffers["XT"]
        np.copyto(XT[:, :F], x.transpose(1, 2, 0))
        np.matmul(WbT, XT, out=G)

    def _projection_chunks(self, x: np.ndarray, WbT: np.ndarray):
        """Inference: yield (t0, projection (steps, k, B) of steps t0...) in chunks of at
        most _CHUNK_VALUES values, computed as in :meth:`_project`."""
        B, T, F = x.shape
        k = WbT.shape[0]
        step = max(1, min(T, _CHUNK_VALUES // max(B * k, 1)))
        for t0 in range(0, T, step):
            t1 = min(T, t0 + step)
            xt = np.empty((t1 - t0, F + 1, B), x.dtype)
            xt[:, :F] = x[:, t0:t1].transpose(1, 2, 0)
            xt[:, F] = 1.0
            yield t0, np.matmul(WbT, xt)

    def _inference_states(self, x: np.ndarray) -> tuple[np.ndarray, Any]:
        """States for an inference pass: all T + 1 when returning sequences, else two slots
        used in turn; and ``slot(t)`` giving the index of the state after t steps."""
        B, T, _ = x.shape
        if self.config["return_sequences"]:
            return self._new_states(T + 1, B, x.dtype), lambda t: t
        return self._new_states(2, B, x.dtype), lambda t: t % 2

    def _check_stored(self) -> None:
        if not self._stored:
            raise TrainingError(f"{self.owner}: backward needs the step states of a forward "
                                "pass with training=True")

    # -- output and gradients ----------------------------------------------------------
    def _output(self, H: np.ndarray, last: int) -> np.ndarray:
        """The layer output from states H (slots, rows, B); ``last`` = slot after T steps
        (with return_sequences, slots 1..T are the steps)."""
        u = self.units
        if self.config["return_sequences"]:
            return np.ascontiguousarray(H[1:last + 1, :u].transpose(2, 0, 1))
        return np.ascontiguousarray(H[last, :u].T)

    def _output_grads(self, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
        """(dL/dh of every step (T, units, B) or None, dL/dh of the last step (units, B))."""
        if self.config["return_sequences"]:
            dY = np.ascontiguousarray(grad.transpose(1, 2, 0))
            return dY, dY[-1]
        return None, grad.T

    @staticmethod
    def _by_rows(a: np.ndarray, order: np.ndarray | None = None) -> np.ndarray:
        """(T, k, B) -> (k, T * B): the gradients of all steps as one matrix, rows taken in
        ``order`` (back to the stored gate order) by the same copy."""
        T, k, B = a.shape
        rows = a.transpose(1, 0, 2)
        return (np.ascontiguousarray(rows) if order is None else rows[order]).reshape(k, T * B)

    def _input_kernel_grads(self, A: np.ndarray) -> None:
        """grads W and b from A (k, T*B), the gradients of the input projections."""
        XT = self._buffers["XT"]
        T, F1, B = XT.shape
        g = A @ XT.transpose(0, 2, 1).reshape(T * B, F1)  # (k, F + 1)
        np.copyto(self.grads["W"], g[:, :-1].T)
        np.copyto(self.grads["b"], g[:, -1])

    def _recurrent_kernel_grads(self, A: np.ndarray, bias: str | None = None) -> None:
        """grads U (and the recurrent bias) from A (k, T*B), the gradients of the
        recurrent products of all steps, and the states before each step."""
        H = self._buffers["H"]
        T1, rows, B = H.shape
        g = A @ H[:T1 - 1].transpose(0, 2, 1).reshape((T1 - 1) * B, rows)  # (k, rows)
        np.copyto(self.grads["U"], g[:, :self.units].T)
        if bias is not None:
            np.copyto(self.grads[bias], g[:, self.units])

    def _input_gradient(self, A: np.ndarray, W: np.ndarray, T: int, B: int
                        ) -> np.ndarray | None:
        """dL/dx (B, T, F) from A (k, T*B) and the input kernel W (F, k) in A's order."""
        if not self.need_input_grad:
            return None
        dxt = W @ A  # (F, T * B)
        return np.ascontiguousarray(dxt.reshape(-1, T, B).transpose(2, 1, 0))

    @staticmethod
    def _stack(W: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.concatenate([W, b[None]], axis=0)
