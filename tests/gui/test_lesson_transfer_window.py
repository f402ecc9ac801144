"""The transfer-learning lesson in the window, as a student does it: step 2 refuses until
step 1 is trained; train the ten digits; step 2 freezes the layers, adds the even/odd
layer and keeps the trained weights (the Train button offers to Continue from them);
Continue: the kept weights do not move and the run ends where the headless check's run
ends; step 3 unfreezes, Train from Scratch ends lower; the Runs table shows both."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

from nncore.lessons import LESSONS
from nncore.lessons.base import train
from nncore.lessons.transfer import KEPT, TRANSFER, train_from

TIMEOUT = 180_000


def _open(window):
    window.findChild(QAction, "actionLessons").trigger()
    panel = window.lessons.panel
    panel.chooser.setCurrentIndex(panel.chooser.findData(LESSONS.index(TRANSFER)))
    return panel


def _click(qtbot, panel, step):
    qtbot.mouseClick(panel.step_boxes[step].button, Qt.MouseButton.LeftButton)


def _run(qtbot, window, action):
    with qtbot.waitSignal(window.training.runFinished, timeout=TIMEOUT) as blocker:
        window.findChild(QAction, action).trigger()
    return blocker.args[0]


def _accuracy(run):
    return run.finished.history.val_metrics[-1]["accuracy"]


def _kept(weights):
    return {k: np.array(v) for k, v in weights.items() if k.split("/", 1)[0] in KEPT}


def test_the_student_keeps_the_trained_layers_and_beats_training_from_scratch(window,
                                                                              qtbot):
    panel = _open(window)
    status = window.statusBar()
    assert "then Continue (F5), not from scratch" in panel.step_boxes[1].keeps.text()
    _click(qtbot, panel, 1)  # nothing trained yet: nothing to keep, nothing applied
    assert window.undo_stack.count() == 0
    assert "set up step 1, train it (F5)" in status.currentMessage()

    _click(qtbot, panel, 0)
    run1 = _run(qtbot, window, "actionTrain")
    assert _accuracy(run1) > 0.93
    digits = _kept(window.training.current_network().get_weights())

    _click(qtbot, panel, 1)
    assert window.undo_stack.count() == 1
    project = window.document.snapshot()
    assert [n.id for n in project.graph.nodes if n.frozen] == list(KEPT)
    assert project.graph.node("even_odd").params["units"] == 2
    loaded = window.training.current_network().get_weights()
    assert all(np.array_equal(loaded[k], v) for k, v in digits.items())
    assert "kept from Run 1" in status.currentMessage()
    assert window.run_controls.act_train.iconText() == "Continue"
    assert panel.step_boxes[1].current

    run2 = _run(qtbot, window, "actionTrain")
    after = window.training.current_network().get_weights()
    assert all(np.array_equal(after[k], v) for k, v in digits.items())  # frozen
    expected2 = train_from(project, digits, KEPT).final("val_accuracy")
    assert _accuracy(run2) == pytest.approx(expected2, abs=1e-9)
    assert run2.start_epoch == 0

    _click(qtbot, panel, 2)
    assert not any(n.frozen for n in window.document.project.graph.nodes)
    run3 = _run(qtbot, window, "actionTrainFromScratch")
    expected3 = train(TRANSFER.project(3)).final("val_accuracy")
    assert _accuracy(run3) == pytest.approx(expected3, abs=1e-9)
    assert _accuracy(run2) - _accuracy(run3) >= 0.06

    table = window.plot_docks.runs
    assert table.row_texts(2)["Final metric"] == f"acc {expected2:.1%}"
    assert table.row_texts(3)["Final metric"] == f"acc {expected3:.1%}"
    runs = window.plot_docks.runs_dock
    assert runs.isVisible() and not runs.visibleRegion().isEmpty()

    window.undo_stack.undo()  # step 3 undone: the layers are frozen again
    assert [n.id for n in window.document.project.graph.nodes if n.frozen] == list(KEPT)
