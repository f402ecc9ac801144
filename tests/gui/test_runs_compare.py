"""Comparing runs in the window: the Runs table's columns (final and best numbers, the
time counting up, a column per differing setting marked against the baseline, "Run N"
readable at 1280x800), Compare (settings side by side, curves overlaid), parallel
coordinates, the CSV and PNG exports, and the best-epoch marks on the curves."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from app.models.runs import format_duration, format_loss
from nncore.compare import best_epoch
from nncore.project import project_from_dict

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
TIMEOUT = 120_000


@pytest.fixture
def w(make_window, tmp_path):
    d = json.loads((EXAMPLES / "xor.json").read_text(encoding="utf-8"))
    d["data"]["params"]["n_samples"] = 200
    d["training"].update(epochs=6)
    path = tmp_path / "xor.json"
    path.write_text(json.dumps(d), encoding="utf-8")
    return make_window(project=project_from_dict(d), path=path)


def _train(qtbot, w, **settings):
    assert w.editor.set_training(**settings) is None
    with qtbot.waitSignal(w.training.runFinished, timeout=TIMEOUT) as blocker:
        assert w.training.train(fresh=True)
    return blocker.args[0]


def _two_runs(qtbot, w):
    return _train(qtbot, w, learning_rate=0.03), _train(qtbot, w, learning_rate=0.1)


def test_the_table_shows_results_and_the_settings_that_differ(w, qtbot):
    run1, run2 = _two_runs(qtbot, w)
    table = w.plot_docks.runs
    for run in (run1, run2):
        h = run.finished.history
        cells = table.row_texts(run.number)
        assert cells["Final loss"] == format_loss(h.val_loss[-1])
        assert cells["Final metric"] == f"acc {h.val_metrics[-1]['accuracy']:.1%}"
        assert cells["Best epoch"] == str(best_epoch(h))
        assert cells["Best loss"] == format_loss(min(h.val_loss))
        assert cells["Epochs"] == "6"
        assert cells["Time"] == format_duration(run.active_time)
    headers = list(table.row_texts(1))
    assert headers[8:] == ["learning_rate"]  # the one setting that differs
    assert table.row_texts(1)["learning_rate"] == "0.03"
    assert table.row_texts(2)["learning_rate"] == "0.1"

    def marked(number):
        return table.items[number].data(8, Qt.ItemDataRole.UserRole)

    assert (marked(1), marked(2)) == (False, True)  # against the first run
    table.select([2])
    table.act_baseline.trigger()
    assert (marked(1), marked(2)) == (True, False)
    # One best run, starred: the lowest best validation loss.
    best = min((run1, run2), key=lambda r: min(r.finished.history.val_loss))
    assert table.row_texts(best.number)["Run"] == f"★ {best.name}"


def test_run_n_is_readable_at_the_design_size(w, qtbot):
    for lr in (0.03, 0.1, 0.3):
        _train(qtbot, w, learning_rate=lr)
    w.plot_docks.runs_dock.raise_()
    qtbot.wait(100)
    tree = w.plot_docks.runs.tree
    item = w.plot_docks.runs.items[2]
    rect = tree.visualItemRect(item)
    text = tree.fontMetrics().horizontalAdvance(item.text(0))
    # Check box, swatch and the text all fit the first column.
    assert tree.columnWidth(0) >= text + 40
    assert rect.height() > 0 and tree.viewport().rect().contains(rect.topLeft())


def test_a_running_runs_time_counts_up(w, qtbot):
    assert w.editor.set_training(epochs=100000) is None
    w.plot_docks.runs_dock.raise_()
    assert w.training.train()
    table = w.plot_docks.runs
    qtbot.waitUntil(lambda: table.row_texts(1)["Time"] != "0.0 s", timeout=TIMEOUT)
    first = table.row_texts(1)["Time"]
    qtbot.waitUntil(lambda: table.row_texts(1)["Time"] != first, timeout=TIMEOUT)
    assert float(table.row_texts(1)["Time"].split()[0]) > float(first.split()[0])
    with qtbot.waitSignal(w.training.runFinished, timeout=TIMEOUT):
        w.training.stop()


def test_compare_shows_two_runs_side_by_side(w, qtbot):
    run1, run2 = _two_runs(qtbot, w)
    table = w.plot_docks.runs
    table.select([1])
    assert not w.comparison.act_compare.isEnabled()
    table.select([1, 2])
    assert w.comparison.act_compare.isEnabled()
    w.comparison.act_compare.trigger()
    dialog = w.comparison.dialogs[-1]
    rows = [dialog.table.topLevelItem(i) for i in range(dialog.table.topLevelItemCount())]
    shown = [r for r in rows if not r.isHidden()]
    assert [(r.text(0), r.text(1), r.text(2)) for r in shown] == \
        [("training.learning_rate", "0.03", "0.1")]
    assert "1 setting differ" in dialog.summary.text()
    dialog.only_diffs.setChecked(False)
    assert sum(not r.isHidden() for r in rows) == len(rows) > 30
    curves = dialog.loss_plot.getPlotItem().listDataItems()
    ys = [c.getData()[1] for c in curves if c.getData()[1] is not None and
          len(c.getData()[1]) == 6]
    for run in (run1, run2):
        assert any(np.allclose(y, run.finished.history.val_loss) for y in ys)
    dialog.close()


def test_parallel_coordinates_place_each_run(w, qtbot):
    run1, run2 = _train(qtbot, w, learning_rate=0.001), _train(qtbot, w, learning_rate=0.1)
    _train(qtbot, w, learning_rate=0.01)
    w.comparison.act_parallel.trigger()
    dialog = w.comparison.dialogs[-1]
    assert [a.title for a in dialog.axes] == ["learning_rate (log)", "best loss",
                                              "final accuracy"]
    for run, pos in ((run1, 0.0), (run2, 1.0), (w.training.history.find(3), 0.5)):
        x, y = dialog.lines[run.number].getData()
        assert list(x) == [0, 1, 2]
        assert y[0] == pytest.approx(pos)
    losses = [min(r.finished.history.val_loss) for r in w.training.history.runs]
    lo, hi = min(losses), max(losses)
    x, y = dialog.lines[1].getData()
    assert y[1] == pytest.approx((losses[0] - lo) / (hi - lo))
    dialog.close()


def test_exports_write_the_numbers(w, qtbot, dialog_log, tmp_path):
    run1, run2 = _two_runs(qtbot, w)
    dialog_log.save_paths += [str(tmp_path / "m.csv"), str(tmp_path / "c.csv"),
                              str(tmp_path / "plots")]
    w.comparison.act_metrics.trigger()
    w.comparison.act_curves.trigger()
    w.plot_docks.curves_dock.raise_()
    qtbot.wait(50)
    w.comparison.act_png.trigger()
    with open(tmp_path / "m.csv", newline="") as f:
        metrics = list(csv.DictReader(f))
    assert [m["training.learning_rate"] for m in metrics] == ["0.03", "0.1"]
    for m, run in zip(metrics, (run1, run2)):
        h = run.finished.history
        assert float(m["final_val_loss"]) == h.val_loss[-1]
        assert float(m["final_val_accuracy"]) == h.val_metrics[-1]["accuracy"]
        assert int(m["best_epoch"]) == best_epoch(h)
    with open(tmp_path / "c.csv", newline="") as f:
        curves = list(csv.DictReader(f))
    assert len(curves) == 12
    assert [float(c["val_loss"]) for c in curves[6:]] == run2.finished.history.val_loss
    image = QImage(str(tmp_path / "plots.png"))
    assert image.width() > 200 and image.height() > 100
    assert "Exported the plots" in w.statusBar().currentMessage()


def test_the_best_epoch_and_the_restored_weights_are_marked(w, qtbot):
    run = _train(qtbot, w, epochs=200, early_stopping=True, patience=3,
                 learning_rate=0.3)
    fin = run.finished
    assert fin.reason == "early_stopping" and fin.restored_best
    w.training.frames.redraw_all()
    plot = w.plot_docks.curves.loss_plot
    x, y = plot.best_marker.getData()
    assert list(x) == [fin.best_epoch]
    assert y[0] == pytest.approx(fin.history.val_loss[fin.best_epoch - 1])
    assert plot.stop_line.isVisible() and plot.stop_line.value() == fin.epochs_run
    assert plot.stop_line.label.format == f"early stop · best epoch {fin.best_epoch} restored"


def _unnamed(root) -> list[str]:
    """Interactive widgets under ``root`` without an accessible name."""
    import pyqtgraph as pg
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractItemView,
        QAbstractSpinBox,
        QComboBox,
        QLineEdit,
    )

    kinds = (QAbstractButton, QAbstractItemView, QAbstractSpinBox, QComboBox, QLineEdit,
             pg.PlotWidget)
    from PySide6.QtWidgets import QWidget

    return [f"{type(c).__name__} {getattr(c, 'text', lambda: '')()!r}"
            for c in root.findChildren(QWidget) if isinstance(c, kinds)
            and not c.accessibleName() and not isinstance(c.parent(), (QComboBox, QAbstractSpinBox))
            and c.isVisibleTo(root) and type(c).__name__ != "QScrollBar"]


def test_every_control_has_an_accessible_name(w, qtbot):
    _two_runs(qtbot, w)
    w.plot_docks.runs.select([1, 2])
    assert _unnamed(w.plot_docks.runs) == []
    assert _unnamed(w.plot_docks.curves) == []
    assert _unnamed(w.comparison.compare_selected()) == []
    assert _unnamed(w.comparison.parallel()) == []
    w.sweeps.act_sweep.trigger()
    w.sweeps.dialog.add_row("network.nodes.dense1.params.units")
    assert _unnamed(w.sweeps.dialog) == []
    w.sweeps.dialog.reject()
