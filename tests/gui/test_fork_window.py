"""Save Checkpoint… and Fork from Here… in the window: the checkpoint a run leaves is the
engine's format, and a fork with changed settings equals ``netcanvas train --resume`` of
that checkpoint and settings (weights to 1e-6); the fork joins the Runs table with its
parent and its curves go on from the parent's epoch."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from nncore.checkpoint import read_checkpoint
from nncore.cli import main as cli_main
from nncore.project import project_from_dict
from nncore.weights import read_weights

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
TIMEOUT = 120_000


@pytest.fixture
def window_xor(make_window, tmp_path):
    d = json.loads((EXAMPLES / "xor.json").read_text(encoding="utf-8"))
    d["data"]["params"]["n_samples"] = 200
    d["training"].update(epochs=5, seed=4)
    path = tmp_path / "xor.json"
    path.write_text(json.dumps(d), encoding="utf-8")
    return make_window(project=project_from_dict(d), path=path), path


def _train(qtbot, w):
    with qtbot.waitSignal(w.training.runFinished, timeout=TIMEOUT) as blocker:
        assert w.training.train()
    return blocker.args[0]


def test_a_fork_equals_netcanvas_train_resume(window_xor, qtbot, dialog_log, tmp_path):
    w, path = window_xor
    parent = _train(qtbot, w)
    runs = w.plot_docks.runs
    runs.select([parent.number])
    assert w.forks.act_save.isEnabled() and w.forks.act_fork.isEnabled()
    ckpt = tmp_path / "parent.npz"
    dialog_log.save_paths.append(str(ckpt))
    w.forks.act_save.trigger()
    saved = read_checkpoint(ckpt)
    assert saved.epoch == 5
    for key, a in parent.weights.items():
        np.testing.assert_array_equal(saved.weights[key], a)
    assert "velocity" not in saved.optimizer_state and "m_scaled" in saved.optimizer_state

    # Other settings from here on: a lower learning rate, 9 epochs in all.
    assert w.editor.set_training(learning_rate=0.005, epochs=9) is None
    with qtbot.waitSignal(w.training.runFinished, timeout=TIMEOUT) as blocker:
        w.forks.act_fork.trigger()
    fork = blocker.args[0]
    assert "learning_rate: 0.03 → 0.005" in dialog_log.last[2]
    assert fork.parent == (parent.number, 5)
    assert runs.row_texts(fork.number)["Run"].endswith("Run 2 ← Run 1 @ epoch 5")
    assert runs.row_texts(fork.number)["Epochs"] == "4"
    assert list(fork.curves.epoch.data) == [6, 7, 8, 9]

    project_file = tmp_path / "changed.json"
    project_file.write_text(json.dumps(w.document.snapshot().to_dict()), encoding="utf-8")
    out = tmp_path / "cli.npz"
    assert cli_main(["train", str(project_file), "--resume", str(ckpt), "--quiet",
                     "--out-weights", str(out)]) == 0
    expected = read_weights(out).arrays
    assert set(expected) == set(fork.weights)
    for key, a in expected.items():
        np.testing.assert_allclose(fork.weights[key], a, rtol=0, atol=1e-6)
    # The fork really trained on: its weights moved from the parent's.
    assert any(not np.allclose(fork.weights[k], parent.weights[k]) for k in expected)


def test_a_fork_is_refused_with_the_reason(window_xor, qtbot, dialog_log):
    w, _path = window_xor
    parent = _train(qtbot, w)
    w.plot_docks.runs.select([parent.number])
    assert w.forks.fork_dialog() is None  # Epochs is still 5: nothing to train
    title, text, detail = dialog_log.last
    assert title == "Cannot fork" and "set Epochs above 5" in detail
    w.editor.set_training(epochs=8)
    w.editor.set_param("dense1", "units", 3)
    assert w.forks.fork_dialog() is None
    assert "layers changed since Run 1 (dense1, dense2)" in dialog_log.last[2]
    assert len(w.training.history.runs) == 1


def test_a_fork_of_a_continued_run_goes_on_from_its_curves_end(window_xor, qtbot):
    w, _path = window_xor
    w.editor.set_training(epochs=3)
    _train(qtbot, w)
    w.editor.set_training(epochs=2)
    continued = _train(qtbot, w)  # Continue: epochs 4 and 5 of the weights
    assert continued.start_epoch == 3 and continued.checkpoint.epoch == 2
    w.editor.set_training(epochs=4)  # the checkpoint's run had 2: two more
    w.plot_docks.runs.select([continued.number])
    with qtbot.waitSignal(w.training.runFinished, timeout=TIMEOUT) as blocker:
        w.forks.fork_dialog(confirm=False)
    fork = blocker.args[0]
    assert fork.lineage == "Run 3 ← Run 2 @ epoch 5"
    assert list(fork.curves.epoch.data) == [6, 7]
    assert w.plot_docks.runs.row_texts(3)["Epochs"] == "2"
    assert w.training.continue_from() == 7
