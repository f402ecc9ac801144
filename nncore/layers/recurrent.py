"""Recurrent layers: SimpleRNN, LSTM and GRU over sequences of shape (T, F) per sample.

Each layer reads a batch ``x`` of shape (B, T, F), starts from a zero state and returns the
hidden state after the last step, (B, units), or with ``return_sequences`` the state after
every step, (B, T, units). Weights (``k`` = number of gates):

* ``W`` (F, k * units): input kernel, regularized by L1/L2;
* ``U`` (units, k * units): recurrent kernel, regularized by L1/L2;
* ``b`` (k * units,): bias (GRU has a second, recurrent bias ``rb``, see :class:`GRU`).

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

from typing import Any, ClassVar

import numpy as np

from nncore.errors import TrainingError
from nncore.initializers import INITIALIZER_NAMES
from nncore.layers.base import Layer, Shape, WeightSpec
from nncore.params import Param
from nncore.registry import register

#: Inference processes the input projection in chunks of at most this many values.
_CHUNK_VALUES = 1 << 20

_UNITS = Param("units", "int", 32, "Size of the hidden state (number of units).",
               min=1, max=100_000, key=True)
_RETURN_SEQUENCES = Param(
    "return_sequences", "bool", False,
    "Output the hidden state after every time step, shape (T, units), instead of only the "
    "last one, shape (units,). Needed to stack another recurrent layer on top.")
_KERNEL_INIT = Param("kernel_initializer", "choice", "glorot_uniform",
                     "How the input weights W start.", choices=INITIALIZER_NAMES)
_RECURRENT_INIT = Param("recurrent_initializer", "choice", "glorot_uniform",
                        "How the recurrent weights U start.", choices=INITIALIZER_NAMES)


class _Recurrent(Layer):
    """What SimpleRNN, LSTM and GRU share: shapes, weights, buffers and the feature-major
    layout (see the module docstring)."""

    category = "recurrent"
    #: Gate blocks per unit in W, U and b.
    n_gates: ClassVar[int] = 1
    #: GRU keeps a row of ones under each state so ``[U; rb]^T [h; 1]`` adds its recurrent
    #: bias inside the step's matmul.
    ones_row: ClassVar[bool] = False

    def __init__(self, name: str = "", **params: Any) -> None:
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


# ---------------------------------------------------------------------------------------------
# SimpleRNN
# ---------------------------------------------------------------------------------------------
_RNN_ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")


@register
class SimpleRNN(_Recurrent):
    """Fully connected recurrent layer: ``h_t = f(x_t W + h_(t-1) U + b)``, h_0 = 0, with
    f one of tanh, relu, sigmoid, linear (the activations the ONNX RNN operator has)."""

    type_name = "SimpleRNN"
    description = ("Fully connected recurrent layer: h_t = f(x_t W + h_(t-1) U + b), "
                   "starting from h = 0.")
    schema = (
        _UNITS,
        Param("activation", "choice", "tanh", "Non-linearity of the state update.",
              choices=_RNN_ACTIVATIONS, key=True),
        _RETURN_SEQUENCES,
        _KERNEL_INIT,
        _RECURRENT_INIT,
    )
    n_gates = 1
    examples = (
        ({"units": 4}, [(5, 3)]),
        ({"units": 3, "return_sequences": True}, [(4, 2)]),
        ({"units": 3, "activation": "relu", "return_sequences": True}, [(3, 4)]),
        ({"units": 2, "activation": "sigmoid"}, [(4, 3)]),
        ({"units": 3, "activation": "linear"}, [(3, 2)]),
    )

    def _activate(self, z: np.ndarray, h: np.ndarray) -> None:
        """h = f(z) (flat arrays); sigmoid as 0.5 + 0.5 tanh(z / 2), like Activation."""
        name = self.config["activation"]
        if name == "tanh":
            np.tanh(z, out=h)
        elif name == "relu":
            np.maximum(z, 0, out=h)
        elif name == "sigmoid":
            np.multiply(z, 0.5, out=h)
            np.tanh(h, out=h)
            h *= 0.5
            h += 0.5
        else:
            np.copyto(h, z)

    def _derivative(self, Y: np.ndarray) -> np.ndarray:
        """f'(z) of every step from the activated states Y (all steps at once)."""
        name = self.config["activation"]
        if name == "tanh":
            return 1.0 - Y * Y
        if name == "relu":
            return (Y > 0).astype(Y.dtype)
        if name == "sigmoid":
            return Y * (1.0 - Y)
        return np.ones_like(Y)

    @staticmethod
    def _step_views(Z_t: np.ndarray, h_prev: np.ndarray, h: np.ndarray) -> tuple:
        return Z_t, Z_t.reshape(-1), h_prev, h.reshape(-1)

    def _make_views(self, bufs, T):
        Z, H = bufs["Z"], bufs["H"]
        return [self._step_views(Z[t], H[t], H[t + 1]) for t in range(T)]

    def _run(self, steps, UT: np.ndarray, tmp: np.ndarray) -> None:
        tmpf = tmp.reshape(-1)
        for t, (_, z, h_prev, h) in enumerate(steps):
            if t:
                np.dot(UT, h_prev, out=tmp)
                np.add(z, tmpf, out=z)
            self._activate(z, h)

    def forward(self, x, training):
        B, T, F = x.shape
        u = self.units
        WbT = np.ascontiguousarray(self._stack(self.weights["W"], self.weights["b"]).T)
        UT = np.ascontiguousarray(self.weights["U"].T)
        tmp = np.empty((u, B), x.dtype)
        if not training:
            self._stored = False
            H, slot = self._inference_states(x)

            def steps():
                for t0, Zc in self._projection_chunks(x, WbT):
                    for j in range(len(Zc)):
                        t = t0 + j
                        yield self._step_views(Zc[j], H[slot(t)], H[slot(t + 1)])

            self._run(steps(), UT, tmp)
            return self._output(H, slot(T))
        buf = self._allocate(x, {"Z": (T, u, B), "dZ": (T, u, B)})
        self._project(x, WbT, buf["Z"])
        self._run(self._views, UT, tmp)
        self._stored = True
        return self._output(buf["H"], T)

    def backward(self, grad):
        self._check_stored()
        H, dZ = self._buffers["H"], self._buffers["dZ"]
        T, u, B = dZ.shape
        U = self.weights["U"]  # dL/dh_(t-1) = U dL/dz_t in this layout
        D = self._derivative(H[1:])
        dY, last = self._output_grads(grad)
        dh = np.array(last, dtype=H.dtype, order="C")
        dhf = dh.reshape(-1)
        for t in range(T - 1, -1, -1):
            if dY is not None and t < T - 1:
                np.add(dhf, dY[t].reshape(-1), out=dhf)
            np.multiply(dhf, D[t].reshape(-1), out=dZ[t].reshape(-1))
            if t:
                np.dot(U, dZ[t], out=dh)
        A = self._by_rows(dZ)
        if self.trainable:
            self._input_kernel_grads(A)
            self._recurrent_kernel_grads(A)
        return self._input_gradient(A, self.weights["W"], T, B)


# ---------------------------------------------------------------------------------------------
# LSTM
# ---------------------------------------------------------------------------------------------
@register
class LSTM(_Recurrent):
    """LSTM with gates i (input), f (forget), c (candidate) and o (output)::

        z = x_t W + h_(t-1) U + b            (blocks i, f, c, o of `units` columns each)
        i, f, o = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o);   g = tanh(z_c)
        c_t = f * c_(t-1) + i * g;           h_t = o * tanh(c_t)

    starting from h = c = 0; no peepholes. The forget-gate block of ``b`` starts at 1 (the
    other blocks at 0), as in Keras (``unit_forget_bias``) and Jozefowicz et al. 2015, so
    the cell keeps its state early in training: when the network draws fresh weights, ``b``
    is all zeros and :meth:`on_built` sets its forget block to 1 (weights given by the user
    or kept by a re-layout are never all zero in practice, and are left as they are).

    Internally the gate blocks are reordered to i, f, o, c so the three sigmoid gates are
    one contiguous block.
    """

    type_name = "LSTM"
    description = ("Long short-term memory: input, forget and output gates control a cell "
                   "state, so the layer can keep information over many time steps.")
    schema = (_UNITS, _RETURN_SEQUENCES, _KERNEL_INIT, _RECURRENT_INIT)
    n_gates = 4
    examples = (
        ({"units": 3}, [(4, 2)]),
        ({"units": 2, "return_sequences": True}, [(3, 3)]),
        ({"units": 4, "return_sequences": False}, [(2, 5)]),
    )

    def on_built(self) -> None:
        u = self.units
        b = self.weights.get("b")
        if b is not None and not b.any():
            b[u:2 * u] = 1.0  # forget-gate bias of freshly drawn weights
        # internal row j holds stored column perm[j]: blocks i, f, o, c
        self._perm = np.concatenate([np.arange(0, 2 * u), np.arange(3 * u, 4 * u),
                                     np.arange(2 * u, 3 * u)])
        self._unperm = np.argsort(self._perm)

    def _working_weights(self) -> tuple[np.ndarray, np.ndarray]:
        """[W; b]^T (4u, F + 1) and U^T (4u, u): internal gate order, sigmoid rows halved."""
        u, p = self.units, self._perm
        WbT = np.ascontiguousarray(
            np.take(self._stack(self.weights["W"], self.weights["b"]), p, axis=1).T)
        UT = np.ascontiguousarray(np.take(self.weights["U"], p, axis=1).T)
        WbT[:3 * u] *= 0.5
        UT[:3 * u] *= 0.5
        return WbT, UT

    def _step_views(self, G_t: np.ndarray, c_prev: np.ndarray, c: np.ndarray, tc: np.ndarray,
                    h_prev: np.ndarray, h: np.ndarray) -> tuple:
        """Flat views of one step: gates (all, sigmoid block, i, f, o, c), c_(t-1), c_t,
        tanh(c_t), h_(t-1) as (units, B) for the matmul, h_t."""
        n = c.size
        g = G_t.reshape(-1)
        return (g, g[:3 * n], g[:n], g[n:2 * n], g[2 * n:3 * n], g[3 * n:],
                c_prev.reshape(-1), c.reshape(-1), tc.reshape(-1), h_prev, h.reshape(-1))

    def _make_views(self, bufs, T):
        G, C, H, TC = bufs["G"], bufs["C"], bufs["H"], bufs["TC"]
        return [self._step_views(G[t], C[t], C[t + 1], TC[t], H[t], H[t + 1])
                for t in range(T)]

    def _run(self, steps, UT: np.ndarray, tmpk: np.ndarray, tmp: np.ndarray) -> None:
        """The recurrence over prepared step views (training buffers or inference ones)."""
        dot, tanh, mul, add = np.dot, np.tanh, np.multiply, np.add
        tmpkf = tmpk.reshape(-1)
        for t, (g, s, i, f, o, gc, c_prev, c, tc, h_prev, h) in enumerate(steps):
            if t:
                dot(UT, h_prev, out=tmpk)
                add(g, tmpkf, out=g)
            tanh(g, out=g)       # halved sigmoid rows: sigmoid = 0.5 + 0.5 tanh(z / 2)
            mul(s, 0.5, out=s)
            add(s, 0.5, out=s)
            mul(f, c_prev, out=c)
            mul(i, gc, out=tmp)
            add(c, tmp, out=c)
            tanh(c, out=tc)
            mul(o, tc, out=h)

    def forward(self, x, training):
        B, T, F = x.shape
        u, k = self.units, 4 * self.units
        WbT, UT = self._working_weights()
        tmpk, tmp = np.empty((k, B), x.dtype), np.empty(u * B, x.dtype)
        if not training:
            self._stored = False
            H, slot = self._inference_states(x)
            C = np.zeros((2, u, B), x.dtype)
            tc = np.empty((u, B), x.dtype)

            def steps():
                for t0, Gc in self._projection_chunks(x, WbT):
                    for j in range(len(Gc)):
                        t = t0 + j
                        yield self._step_views(Gc[j], C[t % 2], C[(t + 1) % 2], tc,
                                               H[slot(t)], H[slot(t + 1)])

            self._run(steps(), UT, tmpk, tmp)
            return self._output(H, slot(T))
        buf = self._allocate(x, {
            "G": (T, k, B), "C": (T + 1, u, B), "TC": (T, u, B), "D": (T, k, B),
            "OTD": (T, u, B), "dZ": (T, k, B), "dh": (u, B), "dc": (u * B,)})
        buf["C"][0] = 0
        self._project(x, WbT, buf["G"])
        self._run(self._views, UT, tmpk, tmp)
        self._stored = True
        return self._output(buf["H"], T)

    def backward(self, grad):
        self._check_stored()
        b = self._buffers
        G, TC, D, OTD, dZ, dh, dc = (b[n] for n in ("G", "TC", "D", "OTD", "dZ", "dh", "dc"))
        T, k, B = G.shape
        u, p = self.units, self._perm
        n = u * B
        Uq = np.take(self.weights["U"], p, axis=1)  # (u, 4u): dL/dh_(t-1) = Uq dL/dz_t
        # Derivatives of the gate non-linearities for all steps at once: sigmoid' = s (1 - s)
        # for i, f, o; tanh' = 1 - g^2 for c. And dL/dc_t through h_t = o tanh(c_t):
        # o (1 - tanh(c_t)^2).
        S, Gc, Ds, Dc = G[:, :3 * u], G[:, 3 * u:], D[:, :3 * u], D[:, 3 * u:]
        np.subtract(1.0, S, out=Ds)
        np.multiply(Ds, S, out=Ds)
        np.multiply(Gc, Gc, out=Dc)
        np.subtract(1.0, Dc, out=Dc)
        np.multiply(TC, TC, out=OTD)
        np.subtract(1.0, OTD, out=OTD)
        np.multiply(OTD, G[:, 2 * u:3 * u], out=OTD)
        dY, last = self._output_grads(grad)
        dh[...] = last
        dc[...] = 0
        dhf, tmp = dh.reshape(-1), np.empty(n, G.dtype)
        dot, mul, add = np.dot, np.multiply, np.add
        views = self._views
        for t in range(T - 1, -1, -1):
            _, _, i, f, _, gc, c_prev, _, tc, _, _ = views[t]
            z = dZ[t].reshape(-1)
            if dY is not None and t < T - 1:
                add(dhf, dY[t].reshape(-1), out=dhf)
            mul(dhf, tc, out=z[2 * n:3 * n])                 # d o = dh tanh(c)
            mul(dhf, OTD[t].reshape(-1), out=tmp)
            add(dc, tmp, out=dc)                             # d c_t
            mul(dc, gc, out=z[:n])                           # d i = dc g
            mul(dc, c_prev, out=z[n:2 * n])                  # d f = dc c_(t-1)
            mul(dc, i, out=z[3 * n:])                        # d g = dc i
            mul(dc, f, out=dc)                               # to c_(t-1)
            mul(z, D[t].reshape(-1), out=z)                  # to pre-activations
            if t:
                dot(Uq, dZ[t], out=dh)
        A = self._by_rows(dZ, self._unperm)  # stored gate order
        if self.trainable:
            self._input_kernel_grads(A)
            self._recurrent_kernel_grads(A)
        return self._input_gradient(A, self.weights["W"], T, B)


# ---------------------------------------------------------------------------------------------
# GRU
# ---------------------------------------------------------------------------------------------
@register
class GRU(_Recurrent):
    """GRU, "reset after" variant (PyTorch, cuDNN, Keras ``reset_after=True``, ONNX
    ``linear_before_reset=1``), gate blocks z (update), r (reset), h (candidate)::

        a = x_t W + b;   q = h_(t-1) U + rb
        z = sigmoid(a_z + q_z);   r = sigmoid(a_r + q_r)
        n = tanh(a_h + r * q_h)              (the reset gate scales h U + rb, after the matmul)
        h_t = z * h_(t-1) + (1 - z) * n

    starting from h = 0. Two biases: ``b`` (3 units, input side) and ``rb`` (3 units,
    recurrent side); they only differ in effect for the candidate block.
    """

    type_name = "GRU"
    description = ("Gated recurrent unit: update and reset gates decide how much of the "
                   "state to keep; fewer weights than an LSTM.")
    schema = (_UNITS, _RETURN_SEQUENCES, _KERNEL_INIT, _RECURRENT_INIT)
    n_gates = 3
    ones_row = True
    examples = (
        ({"units": 3}, [(4, 2)]),
        ({"units": 2, "return_sequences": True}, [(3, 3)]),
        ({"units": 4}, [(2, 5)]),
    )

    def weight_specs(self, input_shapes):
        return super().weight_specs(input_shapes) + [
            WeightSpec("rb", (3 * self.units,), "zeros")]

    def _working_weights(self) -> tuple[np.ndarray, np.ndarray]:
        """[W; b]^T (3u, F + 1) and [U; rb]^T (3u, u + 1), z and r rows halved."""
        u = self.units
        WbT = np.ascontiguousarray(self._stack(self.weights["W"], self.weights["b"]).T)
        UrT = np.ascontiguousarray(self._stack(self.weights["U"], self.weights["rb"]).T)
        WbT[:2 * u] *= 0.5
        UrT[:2 * u] *= 0.5
        return WbT, UrT

    def _step_views(self, G_t: np.ndarray, Q_t: np.ndarray, h_prev: np.ndarray,
                    h: np.ndarray) -> tuple:
        """Flat views of one step: input projection (all, z r, z, r, n), recurrent product
        (as (3u, B) for the matmul, z r block, h block), h_(t-1) (with its row of ones,
        for the matmul), h_(t-1), h_t."""
        u = self.units
        n = u * G_t.shape[1]
        g, q = G_t.reshape(-1), Q_t.reshape(-1)
        return (g, g[:2 * n], g[:n], g[n:2 * n], g[2 * n:], Q_t, q[:2 * n], q[2 * n:],
                h_prev, h_prev[:u].reshape(-1), h[:u].reshape(-1))

    def _make_views(self, bufs, T):
        G, Q, H = bufs["G"], bufs["Q"], bufs["H"]
        return [self._step_views(G[t], Q[t], H[t], H[t + 1]) for t in range(T)]

    def _run(self, steps, UrT: np.ndarray, tmp: np.ndarray) -> None:
        dot, tanh, mul, add, sub = np.dot, np.tanh, np.multiply, np.add, np.subtract
        for _g, zr, z, r, nn, q2, qzr, qh, h_prev2, h_prev, h in steps:
            dot(UrT, h_prev2, out=q2)   # h U + rb (z, r rows halved)
            add(zr, qzr, out=zr)
            tanh(zr, out=zr)
            mul(zr, 0.5, out=zr)
            add(zr, 0.5, out=zr)
            mul(r, qh, out=tmp)
            add(nn, tmp, out=nn)
            tanh(nn, out=nn)
            sub(h_prev, nn, out=tmp)
            mul(tmp, z, out=tmp)
            add(nn, tmp, out=h)

    def forward(self, x, training):
        B, T, F = x.shape
        u, k = self.units, 3 * self.units
        WbT, UrT = self._working_weights()
        tmp = np.empty(u * B, x.dtype)
        if not training:
            self._stored = False
            H, slot = self._inference_states(x)
            Q = np.empty((k, B), x.dtype)

            def steps():
                for t0, Gc in self._projection_chunks(x, WbT):
                    for j in range(len(Gc)):
                        t = t0 + j
                        yield self._step_views(Gc[j], Q, H[slot(t)], H[slot(t + 1)])

            self._run(steps(), UrT, tmp)
            return self._output(H, slot(T))
        buf = self._allocate(x, {"G": (T, k, B), "Q": (T, k, B), "D": (T, k, B),
                                 "dA": (T, k, B), "dQ": (T, k, B)})
        self._project(x, WbT, buf["G"])
        self._run(self._views, UrT, tmp)
        self._stored = True
        return self._output(buf["H"], T)

    def backward(self, grad):
        self._check_stored()
        b = self._buffers
        G, D, dA, dQ = b["G"], b["D"], b["dA"], b["dQ"]
        T, k, B = G.shape
        u = self.units
        n = u * B
        U = self.weights["U"]  # (u, 3u): dL/dh_(t-1) gets U dL/dq_t
        # sigmoid' of z and r, tanh' of n, all steps at once
        np.subtract(1.0, G[:, :2 * u], out=D[:, :2 * u])
        np.multiply(D[:, :2 * u], G[:, :2 * u], out=D[:, :2 * u])
        np.multiply(G[:, 2 * u:], G[:, 2 * u:], out=D[:, 2 * u:])
        np.subtract(1.0, D[:, 2 * u:], out=D[:, 2 * u:])
        dY, last = self._output_grads(grad)
        dh = np.array(last, dtype=G.dtype, order="C")
        dhf = dh.reshape(-1)
        dzh = np.empty(n, G.dtype)
        dot, mul, add, sub = np.dot, np.multiply, np.add, np.subtract
        views = self._views
        for t in range(T - 1, -1, -1):
            _, _, z, r, nn, _, _, qh, _, h_prev, _ = views[t]
            a, q, d = dA[t].reshape(-1), dQ[t].reshape(-1), D[t].reshape(-1)
            if dY is not None and t < T - 1:
                add(dhf, dY[t].reshape(-1), out=dhf)
            sub(h_prev, nn, out=a[:n])
            mul(a[:n], dhf, out=a[:n])                  # dL/dz
            mul(dhf, z, out=dzh)                        # direct path to h_(t-1)
            sub(dhf, dzh, out=a[2 * n:])                # dL/dn = dh (1 - z)
            mul(a[2 * n:], d[2 * n:], out=a[2 * n:])    # dL/d(pre n)
            mul(a[2 * n:], qh, out=a[n:2 * n])          # dL/dr
            mul(a[:2 * n], d[:2 * n], out=a[:2 * n])    # dL/d(pre z), dL/d(pre r)
            np.copyto(q[:2 * n], a[:2 * n])
            mul(a[2 * n:], r, out=q[2 * n:])            # dL/dq_h
            if t:
                dot(U, dQ[t], out=dh)
                add(dhf, dzh, out=dhf)
        A = self._by_rows(dA)
        if self.trainable:
            self._input_kernel_grads(A)
            self._recurrent_kernel_grads(self._by_rows(dQ), bias="rb")
        return self._input_gradient(A, self.weights["W"], T, B)
