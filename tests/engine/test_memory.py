"""The training-memory estimate (nncore.memory) against what NumPy really allocates while
the example networks train, and the refusal of a run that cannot fit."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

from nncore.cli import main as cli
from nncore.graph import analyze
from nncore.memory import (
    MemoryEstimate,
    MemoryLimitError,
    check_fits_memory,
    estimate_training_memory,
    format_bytes,
)
from nncore.project import load_project
from nncore.run import build_network, check_run, fit, prepare_data

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def _measured_and_estimated(name: str, **changes) -> tuple[int, MemoryEstimate]:
    path = EXAMPLES / f"{name}.json"
    project = load_project(path)
    project.training = project.training.replace(epochs=1, **changes)
    data = prepare_data(project.data, path.parent)
    estimate = estimate_training_memory(analyze(project.graph), project.training,
                                        len(data.train.y), len(data.val.y))
    tracemalloc.start()
    try:
        fit(check_run(build_network(project), data, project.training))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, estimate


@pytest.mark.parametrize("name, changes", [
    ("digits_cnn", {}), ("digits_cnn", {"batch_size": 512}), ("sine_lstm", {}),
    ("sine_lstm", {"batch_size": 512}), ("digits_mlp", {"batch_size": 1024}),
    ("digits_mlp", {"batch_size": 1024, "optimizer": "sgd"}),
])
def test_the_estimate_is_within_a_factor_of_two_of_the_measured_peak(name, changes):
    """(Networks whose training takes under a megabyte are dominated by Python's own
    objects, which the estimate does not count; those are not where memory runs out.)"""
    peak, estimate = _measured_and_estimated(name, **changes)
    assert estimate.total >= 1e6
    assert 0.5 <= estimate.total / peak <= 2.0, (format_bytes(estimate.total),
                                                 format_bytes(peak))


def test_the_estimate_follows_the_batch_size_and_the_optimizer():
    a = analyze(load_project(EXAMPLES / "digits_mlp.json").graph)
    cfg = load_project(EXAMPLES / "digits_mlp.json").training
    small = estimate_training_memory(a, cfg.replace(batch_size=10), n_train=10**6, n_val=1)
    large = estimate_training_memory(a, cfg.replace(batch_size=1000), n_train=10**6, n_val=1)
    assert large.training_batch == 100 * small.training_batch
    params = a.total_params
    adam = estimate_training_memory(a, cfg.replace(optimizer="adam"))
    sgd = estimate_training_memory(a, cfg.replace(optimizer="sgd"))
    momentum = estimate_training_memory(a, cfg.replace(optimizer="momentum"))
    assert adam.weights - sgd.weights == 2 * 4 * params  # two moments, float32
    assert momentum.weights - sgd.weights == 4 * params  # one velocity
    restore = estimate_training_memory(a, cfg.replace(optimizer="sgd", early_stopping=True,
                                                      restore_best=True))
    assert restore.weights - sgd.weights == 4 * params  # the best epoch's copy
    assert small.batch_size == 10 and estimate_training_memory(
        a, cfg.replace(batch_size=500), n_train=20).batch_size == 20


def test_check_fits_memory():
    e = MemoryEstimate(weights=400, training_batch=500, evaluation_batch=100, data=0,
                       batch_size=1, eval_size=1)
    check_fits_memory(e, available=1000)
    with pytest.raises(MemoryLimitError, match="about 900 B .* more than the 900 B"):
        check_fits_memory(e, available=900)


def test_the_command_line_refuses_a_run_that_cannot_fit(tmp_path, capsys, monkeypatch):
    """The issue's case: digits_cnn with two 2,000-filter convolutions, batch 1,000,000
    (capped to the 1,438 training samples: about 11.6 GB), on a machine with 8 GB free."""
    import nncore.memory

    monkeypatch.setattr(nncore.memory, "memory_available", lambda: 8 * 10**9)
    d = json.loads((EXAMPLES / "digits_cnn.json").read_text())
    for node in d["network"]["nodes"]:
        if node["type"] == "Conv2D":
            node["params"]["filters"] = 2000
    d["training"]["batch_size"] = 1_000_000
    p = tmp_path / "huge.json"
    p.write_text(json.dumps(d))
    assert cli(["train", str(p), "--out-weights", str(tmp_path / "w.npz")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "training needs about" in err
    assert "a training batch of 1,438" in err and "more than the" in err
    assert not (tmp_path / "w.npz").exists()
    assert cli(["summary", str(p)]) == 0
    assert "Training memory (estimate, without the data): about" in capsys.readouterr().out
