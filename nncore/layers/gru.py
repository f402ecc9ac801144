"""GRU: the gated recurrent unit, "reset after" (see :mod:`nncore.layers.recurrent`)."""

from __future__ import annotations

import numpy as np

from nncore.layers.base import WeightSpec
from nncore.layers.recurrent import (
    KERNEL_INIT,
    RECURRENT_INIT,
    RETURN_SEQUENCES,
    UNITS,
    RecurrentLayer,
)
from nncore.registry import register


@register
class GRU(RecurrentLayer):
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
    formula = (
        "h_0 = 0;  a = x_t @ W + b;  q = h_(t-1) @ U + rb (blocks z, r, h);  z = sigmoid(a_z "
        "+ q_z);  r = sigmoid(a_r + q_r);  n = tanh(a_h + r * q_h);  h_t = z * h_(t-1) + (1 - "
        "z) * n;  y = h_T (return_sequences: h_1 ... h_T)",
        "back through time, t = T ... 1: dL/dn = dL/dh_t * (1 - z);  dL/dz = dL/dh_t * "
        "(h_(t-1) - n);  da_h = dL/dn * (1 - n^2);  dq_h = da_h * r;  dr = da_h * q_h;  da_z "
        "= dq_z = dL/dz * z (1 - z);  da_r = dq_r = dr * r (1 - r);  dL/dh_(t-1) = dL/dh_t * "
        "z + dq @ U^T;  dL/dW = sum_t x_t^T @ da;  dL/db = sum_t da;  dL/dU = sum_t h_(t-1)^T "
        "@ dq;  dL/drb = sum_t dq;  dL/dx_t = da @ W^T",
    )
    description = ("Gated recurrent unit: update and reset gates decide how much of the "
                   "state to keep; fewer weights than an LSTM.")
    schema = (UNITS, RETURN_SEQUENCES, KERNEL_INIT, RECURRENT_INIT)
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

    def _buffer_shapes(self, T, B):
        k = self.n_gates * self.units
        return {"G": (T, k, B), "Q": (T, k, B), "D": (T, k, B), "dA": (T, k, B),
                "dQ": (T, k, B)}

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

            with self._small_products(B):
                self._run(steps(), UrT, tmp)
            return self._output(H, slot(T))
        buf = self._allocate(x, self._buffer_shapes(T, B))
        self._project(x, WbT, buf["G"])
        with self._small_products(B):
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
        with self._small_products(B):
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
