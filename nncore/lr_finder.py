"""The learning-rate range test (Smith 2015, "Cyclical Learning Rates for Training Neural
Networks", section 3.3; fast.ai's ``lr_find``): train for a few steps while the learning
rate grows exponentially, watch the loss, and read a good rate off the curve.

:func:`lr_range_test` makes ``steps`` calls of :meth:`~nncore.trainer.Trainer.train_step`
on a *copy* of the network (:func:`nncore.trace.copy_network`: the network's weights and its
random generator stay as they were) with a fresh optimizer, the rate of step ``i`` being
``start * (end / start) ** (i / (steps - 1))``, on batches of the training data drawn as
training draws them (shuffled each pass, ``batch_size`` samples). The loss of each step is
the batch's loss before that step's update (as fast.ai records it).

Smoothing: an exponential moving average of the losses, ``a_i = beta a_(i-1) + (1 - beta)
loss_i`` from ``a_(-1) = 0``, debiased as Adam's moments are: ``smoothed_i = a_i / (1 -
beta^(i+1))`` (without the division the first values would be pulled towards 0).
``beta`` is :data:`SMOOTHING`. The sweep stops early when the smoothed loss exceeds
``stop_factor`` (:data:`STOP_FACTOR`) times its minimum so far, or when a loss or gradient
is no longer finite (that update is never made).

The suggested rate (:func:`suggest`) is read off the smoothed curve by one of :data:`RULES`
(fast.ai's three); the default, "valley", and the smoothing were chosen by measurement:
``benchmarks/bench_lr_finder.py`` trains every shipped example with the rate each rule
suggests and counts the runs that reach the example's bar (figures at :data:`RULES` and in
``docs/understanding.md``).
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from nncore.config import TrainingConfig
from nncore.divergence import DivergenceGuard
from nncore.errors import ParameterError
from nncore.network import Network, _take
from nncore.trace import copy_network
from nncore.trainer import Trainer

DEFAULT_START, DEFAULT_END, DEFAULT_STEPS = 1e-7, 10.0, 100
#: beta of the exponential moving average of the losses: torch-lr-finder's (its smooth_f
#: 0.05). fast.ai's 0.98 averages over ~50 steps, which in a 100-step sweep of 8 decades
#: drags the curve ~4 decades behind the losses once settled (0.95: ~20 steps, 1.5
#: decades); measured, it also suggested rates that trained less often (see RULES).
SMOOTHING = 0.95
#: The sweep stops once the smoothed loss exceeds this many times its minimum.
STOP_FACTOR = 4.0
#: Points at the end of the curve a rate is never read from (see :func:`suggest`).
EDGE = 5


@dataclass
class RangeTest:
    """The curve of one sweep and the rate it suggests (plain data for a plot)."""

    #: The rate of each step made, and the batch loss it recorded.
    rates: np.ndarray
    losses: np.ndarray
    #: The debiased moving average of ``losses``.
    smoothed: np.ndarray
    #: "end" (every step made), "diverged" (smoothed loss above stop_factor times its
    #: minimum) or "not finite" (a loss or gradient was NaN or infinite).
    stop_reason: str
    #: The rule's rate (None when the curve is too short to read it from).
    suggestion: float | None
    rule: str
    #: The rate where the smoothed loss is lowest.
    minimum_rate: float

    def csv(self) -> str:
        """``step,learning_rate,loss,smoothed_loss``, one row per step."""
        buf = io.StringIO()
        buf.write("step,learning_rate,loss,smoothed_loss\n")
        for i, (r, v, s) in enumerate(zip(self.rates, self.losses, self.smoothed)):
            buf.write(f"{i},{float(r)!r},{float(v)!r},{float(s)!r}\n")
        return buf.getvalue()


def rates_for(start: float, end: float, steps: int) -> np.ndarray:
    """The sweep's rates: ``steps`` values growing exponentially from ``start`` to
    ``end``. Raises ParameterError for a range that is not one."""
    if not (math.isfinite(start) and math.isfinite(end)) or not 0 < start < end:
        raise ParameterError(f"the rates must grow from a positive start to a larger end, "
                             f"got {start:g} to {end:g}")
    if not 2 <= steps <= 100_000:
        raise ParameterError(f"the sweep needs 2 to 100,000 steps, got {steps}")
    return start * (end / start) ** (np.arange(steps) / (steps - 1))


def lr_range_test(network: Network, config: TrainingConfig, x: Any, y: np.ndarray, *,
                  start: float = DEFAULT_START, end: float = DEFAULT_END,
                  steps: int = DEFAULT_STEPS, smoothing: float = SMOOTHING,
                  stop_factor: float = STOP_FACTOR, rule: str | None = None,
                  progress: Callable[[int, int], None] | None = None) -> RangeTest:
    """Sweep the learning rate on a copy of ``network`` with the settings ``config`` (its
    loss, optimizer, batch size, L1/L2 and clipping; the rate and schedule are the
    sweep's) on the training data ``x``/``y``. See the module docstring. ``progress(done,
    steps)``, when given, is called after each step (a window shows it; an exception it
    raises ends the sweep)."""
    rates = rates_for(start, end, steps)
    if not 0 <= smoothing < 1 or stop_factor <= 1:
        raise ParameterError(f"smoothing must be in [0, 1) and stop_factor above 1, got "
                             f"{smoothing} and {stop_factor}")
    trainer = Trainer(copy_network(network), config)
    xs, t = trainer.prepare(x, y, "training data")
    losses, smoothed, reason = _sweep(trainer, xs, t, rates, smoothing, stop_factor,
                                      progress)
    rates = rates[:len(losses)]
    name = rule or DEFAULT_RULE
    best = int(np.argmin(smoothed)) if len(smoothed) else 0
    return RangeTest(rates, np.array(losses), np.array(smoothed), reason,
                     suggest(rates, np.array(smoothed), name), name,
                     float(rates[best]) if len(rates) else float("nan"))


def _sweep(trainer: Trainer, x: Any, t: np.ndarray, rates: np.ndarray, beta: float,
           stop_factor: float, progress: Callable[[int, int], None] | None = None
           ) -> tuple[list[float], list[float], str]:
    """One step per rate; the losses, their smoothed values and why the sweep ended."""
    net = trainer.net
    n = len(t)
    size = min(trainer.config.batch_size, n)
    guard = DivergenceGuard(net, math.inf)
    losses: list[float] = []
    smoothed: list[float] = []
    avg, low = 0.0, math.inf
    order: np.ndarray = np.arange(0)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for i, lr in enumerate(rates):
            b = i % math.ceil(n / size)
            if b == 0:
                order = net.rng.permutation(n) if trainer.config.shuffle else np.arange(n)
            idx = order[b * size:(b + 1) * size]
            result = trainer.train_step(_take(x, idx, net.dtype), t[idx], float(lr), guard)
            if result.divergence is not None:
                return losses, smoothed, "not finite"
            losses.append(result.loss)
            avg = beta * avg + (1 - beta) * result.loss
            smoothed.append(avg / (1 - beta ** (i + 1)))
            low = min(low, smoothed[-1])
            if progress is not None:
                progress(i + 1, len(rates))
            if smoothed[-1] > stop_factor * low:
                return losses, smoothed, "diverged"
    return losses, smoothed, "end"


# -- reading a rate off the curve -------------------------------------------------------
# The rules are fast.ai's (``fastai.callback.schedule``: steep, minimum, valley), applied
# as there to the smoothed curve without its first tenth (the average is still settling)
# and its last EDGE points (often the explosion).

def steepest(rates: np.ndarray, smoothed: np.ndarray) -> float:
    """The rate where the smoothed loss falls fastest from one step to the next."""
    return float(rates[int(np.argmin(np.diff(smoothed)))])


def minimum_tenth(rates: np.ndarray, smoothed: np.ndarray) -> float:
    """A tenth of the rate where the smoothed loss is lowest: a decade below where a larger
    rate stops helping."""
    return float(rates[int(np.argmin(smoothed))] / 10)


def valley(rates: np.ndarray, smoothed: np.ndarray) -> float:
    """The longest run of steps over which the smoothed loss keeps getting lower (a
    longest decreasing subsequence), read a half of the way into its middle third."""
    n = len(smoothed)
    run = np.ones(n, int)
    for i in range(1, n):
        higher = smoothed[:i] > smoothed[i]
        if higher.any():
            run[i] = run[:i][higher].max() + 1
    end = int(np.argmax(run))
    begin = end - int(run[end])
    third = (end - begin) / 3
    return float(rates[begin + int(third) + int(third / 2)])


#: Chosen by measurement (``benchmarks/bench_lr_finder.py --seeds 5 --betas 0.98,0.95
#: --steps 100,200 --skip digits_cnn``): over 7 examples x 5 seeds, training with the rate
#: "valley" suggested (beta 0.95, 100 steps) reached the example's bar in 32 of 35 runs,
#: "minimum/10" in 27, "steepest" in 13, the examples' own hand-tuned rates in 34. The
#: misses are spiral's: its loss does not fall within 100 steps at any rate, so the curve
#: is flat and no rule can read it.
RULES = {"steepest": steepest, "minimum/10": minimum_tenth, "valley": valley}
DEFAULT_RULE = "valley"


def suggest(rates: np.ndarray, smoothed: np.ndarray, rule: str = DEFAULT_RULE
            ) -> float | None:
    """The rate ``rule`` (a key of :data:`RULES`) reads off the curve; None when the curve
    is too short to read (fewer than 2 * EDGE points left after trimming its ends)."""
    if rule not in RULES:
        raise ParameterError(f"unknown rule {rule!r} (known: {', '.join(RULES)})")
    n = len(smoothed)
    a, b = max(n // 10, 1), n - EDGE
    if b - a < 2 * EDGE:
        return None
    return RULES[rule](np.asarray(rates[a:b], float), np.asarray(smoothed[a:b], float))


def range_test_png(result: RangeTest, title: str = "Learning-rate range test") -> bytes:
    """The curve as a PNG: the batch losses and the smoothed curve against the rate on a
    log axis, the suggestion marked."""
    from nncore.plotting import LinePlot

    smoothed = result.smoothed[np.isfinite(result.smoothed)]
    losses = result.losses[np.isfinite(result.losses)]
    ylim = None
    if smoothed.size:
        ylim = (float(min(smoothed.min(), losses.min())), float(smoothed.max()))
    plot = LinePlot(title, "learning rate (log scale)", "loss", log_x=True, ylim=ylim)
    plot.line(result.rates, result.losses, (160, 190, 230), "batch loss", 1.5)
    plot.line(result.rates, result.smoothed, (25, 70, 160),
              f"smoothed (moving average, beta {SMOOTHING})", 2.5)
    if result.suggestion is not None:
        plot.marker(result.suggestion, (210, 40, 40),
                    f"suggested {result.suggestion:.2g} ({result.rule})")
    return plot.png()
