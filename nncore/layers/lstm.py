"""LSTM: long short-term memory (see :mod:`nncore.layers.recurrent` for the layout)."""

from __future__ import annotations

import numpy as np

from nncore.layers.recurrent import (
    KERNEL_INIT,
    RECURRENT_INIT,
    RETURN_SEQUENCES,
    UNITS,
    RecurrentLayer,
)
from nncore.registry import register


@register
class LSTM(RecurrentLayer):
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
    formula = (
        "h_0 = c_0 = 0;  z_t = x_t @ W + h_(t-1) @ U + b (blocks i, f, c, o);  i, f, o = "
        "sigmoid(z_i), sigmoid(z_f), sigmoid(z_o);  g = tanh(z_c);  c_t = f * c_(t-1) + i * "
        "g;  h_t = o * tanh(c_t);  y = h_T (return_sequences: h_1 ... h_T)",
        "back through time, t = T ... 1: dL/dh_t = dL/dy_t + dL/dz_(t+1) @ U^T;  dL/dc_t = "
        "dL/dh_t * o * (1 - tanh(c_t)^2) + dL/dc_(t+1) * f_(t+1);  dL/dz_o = dL/dh_t * "
        "tanh(c_t) * o (1 - o);  dL/dz_i = dL/dc_t * g * i (1 - i);  dL/dz_f = dL/dc_t * "
        "c_(t-1) * f (1 - f);  dL/dz_c = dL/dc_t * i * (1 - g^2);  dL/dW = sum_t x_t^T @ "
        "dL/dz_t;  dL/dU = sum_t h_(t-1)^T @ dL/dz_t;  dL/db = sum_t dL/dz_t;  dL/dx_t = "
        "dL/dz_t @ W^T",
    )
    description = ("Long short-term memory: input, forget and output gates control a cell "
                   "state, so the layer can keep information over many time steps.")
    schema = (UNITS, RETURN_SEQUENCES, KERNEL_INIT, RECURRENT_INIT)
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

    def _buffer_shapes(self, T, B):
        u = self.units
        k = self.n_gates * u
        return {"G": (T, k, B), "C": (T + 1, u, B), "TC": (T, u, B), "D": (T, k, B),
                "OTD": (T, u, B), "dZ": (T, k, B), "dh": (u, B), "dc": (u * B,)}

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

            with self._small_products(B):
                self._run(steps(), UT, tmpk, tmp)
            return self._output(H, slot(T))
        buf = self._allocate(x, self._buffer_shapes(T, B))
        buf["C"][0] = 0
        self._project(x, WbT, buf["G"])
        with self._small_products(B):
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
        with self._small_products(B):
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
