"""Adding layers from the window: after the selected layer (the palette, Layer > Add
Layer…), at a place on the canvas (the canvas menu's "Add Layer Here…"), or into a
connection (Insert Layer…), each one undo step.

Functions over a :class:`~app.window.context.WindowContext`, shared by the edit actions,
the layer actions and the context menus.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF

from app.canvas.items import NODE_HEIGHT, NODE_WIDTH
from app.document.project_edits import ProjectEditCommand
from app.window.context import WindowContext
from nncore.edits import INSERT_OFFSET
from nncore.errors import SpecError
from nncore.graph import new_errors
from nncore.registry import layer_class
from nncore.spec import EdgeSpec, NodeSpec, new_node_id


def add_layer_after_selection(ctx: WindowContext, type_name: str) -> str:
    """Add a layer after the selected one (connected when the engine accepts it), or in
    free space; select it and return its id ("" when refused)."""
    editor, scene, view = ctx.editor, ctx.scene, ctx.view
    if editor.refuse_if_locked():
        return ""
    sel = scene.selected_node_ids()
    anchor = sel[-1] if sel else None
    if anchor is not None:
        ax, ay = ctx.document.node(anchor).position
        pos = scene.free_position_near((ax + NODE_WIDTH + 70, ay))
    elif scene.nodes:
        rect = scene.nodes_rect()
        pos = scene.free_position_near((rect.right() + 60, rect.top() + 3))
    else:
        c = view.mapToScene(view.viewport().rect().center())
        pos = (c.x() - NODE_WIDTH / 2, c.y() - 40)
    node_id = editor.add_node(type_name, pos, connect_from=anchor)
    if anchor is not None and anchor not in ctx.document.graph.inputs_of(node_id):
        reason = editor.connection_refusal(anchor, node_id)
        if reason:
            ctx.status(f"Added {node_id} unconnected: {reason}", 10000)
    scene.select_nodes([node_id])
    view.ensureVisible(scene.nodes[node_id], 40, 40)
    return node_id


def add_layer_at(ctx: WindowContext, type_name: str, scene_pos: QPointF) -> str:
    """Add an unconnected layer centred on ``scene_pos`` and select it."""
    if ctx.editor.refuse_if_locked():
        return ""
    top_left = (scene_pos.x() - NODE_WIDTH / 2, scene_pos.y() - NODE_HEIGHT / 2)
    node_id = ctx.editor.add_node(type_name, ctx.scene.free_position_near(top_left))
    ctx.scene.select_nodes([node_id])
    return node_id


def insert_layer(ctx: WindowContext, type_name: str, source: str,
                 targets: list[str]) -> str | None:
    """Put a new ``type_name`` layer into the connections from ``source`` to each of
    ``targets`` (source -> new -> target; a target keeps the place of that input among
    its inputs) as one undo step, the layers to the right moved over to make room. Select
    the new layer; return why it was refused (None when inserted)."""
    editor = ctx.editor
    if editor.refuse_if_locked():
        return editor.lock_reason
    doc = ctx.document
    before = doc.snapshot()
    after = before.copy()
    g = after.graph
    wanted = [EdgeSpec(source, t) for t in targets]
    if not wanted or any(e not in g.edges for e in wanted):
        return "choose a connection, or a layer that feeds others"
    try:
        layer_class(type_name)
    except SpecError as e:
        return str(e)
    new_id = new_node_id(type_name, g.ids())
    x, y = g.node(source).position
    for node in g.nodes:  # make room: what lies right of the source moves over
        if node.position[0] > x:
            node.position = (node.position[0] + INSERT_OFFSET, node.position[1])
    g.nodes.insert(g.nodes.index(g.node(source)) + 1,
                   NodeSpec(new_id, type_name, {}, (x + INSERT_OFFSET, y)))
    g.edges = [EdgeSpec(new_id, e.target) if e in wanted else e for e in g.edges]
    g.edges.append(EdgeSpec(source, new_id))
    broken = new_errors(before.graph, g)
    if broken:
        return str(broken[0])
    where = f"{source} and {targets[0]}" if len(targets) == 1 else f"{source} and its outputs"
    ctx.undo_stack.push(ProjectEditCommand(doc, before, after,
                                           f"Insert {new_id} between {where}"))
    ctx.scene.select_nodes([new_id])
    if new_id in ctx.scene.nodes:
        ctx.view.ensureVisible(ctx.scene.nodes[new_id], 40, 40)
    return None
