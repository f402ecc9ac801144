"""Layer health that tells (issue 12): the badges are calm on every shipped example trained
to its bar and alarmed on deliberately broken runs; every badge's tooltip says what it
means and what to try; a gradient of 0 is drawn on a row of its own at the bottom of the
gradient plot; a run that ends or pauses with layers that no longer learn says so, with
advice, in the banner."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF

from app.models.curves import RunCurves
from app.paths import examples_dir
from app.training.health import gradient_health
from app.training.health_advice import findings
from app.training.probe import Analyzer
from app.training.worker import GradSample
from nncore.events import EpochEnd
from nncore.project import load_project
from nncore.run import train_project
from nncore.spec import GraphSpec

TIMEOUT = 60_000

#: The shipped examples that train in seconds (digits_cnn, measured once by hand, takes
#: two minutes; digits_transfer trains from digits_cnn's weights).
EXAMPLES = ["xor", "spiral", "iris", "digits_mlp", "regression", "sine_lstm", "recommender"]


def _health(project, epochs: int | None = None):
    """Train ``project`` as the command line does; return what the badges would show at
    the end: each layer's gradient level and dead or saturated units, and the findings a
    notice would name."""
    samples = []

    def on_event(ev) -> None:
        if isinstance(ev, EpochEnd):
            samples.append(GradSample(float(ev.epoch), ev.elapsed, ev.grad_norms,
                                      ev.weight_norms))

    result = train_project(project, examples_dir(), epochs=epochs, callback=on_event)
    curves = RunCurves(0, "accuracy")
    curves.add_grad_samples(samples)
    levels = gradient_health(curves.grad_now, curves.weight_now)
    activity = Analyzer(result.network, result.data).run("activations", 0, {}).activity
    return levels, activity, findings(curves.grad_now, curves.weight_now, activity)


@pytest.mark.parametrize("name", EXAMPLES)
def test_a_shipped_example_trained_to_its_bar_shows_no_alarm(name):
    levels, activity, found = _health(load_project(examples_dir() / f"{name}.json"))
    assert set(levels.values()) == {"ok"}, levels
    assert all(a.level == "ok" for a in activity.values()), activity
    assert found == []


def _spiral(**training):
    project = load_project(examples_dir() / "spiral.json")
    project.training = project.training.replace(**training)
    return project


def test_broken_runs_raise_the_alarm():
    # Eight sigmoid layers: the first ones' gradients vanish.
    deep = _spiral(optimizer="sgd", learning_rate=0.1)
    deep.graph = GraphSpec.sequential(
        [("Input", {"shape": (2,)})] + [("Dense", {"units": 16, "activation": "sigmoid"})] * 8
        + [("Dense", {"units": 2, "activation": "softmax"})])
    levels, _activity, found = _health(deep, epochs=100)
    assert levels["dense1"] == "vanishing"
    assert "vanishing" in [f.kind for f in found]
    # SGD at learning rate 1000: no gradient reaches the tanh layers, every unit saturated.
    levels, activity, found = _health(_spiral(optimizer="sgd", learning_rate=1000.0),
                                      epochs=100)
    assert levels["dense1"] == levels["dense2"] == "vanishing"
    assert activity["dense1"].level == activity["dense2"].level == "bad"
    assert [f.kind for f in found] == ["vanishing", "saturated"]
    # SGD at 0.6 on the regression example: most ReLU units die.
    regression = load_project(examples_dir() / "regression.json")
    regression.training = regression.training.replace(optimizer="sgd", learning_rate=0.6)
    _levels, activity, found = _health(regression, epochs=30)
    assert activity["dense2"].kind == "dead" and activity["dense2"].level == "bad"
    assert "dead" in [f.kind for f in found]


# -- in the window -----------------------------------------------------------------------------

def _train(qtbot, w, **training):
    w.editor.set_training(**training)
    with qtbot.waitSignal(w.training.runFinished, timeout=TIMEOUT) as blocker:
        assert w.training.train()
    return blocker.args[0]


def _settle(qtbot, w, run) -> None:
    probe = w.training.probe
    qtbot.waitUntil(lambda: "activations" in probe.results
                    and probe.results["activations"].version == ("run", run.number),
                    timeout=TIMEOUT)
    qtbot.wait(30)
    w.training.frames.redraw_all()


def test_a_healthy_xor_is_calm_and_its_badges_explain(make_window, qtbot):
    w = make_window()
    assert w.open_project(examples_dir() / "xor.json", as_copy=True)
    run = _train(qtbot, w)
    _settle(qtbot, w, run)
    assert run.curves.val_metric.last() >= 0.97
    badges = w.canvas_badges.badges()
    assert badges["dense1"].grad_level == "ok" and badges["dense1"].activity_level == "ok"
    assert badges["dense1"].activity_text.startswith("sat ")
    assert w.run_controls.banner.message() == ""
    tip = w.scene.nodes["dense1"].toolTip()
    assert "learns at a healthy pace" in tip
    assert "saturated" in tip and "normal in a trained classifier" in tip


def _pixel_near(widget, scene_point, color: str, radius: int = 3) -> bool:
    """Whether a pixel of ``color`` is drawn within ``radius`` of ``scene_point``."""
    from PySide6.QtGui import QColor

    img = widget.grab().toImage()
    p = widget.mapFromScene(scene_point)
    want = QColor(color)
    for dx in range(-radius, radius + 1):
        for dy in range(-radius, radius + 1):
            c = img.pixelColor(p.x() + dx, p.y() + dy)
            if abs(c.red() - want.red()) + abs(c.green() - want.green()) + \
                    abs(c.blue() - want.blue()) < 60:
                return True
    return False


def test_a_dead_layer_is_drawn_on_the_row_of_zeros_and_the_banner_advises(window, qtbot):
    """Spiral, SGD, learning rate 1000: the tanh layers' gradients are 0 (the badges say
    "∇ 0", not a tiny number); the gradient plot draws them on a bottom row labelled 0,
    and the banner names them and what to try."""
    from app.plots.inside import layer_color

    w = window
    run = _train(qtbot, w, optimizer="sgd", learning_rate=1000.0, epochs=100)
    _settle(qtbot, w, run)
    badges = w.canvas_badges.badges()
    assert badges["dense1"].grad_text == "∇ 0" and badges["dense1"].grad_level == "vanishing"
    assert "does not learn at all" in badges["dense1"].tooltip
    assert "smaller learning rate" in badges["dense1"].tooltip

    grads = w.plot_docks.inside.grads
    grads.refresh()
    floor = grads.floor
    assert floor is not None
    assert grads.axis.floor == floor and grads.axis.floor_text == "0"
    assert grads.axis.logTickStrings([floor], 1.0, 1.0) == ["0"]
    x, y = grads.zero_curves["dense1"].getData()
    drawn = np.isfinite(y)
    assert drawn.sum() > 0.8 * len(y) and np.allclose(y[drawn], floor)  # log10 of the row
    assert grads.zero_line.isVisible() and grads.zero_line.value() == floor + 0.5
    assert "dense1 (0)" in grads.legend.text() and "dense3 (0)" not in grads.legend.text()
    # Drawn where the row is: the layer's colour at the middle of the run on that row.
    vb = grads.plot.getPlotItem().getViewBox()
    middle = float(x[len(x) // 2])
    for _ in range(3):  # the dotted line has gaps: look at a few points along it
        point = vb.mapViewToScene(QPointF(middle, floor))
        if _pixel_near(grads.plot, point, layer_color(1)):
            break
        middle += 0.6
    else:
        pytest.fail("nothing drawn on the row of zeros")

    message = w.run_controls.banner.message()
    assert message.startswith("Run 1 completed at ")
    assert "vanishing gradients in dense1 (0) and dense2 (0)" in message
    assert "saturated units in dense1 (100%) and dense2 (100%)" in message
    assert "barely learn" in message and "smaller learning rate (now 1000)" in message
    assert "Train from Scratch (Ctrl+F5)" in message
    assert "Show layer" in w.run_controls.banner.button_texts()


def test_a_pause_with_dead_layers_says_so(window, qtbot):
    w = window
    w.editor.set_training(optimizer="sgd", learning_rate=1000.0, epochs=100000)
    assert w.training.train()
    qtbot.waitUntil(lambda: w.training.history.active_run.epochs_done >= 20,
                    timeout=TIMEOUT)
    w.training.pause()
    qtbot.waitUntil(lambda: "is paused at epoch" in w.run_controls.banner.message(),
                    timeout=TIMEOUT)
    assert "dense1" in w.run_controls.banner.message()
    w.training.resume()
    assert w.run_controls.banner.message() == ""
    with qtbot.waitSignal(w.training.runFinished, timeout=TIMEOUT):
        w.training.stop()


def test_the_row_of_zeros_holds_zeros_and_norms_too_small_to_draw():
    from app.plots.inside import SHOWN_DECADES, zero_row

    g = np.array([[0.5, 3e-4], [2.0, 2e-3]])
    assert zero_row(g)[0] is None  # every norm can be drawn: no row
    floor, pinned, text = zero_row(np.array([[0.5, 0.0], [2.0, 0.0]]))
    assert floor == -2 and text == "0" and pinned.tolist() == [[False, True], [False, True]]
    # A norm 20 decades below the largest: on the row, which then says "below".
    floor, pinned, text = zero_row(np.array([[1.0, 1e-20], [5.0, 0.0], [np.nan, 0.1]]))
    lowest = 1 - SHOWN_DECADES
    assert floor == lowest - 1 and text == f"<1e{lowest}"
    assert pinned.tolist() == [[False, True], [False, True], [False, False]]
    # Nothing but zeros: a row under 1.
    floor, pinned, text = zero_row(np.zeros((3, 2)))
    assert floor == -1 and pinned.all() and text == "0"
