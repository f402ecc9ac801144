"""The open project as a Qt model: an nncore :class:`~nncore.project.Project` plus signals.

Only undo commands (``app.document.commands``) call the mutating methods here; panels and
canvas items read the document and listen to its signals. After every change to the graph
the document re-runs :func:`nncore.graph.analyze` (cheap) and emits ``analysisChanged``,
so every view can show output shapes, parameter counts and errors per node.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from nncore.config import TrainingConfig
from nncore.graph import GraphAnalysis, analyze
from nncore.project import DataSpec, Project
from nncore.spec import EdgeSpec, GraphSpec, NodeSpec


class ProjectDocument(QObject):
    """The project being edited. Signals carry node ids (str)."""

    nodeAdded = Signal(str)
    nodeRemoved = Signal(str)
    #: Parameters or the frozen flag of a node changed.
    nodeChanged = Signal(str)
    nodeMoved = Signal(str)
    #: (old id, new id)
    nodeRenamed = Signal(str, str)
    edgeAdded = Signal(str, str)
    edgeRemoved = Signal(str, str)
    trainingChanged = Signal()
    dataChanged = Signal()
    #: Project name or description changed.
    infoChanged = Signal()
    #: The whole project was replaced (new, open); views rebuild from scratch.
    projectReset = Signal()
    #: The graph analysis was recomputed (after any change to nodes or edges).
    analysisChanged = Signal()
    pathChanged = Signal()

    def __init__(self, project: Project | None = None, path: Path | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._project = project if project is not None else Project()
        self._path = Path(path) if path is not None else None
        self._base_dir: Path | None = None
        self._analysis = analyze(self._project.graph)
        self._batch_depth = 0
        self._graph_dirty = False

    # -- reading ---------------------------------------------------------------------------
    @property
    def project(self) -> Project:
        return self._project

    @property
    def graph(self) -> GraphSpec:
        return self._project.graph

    @property
    def training(self) -> TrainingConfig:
        return self._project.training

    @property
    def data(self) -> DataSpec:
        return self._project.data

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def base_dir(self) -> Path | None:
        """Where relative data paths start: the project file's folder (or, for an example
        opened as an untitled copy, the example's folder)."""
        if self._path is not None:
            return self._path.parent
        return self._base_dir

    @property
    def analysis(self) -> GraphAnalysis:
        return self._analysis

    def has_node(self, node_id: str) -> bool:
        return any(n.id == node_id for n in self.graph.nodes)

    def node(self, node_id: str) -> NodeSpec:
        return self.graph.node(node_id)

    def node_index(self, node_id: str) -> int:
        for i, n in enumerate(self.graph.nodes):
            if n.id == node_id:
                return i
        raise KeyError(node_id)

    def edges_of(self, node_id: str) -> list[EdgeSpec]:
        return [e for e in self.graph.edges if node_id in (e.source, e.target)]

    def snapshot(self) -> Project:
        """An independent copy of the project (for saving, autosave or training)."""
        return self._project.copy()

    # -- whole project ---------------------------------------------------------------------
    def set_project(self, project: Project, path: Path | None = None,
                    base_dir: Path | None = None) -> None:
        self._project = project
        self._path = Path(path) if path is not None else None
        self._base_dir = Path(base_dir) if base_dir is not None else None
        self._analysis = analyze(project.graph)
        self.projectReset.emit()
        self.analysisChanged.emit()
        self.pathChanged.emit()

    def set_path(self, path: Path | None) -> None:
        self._path = Path(path) if path is not None else None
        self.pathChanged.emit()

    # -- mutations (called by undo commands only) ------------------------------------------
    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Group several graph mutations: the analysis runs once, at the end."""
        self._batch_depth += 1
        try:
            yield
        finally:
            self._batch_depth -= 1
            if self._batch_depth == 0 and self._graph_dirty:
                self._reanalyze()

    def insert_node(self, node: NodeSpec, index: int | None = None) -> None:
        if self.has_node(node.id):
            raise ValueError(f"a node named {node.id!r} already exists")
        nodes = self.graph.nodes
        nodes.insert(len(nodes) if index is None else index, node)
        self.nodeAdded.emit(node.id)
        self._graph_changed()

    def remove_node(self, node_id: str) -> tuple[int, NodeSpec]:
        """Remove a node that has no edges left; return its index and spec."""
        if self.edges_of(node_id):
            raise ValueError(f"node {node_id!r} still has connections")
        index = self.node_index(node_id)
        node = self.graph.nodes.pop(index)
        self.nodeRemoved.emit(node_id)
        self._graph_changed()
        return index, node

    def insert_edge(self, edge: EdgeSpec, index: int | None = None) -> None:
        edges = self.graph.edges
        edges.insert(len(edges) if index is None else index, edge)
        self.edgeAdded.emit(edge.source, edge.target)
        self._graph_changed()

    def remove_edge(self, edge: EdgeSpec) -> int:
        index = self.graph.edges.index(edge)
        del self.graph.edges[index]
        self.edgeRemoved.emit(edge.source, edge.target)
        self._graph_changed()
        return index

    def set_node_params(self, node_id: str, params: dict) -> None:
        self.node(node_id).params = dict(params)
        self.nodeChanged.emit(node_id)
        self._graph_changed()

    def set_node_frozen(self, node_id: str, frozen: bool) -> None:
        self.node(node_id).frozen = bool(frozen)
        self.nodeChanged.emit(node_id)
        self._graph_changed()

    def set_node_position(self, node_id: str, pos: tuple[float, float]) -> None:
        self.node(node_id).position = (float(pos[0]), float(pos[1]))
        self.nodeMoved.emit(node_id)

    def rename_node(self, old: str, new: str) -> None:
        if old == new:
            return
        if self.has_node(new):
            raise ValueError(f"a node named {new!r} already exists")
        self.node(old).id = new
        self.graph.edges[:] = [
            EdgeSpec(new if e.source == old else e.source, new if e.target == old else e.target)
            for e in self.graph.edges
        ]
        self.nodeRenamed.emit(old, new)
        self._graph_changed()

    def set_training(self, config: TrainingConfig) -> None:
        self._project.training = config
        self.trainingChanged.emit()

    def set_data(self, spec: DataSpec) -> None:
        self._project.data = spec
        self.dataChanged.emit()

    def set_info(self, name: str, description: str) -> None:
        self._project.name = name
        self._project.description = description
        self.infoChanged.emit()

    # -- internals -------------------------------------------------------------------------
    def _graph_changed(self) -> None:
        if self._batch_depth:
            self._graph_dirty = True
        else:
            self._reanalyze()

    def _reanalyze(self) -> None:
        self._graph_dirty = False
        self._analysis = analyze(self.graph)
        self.analysisChanged.emit()
