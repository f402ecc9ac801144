"""Run ▸ Sweep… in the window: a 2x2 grid laid out in the dialog trains four runs, one
after another on the worker thread, into the Runs table; their final metrics equal
``nncore.sweep.run_sweep`` of the same settings and seed (computed here); the best is
starred; Stop ends the sweep with the running run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.models.comparison import run_numbers
from app.models.runs import format_loss
from nncore.project import project_from_dict
from nncore.sweep import SweepAxis, plan, run_sweep

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
TIMEOUT = 120_000


@pytest.fixture
def xor(tmp_path):
    d = json.loads((EXAMPLES / "xor.json").read_text(encoding="utf-8"))
    d["data"]["params"]["n_samples"] = 200
    path = tmp_path / "xor.json"
    path.write_text(json.dumps(d), encoding="utf-8")
    return project_from_dict(d), path


def _open_dialog(qtbot, w):
    w.sweeps.act_sweep.trigger()
    dialog = w.sweeps.dialog
    qtbot.waitUntil(dialog.isVisible)
    return dialog


def _fill(qtbot, dialog, rows, epochs, seed):
    dialog.rows[0].choose(*rows[0])
    for path, values in rows[1:]:
        dialog.add_row(path, values)
    dialog.epochs.setValue(epochs)
    dialog.seed.setValue(seed)


def test_a_grid_sweep_gives_the_runs_of_nncore_sweep(make_window, qtbot, xor):
    project, path = xor
    w = make_window(project=project, path=path)
    dialog = _open_dialog(qtbot, w)
    _fill(qtbot, dialog, [("training.learning_rate", "0.01, 0.1"),
                          ("network.nodes.dense1.params.units", "2 .. 6 x 2")], 6, 3)
    assert dialog.preview.text().startswith("4 runs")
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    runner = w.sweeps.runner
    assert runner.running
    qtbot.waitUntil(lambda: w.plot_docks.runs.sweep_bar.isVisible(), timeout=TIMEOUT)
    assert "Sweep 1, run 1 of 4" in w.plot_docks.runs.sweep_label.text()
    qtbot.waitUntil(lambda: not runner.running, timeout=TIMEOUT)
    runs = w.training.history.runs
    assert len(runs) == 4 and all(r.status == "completed" for r in runs)

    axes = [SweepAxis("training.learning_rate", (0.01, 0.1)),
            SweepAxis("network.nodes.dense1.params.units", (2, 6))]
    rows = run_sweep(project, plan(project, axes), path.parent, epochs=6, seed=3)
    table = w.plot_docks.runs
    for run, row in zip(runs, rows):
        assert run.sweep_settings == row.settings
        assert run.final_metrics() == row.final  # the same computation, bit for bit
        cells = table.row_texts(run.number)
        assert cells["Final loss"] == format_loss(row.final["val_loss"])
        assert cells["Best epoch"] == str(row.best_epoch)
        assert cells["learning_rate"] == f"{row.settings['training.learning_rate']:g}"
        assert cells["dense1.units"] == str(row.settings["network.nodes.dense1.params.units"])
    best = min(range(4), key=lambda i: (rows[i].best["val_loss"], i))
    assert table.row_texts(runs[best].number)["Run"].startswith("★ ")
    assert sum(table.row_texts(r.number)["Run"].startswith("★") for r in runs) == 1
    assert run_numbers(runs[best]).best_loss == rows[best].best["val_loss"]
    assert not table.sweep_bar.isVisible()


def test_stop_ends_the_sweep_with_the_running_run(make_window, qtbot, xor):
    project, path = xor
    w = make_window(project=project, path=path)
    dialog = _open_dialog(qtbot, w)
    _fill(qtbot, dialog, [("training.learning_rate", "0.01, 0.03, 0.1")], 100000, 0)
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    history, runner = w.training.history, w.sweeps.runner
    qtbot.waitUntil(lambda: history.active_run is not None
                    and history.active_run.epochs_done >= 2, timeout=TIMEOUT)
    assert not w.sweeps.act_sweep.isEnabled()
    qtbot.mouseClick(w.plot_docks.runs.sweep_stop, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not runner.running, timeout=TIMEOUT)
    qtbot.wait(200)  # nothing else starts
    assert not w.training.active
    assert [r.status for r in history.runs] == ["stopped"]
    assert w.plot_docks.runs.row_texts(1)["Status"] == "stopped"
    assert "Sweep 1 stopped: 1 of 3 runs" in w.statusBar().currentMessage()
    assert w.sweeps.act_sweep.isEnabled()


def test_bad_values_are_named_in_the_dialog(make_window, qtbot, xor):
    project, path = xor
    w = make_window(project=project, path=path)
    dialog = _open_dialog(qtbot, w)
    dialog.rows[0].choose("network.nodes.dense1.params.units", "4, -3")
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and not w.sweeps.runner.running
    assert "-3" in dialog.preview.text() and not dialog.start_button.isEnabled()
    dialog.rows[0].values.setText("1e-3 .. 1e-1 x 3 log")
    dialog.rows[0].choose("training.learning_rate", "1e-3 .. 1e-1 x 3 log")
    assert dialog.axes()[0].values == (0.001, 0.01, 0.1)
    dialog.random_mode.setChecked(True)
    dialog.count.setValue(2)
    assert dialog.preview.text().startswith("2 runs (3 learning_rate)")
    dialog.grid_mode.setChecked(True)
    dialog.rows[0].values.setText("0.1, fast")
    assert dialog.preview.text().startswith("training.learning_rate=fast: ")
    assert not dialog.start_button.isEnabled()
    dialog.reject()


def test_a_new_project_ends_the_sweep(make_window, qtbot, xor):
    project, path = xor
    w = make_window(project=project, path=path)
    dialog = _open_dialog(qtbot, w)
    _fill(qtbot, dialog, [("training.learning_rate", "0.01, 0.03, 0.1")], 100000, 0)
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    history, runner = w.training.history, w.sweeps.runner
    qtbot.waitUntil(lambda: history.active_run is not None
                    and history.active_run.epochs_done >= 1, timeout=TIMEOUT)
    w.files.act_new.trigger()
    qtbot.waitUntil(lambda: not runner.running, timeout=TIMEOUT)
    qtbot.wait(200)  # no run of the old project's sweep starts
    assert not w.training.active and history.runs == []
    assert not w.plot_docks.runs.sweep_bar.isVisible()
