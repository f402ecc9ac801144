"""Which network the explain tools look at, copied so they never race the training thread.

:func:`take_snapshot` (GUI thread, cheap) copies what a computation needs: the project, the
weights and, when the window has them, the prepared data. While a run is active (training
or paused) the weights are the copy the run published last; otherwise the window's current
weights: trained, imported through File > Import Weights, or the initial ones of a network
never trained. :class:`NetworkSnapshot` builds its own network from them on the worker
thread and prepares the data there when the window has none yet.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from app.training.controller import PAUSED, RunController
from nncore.errors import NetCanvasError
from nncore.network import Network
from nncore.project import Project
from nncore.run import PreparedData, prepare_data


class NoNetwork(NetCanvasError):
    """There is no network to explain now (the reason is the message)."""


@dataclass
class NetworkSnapshot:
    """A project, a copy of its weights and (maybe) its prepared data; ``origin`` says in
    words where the weights come from; ``key`` changes whenever the weights do,
    ``series`` only when they stop being those of one run (another run, an import, new
    initial weights): views keep their axes within a series."""

    project: Project
    weights: dict[str, np.ndarray]
    base_dir: Path | None
    origin: str
    key: Any
    series: Any
    data: PreparedData | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def network(self) -> Network:
        """A new network with these weights: each computation (each thread) has its own,
        since a forward pass writes the network's buffers."""
        net = Network(self.project.graph, seed=None)
        net.set_weights(self.weights, strict=False)
        return net

    def prepared(self) -> PreparedData:
        """The prepared data (loaded, split and normalized now if the window had none)."""
        with self._lock:
            if self.data is None:
                self.data = prepare_data(self.project.data, self.base_dir)
            return self.data

    @property
    def loss(self) -> tuple[str, dict[str, Any]]:
        t = self.project.training
        return t.loss, dict(t.loss_params or {})


def take_snapshot(training: RunController) -> NetworkSnapshot:
    """The network the window shows now (see the module notes). Raises :class:`NoNetwork`
    (a run that has not published weights yet) or a NetCanvasError (an invalid graph)."""
    if training.active:
        return _live_snapshot(training)
    doc = training.doc
    project = doc.snapshot()
    net = training.current_network()
    trained = training.trained
    if trained.weights_origin:
        origin = f"weights {trained.weights_origin}"
    elif trained.epochs_trained:
        n = trained.epochs_trained
        origin = f"trained weights ({n} epoch{'s' if n != 1 else ''})"
    else:
        origin = "initial weights (not trained yet)"
    weights = net.get_weights()
    fingerprint = _fingerprint(weights)
    key = ("idle", id(net), trained.epochs_trained, trained.weights_origin, fingerprint)
    runs = training.history.runs
    # The weights a run left: the same series as that run's live updates.
    series = ("run", runs[-1].number) if trained.epochs_trained and runs \
        and not trained.weights_origin else ("weights", origin, fingerprint)
    data = trained.cached_data(project, doc.base_dir)
    return NetworkSnapshot(project, weights, doc.base_dir, origin, key, series, data)


def _live_snapshot(training: RunController) -> NetworkSnapshot:
    training.drain()  # the epochs the run reported so far
    run, worker = training.history.active_run, training.worker
    published = worker.latest_weights() if worker is not None else None
    if run is None or worker is None or published is None or worker.layout is None:
        raise NoNetwork("the run has not published its weights yet; try again in a moment")
    version, flat = published
    weights = {k: flat[a:b].reshape(shape).copy() for k, a, b, shape in worker.layout}
    state = "paused" if training.state == PAUSED else "training"
    n = run.start_epoch + run.epochs_done
    origin = f"weights of {run.name} after {n} epoch{'s' if n != 1 else ''} ({state})"
    return NetworkSnapshot(run.project, weights, training.doc.base_dir, origin,
                           ("live", run.number, version), ("run", run.number), run.data)


def _fingerprint(weights: dict[str, np.ndarray]) -> float:
    """A cheap number that changes when the weights do (a sum of every array's sum)."""
    return float(sum(float(np.sum(w, dtype=np.float64)) for w in weights.values()))
