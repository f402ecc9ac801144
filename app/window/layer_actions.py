"""The window part for working on layers without the mouse: the Layer menu's commands
(Add Layer…, Rename, Freeze, Show in Inspector, Connect Selected in Order, Connect To…,
Insert Layer…), their enabled states, and the type-ahead choosers they open.

Built from a :class:`~app.window.context.WindowContext`; the window places
:attr:`LayerActions.menu_actions`, calls :meth:`LayerActions.update_actions` when the canvas
selection changes (it also tells assistive technology what is selected: Qt's graphics items
are not accessible objects), and connects :attr:`LayerActions.inspectRequested` to the
inspector.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QPointF, Signal
from PySide6.QtGui import QAction

from app.canvas.items import format_shape
from app.canvas.scene import key_params_text
from app.document.document import ProjectDocument
from app.window.adding import add_layer_after_selection, add_layer_at, insert_layer
from app.window.context import WindowContext
from app.window.type_ahead import Choice, TypeAheadChooser, open_chooser
from nncore.registry import layer_types
from nncore.spec import EdgeSpec


def describe_selection(doc: ProjectDocument, node_ids: list[str],
                       edges: list[EdgeSpec]) -> str:
    """The selection in words, for assistive technology: one layer in full (type, key
    settings, output, parameters, connections, problems), several by name."""
    if len(node_ids) == 1:
        node_id = node_ids[0]
        spec, a = doc.node(node_id), doc.analysis
        parts = [f"Selected layer {node_id}: {spec.type}"]
        settings = key_params_text(spec.type, spec.params)
        if settings:
            parts.append(settings.replace(" · ", ", "))
        parts.append(f"output {format_shape(a.shapes.get(node_id))}")
        if a.params.get(node_id) is not None:
            parts.append(f"{a.params[node_id][1]} parameters")
        if spec.frozen:
            parts.append("frozen")
        g = doc.graph
        parts.append(f"fed by {', '.join(g.inputs_of(node_id)) or 'nothing'}")
        parts.append(f"feeds {', '.join(g.outputs_of(node_id)) or 'nothing'}")
        text = "; ".join(parts) + "."
        errors = a.errors_for(node_id)
        return text + (f" Problems: {' '.join(errors)}" if errors else "")
    if node_ids:
        return f"{len(node_ids)} layers selected: {', '.join(node_ids)}."
    if len(edges) == 1:
        return f"Selected connection from {edges[0].source} to {edges[0].target}."
    return ""


def layer_type_choices() -> list[Choice]:
    """Every layer type, in palette order, described."""
    return [Choice(cls.type_name, cls.type_name, cls.description) for cls in layer_types()]


class LayerActions(QObject):
    """The commands on the selected layers that the keyboard reaches."""

    #: (node id, rename): show the layer's settings and put the keyboard there (in its
    #: name field when ``rename``).
    inspectRequested = Signal(str, bool)

    def __init__(self, context: WindowContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._context = context
        #: The chooser open now (None when none is): tests and the window may look at it.
        self.chooser: TypeAheadChooser | None = None
        a = context.parts.action
        self.act_add = a("actionAddLayer", "&Add Layer…", self.choose_layer_to_add,
                         ["Ctrl+Shift+A"], None,
                         "Add a layer, chosen by typing its name, after the selected one")
        self.act_rename = a("actionRenameLayer", "&Rename…", lambda: self._inspect(True),
                            ["F2"], None, "Rename the selected layer (in the inspector)")
        self.act_freeze = a("actionFreezeLayer", "&Freeze", self.toggle_frozen,
                            ["Ctrl+Shift+F"], None,
                            "Keep the selected layers' weights fixed during training")
        self.act_freeze.setCheckable(True)
        self.act_inspect = a("actionShowInInspector", "Show in &Inspector",
                             lambda: self._inspect(False), ["Ctrl+I"], None,
                             "Show the selected layer's settings and move the keyboard there")
        self.act_connect = a("actionConnectSelected", "&Connect Selected in Order",
                             self.connect_selected, ["Ctrl+K"], None,
                             "Connect the selected layers one after another, left to right")
        self.act_connect_to = a("actionConnectTo", "Connect &To…", self.choose_target,
                                ["Ctrl+Shift+K"], None,
                                "Connect the selected layer's output to a layer chosen by "
                                "typing its name (only layers that can take it are listed)")
        self.act_insert = a("actionInsertLayer", "&Insert Layer…", self.choose_layer_to_insert,
                            ["Ctrl+Shift+I"], None,
                            "Put a new layer into the selected connection, or after the "
                            "selected layer")
        context.document.nodeChanged.connect(lambda _id: self.update_actions())
        context.document.analysisChanged.connect(self.update_actions)
        context.document.projectReset.connect(self.update_actions)
        self.update_actions()

    @property
    def menu_actions(self) -> list[QAction | None]:
        """The Layer menu's commands (None: a separator)."""
        return [self.act_add, self.act_insert, None, self.act_rename, self.act_freeze,
                self.act_inspect, None, self.act_connect, self.act_connect_to]

    # -- state -----------------------------------------------------------------------------
    def _selected(self) -> list[str]:
        return self._context.scene.selected_node_ids()

    def _current(self) -> str | None:
        sel = self._selected()
        return sel[-1] if sel else None

    def update_actions(self) -> None:
        """Enable what fits the selection; Freeze shows whether the selection is frozen."""
        doc = self._context.document
        sel = [n for n in self._selected() if doc.has_node(n)]
        edges = self._context.scene.selected_edges()
        self.act_rename.setEnabled(len(sel) == 1)
        self.act_inspect.setEnabled(len(sel) == 1)
        self.act_freeze.setEnabled(bool(sel))
        frozen = bool(sel) and all(doc.node(n).frozen for n in sel)
        self.act_freeze.setChecked(frozen)
        self.act_connect.setEnabled(len(sel) >= 2)
        self.act_connect_to.setEnabled(len(sel) == 1)
        self.act_insert.setEnabled(len(edges) == 1 and not sel or (
            len(sel) == 1 and not edges and bool(doc.graph.outputs_of(sel[0]))))
        self._context.view.describe_selection(describe_selection(doc, sel, edges))

    # -- commands --------------------------------------------------------------------------
    def _inspect(self, rename: bool) -> None:
        node_id = self._current()
        if node_id is None:
            return
        self._context.reveal_node(node_id)
        self.inspectRequested.emit(node_id, rename)

    def toggle_frozen(self) -> None:
        """Freeze the selected layers, or unfreeze them when all are frozen (one step)."""
        ctx = self._context
        sel = self._selected()
        if not sel or ctx.editor.refuse_if_locked():
            self.update_actions()
            return
        freeze = not all(ctx.document.node(n).frozen for n in sel)
        stack = ctx.undo_stack
        stack.beginMacro(f"{'Freeze' if freeze else 'Unfreeze'} "
                         f"{sel[0] if len(sel) == 1 else f'{len(sel)} layers'}")
        for node_id in sel:
            ctx.editor.set_frozen(node_id, freeze)
        stack.endMacro()
        self.update_actions()

    def connect_selected(self) -> None:
        """Connect the selected layers in a chain, left to right (top to bottom where
        they stand level), as one undo step; say which links the engine refused."""
        ctx = self._context
        doc = ctx.document
        sel = sorted(self._selected(), key=lambda n: (doc.node(n).position, n))
        if len(sel) < 2:
            ctx.status("Select two or more layers to connect (Shift+arrow keys add to "
                       "the selection)", 8000)
            return
        if ctx.editor.refuse_if_locked():
            return
        refused = []
        ctx.undo_stack.beginMacro(f"Connect {' → '.join(sel)}")
        for source, target in zip(sel, sel[1:]):
            if EdgeSpec(source, target) in doc.graph.edges:
                continue
            reason = ctx.editor.connect(source, target)
            if reason:
                refused.append(reason)
        ctx.undo_stack.endMacro()
        if refused:
            ctx.view.show_message("Cannot connect: " + "; ".join(refused))
        else:
            ctx.status(f"Connected {' → '.join(sel)}", 6000)

    def _open(self, title: str, prompt: str, choices: list[Choice], on_chosen) -> None:
        def chosen(value) -> None:
            on_chosen(value)
            # The keyboard goes back to the canvas, in the window the chooser came from.
            self._context.dialog_parent.activateWindow()
            self._context.view.setFocus()

        self.chooser = open_chooser(self._context.dialog_parent, title, prompt, choices,
                                    chosen)
        self.chooser.destroyed.connect(self._chooser_closed)

    def _chooser_closed(self) -> None:
        self.chooser = None

    def choose_layer_to_add(self, at: QPointF | None = None) -> None:
        """Ask for a layer type; add it after the selection, or at ``at`` on the canvas."""
        ctx = self._context
        where = "here" if at is not None else (
            f"after {self._current()}" if self._current() else "to the network")
        self._open("Add Layer", f"Add a layer {where}:", layer_type_choices(),
                   lambda t: (add_layer_at(ctx, t, at) if at is not None
                              else add_layer_after_selection(ctx, t)))

    def choose_target(self) -> None:
        """Ask for the layer to feed from the selected one, among those that accept it."""
        ctx = self._context
        source = self._current()
        if source is None:
            return
        a = ctx.document.analysis
        choices = [Choice(f"{n.id}  ({n.type})", n.id,
                          f"{n.type}, output {format_shape(a.shapes.get(n.id))}")
                   for n in ctx.document.graph.nodes
                   if ctx.editor.connection_refusal(source, n.id) is None]
        if not choices:
            ctx.view.show_message(f"No layer can take the output of {source} now.")
            return

        def connect(target: str) -> None:
            reason = ctx.editor.connect(source, target)
            if reason:
                ctx.view.show_message(f"Cannot connect: {reason}")
            else:
                ctx.status(f"Connected {source} → {target}", 6000)

        self._open("Connect To", f"Connect the output of {source} to:", choices, connect)

    def choose_layer_to_insert(self) -> None:
        """Ask for a layer type to put into the selected connection (or after the
        selected layer, between it and every layer it feeds)."""
        ctx = self._context
        edges = ctx.scene.selected_edges()
        sel = self._selected()
        if len(edges) == 1 and not sel:
            source, targets = edges[0].source, [edges[0].target]
        elif len(sel) == 1 and ctx.document.graph.outputs_of(sel[0]):
            source, targets = sel[0], ctx.document.graph.outputs_of(sel[0])
        else:
            ctx.status("Select a connection, or a layer that feeds others, to insert "
                       "a layer into", 8000)
            return

        def insert(type_name: str) -> None:
            reason = insert_layer(ctx, type_name, source, list(targets))
            if reason:
                ctx.view.show_message(f"Cannot insert {type_name}: {reason}")

        self._open("Insert Layer", f"Insert a layer between {source} and "
                   f"{', '.join(targets)}:", layer_type_choices(), insert)
