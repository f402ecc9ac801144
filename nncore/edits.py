"""Changes to a project as plain data: what a lesson's step, a lint fix or a script applies.

Each edit is a small frozen dataclass with ``describe()`` (the words on a button, "Set the
learning rate to 3") and ``apply(project)`` (changes that project in place). :func:`applied`
returns an edited copy and checks the result: a list of edits either gives a project the
engine accepts or raises the engine's error naming the node. The window turns the edits of
one button into one undoable command; a script or a test applies them directly.

Edits also travel as JSON (``to_dict`` / :func:`edit_from_dict`): ``{"edit":
"set_training", "changes": {"learning_rate": 3.0}}``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

from nncore.errors import FormatError, SpecError
from nncore.graph import analyze
from nncore.project import Project, project_from_dict
from nncore.registry import layer_class
from nncore.spec import EdgeSpec, NodeSpec, new_node_id

#: Horizontal distance between a node and one inserted after it (canvas units).
INSERT_OFFSET = 160.0


def _words(name: str) -> str:
    return name.replace("_", " ")


def _value(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


@dataclass(frozen=True)
class Edit(ABC):
    """Base class: an edit knows its JSON name, how to say itself and how to apply."""

    kind: ClassVar[str] = ""

    @abstractmethod
    def describe(self) -> str:
        """The words on a button: "Set the learning rate to 3"."""

    @abstractmethod
    def apply(self, project: Project) -> None:
        """Change ``project`` in place."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"edit": self.kind}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = dict(v) if isinstance(v, Mapping) else v
        return out


@dataclass(frozen=True)
class SetTraining(Edit):
    """Change training settings (validated by ``TrainingConfig``)."""

    changes: Mapping[str, Any]
    kind: ClassVar[str] = "set_training"

    def describe(self) -> str:
        return "Set " + ", ".join(f"the {_words(k)} to {_value(v)}"
                                  for k, v in self.changes.items())

    def apply(self, project: Project) -> None:
        project.training = project.training.replace(**dict(self.changes))


@dataclass(frozen=True)
class SetData(Edit):
    """Change data settings: fields of ``DataSpec`` and entries of its ``params``."""

    changes: Mapping[str, Any] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    kind: ClassVar[str] = "set_data"

    def describe(self) -> str:
        items = {**self.changes, **self.params}
        return "Data: " + ", ".join(f"{_words(k)} {_value(v)}" for k, v in items.items())

    def apply(self, project: Project) -> None:
        data = project.data
        for k, v in self.changes.items():
            if not hasattr(data, k) or k == "params":
                raise FormatError(f"data has no setting {k!r}")
            setattr(data, k, v)
        data.params.update(self.params)


@dataclass(frozen=True)
class SetNodeParams(Edit):
    """Change parameters of one node."""

    node: str
    params: Mapping[str, Any]
    kind: ClassVar[str] = "set_node_params"

    def describe(self) -> str:
        return f"{self.node}: " + ", ".join(f"{_words(k)} {_value(v)}"
                                            for k, v in self.params.items())

    def apply(self, project: Project) -> None:
        _node(project, self.node).params.update(self.params)


@dataclass(frozen=True)
class SetHiddenActivation(Edit):
    """Set the activation of every hidden layer: the layers with an activation parameter,
    except the output layer."""

    activation: str
    kind: ClassVar[str] = "set_hidden_activation"

    def describe(self) -> str:
        return f"Switch every hidden activation to {self.activation}"

    def apply(self, project: Project) -> None:
        for node in hidden_nodes(project):
            node.params["activation"] = self.activation


@dataclass(frozen=True)
class SetTypeParams(Edit):
    """Change a parameter of every node of one layer type."""

    type: str
    params: Mapping[str, Any]
    kind: ClassVar[str] = "set_type_params"

    def describe(self) -> str:
        return f"Every {self.type}: " + ", ".join(f"{_words(k)} {_value(v)}"
                                                  for k, v in self.params.items())

    def apply(self, project: Project) -> None:
        for node in project.graph.nodes:
            if node.type == self.type:
                node.params.update(self.params)


@dataclass(frozen=True)
class InsertAfter(Edit):
    """Insert a new layer between ``after`` and the layers it feeds."""

    after: str
    type: str
    params: Mapping[str, Any] = field(default_factory=dict)
    id: str = ""
    kind: ClassVar[str] = "insert_after"

    def describe(self) -> str:
        what = ", ".join(f"{_words(k)} {_value(v)}" for k, v in self.params.items())
        return f"Add {self.type}{f' ({what})' if what else ''} after {self.after}"

    def apply(self, project: Project) -> None:
        graph = project.graph
        anchor = _node(project, self.after)
        layer_class(self.type)  # raises SpecError for an unknown type
        new_id = self.id or new_node_id(self.type, graph.ids())
        if new_id in graph.ids():
            raise SpecError(f"a node named {new_id!r} exists already", node_id=new_id)
        x, y = anchor.position
        for node in graph.nodes:  # make room: shift what lies to the right of the anchor
            if node.position[0] > x:
                node.position = (node.position[0] + INSERT_OFFSET, node.position[1])
        graph.nodes.insert(graph.nodes.index(anchor) + 1,
                           NodeSpec(new_id, self.type, dict(self.params), (x + INSERT_OFFSET, y)))
        graph.edges = [EdgeSpec(new_id, e.target) if e.source == self.after else e
                       for e in graph.edges] + [EdgeSpec(self.after, new_id)]


@dataclass(frozen=True)
class ReplaceType(Edit):
    """Turn a node into another layer type, keeping its id, its connections and the
    parameters the new type has (``params`` sets others)."""

    node: str
    type: str
    params: Mapping[str, Any] = field(default_factory=dict)
    kind: ClassVar[str] = "replace_type"

    def describe(self) -> str:
        return f"Make {self.node} a {self.type}"

    def apply(self, project: Project) -> None:
        node = _node(project, self.node)
        names = {p.name for p in layer_class(self.type).schema}
        node.params = {k: v for k, v in node.params.items() if k in names}
        node.params.update(self.params)
        node.type = self.type


@dataclass(frozen=True)
class RemoveNode(Edit):
    """Remove a layer that has one input, connecting that input to what it fed."""

    node: str
    kind: ClassVar[str] = "remove_node"

    def describe(self) -> str:
        return f"Remove {self.node}"

    def apply(self, project: Project) -> None:
        graph = project.graph
        node = _node(project, self.node)
        sources = graph.inputs_of(self.node)
        if len(sources) != 1:
            raise SpecError(f"{self.node}: only a layer with one input can be removed this "
                            "way", node_id=self.node)
        graph.nodes.remove(node)
        graph.edges = [EdgeSpec(sources[0], e.target) if e.source == self.node else e
                       for e in graph.edges if e.target != self.node]


@dataclass(frozen=True)
class SetFrozen(Edit):
    """Freeze layers (training leaves their weights as they are) or unfreeze them."""

    nodes: tuple[str, ...]
    frozen: bool = True
    kind: ClassVar[str] = "set_frozen"

    def describe(self) -> str:
        return f"{'Freeze' if self.frozen else 'Unfreeze'} {', '.join(self.nodes)}"

    def apply(self, project: Project) -> None:
        for node_id in self.nodes:
            _node(project, node_id).frozen = bool(self.frozen)


EDITS: dict[str, type[Edit]] = {c.kind: c for c in (
    SetTraining, SetData, SetNodeParams, SetHiddenActivation, SetTypeParams, InsertAfter,
    ReplaceType, RemoveNode, SetFrozen)}


def edit_from_dict(d: Mapping[str, Any]) -> Edit:
    """The edit a JSON object describes (``{"edit": kind, ...fields}``)."""
    if not isinstance(d, Mapping) or d.get("edit") not in EDITS:
        raise FormatError(f"an edit needs 'edit' set to one of {', '.join(EDITS)}, got "
                          f"{d!r:.80}")
    cls = EDITS[d["edit"]]
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(d) - names - {"edit"})
    if unknown:
        raise FormatError(f"edit {d['edit']!r}: unknown field {unknown[0]!r}")
    try:
        return cls(**{k: v for k, v in d.items() if k != "edit"})
    except TypeError as e:
        raise FormatError(f"edit {d['edit']!r}: {e}") from None


def applied(project: Project, edits: Iterable[Edit]) -> Project:
    """A copy of ``project`` with ``edits`` applied in order, validated as the project
    loader validates a file (FormatError naming the field), and whose network the engine
    accepts (its error, naming the node, otherwise)."""
    out = project.copy()
    for edit in edits:
        edit.apply(out)
    out = project_from_dict(out.to_dict())
    errors = analyze(out.graph).errors
    if errors:
        raise errors[0]
    return out


def hidden_nodes(project: Project) -> list[NodeSpec]:
    """Layers with an activation parameter that are not the network's output."""
    graph = project.graph
    fed = {e.source for e in graph.edges}
    return [n for n in graph.nodes
            if n.id in fed and any(p.name == "activation" for p in layer_class(n.type).schema)]


def _node(project: Project, node_id: str) -> NodeSpec:
    try:
        return project.graph.node(node_id)
    except KeyError:
        raise SpecError(f"no node named {node_id!r}", node_id=node_id) from None
