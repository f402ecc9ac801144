"""SimpleRNN: the fully connected recurrent layer (see :mod:`nncore.layers.recurrent`)."""

from __future__ import annotations

import numpy as np

from nncore.layers.recurrent import (
    KERNEL_INIT,
    RECURRENT_INIT,
    RETURN_SEQUENCES,
    UNITS,
    RecurrentLayer,
)
from nncore.params import Param
from nncore.registry import register

_RNN_ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")


@register
class SimpleRNN(RecurrentLayer):
    """Fully connected recurrent layer: ``h_t = f(x_t W + h_(t-1) U + b)``, h_0 = 0, with
    f one of tanh, relu, sigmoid, linear (the activations the ONNX RNN operator has)."""

    type_name = "SimpleRNN"
    formula = (
        "h_0 = 0;  z_t = x_t @ W + h_(t-1) @ U + b;  h_t = f(z_t);  y = h_T "
        "(return_sequences: h_1 ... h_T)",
        "back through time, t = T ... 1: dL/dz_t = (dL/dh_t + dL/dz_(t+1) @ U^T) * f'(z_t);  "
        "dL/dW = sum_t x_t^T @ dL/dz_t;  dL/dU = sum_t h_(t-1)^T @ dL/dz_t;  dL/db = sum_t "
        "dL/dz_t;  dL/dx_t = dL/dz_t @ W^T",
    )
    description = ("Fully connected recurrent layer: h_t = f(x_t W + h_(t-1) U + b), "
                   "starting from h = 0.")
    schema = (
        UNITS,
        Param("activation", "choice", "tanh", "Non-linearity of the state update.",
              choices=_RNN_ACTIVATIONS, key=True),
        RETURN_SEQUENCES,
        KERNEL_INIT,
        RECURRENT_INIT,
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

    def _buffer_shapes(self, T, B):
        return {"Z": (T, self.units, B), "dZ": (T, self.units, B)}

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

            with self._small_products(B):
                self._run(steps(), UT, tmp)
            return self._output(H, slot(T))
        buf = self._allocate(x, self._buffer_shapes(T, B))
        self._project(x, WbT, buf["Z"])
        with self._small_products(B):
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
        with self._small_products(B):
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
