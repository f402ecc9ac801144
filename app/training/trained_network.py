"""What one run leaves to the next: the network with its trained weights (kept while the
graph's structure stays the same), how many epochs they trained, where imported weights
came from, and the last prepared data (kept while the data settings and file stay)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.training.probe import structure_key
from nncore.network import Network
from nncore.project import Project
from nncore.run import PreparedData, build_network
from nncore.spec import GraphSpec


def data_key(project_data: Any, base_dir: Path | None) -> str:
    """What decides the prepared data: the data settings, the folder and a data file's
    modification time."""
    d = project_data.to_dict()
    stamp = None
    if d.get("source") == "file" and d.get("path"):
        p = Path(d["path"])
        if not p.is_absolute() and base_dir is not None:
            p = base_dir / p
        try:
            stamp = p.stat().st_mtime_ns
        except OSError:
            stamp = None
    return json.dumps([d, str(base_dir), stamp], sort_keys=True, default=str)


class TrainedNetwork:
    """The network and data a run continues from. While a run lasts the network belongs to
    the worker: :meth:`lend` hands it over, :meth:`take_back` returns it."""

    def __init__(self) -> None:
        self.network: Network | None = None
        #: :func:`~app.training.probe.structure_key` of the network's graph.
        self.structure: str | None = None
        self.epochs_trained = 0
        #: Where the weights came from when they were imported ("" otherwise).
        self.weights_origin = ""
        self._data: tuple[str, PreparedData] | None = None
        self._lent_structure: str | None = None
        self._data_key = ""
        #: Where prepared data may come from before this keeps any: the data panel, which
        #: prepares a big file's data on its loading thread (``(data spec, folder) ->
        #: PreparedData | None``), so a run neither reads the file again nor holds a
        #: second copy of it.
        self.prepared_for: Callable[[Any, Path | None], PreparedData | None] | None = None
        #: ``(data spec, folder, start) -> bool``: the data panel, which, while a big file
        #: is not prepared yet, loads and prepares it with its progress shown and calls
        #: ``start`` then (True); the run waits instead of reading the file itself.
        self.wait_for_data: Callable[[Any, Path | None, Callable[[], None]], bool] | None = None

    def waits_for_data(self, project: Project, base_dir: Path | None,
                       start: Callable[[], None]) -> bool:
        """Whether the run must wait for its data (``start`` is called once it is
        prepared); never when the last run's data is the same."""
        if self.wait_for_data is None or (
                self._data is not None and self._data[0] == data_key(project.data, base_dir)):
            return False
        return self.wait_for_data(project.data, base_dir, start)

    def continues_from(self, graph: GraphSpec) -> int | None:
        """The epoch a run of ``graph`` continues from: the epochs the weights trained
        (0 for imported ones); None when it starts from fresh initial weights (no weights,
        weights of another structure, or a network only built, never trained)."""
        if self.network is None or structure_key(graph) != self.structure:
            return None
        if self.epochs_trained == 0 and not self.weights_origin:
            return None
        return self.epochs_trained

    def lend(self, project: Project) -> tuple[Network | None, dict[str, bool]]:
        """The network a run of ``project`` continues from (None: the structure changed,
        the run starts from fresh weights) and the frozen flag of each node."""
        structure = structure_key(project.graph)
        self._lent_structure = structure
        if self.network is not None and structure == self.structure:
            network = self.network
            frozen = {n.id: bool(n.frozen) for n in project.graph.nodes}
        else:
            network, frozen = None, {}
            self.epochs_trained = 0
            self.weights_origin = ""
        self.network = None  # the worker owns it (or builds one) until the run ends
        return network, frozen

    def take_back(self, network: Network) -> None:
        """The run ended with ``network`` (the one lent, or one it built)."""
        self.network = network
        self.structure = self._lent_structure

    def cached_data(self, project: Project, base_dir: Path | None) -> PreparedData | None:
        """The prepared data of the last run if ``project``'s data is the same."""
        self._data_key = data_key(project.data, base_dir)
        if self._data is not None and self._data[0] == self._data_key:
            return self._data[1]
        data = self.prepared_for(project.data, base_dir) if self.prepared_for else None
        if data is not None:
            self._data = (self._data_key, data)
        return data

    def keep_data(self, data: PreparedData) -> None:
        """The data prepared for the run started last (see :meth:`cached_data`)."""
        self._data = (self._data_key, data)

    def forget_data(self) -> None:
        self._data = None

    def reset(self) -> None:
        """Forget the weights: the next run starts from fresh initial weights."""
        self.network = None
        self.structure = None
        self.epochs_trained = 0
        self.weights_origin = ""

    def current(self, project: Project) -> Network:
        """The network of ``project``'s graph with the current weights (built with fresh
        weights if there are none, or if the structure changed), frozen as the nodes say."""
        structure = structure_key(project.graph)
        if self.network is None or structure != self.structure:
            self.network = build_network(project)
            self.structure = structure
            self.epochs_trained = 0
            self.weights_origin = ""
        for n in project.graph.nodes:
            layer = self.network.layers.get(n.id)
            if layer is not None and layer.trainable == bool(n.frozen):
                self.network.set_frozen(n.id, bool(n.frozen))
        return self.network
