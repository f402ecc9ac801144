"""The training parts need no main window: built from a WindowContext of their own (a bare
QMainWindow, a document, an editor, a canvas, a status sink), they make their actions and
docks, lock the editor while a run trains, and report through the context."""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMainWindow

from app.canvas.scene import CanvasScene
from app.canvas.view import CanvasView
from app.document.document import ProjectDocument
from app.examples import builtin_spiral
from app.training.controller import RunController
from app.training.lock import LockingEditor
from app.training.plot_docks import PlotDocks
from app.training.run_controls import RunControls
from app.training.weights_dialogs import WeightsDialogs
from app.window.context import PartFactory, WindowContext

TIMEOUT = 60_000


def test_training_parts_work_from_a_context_of_their_own(qtbot):
    host = QMainWindow()
    qtbot.addWidget(host)
    document = ProjectDocument(parent=host)
    editor = LockingEditor(document, host)
    scene = CanvasScene(editor, host)
    view = CanvasView(scene)
    host.setCentralWidget(view)
    messages: list[str] = []
    revealed: list[str] = []
    context = WindowContext(document, editor, scene, view, editor.undo_stack,
                            PartFactory(host), host, lambda text, msec: messages.append(text),
                            revealed.append)
    document.set_project(builtin_spiral())
    training = RunController(document, host)
    controls = RunControls(context, training, host)
    docks = PlotDocks(context, training, host)
    weights = WeightsDialogs(context, training, host)
    host.show()
    qtbot.waitExposed(host)

    # What they made belongs to the host; nothing reached for a MainWindow.
    assert host.findChild(QAction, "actionTrain") is controls.act_train
    assert host.findChild(QAction, "actionImportWeights") is weights.act_import
    assert [host.findChild(QDockWidget, d.objectName()) for d in docks.docks] == docks.docks
    assert not any(a.isEnabled() for a in weights.export_actions.values())

    editor.set_training(epochs=3)
    with qtbot.waitSignal(training.runFinished, timeout=TIMEOUT) as blocker:
        controls.act_train.trigger()
        assert editor.locked and not controls.act_train.isEnabled()
        assert not weights.act_import.isEnabled()
    run = blocker.args[0]
    assert run.status == "completed" and not editor.locked
    assert messages[-1].startswith(f"{run.title}: completed")
    assert all(a.isEnabled() for a in weights.export_actions.values())
    assert docks.curves.built and controls.progress.bar.format() == "Epoch 3/3"

    # A notice naming a layer offers to show it, through the context.
    editor.set_param("input1", "shape", [3])
    assert training.train()
    qtbot.waitUntil(lambda: not training.active, timeout=TIMEOUT)
    assert "Input 'input1'" in controls.banner.message()
    controls.banner.click("Show layer")
    assert revealed == ["input1"]
