"""Gradient check: back-propagation against float64 central differences.

:func:`gradcheck` builds a project's network in float64 through the run pipeline
(:func:`~nncore.run.prepare_data`, :func:`~nncore.run.build_network`, optionally
:func:`~nncore.run.load_initial_weights`, :func:`~nncore.run.check_run` for the loss and
the arrays), takes a few samples of the training split and compares, per layer and per
parameter array, and for the input of every layer that back-propagates to its input, the
gradient of the loss that back-propagation gives (``a``) with the five-point central
difference (error O(h^4)), f(k) being the loss with the entry moved by k h:

    n = (8 (f(1) - f(-1)) - (f(2) - f(-2))) / (12 h),   h = STEP = 1e-5,

through the relative error

    rel = |a - n| / max(|a|, |n|, floor),   floor = FLOOR * max(1, |L|),  FLOOR = 1e-4.

An array fails when its largest relative error exceeds ``TOLERANCE`` (1e-5). The floor
keeps gradients too small to resolve from counting as errors: rounding the loss L in
float64 leaves about 2e-11 |L| of noise in n, so a gradient below the floor is judged by its
absolute error against 1e-9 |L|; a wrong factor on any gradient larger than about 1e-9 |L|
still fails. (Measured on the shipped examples, 4 seeds, 60 entries per array: the largest
relative error is 2e-7 with this floor, 1.4e-6 with a floor of 1e-5 and 1.4e-5 with 1e-6.)

The check runs in training mode, as training computes the gradient: batch normalization
uses the batch's statistics, and dropout's random masks are the same for every evaluation
because the network's generator is rewound before each forward pass. Frozen layers are
checked as if trainable (their maths is the same). The gradient is the loss's alone: L1/L2
and clipping, which the trainer adds after back-propagation, are not part of it.

Where the loss has a kink within 2h of the current point (a ReLU at exactly 0, which zero
inputs and zero initial biases make common; a tie in max pooling; |x| in the MAE), the
one-sided slopes differ and no difference quotient is the gradient: an entry whose jump
in slope (:func:`_differences`) exceeds ``KINK`` times its scale is counted in ``kinks``
and not compared.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nncore.layers.base import Layer
from nncore.losses import Loss
from nncore.network import Network

STEP = 1e-5
FLOOR = 1e-4
TOLERANCE = 1e-5
#: Entries compared per array: all of a smaller array, a seeded random choice otherwise.
MAX_ENTRIES = 40
#: A jump in slope beyond this fraction of the gradient's scale marks a kink: smaller
#: jumps move the central difference by less than half the tolerance.
KINK = 1e-5


@dataclass(frozen=True)
class GradRow:
    """One array of one layer: a weight (``array`` is its name) or a layer's input
    (``"input"``, or ``"input 0"``, ``"input 1"`` for merge layers)."""

    node_id: str
    array: str
    size: int
    checked: int
    kinks: int
    max_rel_error: float | None = None
    worst_index: tuple[int, ...] | None = None
    backprop: float | None = None
    numerical: float | None = None

    def failed(self, tolerance: float = TOLERANCE) -> bool:
        return self.max_rel_error is not None and self.max_rel_error > tolerance


@dataclass(frozen=True)
class GradCheck:
    """The rows in the network's order (weights of a layer, then its input), the loss
    at the checked point and the number of samples."""

    rows: tuple[GradRow, ...]
    loss: float
    samples: int
    tolerance: float = TOLERANCE

    @property
    def failures(self) -> list[GradRow]:
        return [r for r in self.rows if r.failed(self.tolerance)]

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def culprit(self) -> GradRow | None:
        """The failure nearest the output: where back-propagation first goes wrong (a
        wrong input gradient makes every array before it wrong too)."""
        failures = self.failures
        return failures[-1] if failures else None

    @property
    def worst(self) -> GradRow | None:
        rows = [r for r in self.rows if r.max_rel_error is not None]
        return max(rows, key=lambda r: r.max_rel_error or 0.0) if rows else None


def gradcheck(project: Any, base_dir: str | Path | None = None, weights: Any = None,
              samples: int = 8, seed: int = 0, data: Any = None,
              max_entries: int = MAX_ENTRIES,
              progress: Callable[[int, int], None] | None = None) -> GradCheck:
    """Check the project's network on ``samples`` samples of its training split (drawn with
    ``seed``, which also picks the entries of large arrays), at its initial weights (the
    project's seed) or at ``weights`` (a :class:`~nncore.weights.WeightsFile`). ``data``:
    the project's PreparedData or raw Dataset, when the caller has it. Raises SpecError or
    DataError as the run pipeline does, and DataError when ``samples`` is out of range.
    ``progress(done, total)`` is called after each array (see :func:`check_network`)."""
    from nncore.data import Dataset
    from nncore.errors import DataError
    from nncore.run import (
        PreparedData,
        build_network,
        check_run,
        load_initial_weights,
        prepare_data,
        set_frozen_nodes,
    )

    if not isinstance(data, PreparedData):
        data = prepare_data(project.data, base_dir, data if isinstance(data, Dataset) else None)
    net = build_network(project, dtype=np.float64)
    set_frozen_nodes(net, {n: False for n in net.layers})
    if weights is not None:
        load_initial_weights(net, weights)
    run = check_run(net, data, project.training)
    n = len(run.y)
    if not 1 <= samples <= n:
        raise DataError(f"cannot check {samples} samples: the training split has {n}; use "
                        f"1 to {n}")
    pick = np.sort(np.random.default_rng(seed).choice(n, samples, replace=False))
    x = ({k: a[pick] for k, a in run.x.items()} if isinstance(run.x, dict) else run.x[pick])
    x, t = run.trainer.prepare(x, run.y[pick], "gradient check samples")
    return check_network(net, run.trainer.loss, x, t, seed=seed, max_entries=max_entries,
                         progress=progress)


def check_network(net: Network, loss: Loss, x: Any, t: np.ndarray, *, seed: int = 0,
                  max_entries: int = MAX_ENTRIES,
                  progress: Callable[[int, int], None] | None = None) -> GradCheck:
    """Compare back-propagation with central differences for ``net`` (float64) and
    ``loss`` on the prepared batch ``x``, ``t``; see the module's description.
    ``progress(done, total)``, when given, is called with the arrays checked so far and
    their number (a window shows it; an exception it raises ends the check)."""
    if net.dtype != np.float64:
        raise ValueError("a gradient check needs a float64 network")
    rng = np.random.default_rng(seed)
    probe = _Probe(net, loss, x, t)
    with np.errstate(all="ignore"):
        base = probe.backprop()
        floor = FLOOR * max(1.0, abs(base))  # (see the module's description)
        rows: list[GradRow] = []
        total = sum(len(net.layers[n].grads) + len(probe.input_grads.get(n, {}))
                    for n in net.order)
        for node in net.order:
            layer = net.layers[node]
            for name in layer.grads:
                rows.append(_compare(node, name, layer.weights[name],
                                     probe.param_grads[(node, name)], probe.loss_at,
                                     base, floor, rng, max_entries))
                if progress is not None:
                    progress(len(rows), total)
            for k, grad in probe.input_grads.get(node, {}).items():
                label = "input" if len(probe.input_grads[node]) == 1 else f"input {k}"
                with _ShiftedInput(layer, k) as shift:
                    rows.append(_compare(node, label, shift.delta(grad.shape), grad,
                                         probe.loss_at, base, floor, rng, max_entries))
                if progress is not None:
                    progress(len(rows), total)
    return GradCheck(tuple(rows), base, len(t))


class _Probe:
    """The loss as a function of the network's current state, with the generator rewound
    before every forward pass (the same dropout masks each time), and one back-propagation
    that records every layer's parameter and input gradients."""

    def __init__(self, net: Network, loss: Loss, x: Any, t: np.ndarray) -> None:
        self.net, self.loss, self.x, self.t = net, loss, x, t
        self.rng_state = net.rng.bit_generator.state
        self.param_grads: dict[tuple[str, str], np.ndarray] = {}
        self.input_grads: dict[str, dict[int, np.ndarray]] = {}

    def loss_at(self) -> float:
        self.net.rng.bit_generator.state = self.rng_state
        return float(self.loss.forward(self.net.forward(self.x, True), self.t))

    def backprop(self) -> float:
        net = self.net
        needed = {n: layer.need_input_grad for n, layer in net.layers.items()}
        for layer in net.layers.values():  # also the layers fed only by Inputs
            if layer.max_inputs != 0 and layer.input_dtype != "int":
                layer.need_input_grad = True
        value = self.loss_at()
        recorded: dict[str, Any] = {}
        hooked = [_record_backward(net.layers[n], n, recorded) for n in net.order]
        try:
            net.backward(self.loss.backward())
        finally:
            for layer in hooked:
                del layer.backward
            for n, flag in needed.items():
                net.layers[n].need_input_grad = flag
        for node in net.order:
            for name, g in net.layers[node].grads.items():
                self.param_grads[(node, name)] = g.copy()
            gin = recorded.get(node)
            if gin is not None:
                gins = gin if isinstance(gin, list) else [gin]
                self.input_grads[node] = {k: np.array(g, np.float64) for k, g in
                                          enumerate(gins) if g is not None}
        return value


def _record_backward(layer: Layer, node: str, out: dict[str, Any]) -> Layer:
    """Make ``layer.backward`` also store what it returns in ``out[node]`` (an instance
    attribute over the class's method; deleting it restores the method)."""
    original = layer.backward

    def backward(grad: np.ndarray) -> Any:
        result = original(grad)
        out[node] = [None if g is None else g.copy() for g in result] \
            if isinstance(result, list) else (None if result is None else result.copy())
        return result

    layer.backward = backward  # type: ignore[method-assign]
    return layer


class _ShiftedInput:
    """While active, ``layer`` sees its input ``k`` plus :meth:`delta`'s array (zero
    until a test writes into it): the loss as a function of that input alone."""

    def __init__(self, layer: Layer, k: int) -> None:
        self.layer, self.k = layer, k
        self.d: np.ndarray | None = None

    def delta(self, shape: tuple[int, ...]) -> np.ndarray:
        self.d = np.zeros(shape)
        return self.d

    def __enter__(self) -> _ShiftedInput:
        original, k = self.layer.forward, self.k

        def forward(x: Any, training: bool) -> np.ndarray:
            if isinstance(x, list):
                x = list(x)
                x[k] = x[k] + self.d
                return original(x, training)
            return original(x + self.d, training)

        self.layer.forward = forward  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: Any) -> None:
        del self.layer.forward


def _compare(node: str, name: str, array: np.ndarray, analytic: np.ndarray,
             loss_at: Any, base: float, floor: float, rng: np.random.Generator,
             max_entries: int) -> GradRow:
    """Differences for (a sample of) ``array``'s entries, changed in place and restored,
    against ``analytic``."""
    size = array.size
    flat = (np.arange(size) if size <= max_entries
            else np.sort(rng.choice(size, max_entries, replace=False)))
    worst: tuple[float, int, float, float] | None = None
    kinks = 0
    for i in flat:
        idx = np.unravel_index(int(i), array.shape)
        num, jump = _differences(array, idx, loss_at, base)
        ana = float(analytic[idx])
        scale = max(abs(ana), abs(num), floor)
        if abs(jump) > KINK * scale:
            kinks += 1
            continue
        rel = abs(ana - num) / scale
        if not np.isfinite(rel):
            rel = np.inf
        if worst is None or rel > worst[0]:
            worst = (rel, int(i), ana, num)
    if worst is None:
        return GradRow(node, name, size, len(flat), kinks)
    rel, i, ana, num = worst
    index = tuple(int(j) for j in np.unravel_index(i, array.shape))
    return GradRow(node, name, size, len(flat), kinks, rel, index, ana, num)


def _differences(array: np.ndarray, idx: tuple, loss_at: Any, base: float
                 ) -> tuple[float, float]:
    """(the five-point central difference of the loss along ``array[idx]``, the jump in
    its slope at that point): with f(k) the loss at ``array[idx] + k h``, the jump
    J = (4 f(1) + 4 f(-1) - 6 f(0) - f(2) - f(-2)) / (2 h) is the difference of the
    one-sided slopes at a kink and O(h^3) where the loss is smooth."""
    old = array[idx]
    f = {}
    for k in (1, -1, 2, -2):
        array[idx] = old + k * STEP
        f[k] = loss_at()
    array[idx] = old
    num = (8.0 * (f[1] - f[-1]) - (f[2] - f[-2])) / (12.0 * STEP)
    jump = (4.0 * (f[1] + f[-1]) - 6.0 * base - f[2] - f[-2]) / (2.0 * STEP)
    return num, jump


def table(check: GradCheck) -> str:
    """The rows as an aligned text table, then a verdict line."""
    head = ("layer", "array", "checked", "kinks", "max rel error", "worst index",
            "backprop", "numerical")
    lines = [head]
    for r in check.rows:
        seen = r.max_rel_error is not None
        lines.append((r.node_id, r.array, f"{r.checked}/{r.size}", str(r.kinks),
                      f"{r.max_rel_error:.2e}" if seen else "-",
                      str(r.worst_index) if seen else "-",
                      f"{r.backprop:.6e}" if seen else "-",
                      f"{r.numerical:.6e}" if seen else "-"))
    widths = [max(len(row[i]) for row in lines) for i in range(len(head))]
    text = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in lines]
    return "\n".join(text + [verdict(check)])


def verdict(check: GradCheck) -> str:
    tol = f"{check.tolerance:g}"
    unseen = [f"{r.node_id}/{r.array}" for r in check.rows if r.max_rel_error is None]
    note = (f"; not compared (a kink at every entry checked): {', '.join(unseen)}"
            if unseen else "")
    bad = check.culprit
    if bad is None:
        worst = check.worst
        at = (f" ({worst.node_id}/{worst.array}: {worst.max_rel_error:.2e})"
              if worst is not None else "")
        return (f"passed: every relative error is within {tol} on {check.samples} "
                f"samples; the largest{at}{note}")
    n = len(check.failures)
    more = (f"; the {n - 1} failure(s) before it may follow from it" if n > 1 else "")
    return (f"FAILED: {n} of {len(check.rows)} arrays exceed {tol}; back-propagation "
            f"first goes wrong at layer '{bad.node_id}', {bad.array} (relative error "
            f"{bad.max_rel_error:.2e} at {bad.worst_index}: backprop {bad.backprop:.6e}, "
            f"numerical {bad.numerical:.6e}){more}{note}")
