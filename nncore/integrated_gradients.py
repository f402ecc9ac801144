"""Integrated gradients (Sundararajan et al. 2017) by adaptive trapezoidal quadrature.

The attribution of feature i is ``(x_i - x'_i)`` times the mean, along the straight path
from the baseline ``x'`` to ``x``, of the score's gradient with respect to feature i. The
path's parameter ``alpha`` runs over [0, 1] and is cut into ``steps`` equal intervals, each
integrated by the trapezoidal rule. The score is known exactly at both ends of every
interval, so each interval's error is known too: the trapezoidal estimate of the score's
change ``h/2 (g_a + g_b) . (x - x')`` against its true change ``F(b) - F(a)``. An interval
whose error is above ``tolerance * |F(x) - F(x')| * h`` is halved (the classic adaptive
quadrature), down to intervals of ``1 / max_steps``, so the attributions of a sample add up
to ``F(x) - F(x')`` within ``tolerance`` (relative) wherever the finest intervals suffice.
The gradient jumps where a ReLU or max pooling switches along the path; uniform steps
converge there only as ``1/steps`` (the shipped regression example needs thousands), the
adaptive rule spends its extra points at those jumps alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nncore.attribution import (
    Attribution,
    ScoreHead,
    StopFlag,
    check_stop,
    chunk_rows,
    explaining,
    prepare_inputs,
    score_gradients,
)
from nncore.errors import ParameterError
from nncore.network import Network

#: Equal intervals to start with, the relative completeness each sample is integrated to
#: (``tolerance``) and the finest interval (1 / ``max_steps``) that reaching it may take.
DEFAULT_STEPS = 64
DEFAULT_TOLERANCE = 0.01
DEFAULT_MAX_STEPS = 1 << 24
MAX_STEPS = 1 << 30
#: The completeness a sample is held to is at least this fraction of its scores' size
#: (``|F(x)| + |F(x')|``): a sample whose score barely changes along the path is
#: integrated to the precision of the scores, not below it.
SCORE_PRECISION = 1e-5


def integrated_gradients(network: Network, x: Any, baseline: Any = None,
                         target: Any = None, steps: int = DEFAULT_STEPS,
                         score: str = "logit", tolerance: float = DEFAULT_TOLERANCE,
                         max_steps: int = DEFAULT_MAX_STEPS,
                         stop: StopFlag = None) -> Attribution:
    """Integrated gradients of the samples ``x`` from ``baseline`` (an array of one
    sample's shape or one per sample, in the network's input space; None: zeros there).
    ``tolerance`` 0 keeps ``steps`` equal intervals (the plain trapezoidal rule).
    :attr:`Attribution.steps` gives the intervals each sample took."""
    check_steps(steps, tolerance, max_steps)
    network, x, head, targets = prepare_inputs(network, x, target, score)
    base = baseline_array(baseline, x)
    n = len(x)
    values = np.empty(x.shape, np.float64)
    scores, base_scores = np.empty(n), np.empty(n)
    used = np.empty(n, np.int64)
    group = max(1, chunk_rows(network) // (steps + 1))  # samples whose grid fits one pass
    with explaining(network):
        for a in range(0, n, group):
            sl = slice(a, a + group)
            path = AdaptivePath(network, head, x[sl], base[sl], targets[sl], stop)
            path.integrate(int(steps), float(tolerance), int(max_steps))
            values[sl] = path.diff * path.mean_gradient
            used[sl] = path.intervals
            scores[sl], base_scores[sl] = path.scores, path.base_scores
    return Attribution("integrated-gradients", values, targets, scores, score,
                       baseline=base, baseline_scores=base_scores, steps=used)


def check_steps(steps: Any, tolerance: Any, max_steps: Any) -> None:
    for name, v in (("steps", steps), ("max_steps", max_steps)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) \
                or not 1 <= v <= MAX_STEPS:
            raise ParameterError(f"{name} must be an integer from 1 to {MAX_STEPS:,}, got "
                                 f"{v!r}")
    if max_steps < steps:
        raise ParameterError(f"max_steps ({max_steps}) must be at least steps ({steps})")
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) \
            or not 0 <= tolerance < 1:
        raise ParameterError(f"tolerance must be a number from 0 to below 1, got "
                             f"{tolerance!r}")


def baseline_array(baseline: Any, x: np.ndarray) -> np.ndarray:
    """The baseline of each sample (float64): zeros, or ``baseline`` broadcast."""
    if baseline is None:
        return np.zeros(x.shape)
    b = np.asarray(baseline, np.float64)
    if b.shape == x.shape[1:]:
        b = np.broadcast_to(b, x.shape)
    if b.shape != x.shape or not np.isfinite(b).all():
        raise ParameterError(f"baseline: expected finite numbers of shape {x.shape[1:]} or "
                             f"{x.shape}, got shape {b.shape}")
    return np.array(b)


class AdaptivePath:
    """The paths from baselines to samples, integrated interval by interval. Intervals
    waiting to be judged are rows of parallel arrays: the sample, the start ``a`` and
    width ``h`` on the path, the scores and gradients at both ends."""

    def __init__(self, network: Network, head: ScoreHead, x: np.ndarray, base: np.ndarray,
                 targets: np.ndarray, stop: StopFlag) -> None:
        self.network, self.head, self.targets, self.stop = network, head, targets, stop
        self.base = base
        self.diff = x.astype(np.float64) - base
        self.flat_diff = self.diff.reshape(len(x), -1)
        self.mean_gradient = np.zeros(self.diff.shape)
        self.intervals = np.zeros(len(x), np.int64)
        self.scores = self.base_scores = np.zeros(len(x))
        #: An interval's error below this times its scores' size is rounding: the
        #: network's arithmetic cannot tell it apart from zero.
        self.rounding = 16 * float(np.finfo(network.dtype).eps)

    def evaluate(self, samples: np.ndarray, alphas: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Scores and flat gradients at base + alpha * diff, one row per (sample, alpha)."""
        shape = self.diff.shape[1:]
        per_pass = chunk_rows(self.network)
        scores = np.empty(len(samples))
        grads = np.empty((len(samples), int(np.prod(shape))))
        for a in range(0, len(samples), per_pass):
            check_stop(self.stop)
            sl = slice(a, a + per_pass)
            s = samples[sl]
            pts = self.base[s] + alphas[sl].reshape(-1, *[1] * len(shape)) * self.diff[s]
            scores[sl], g, _ = score_gradients(self.network, self.head,
                                               pts.astype(self.network.dtype),
                                               self.targets[s])
            grads[sl] = g.reshape(len(g), -1)
        return scores, grads

    def integrate(self, steps: int, tolerance: float, max_steps: int) -> None:
        m = len(self.diff)
        samples = np.repeat(np.arange(m), steps + 1)
        alphas = np.tile(np.linspace(0.0, 1.0, steps + 1), m)
        f, g = self.evaluate(samples, alphas)
        f, g = f.reshape(m, steps + 1), g.reshape(m, steps + 1, -1)
        self.base_scores, self.scores = f[:, 0], f[:, -1]
        delta = np.abs(self.scores - self.base_scores)
        floor = SCORE_PRECISION * (np.abs(self.scores) + np.abs(self.base_scores))
        self.allowed = tolerance * np.maximum(delta, floor)
        pending = (np.repeat(np.arange(m), steps), np.tile(np.arange(steps) / steps, m),
                   np.full(m * steps, 1.0 / steps), f[:, :-1].ravel(), f[:, 1:].ravel(),
                   g[:, :-1].reshape(m * steps, -1), g[:, 1:].reshape(m * steps, -1))
        final = tolerance == 0
        while len(pending[0]):
            pending = self._accept(pending, final)
            if len(pending[0]) == 0:
                break
            final = pending[2][0] / 2 <= 1.0 / max_steps
            pending = self._halve(pending)
        self.mean_gradient = self.mean_gradient.reshape(self.diff.shape)

    def _accept(self, pending: tuple, final: bool) -> tuple:
        """Add the intervals whose error is within bounds (all when ``final``) to the
        mean gradients; return the others."""
        s, a, h, fa, fb, ga, gb = pending
        trapezoid = 0.5 * h[:, None] * (ga + gb)
        if final:
            ok = np.ones(len(s), bool)
        else:
            change = np.einsum("if,if->i", trapezoid, self.flat_diff[s])
            noise = self.rounding * (np.abs(fa) + np.abs(fb))
            ok = np.abs(change - (fb - fa)) <= np.maximum(self.allowed[s] * h, noise)
        flat = self.mean_gradient.reshape(len(self.diff), -1)
        np.add.at(flat, s[ok], trapezoid[ok])
        np.add.at(self.intervals, s[ok], 1)
        keep = ~ok
        return tuple(v[keep] for v in pending)

    def _halve(self, pending: tuple) -> tuple:
        """Each interval as two, with the score and gradient at its midpoint."""
        s, a, h, fa, fb, ga, gb = pending
        half = h / 2
        fm, gm = self.evaluate(s, a + half)
        return (np.concatenate([s, s]), np.concatenate([a, a + half]),
                np.concatenate([half, half]), np.concatenate([fa, fm]),
                np.concatenate([fm, fb]), np.concatenate([ga, gm]),
                np.concatenate([gm, gb]))
