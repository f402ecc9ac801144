"""Looking inside the network: layer activations, the network on a grid over 2-D inputs,
predictions on the validation set. Never racing the training thread on the same arrays.

:class:`Analyzer` (no Qt) evaluates a network for the plots, in chunks:

- ``activations``: a forward pass on a fixed batch of up to 64 validation samples; every
  layer's outputs (histograms, feature maps) and their activity statistics (dead ReLU,
  saturated sigmoid/tanh fractions, see :mod:`app.training.health`);
- ``grid``: the network on a 100 x 100 grid over the data's range, for networks with one
  2-D input (decision boundary / prediction map);
- ``val``: predictions on (up to 2,000 of) the validation samples, for the confusion
  matrix, the predicted-vs-actual plot and the misclassified images.

Who runs it: while a run *trains*, the worker does, on the training thread between two
batches, on its own network (``TrainingWorker``: at most ``INTERVALS`` apart and within
``ANALYSIS_SHARE`` of the training time). That keeps the GUI thread free of large matrix
products, which would otherwise wait for the training thread's (BLAS serialises them) and
stall the event loop. While a run is paused, and after it, the GUI thread's :class:`Probe`
does, on a *shadow* network (a second Network compiled from the run's graph) loaded with a
published copy of the weights, in chunks of about ``CHUNK_SECONDS`` within the frame
scheduler's time budget (:mod:`app.training.frames`). Only what a visible panel (or the
canvas badges) asks for is computed.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from app.training.health import Activity, activity
from nncore.activations import get_activation
from nncore.data import Dataset
from nncore.errors import NetCanvasError
from nncore.network import Network
from nncore.run import PreparedData, network_inputs
from nncore.spec import GraphSpec

PROBE_BATCH = 64
GRID_SIZE = 100
MAX_VAL = 2000
#: Least seconds between two evaluations of a kind.
INTERVALS = {"activations": 0.5, "grid": 0.4, "val": 1.0}
#: While paused or idle, an evaluation that took T seconds is not repeated before
#: T / IDLE_DUTY seconds.
IDLE_DUTY = 0.25
#: Share of the training time the worker may spend on these evaluations.
ANALYSIS_SHARE = 0.03
#: Target duration of one chunk of work on the GUI thread (seconds).
CHUNK_SECONDS = 0.003
KINDS = ("activations", "grid", "val")


def graph_key(graph: GraphSpec) -> str:
    """The parts of a graph that decide the network (positions left out)."""
    nodes = sorted((n.id, n.type, json.dumps(n.params, sort_keys=True, default=list),
                    bool(n.frozen)) for n in graph.nodes)
    edges = [(e.source, e.target) for e in graph.edges]
    return json.dumps([nodes, edges])


def structure_key(graph: GraphSpec) -> str:
    """Like :func:`graph_key` without the frozen flags (freezing keeps the weights)."""
    nodes = sorted((n.id, n.type, json.dumps(n.params, sort_keys=True, default=list))
                   for n in graph.nodes)
    edges = [(e.source, e.target) for e in graph.edges]
    return json.dumps([nodes, edges])


@dataclass
class ActivationResult:
    """Every layer's outputs on the probe batch and their activity statistics."""

    version: Any
    #: node id -> outputs on the probe batch (copies), for every non-Input node.
    outputs: dict[str, np.ndarray]
    activity: dict[str, Activity]
    #: The weights these outputs came from (key -> array).
    weights: dict[str, np.ndarray]
    #: Indices (into the validation set) of the probe batch.
    sample_index: np.ndarray


@dataclass
class GridResult:
    """The network's outputs on a grid over the range of 2-D inputs."""

    version: Any
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    #: (GRID_SIZE, GRID_SIZE, k): network outputs at the grid points, row = y, column = x.
    outputs: np.ndarray


@dataclass
class ValResult:
    """The network's predictions on (up to ``MAX_VAL`` of) the validation samples."""

    version: Any
    #: Outputs for the validation samples ``index`` (activated; regression unscaled).
    outputs: np.ndarray
    index: np.ndarray


def _rows(x: Any, sl: slice) -> Any:
    if isinstance(x, dict):
        return {k: v[sl] for k, v in x.items()}
    return x[sl]


def _count(x: Any) -> int:
    return len(next(iter(x.values()))) if isinstance(x, dict) else len(x)


def eval_set(data: PreparedData) -> Dataset:
    """The samples the analyses use: the validation split, else the training split."""
    return data.val if data.val is not None and len(data.val.y) else data.train


def input_is_2d(net: Network | None, data: PreparedData | None) -> bool:
    return (net is not None and data is not None and len(net.input_ids) == 1
            and tuple(net.shapes[net.input_ids[0]]) == (2,) and data.dataset.inputs is None)


def grid_ranges(data: PreparedData) -> tuple[tuple[float, float], tuple[float, float]]:
    """The raw input range of the data on each axis, with 8 % margins."""
    X = data.dataset.X
    out = []
    for j in range(2):
        lo, hi = float(np.min(X[:, j])), float(np.max(X[:, j]))
        pad = 0.08 * (hi - lo) if hi > lo else 1.0
        out.append((lo - pad, hi + pad))
    return out[0], out[1]


class Analyzer:
    """Evaluates ``net`` on ``data`` for the plots. Each ``job_*`` method is a generator
    that yields None after each chunk and the result last; ``chunk`` sets the first chunk
    size (adapted to take about ``chunk_seconds`` when that is given)."""

    def __init__(self, net: Network, data: PreparedData, chunk_seconds: float | None = None
                 ) -> None:
        self.net = net
        self.data = data
        self.chunk_seconds = chunk_seconds
        self._chunk = {"grid": 512, "val": 64} if chunk_seconds else \
            {"grid": 1 << 30, "val": 1 << 30}
        self.output_scale: tuple[np.ndarray, np.ndarray] | None = None
        if data.target_mean is not None and data.target_std is not None:
            self.output_scale = (np.asarray(data.target_mean, np.float64),
                                 np.asarray(data.target_std, np.float64))
        self._grid_x: np.ndarray | None = None

    def _activate_output(self, out: np.ndarray) -> np.ndarray:
        """Outputs as ``predict`` gives them (the training network computes logits when
        the loss fuses the output activation)."""
        net = self.net
        if getattr(net, "_fused", False):
            return get_activation(net.output_activation or "linear").forward(out)
        return out

    def _unscale(self, y: np.ndarray) -> np.ndarray:
        if self.output_scale is None:
            return y
        mean, std = self.output_scale
        return y * std.reshape(1, -1) + mean.reshape(1, -1)

    def job_activations(self, version: Any, weights: dict[str, np.ndarray]
                        ) -> Iterator[ActivationResult | None]:
        net = self.net
        ds = eval_set(self.data)
        index = np.arange(min(PROBE_BATCH, len(ds.y)))
        x = network_inputs(net, ds.subset(index))
        with np.errstate(all="ignore"):
            net.forward(x, training=False)
        acts = net.activations()
        outputs, stats = {}, {}
        for node_id in net.order:
            layer = net.layers[node_id]
            if layer.max_inputs == 0:
                continue
            y = np.array(acts[node_id], copy=True)
            if node_id == net.output_id:
                y = np.asarray(self._activate_output(y))
            outputs[node_id] = y
            if node_id != net.output_id:
                a = activity(layer.activation_name, y)
                if a is not None:
                    stats[node_id] = a
        yield ActivationResult(version, outputs, stats, weights, index)

    def job_grid(self, version: Any) -> Iterator[GridResult | None]:
        data = self.data
        xr, yr = grid_ranges(data)
        if self._grid_x is None:
            gx = np.linspace(xr[0], xr[1], GRID_SIZE)
            gy = np.linspace(yr[0], yr[1], GRID_SIZE)
            xx, yy = np.meshgrid(gx, gy)
            raw = np.column_stack([xx.ravel(), yy.ravel()]).astype(np.float32)
            x = data.normalizer.transform(raw) if data.normalizer.fitted else raw
            self._grid_x = np.asarray(x, self.net.dtype)
        outs = []
        for chunk in self._chunks("grid", self._grid_x):
            outs.append(chunk)
            yield None
        y = np.concatenate(outs).reshape(len(self._grid_x), -1).astype(np.float64)
        yield GridResult(version, xr, yr, self._unscale(y).reshape(GRID_SIZE, GRID_SIZE, -1))

    def job_val(self, version: Any) -> Iterator[ValResult | None]:
        ds = eval_set(self.data)
        n = len(ds.y)
        index = np.arange(n) if n <= MAX_VAL else np.linspace(0, n - 1, MAX_VAL).astype(int)
        x = network_inputs(self.net, ds.subset(index))
        outs = []
        for chunk in self._chunks("val", x):
            outs.append(chunk)
            yield None
        y = np.concatenate(outs).reshape(len(index), -1).astype(np.float64)
        yield ValResult(version, self._unscale(y), index)

    def _chunks(self, kind: str, x: Any) -> Iterator[np.ndarray]:
        n = _count(x)
        a = 0
        while a < n:
            m = self._chunk[kind]
            t0 = time.perf_counter()
            with np.errstate(all="ignore"):
                out = self.net.forward(_rows(x, slice(a, a + m)), training=False)
                out = np.array(self._activate_output(out), copy=True)
            dt = time.perf_counter() - t0
            a += m
            if self.chunk_seconds and dt > 0:
                self._chunk[kind] = int(min(8192, max(4, m * self.chunk_seconds / dt)))
            yield out

    def run(self, kind: str, version: Any, weights: dict[str, np.ndarray] | None = None
            ) -> Any:
        """Run one evaluation to the end and return its result."""
        result = None
        for item in self.job(kind, version, weights):
            if item is not None:
                result = item
        return result

    def job(self, kind: str, version: Any, weights: dict[str, np.ndarray] | None = None
            ) -> Iterator[Any]:
        """The generator of one evaluation (see the class notes)."""
        if kind == "activations":
            return self.job_activations(version, weights or {})
        if kind == "grid":
            return self.job_grid(version)
        return self.job_val(version)


class Probe(QObject):
    """The GUI side: holds the latest results; computes them on the shadow network while
    no run trains (``remote`` False), receives them from the worker while one does."""

    #: A result was computed: 'activations', 'grid' or 'val'.
    updated = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.net: Network | None = None
        self._net_key: str | None = None
        self.data: PreparedData | None = None
        self.wanted: set[str] = {"activations"}
        #: True while the worker computes (a run is training).
        self.remote = False
        self._analyzer: Analyzer | None = None
        self._weights: tuple[Any, dict[str, np.ndarray]] | None = None
        self._done: dict[str, Any] = {}
        self._last: dict[str, float] = {k: -math.inf for k in KINDS}
        self.cost: dict[str, float] = {k: 0.0 for k in KINDS}
        self._job: Iterator[Any] | None = None
        self._job_kind: str | None = None
        self._job_cost = 0.0
        self.results: dict[str, Any] = {}
        self.error: str | None = None
        #: CPU seconds spent computing on the GUI thread.
        self.busy_seconds = 0.0

    # -- sources -----------------------------------------------------------------------------
    def set_network(self, graph: GraphSpec) -> None:
        """Compile the shadow network for ``graph`` (kept while the graph is the same)."""
        key = graph_key(graph)
        if key == self._net_key and self.net is not None:
            return
        self._cancel()
        self.results.clear()
        self._done.clear()
        try:
            self.net = Network(graph, seed=0)
        except NetCanvasError as e:
            self.net, self.error = None, str(e)
        self._net_key = key if self.net is not None else None
        self._analyzer = None

    def set_data(self, data: PreparedData | None) -> None:
        if data is self.data:
            return
        self._cancel()
        self.data = data
        self.results.clear()
        self._done.clear()
        self._analyzer = None

    def clear(self) -> None:
        self._cancel()
        self.net, self._net_key, self.data, self._weights = None, None, None, None
        self._analyzer = None
        self.results.clear()
        self._done.clear()

    def offer_weights(self, version: Any, values: dict[str, np.ndarray]) -> None:
        """New weights (never modified afterwards by anyone) to evaluate."""
        if self._weights is not None and self._weights[0] == version:
            return
        self._weights = (version, values)

    def want(self, kinds: set[str]) -> None:
        self.wanted = set(kinds)

    def accept(self, kind: str, result: Any) -> None:
        """A result computed elsewhere (by the worker)."""
        self._finish(kind, result)

    @property
    def weights_version(self) -> Any:
        return None if self._weights is None else self._weights[0]

    @property
    def output_scale(self) -> tuple[np.ndarray, np.ndarray] | None:
        d = self.data
        if d is None or d.target_mean is None or d.target_std is None:
            return None
        return np.asarray(d.target_mean, np.float64), np.asarray(d.target_std, np.float64)

    # -- what can be computed ----------------------------------------------------------------
    @property
    def input_is_2d(self) -> bool:
        return input_is_2d(self.net, self.data)

    def _val_set(self) -> Dataset | None:
        return None if self.data is None else eval_set(self.data)

    def pending(self) -> bool:
        """Whether there is something to compute here now or soon."""
        if self._job is not None:
            return True
        return any(self._due(k, math.inf) for k in self.wanted)

    def _due(self, kind: str, now: float) -> bool:
        if self.remote or self._weights is None or self.net is None or self.data is None:
            return False
        if kind == "grid" and not self.input_is_2d:
            return False
        if self._done.get(kind) == self._weights[0]:
            return False
        return now - self._last[kind] >= max(INTERVALS[kind], self.cost[kind] / IDLE_DUTY)

    # -- work --------------------------------------------------------------------------------
    def work(self, deadline: float, clock: Callable[[], float] = time.perf_counter) -> bool:
        """Compute until ``deadline`` (a ``clock()`` time); True if anything ran."""
        ran = False
        while clock() < deadline:
            if self._job is None and not self._start_next(clock()):
                break
            t0, w0 = time.thread_time(), time.perf_counter()
            kind = self._job_kind
            try:
                result = next(self._job)  # type: ignore[arg-type]
            except (StopIteration, NetCanvasError, ValueError, FloatingPointError) as e:
                if not isinstance(e, StopIteration):
                    self.error = str(e)
                result = None
                self._job = None
            self.busy_seconds += time.thread_time() - t0
            self._job_cost += time.perf_counter() - w0
            if result is not None and kind is not None:
                self._job = None
                self.cost[kind] = self._job_cost
                self._finish(kind, result)
            if self._job is None:
                self._job_kind = None
            ran = True
        return ran

    def _start_next(self, now: float) -> bool:
        for kind in KINDS:
            if kind in self.wanted and self._due(kind, now):
                assert self._weights is not None and self.net is not None
                version, values = self._weights
                self.net.set_weights(values, strict=False)
                if self._analyzer is None:
                    self._analyzer = Analyzer(self.net, self.data, CHUNK_SECONDS)
                self._last[kind] = now
                self._job_kind = kind
                self._job_cost = 0.0
                self._job = self._analyzer.job(kind, version, values)
                return True
        return False

    def _cancel(self) -> None:
        if self._job is not None:
            self._job.close()
        self._job = None
        self._job_kind = None

    def _finish(self, kind: str, result: Any) -> None:
        self.results[kind] = result
        self._done[kind] = result.version
        self.error = None
        self.updated.emit(kind)
