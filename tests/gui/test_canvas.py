"""The canvas: drops from the palette, port drags, refusals, selection editing, zoom."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDropEvent
from PySide6.QtTest import QTest

from app.canvas.items import NODE_HEIGHT, NODE_WIDTH, LinkItem
from app.canvas.view import LAYER_MIME
from nncore.project import Project
from nncore.spec import EdgeSpec, GraphSpec, NodeSpec


def _drop(view, type_name: str, viewport_pos: QPoint) -> None:
    mime = QMimeData()
    mime.setData(LAYER_MIME, type_name.encode())
    event = QDropEvent(QPointF(viewport_pos), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    view.dropEvent(event)


def _vp(view, scene_pt: QPointF) -> QPoint:
    return view.mapFromScene(scene_pt)


def _drag(view, start: QPointF, end: QPointF, steps: int = 6) -> None:
    """Press at ``start``, move in steps and release at ``end`` (scene coordinates)."""
    vp = view.viewport()
    a, b = _vp(view, start), _vp(view, end)
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, a)
    for i in range(1, steps + 1):
        p = a + (b - a) * (i / steps)
        QTest.mouseMove(vp, p)
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, b)


def _project(nodes, edges=()) -> Project:
    g = GraphSpec([NodeSpec(i, t, dict(p), pos) for i, t, p, pos in nodes],
                  [EdgeSpec(s, d) for s, d in edges])
    return Project(name="test", graph=g)


def test_drop_creates_node_at_drop_point(window):
    view, doc = window.view, window.document
    before = set(doc.graph.ids())
    drop_at = QPoint(300, 520)
    _drop(view, "Dropout", drop_at)
    new = set(doc.graph.ids()) - before
    assert new == {"dropout1"}
    node = doc.node("dropout1")
    p = view.mapToScene(drop_at)
    # The node is centred on the drop point.
    assert node.position == (p.x() - NODE_WIDTH / 2, p.y() - NODE_HEIGHT / 2)
    item = window.scene.nodes["dropout1"]
    assert item.sceneBoundingRect().contains(p)
    assert item.isSelected()
    assert window.inspector.node_id == "dropout1"
    window.undo_stack.undo()
    assert "dropout1" not in doc.graph.ids() and "dropout1" not in window.scene.nodes


def test_drag_enter_accepts_layers_as_a_copy(window):
    from PySide6.QtGui import QDragEnterEvent

    mime = QMimeData()
    mime.setData(LAYER_MIME, b"Dense")
    ev = QDragEnterEvent(QPoint(100, 100), Qt.DropAction.CopyAction | Qt.DropAction.MoveAction,
                         mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.view.dragEnterEvent(ev)
    assert ev.isAccepted() and ev.dropAction() == Qt.DropAction.CopyAction
    assert window.palette_panel.tree.supportedDropActions() == Qt.DropAction.CopyAction


def test_drop_of_foreign_data_is_ignored(window):
    mime = QMimeData()
    mime.setText("hello")
    n = len(window.document.graph.nodes)
    event = QDropEvent(QPointF(200, 200), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.view.dropEvent(event)
    assert len(window.document.graph.nodes) == n


def test_new_ids_are_type_plus_smallest_free_counter(window):
    ed = window.editor
    a = ed.add_node("Dense", (0, 400))
    assert a == "dense4"  # dense1..dense3 exist in the spiral example
    b = ed.add_node("Add", (0, 500))
    assert b == "add1"
    window.editor.remove(["dense2"], [])
    assert ed.add_node("Dense", (0, 600)) == "dense2"


def test_port_drag_connects_with_mouse(window):
    doc, scene, view = window.document, window.scene, window.view
    window.editor.remove([], [EdgeSpec("dense1", "dense2")])
    assert ("dense1", "dense2") not in scene.links
    start = scene.nodes["dense1"].output_port.scenePos()
    end = scene.nodes["dense2"].input_port.scenePos()
    _drag(view, start, end)
    assert EdgeSpec("dense1", "dense2") in doc.graph.edges
    link = scene.links[("dense1", "dense2")]
    # A smooth cubic from port to port.
    path = link.path()
    assert path.elementCount() == 4  # move-to + one cubic (three elements)
    assert path.pointAtPercent(0) == start and path.pointAtPercent(1) == end
    assert doc.analysis.ok
    window.undo_stack.undo()
    assert EdgeSpec("dense1", "dense2") not in doc.graph.edges


def test_port_drag_from_input_port_backwards(window):
    doc, scene = window.document, window.scene
    window.editor.remove([], [EdgeSpec("dense2", "dense3")])
    g = scene.start_link_drag(scene.nodes["dense3"].input_port)
    g.move(scene.nodes["dense2"].output_port.scenePos())
    assert scene.nodes["dense2"].output_port.highlight == "accept"
    reason = scene.finish_link_drag(scene.nodes["dense2"].output_port.scenePos())
    assert reason is None
    assert EdgeSpec("dense2", "dense3") in doc.graph.edges


def test_refused_connection_shows_reason_at_cursor_and_status_bar(window):
    doc, scene, view = window.document, window.scene, window.view
    edges = list(doc.graph.edges)
    # dense3 -> dense1 would close a cycle; dense1 also already has its one input.
    start = scene.nodes["dense3"].output_port.scenePos()
    end = scene.nodes["dense1"].input_port.scenePos()
    _drag(view, start, end)
    assert doc.graph.edges == edges
    assert view.message_visible()
    text = view.message_text()
    assert text.startswith("Cannot connect:")
    assert "dense1" in text
    assert window.statusBar().currentMessage() == text
    # The label sits near the release point.
    bubble = view._bubble.geometry()
    release = _vp(view, end)
    assert abs(bubble.left() - release.x()) < 60 and abs(bubble.top() - release.y()) < 60


def test_refusal_reasons(make_window):
    w = make_window(project=_project([
        ("img", "Input", {"shape": [1, 8, 8]}, (0, 0)),
        ("vec", "Input", {"shape": [4]}, (0, 200)),
        ("d1", "Dense", {"units": 3}, (300, 0)),
        ("d2", "Dense", {"units": 3}, (600, 0)),
        ("add", "Add", {}, (300, 200)),
    ], [("vec", "d1"), ("d1", "d2")]))
    ed = w.editor
    r = ed.connection_refusal("img", "d1")
    assert r is not None and "already has 1" in r
    w.editor.remove([], [EdgeSpec("vec", "d1")])
    # Shape mismatch, named by the engine.
    r = ed.connection_refusal("img", "d1")
    assert r is not None and "expects a flat input" in r
    # Cycle.
    r = ed.connection_refusal("d2", "d1")
    assert r is not None and "cycle" in r
    # Into an Input.
    r = ed.connection_refusal("d1", "vec")
    assert r is not None and "Input" in r
    # Itself, and twice.
    assert "itself" in ed.connection_refusal("d1", "d1")
    assert "already connected" in ed.connection_refusal("d1", "d2")
    # Accepted while building: a merge with its first input is fine.
    assert ed.connection_refusal("vec", "add") is None


def test_refused_drag_highlights_port_red(window):
    scene = window.scene
    g = scene.start_link_drag(scene.nodes["dense3"].output_port)
    g.move(scene.nodes["dense1"].input_port.scenePos())
    assert scene.nodes["dense1"].input_port.highlight == "refuse"
    assert g.item.state == "refuse"
    g.move(QPointF(-3000, -3000))
    assert scene.nodes["dense1"].input_port.highlight is None
    assert scene.finish_link_drag(QPointF(-3000, -3000)) is None


def test_move_by_drag_is_one_undoable_command(window):
    doc, scene, view = window.document, window.scene, window.view
    view.reset_zoom()  # one scene unit per pixel: the mouse moves exactly 60 x 90
    view.centerOn(scene.nodes["dense2"])
    item = scene.nodes["dense2"]
    old = doc.node("dense2").position
    start = item.sceneBoundingRect().center() + QPointF(0, 10)
    _drag(view, start, start + QPointF(60, 90))
    new = doc.node("dense2").position
    assert (round(new[0] - old[0]), round(new[1] - old[1])) == (60, 90)
    assert window.undo_stack.count() == 1
    # The link followed the node.
    assert scene.links[("dense1", "dense2")].path().pointAtPercent(1) == \
        item.input_port.scenePos()
    window.undo_stack.undo()
    assert doc.node("dense2").position == old
    assert item.pos() == QPointF(*old)


def test_rubber_band_selects_several(window):
    scene, view = window.scene, window.view
    rect = scene.nodes_rect()
    _drag(view, rect.topLeft() + QPointF(-30, -30),
          QPointF(scene.nodes["dense1"].sceneBoundingRect().right() + 5, rect.bottom() + 30))
    assert set(scene.selected_node_ids()) == {"input1", "dense1"}
    assert "2 layers selected" in window.inspector.multi_label.text()


def test_delete_copy_paste_duplicate_undo(window):
    doc, scene = window.document, window.scene
    before = window.document.project.to_dict()
    scene.select_nodes(["dense1", "dense2"])
    window.edit.copy()
    pasted = window.edit.paste()
    assert pasted == ["dense4", "dense5"]
    # Edges between the copied nodes come along, edges to the outside do not.
    assert EdgeSpec("dense4", "dense5") in doc.graph.edges
    assert doc.graph.inputs_of("dense4") == []
    p1, p4 = doc.node("dense1").position, doc.node("dense4").position
    assert (p4[0] - p1[0], p4[1] - p1[1]) == (0.0, NODE_HEIGHT + 30)  # below, clear
    assert doc.node("dense4").params == doc.node("dense1").params
    assert set(scene.selected_node_ids()) == {"dense4", "dense5"}
    dup = window.edit.duplicate()
    assert dup == ["dense6", "dense7"]
    window.edit.delete_selection()
    assert "dense6" not in doc.graph.ids()
    scene.select_nodes(["dense2"])
    window.edit.delete_selection()
    assert "dense2" not in doc.graph.ids()
    assert not any("dense2" in (e.source, e.target) for e in doc.graph.edges)
    while window.undo_stack.canUndo():
        window.undo_stack.undo()
    assert window.document.project.to_dict() == before
    assert set(scene.nodes) == {"input1", "dense1", "dense2", "dense3"}
    assert set(scene.links) == {("input1", "dense1"), ("dense1", "dense2"),
                                ("dense2", "dense3")}


def test_delete_selected_link_disconnects(window):
    doc, scene = window.document, window.scene
    link = scene.links[("dense2", "dense3")]
    scene.clearSelection()
    link.setSelected(True)
    window.edit.delete_selection()
    assert EdgeSpec("dense2", "dense3") not in doc.graph.edges
    assert "dense1" in doc.graph.ids() and "dense3" in doc.graph.ids()
    assert not any(isinstance(i, LinkItem) and i.edge_key == ("dense2", "dense3")
                   for i in scene.items())


def test_remove_restores_edge_order_of_concatenate(make_window):
    w = make_window(project=_project([
        ("a", "Input", {"shape": [2]}, (0, 0)),
        ("b", "Input", {"shape": [3]}, (0, 150)),
        ("cat", "Concatenate", {}, (300, 0)),
        ("out", "Dense", {"units": 1}, (600, 0)),
    ], [("b", "cat"), ("a", "cat"), ("cat", "out")]))
    doc = w.document
    edges = list(doc.graph.edges)
    w.scene.select_nodes(["b"])
    w.edit.delete_selection()
    w.undo_stack.undo()
    assert doc.graph.edges == edges
    assert doc.graph.ids() == ["a", "b", "cat", "out"]
    assert doc.analysis.shapes["cat"] == (5,)


def test_invalid_node_has_red_border_and_tooltip(window):
    doc, scene = window.document, window.scene
    window.editor.remove([], [EdgeSpec("input1", "dense1")])
    item = scene.nodes["dense1"]
    assert item.errors and "no input connected" in item.errors[0]
    assert "no input connected" in item.toolTip()
    assert "problem" in window.problems_label.text()
    window.undo_stack.undo()
    assert not item.errors and doc.analysis.ok


def test_status_bar_shows_total_and_trainable_parameters(window):
    # 2*16+16 + 16*16+16 + 16*2+2 = 354, counted independently of the engine.
    assert window.params_label.text() == "Parameters: 354 (trainable 354)"
    window.editor.set_frozen("dense2", True)
    assert window.params_label.text() == "Parameters: 354 (trainable 82)"


def test_double_click_palette_adds_after_selection(window):
    doc, scene = window.document, window.scene
    window.editor.remove(["dense3"], [])
    scene.select_nodes(["dense2"])
    item = window.palette_panel.items["Dense"]
    window.palette_panel.tree.itemActivated.emit(item, 0)
    assert "dense3" in doc.graph.ids()
    assert doc.graph.inputs_of("dense3") == ["dense2"]
    assert doc.node("dense3").position[0] > doc.node("dense2").position[0]
    assert scene.selected_node_ids() == ["dense3"]
    # One undo step removes node and edge together.
    window.undo_stack.undo()
    assert "dense3" not in doc.graph.ids()
    assert doc.graph.outputs_of("dense2") == []


def test_zoom_and_fit(window):
    view = window.view
    view.reset_zoom()
    view.zoom_in()
    assert abs(view.zoom() - 1.25) < 1e-9
    view.zoom_out()
    view.zoom_out()
    assert abs(view.zoom() - 0.8) < 1e-9
    for _ in range(40):
        view.zoom_out()
    assert view.zoom() >= 0.15 - 1e-9
    view.fit_all()
    vis = view.mapToScene(view.viewport().rect()).boundingRect()
    assert vis.contains(window.scene.nodes_rect())


def test_auto_layout_points_every_edge_right(make_window):
    w = make_window(project=_project([
        ("out", "Dense", {"units": 1}, (0, 0)),
        ("a", "Input", {"shape": [2]}, (500, 500)),
        ("h1", "Dense", {"units": 3}, (100, 300)),
        ("h2", "Dense", {"units": 3}, (400, 0)),
        ("sum", "Add", {}, (0, 600)),
    ], [("a", "h1"), ("h1", "h2"), ("a", "sum"), ("h2", "sum"), ("sum", "out")]))
    w.edit.arrange()
    pos = {n.id: n.position for n in w.document.graph.nodes}
    for e in w.document.graph.edges:
        assert pos[e.source][0] + NODE_WIDTH < pos[e.target][0]
    # Longest-path columns: a=0, h1=1, h2=2, sum=3, out=4.
    xs = sorted({round(p[0]) for p in pos.values()})
    assert [xs.index(round(pos[n][0])) for n in ("a", "h1", "h2", "sum", "out")] == \
        [0, 1, 2, 3, 4]
    w.undo_stack.undo()
    assert w.document.node("a").position == (500, 500)


def test_palette_lists_registry_by_category_and_searches(window):
    from nncore.registry import CATEGORIES, layer_types

    pal = window.palette_panel
    types = [c.type_name for c in layer_types()]
    assert sorted(pal.items) == sorted(types)
    cats = {c.category for c in layer_types()}
    assert set(pal.groups) == cats  # empty categories get no group
    assert [c for c in CATEGORIES if c in cats] == list(pal.groups)
    for c in layer_types():
        assert pal.items[c.type_name].parent() is pal.groups[c.category]
        assert not pal.items[c.type_name].icon(0).isNull()
    pal.search.setText("conc")
    assert pal.visible_types() == ["Concatenate"]
    assert pal.groups["core"].isHidden()
    pal.search.setText("fully connected")  # matches descriptions too
    visible = pal.visible_types()
    assert "Dense" in visible
    for name in visible:
        cls = next(c for c in layer_types() if c.type_name == name)
        assert "fully connected" in f"{name} {cls.description}".lower()
    pal.search.clear()
    assert sorted(pal.visible_types()) == sorted(types)
    mime = pal.tree.mimeData([pal.items["Flatten"]])
    assert bytes(mime.data(LAYER_MIME)) == b"Flatten"


def test_wheel_zooms_and_middle_button_pans(window):
    from PySide6.QtGui import QWheelEvent

    view = window.view
    view.reset_zoom()
    pos = QPointF(view.viewport().rect().center())
    ev = QWheelEvent(pos, view.viewport().mapToGlobal(pos), QPoint(0, 0), QPoint(0, 120),
                     Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                     Qt.ScrollPhase.NoScrollPhase, False)
    view.wheelEvent(ev)
    assert view.zoom() > 1.0
    h = view.horizontalScrollBar().value()
    vp = view.viewport()
    c = vp.rect().center()
    QTest.mousePress(vp, Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, c)
    QTest.mouseMove(vp, c + QPoint(-80, 0))
    QTest.mouseRelease(vp, Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier,
                       c + QPoint(-80, 0))
    assert view.horizontalScrollBar().value() == h + 80


def test_nodes_move_during_a_run_and_the_run_goes_on(window, qtbot):
    """Where a node sits is not part of the network: it can be dragged (one undoable move)
    while the run trains, and the run is not disturbed; structural edits stay locked."""
    from app.training.controller import RUNNING
    from app.training.probe import structure_key

    w, doc, scene, view = window, window.document, window.scene, window.view
    w.editor.set_training(epochs=100000)
    count = w.undo_stack.count()
    assert w.training.train()
    qtbot.waitUntil(lambda: w.training.history.active_run is not None
                    and w.training.history.active_run.epochs_done >= 1, timeout=60_000)
    run = w.training.history.active_run
    assert w.editor.locked and w.training.state == RUNNING
    view.reset_zoom()
    view.centerOn(scene.nodes["dense2"])
    item = scene.nodes["dense2"]
    old = doc.node("dense2").position
    start = item.sceneBoundingRect().center() + QPointF(0, 10)
    _drag(view, start, start + QPointF(60, 90))
    new = doc.node("dense2").position
    assert (round(new[0] - old[0]), round(new[1] - old[1])) == (60, 90)
    assert item.pos() == QPointF(*new)
    assert w.undo_stack.count() == count + 1 and w.undo_stack.undoText() == "Move dense2"
    assert scene.links[("dense1", "dense2")].path().pointAtPercent(1) == \
        item.input_port.scenePos()
    # The run trains on: more epochs, still running, the same network.
    done = run.epochs_done
    qtbot.waitUntil(lambda: run.epochs_done > done, timeout=60_000)
    assert w.training.state == RUNNING and run.status == "running"
    assert structure_key(run.project.graph) == structure_key(doc.graph)
    # The move is undone during the run; the network itself stays locked, with the reason.
    assert w.editor.undo() and doc.node("dense2").position == old
    assert w.editor.redo() and doc.node("dense2").position == new
    w.edit.arrange()
    assert w.undo_stack.undoText() == "Arrange layers" and doc.node("dense2").position != new
    assert w.editor.undo() and doc.node("dense2").position == new
    reasons = []
    w.editor.refused.connect(reasons.append)
    assert w.editor.add_node("Dense", (0, 400)) == ""
    assert reasons and "training is running" in reasons[0]
    port = scene.nodes["dense3"].input_port
    assert "connections cannot change" in port.toolTip()
    assert port.cursor().shape() == Qt.CursorShape.ForbiddenCursor
    with qtbot.waitSignal(w.training.runFinished, timeout=60_000):
        w.training.stop()
    assert run.status == "stopped"
    # The weights carry on to the next run: moving changed nothing the run depends on.
    assert w.training.trained.structure == structure_key(doc.graph)
    assert port.cursor().shape() == Qt.CursorShape.CrossCursor
