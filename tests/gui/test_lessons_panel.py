"""The lesson panel, driven as a person uses it: Help > Lessons…, choose a lesson (its
project opens, after the save question), click a step (the project changes as the step's
edits say, one undo restores it, the watched dock comes to the front and flashes)."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMessageBox

from app.lessons.part import OFFERED_KEY
from app.lessons.steps import same_setup, setup_of
from app.lessons.watch import Flash
from nncore.edits import applied
from nncore.lessons import LESSONS, lesson


def _open(window, qtbot, name):
    window.findChild(type(window.lessons.act_lessons), "actionLessons").trigger()
    panel = window.lessons.panel
    assert window.lessons.dock.isVisible()
    panel.chooser.setCurrentIndex(panel.chooser.findData(
        [item.name for item in LESSONS].index(name)))
    return panel


def test_first_start_offers_the_lessons_once(make_window, settings_path):
    first = make_window()
    assert first.lessons.dock.isVisible()
    assert first.settings.value(OFFERED_KEY, False, bool)
    first.lessons.dock.close()  # closed by the person: the next start does not offer again
    first.close()
    assert not make_window().lessons.dock.isVisible()


def test_choosing_a_lesson_opens_its_project_and_shows_its_steps(window, qtbot):
    panel = _open(window, qtbot, "losses")
    item = lesson("losses")
    assert same_setup(window.document.project, item.project(0))
    assert window.document.project.name == "Lesson: loss functions"
    assert panel.text.text() == item.text
    assert [b.title.text() for b in panel.step_boxes] == [
        f"<b>{i + 1}. {html.escape(s.title, quote=False)}</b>" for i, s in enumerate(item.steps)]
    assert "Training Curves" in panel.step_boxes[0].watch.text()
    assert panel.step_boxes[1].expect.text().startswith("You should see: The same network")


def test_a_step_applies_its_edits_as_one_undo_step_and_raises_the_watched_dock(window,
                                                                               qtbot):
    panel = _open(window, qtbot, "losses")
    item = lesson("losses")
    before = window.document.snapshot()
    window.lessons.dock.raise_()
    qtbot.mouseClick(panel.step_boxes[1].button, Qt.MouseButton.LeftButton)
    # The project is the lesson's start with step 2's edits: the loss is now MSE.
    assert window.document.training.loss == "mse"
    assert setup_of(window.document.snapshot()) == setup_of(
        applied(before, item.steps[1].edits))
    assert window.undo_stack.count() == 1
    runs = window.findChild(QDockWidget, "runsDock")
    assert runs.isVisible() and not runs.visibleRegion().isEmpty()
    assert runs.findChildren(Flash) and runs.findChildren(Flash)[0].isVisible()
    assert panel.step_boxes[1].current and not panel.step_boxes[0].current
    window.undo_stack.undo()
    assert setup_of(window.document.snapshot()) == setup_of(before)
    assert window.document.training.loss == "categorical_crossentropy"


def test_a_step_out_of_order_sets_up_the_whole_step(window, qtbot):
    panel = _open(window, qtbot, "losses")
    qtbot.mouseClick(panel.step_boxes[3].button, Qt.MouseButton.LeftButton)
    project = window.document.snapshot()
    assert same_setup(project, lesson("losses").project(4))
    assert project.training.loss == "huber" and project.data.name == "plane"
    assert project.graph.node("dense2").params["units"] == 1
    assert window.undo_stack.count() == 1
    window.undo_stack.undo()
    assert same_setup(window.document.snapshot(), lesson("losses").project(0))


def test_the_watch_link_shows_the_plot_in_its_dock(window, qtbot):
    panel = _open(window, qtbot, "regularization")
    window.plot_docks.inside.ensure_built()  # the plots exist once a run has started
    window.lessons.dock.raise_()
    panel.step_boxes[0].watch.linkActivated.emit("histograms")
    inside = window.findChild(QDockWidget, "insideDock")
    assert inside.isVisible() and inside.findChildren(Flash)
    tabs = window.plot_docks.inside.tabs
    assert tabs.tabText(tabs.currentIndex()) == "Histograms"


def test_unsaved_changes_are_asked_about_and_cancel_keeps_the_project(window, qtbot,
                                                                      dialog_log):
    window.editor.set_training(learning_rate=0.123)
    dialog_log.answers.append(QMessageBox.StandardButton.Cancel)
    panel = _open(window, qtbot, "dropout")
    assert window.document.training.learning_rate == 0.123
    assert panel.chooser.currentIndex() == 0 and not panel.step_boxes


def test_the_watch_link_of_an_explanation_step_opens_the_explain_window(window, qtbot):
    from nncore.lessons import LESSONS

    w = window
    index = [item.name for item in LESSONS].index("interpretability")
    assert w.lessons.open_lesson(index)
    w.lessons.apply_step(0)  # setting a step up opens no window before training
    assert w.explain.explain_window is None
    w.lessons.watch("attributions")
    qtbot.waitUntil(lambda: w.explain.explain_window is not None
                    and w.explain.explain_window.isVisible())
    w.explain.explain_window.close()
