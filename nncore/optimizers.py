"""Optimizers, from simple to complex. Each updates one flat parameter array in place.

``bind(params, grads)`` hands the optimizer the trainable slice of the network's flat
weight buffer and the matching gradient buffer; ``step(lr)`` applies one update. Updates
run over cache-sized chunks with a preallocated scratch buffer, so a step allocates nothing
and each chunk stays in cache across the several passes an update makes.

Formulas follow the PyTorch conventions (documented per class) and are checked against the
textbook closed forms in the tests.
"""

from __future__ import annotations

import math
import os
import threading
from abc import ABC, abstractmethod
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from nncore.errors import ParameterError
from nncore.params import Param, coerce_all

#: Elements updated per pass: several passes over one chunk stay in the CPU's cache.
CHUNK = 1 << 18
#: From this many parameters on, updates run on two threads (measured on a 2-core machine:
#: below it the hand-off costs more than it saves).
PARALLEL_MIN = 1 << 21
_WORKERS = min(2, os.cpu_count() or 1)
_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="nncore-opt")
        return _POOL


class Optimizer(ABC):
    name: str = ""
    label: str = ""
    help: str = ""
    schema: tuple[Param, ...] = ()
    #: Names of per-parameter state arrays (same size as the parameters).
    state_names: tuple[str, ...] = ()

    def __init__(self, **params: Any) -> None:
        self.config = coerce_all(self.schema, params, f"optimizer {self.name}")
        self.iterations = 0
        self.params: np.ndarray | None = None

    def update_config(self, **params: Any) -> None:
        """Change hyperparameters between steps (for example while a run is paused);
        raises ParameterError for a bad value."""
        self.set_config(coerce_all(self.schema, {**self.config, **params},
                                   f"optimizer {self.name}"))

    def set_config(self, config: dict[str, Any]) -> None:
        """Take all hyperparameters, already checked against the schema (for example a
        validated ``TrainingConfig.optimizer_params``), between steps."""
        self.config = dict(config)

    def bind(self, params: np.ndarray, grads: np.ndarray) -> None:
        if params.shape != grads.shape:
            raise ValueError("parameters and gradients must have the same shape")
        self.params, self.grads = params, grads
        self.state = {n: self.initial_state(n, params) for n in self.state_names}
        # One scratch chunk per worker (NumPy releases the GIL inside ufuncs on large
        # arrays, so big networks update their two halves on two threads).
        self._workers = _WORKERS if params.size >= PARALLEL_MIN else 1
        self._tmps = [np.empty(min(CHUNK, max(params.size, 1)), params.dtype)
                      for _ in range(self._workers)]
        self._tmp = self._tmps[0]
        self.iterations = 0

    def initial_state(self, name: str, params: np.ndarray) -> np.ndarray:
        """State array ``name`` of ``params`` before any step."""
        return np.zeros_like(params)

    def get_state(self) -> dict[str, np.ndarray]:
        """Copies of the per-parameter state arrays (:attr:`state_names`, flat over the
        bound parameters), as a checkpoint saves them with :attr:`iterations` and
        :attr:`config`."""
        return {n: self.state[n].copy() for n in self.state_names}

    def set_state(self, iterations: int, state: dict[str, np.ndarray]) -> None:
        """Continue from a checkpoint: ``iterations`` steps made and each state array (flat,
        the size of the bound parameters), saved under the current :attr:`config` (to
        continue with other hyperparameters, call :meth:`set_config` after this). Raises
        ValueError for a missing array or a wrong size."""
        for name in self.state_names:
            a = state.get(name)
            if a is None or np.shape(a) != self.state[name].shape:
                raise ValueError(f"optimizer {self.name}: state {name!r} must be an array "
                                 f"of {self.state[name].size} values")
        for name in self.state_names:
            self.state[name][...] = state[name]
        self.iterations = int(iterations)

    def step(self, lr: float) -> None:
        self.iterations += 1
        p, g = self.params, self.grads
        n = p.size
        if n == 0:
            return
        consts = self._constants(lr)
        states = [self.state[s] for s in self.state_names]
        if n <= CHUNK:
            self._update(p, g, *states, self._tmp[:n], *consts)
            return
        if self._workers == 1:
            self._update_range(0, n, states, self._tmp, consts)
            return
        # Split at a chunk boundary; each worker walks its half chunk by chunk.
        cut = (n // 2 + CHUNK - 1) // CHUNK * CHUNK
        ranges = [(0, cut), (cut, n)]
        futures = [_pool().submit(self._update_range, a, b, states, tmp, consts)
                   for (a, b), tmp in zip(ranges, self._tmps)]
        for f in futures:
            f.result()

    def _update_range(self, start: int, stop: int, states: list[np.ndarray],
                      tmp: np.ndarray, consts: tuple) -> None:
        p, g = self.params, self.grads
        for a in range(start, stop, CHUNK):
            b = min(a + CHUNK, stop)
            self._update(p[a:b], g[a:b], *(s[a:b] for s in states), tmp[:b - a], *consts)

    def _constants(self, lr: float) -> tuple:
        return (lr,)

    @abstractmethod
    def _update(self, p: np.ndarray, g: np.ndarray, *args: Any) -> None:
        """Update one chunk in place: (params, grads, *state chunks, scratch, *constants)."""


_LR_NOTE = "The learning rate itself is a training setting."


class SGD(Optimizer):
    """p <- p - lr * g"""

    name, label, help = "sgd", "SGD", "Plain gradient descent: p -= lr * g."

    def _update(self, p, g, tmp, lr):
        np.multiply(g, lr, out=tmp)
        p -= tmp


class Momentum(Optimizer):
    """v <- mu v + g ;  p <- p - lr v   (PyTorch's SGD with momentum)"""

    name, label, help = "momentum", "SGD + momentum", "Accumulates a velocity: v = mu v + g."
    schema = (Param("momentum", "float", 0.9, "Fraction of the velocity kept each step.",
                    min=0.0, max=0.999),)
    state_names = ("velocity",)

    def _update(self, p, g, v, tmp, lr):
        v *= self.config["momentum"]
        v += g
        np.multiply(v, lr, out=tmp)
        p -= tmp


class Nesterov(Optimizer):
    """v <- mu v + g ;  p <- p - lr (g + mu v)   (PyTorch's nesterov=True)"""

    name, label, help = "nesterov", "Nesterov momentum", "Momentum with a look-ahead gradient."
    schema = Momentum.schema
    state_names = ("velocity",)

    def _update(self, p, g, v, tmp, lr):
        mu = self.config["momentum"]
        v *= mu
        v += g
        np.multiply(v, mu, out=tmp)
        tmp += g
        tmp *= lr
        p -= tmp


class RMSProp(Optimizer):
    """s <- rho s + (1 - rho) g^2 ;  p <- p - lr g / (sqrt(s) + eps)"""

    name, label, help = "rmsprop", "RMSProp", "Divides by a running RMS of recent gradients."
    schema = (
        Param("rho", "float", 0.9, "Decay of the squared-gradient average (Keras' default; "
              "PyTorch calls it alpha and defaults to 0.99).", min=0.0, max=0.9999),
        Param("epsilon", "float", 1e-7, "Added to sqrt(average) in the denominator, outside "
              "the root (Keras' default 1e-7; PyTorch's is 1e-8).", min=1e-12, max=1.0),
    )
    state_names = ("square_avg",)

    def _update(self, p, g, s, tmp, lr):
        rho, eps = self.config["rho"], self.config["epsilon"]
        s *= rho
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - rho
        s += tmp
        np.sqrt(s, out=tmp)
        tmp += eps
        np.divide(g, tmp, out=tmp)
        tmp *= lr
        p -= tmp


class Adagrad(Optimizer):
    """s <- s + g^2 ;  p <- p - lr g / (sqrt(s) + eps)"""

    name, label, help = "adagrad", "Adagrad", "Per-weight rates shrinking with summed g^2."
    schema = (
        Param("initial_accumulator", "float", 0.1, "Starting value of the sum of squares "
              "(Keras' default; PyTorch starts at 0).", min=0.0),
        Param("epsilon", "float", 1e-7, "Added to sqrt(sum) in the denominator, outside the "
              "root as PyTorch does (Keras adds it inside).", min=1e-12, max=1.0),
    )
    state_names = ("sum_sq",)

    def initial_state(self, name, params):
        return np.full_like(params, self.config["initial_accumulator"])

    def _update(self, p, g, s, tmp, lr):
        np.multiply(g, g, out=tmp)
        s += tmp
        np.sqrt(s, out=tmp)
        tmp += self.config["epsilon"]
        np.divide(g, tmp, out=tmp)
        tmp *= lr
        p -= tmp


class Adam(Optimizer):
    """m <- b1 m + (1-b1) g ;  v <- b2 v + (1-b2) g^2 ;
    p <- p - lr * m_hat / (sqrt(v_hat) + eps), with m_hat = m/(1-b1^t), v_hat = v/(1-b2^t).

    The moments are stored scaled, M = m/(1-b1) and V = v/(1-b2), which turns their updates
    into M <- b1 M + g and V <- b2 V + g^2 (no multiplications by 1-b1, 1-b2). With
    m = (1-b1) M, v = (1-b2) V and c = sqrt((1-b2^t)/(1-b2)):

        lr m_hat / (sqrt(v_hat) + eps) = lr (1-b1)/(1-b1^t) M / (sqrt(V)/c + eps)
                                       = lr_t M / (sqrt(V) + eps_t),
        lr_t = lr (1-b1) c / (1-b1^t),  eps_t = eps c    (numerator and denominator times c)

    which is the same update (bias correction included) in 10 passes per chunk instead of
    the 12 that storing m and v takes. ``state`` holds M and V (keys ``m_scaled``,
    ``v_scaled``); :meth:`moments` gives the true m and v. When beta1 or beta2 change
    (``set_config``), M and V are rescaled so that they keep representing the same m and v.
    V is at most 1/(1-b2) times v (1e5 at the largest beta2): float32 holds it for gradients
    up to about 1e16."""

    name, label, help = "adam", "Adam", "Momentum plus per-weight RMS scaling, bias-corrected."
    schema = (
        Param("beta1", "float", 0.9, "Decay of the gradient average.", min=0.0, max=0.9999),
        Param("beta2", "float", 0.999, "Decay of the squared-gradient average.", min=0.0,
              max=0.99999),
        Param("epsilon", "float", 1e-8, "Added to the denominator for stability.", min=1e-12,
              max=1.0),
    )
    state_names = ("m_scaled", "v_scaled")

    def set_config(self, config: dict[str, Any]) -> None:
        b1, b2 = self.config["beta1"], self.config["beta2"]
        super().set_config(config)
        if self.params is None:
            return  # not bound yet: no moments to rescale
        # M (1-b1) = m = M' (1-b1'): the stored moments follow the new scale factors.
        for key, old, new in (("m_scaled", b1, self.config["beta1"]),
                              ("v_scaled", b2, self.config["beta2"])):
            if new != old:
                self.state[key] *= (1.0 - old) / (1.0 - new)

    def moments(self) -> dict[str, np.ndarray]:
        """The true first and second moments ``{"m": m, "v": v}`` (new arrays)."""
        return {"m": self.state["m_scaled"] * (1.0 - self.config["beta1"]),
                "v": self.state["v_scaled"] * (1.0 - self.config["beta2"])}

    def _constants(self, lr):
        t = self.iterations
        b1, b2, eps = self.config["beta1"], self.config["beta2"], self.config["epsilon"]
        c = math.sqrt((1.0 - b2 ** t) / (1.0 - b2))
        return lr * (1.0 - b1) * c / (1.0 - b1 ** t), eps * c, lr

    def _update(self, p, g, m, v, tmp, lr_t, eps_t, lr):
        # m, v: chunks of the scaled moments M, V.
        m *= self.config["beta1"]
        m += g
        v *= self.config["beta2"]
        np.multiply(g, g, out=tmp)
        v += tmp
        np.sqrt(v, out=tmp)
        tmp += eps_t
        np.divide(m, tmp, out=tmp)
        tmp *= lr_t
        p -= tmp


class AdamW(Adam):
    """Adam with decoupled weight decay: p <- p - lr wd p before the Adam update."""

    name, label, help = "adamw", "AdamW", "Adam with decoupled weight decay."
    schema = (*Adam.schema,
              Param("weight_decay", "float", 0.01, "Decay applied directly to the weights.",
                    min=0.0, max=1.0))

    def _update(self, p, g, m, v, tmp, lr_t, eps_t, lr):
        p *= 1.0 - lr * self.config["weight_decay"]
        super()._update(p, g, m, v, tmp, lr_t, eps_t, lr)


OPTIMIZERS: dict[str, type[Optimizer]] = {
    c.name: c for c in (SGD, Momentum, Nesterov, RMSProp, Adagrad, Adam, AdamW)
}


def get_optimizer(name: str, **params: Any) -> Optimizer:
    try:
        cls = OPTIMIZERS[name]
    except KeyError:
        raise ParameterError(
            f"unknown optimizer {name!r} (known: {', '.join(OPTIMIZERS)})") from None
    return cls(**params)
