"""A run in the window and a run of ``netcanvas train`` of the same project and seed are the
same computation: bit-identical weights.

The window's side runs the real :class:`~app.training.worker.TrainingWorker` on a
``QThread`` with its real hooks (the data posted as DataReady and training held until
``data_taken``, batches reported in bulk, every analysis computed between batches on the
live network), and, for one project, the whole window (session, worker, panels). The
projects shuffle every epoch and one has a Dropout layer, so a different seed, shuffle or
an extra draw from the network's generator anywhere in the run changes the weights.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QThread

from app.training.probe import KINDS
from app.training.worker import (
    Analysis,
    DataReady,
    LossChunk,
    TrainingJob,
    TrainingWorker,
)
from nncore.cli import main as cli_main
from nncore.events import RunControl, TrainingStarted
from nncore.project import load_project
from nncore.weights import read_weights

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
TIMEOUT = 60_000


def _xor(p: dict) -> None:
    p["training"]["epochs"] = 40


def _spiral_with_dropout(p: dict) -> None:
    """The spiral example with a Dropout layer between its hidden layers."""
    p["network"]["nodes"].append({"id": "drop", "type": "Dropout", "params": {"rate": 0.2},
                                  "position": [320.0, 200.0]})
    p["network"]["edges"] = [e for e in p["network"]["edges"] if e["source"] != "dense1"]
    p["network"]["edges"] += [{"source": "dense1", "target": "drop"},
                              {"source": "drop", "target": "dense2"}]
    p["training"].update(epochs=60, seed=7)


PROJECTS = {"xor": ("xor", _xor), "spiral_with_dropout": ("spiral", _spiral_with_dropout)}


@pytest.fixture(params=list(PROJECTS))
def project_file(request, tmp_path) -> Path:
    name, edit = PROJECTS[request.param]
    p = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    edit(p)
    assert p["training"]["shuffle"] and p["data"]["val_fraction"] > 0
    path = tmp_path / f"{request.param}.json"
    path.write_text(json.dumps(p), encoding="utf-8")
    return path


def _cli_weights(path: Path) -> dict[str, np.ndarray]:
    out = path.with_suffix(".npz")
    assert cli_main(["train", str(path), "--quiet", "--out-weights", str(out)]) == 0
    return read_weights(out).arrays


def _worker_run(qtbot, path: Path) -> tuple[object, list]:
    """Train ``path`` with a TrainingWorker on its own thread, steered as the window steers
    it: drained on eventsReady, ``data_taken`` set once the DataReady was taken."""
    job = TrainingJob(1, load_project(path), path.parent)
    worker = TrainingWorker(job, RunControl())
    worker.set_wanted(set(KINDS))
    thread = QThread()
    worker.moveToThread(thread)
    items: list = []

    def drain() -> None:
        for item in worker.drain():
            items.append(item)
            if isinstance(item, DataReady):
                worker.data_taken.set()

    worker.eventsReady.connect(drain)
    thread.started.connect(worker.run)
    thread.start()
    try:
        qtbot.waitUntil(lambda: worker.outcome is not None, timeout=TIMEOUT)
    finally:
        thread.quit()
        thread.wait()
    drain()
    return worker.outcome, items


def _assert_same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert a.keys() == b.keys()
    different = [k for k in a if not np.array_equal(a[k], b[k])]
    assert not different, f"weights differ: {different}"


def test_a_worker_run_and_a_cli_run_give_identical_weights(qtbot, project_file):
    outcome, items = _worker_run(qtbot, project_file)
    assert outcome.error is None, outcome.details or outcome.error
    assert outcome.finished.reason == "completed"
    # The window's hooks really ran: the data went to the window before training
    # started, batches came in bulk, analyses ran on the live network between batches.
    kinds = [type(i) for i in items]
    assert kinds.index(DataReady) < kinds.index(TrainingStarted)
    started = next(i for i in items if isinstance(i, TrainingStarted))
    chunks = [i for i in items if isinstance(i, LossChunk)]
    assert sum(len(c.losses) for c in chunks) == started.epochs * started.steps_per_epoch
    assert len(chunks) < started.epochs * started.steps_per_epoch
    assert any(isinstance(i, Analysis) for i in items)

    _assert_same(outcome.network.get_weights(), _cli_weights(project_file))


def test_a_window_run_and_a_cli_run_give_identical_weights(window, qtbot, tmp_path):
    path = tmp_path / "spiral_with_dropout.json"
    p = json.loads((EXAMPLES / "spiral.json").read_text(encoding="utf-8"))
    _spiral_with_dropout(p)
    path.write_text(json.dumps(p), encoding="utf-8")
    w = window
    w.open_project(path)
    with qtbot.waitSignal(w.training.runFinished, timeout=TIMEOUT) as blocker:
        assert w.training.train()
    run = blocker.args[0]
    assert run.status == "completed" and run.epochs_done == 60

    _assert_same(run.weights, _cli_weights(path))
