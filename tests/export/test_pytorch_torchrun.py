"""train.py under ``torchrun --nproc_per_node=2`` (gloo, CPU) makes the updates one process
makes: the same global batches, split between the processes, with batch normalization on
the global batch's statistics; after one epoch every weight agrees to 1e-6. Both runs are
real command lines (``python train.py``, ``torchrun ... train.py``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nncore.config import TrainingConfig
from nncore.project import DataSpec, Project
from nncore.spec import GraphSpec
from nncore.weights import read_weights

from .pytorch_support import ROOT, export, max_relative

pytestmark = pytest.mark.torch


def _torchrun() -> list[str]:
    exe = Path(sys.executable).parent / "torchrun"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "torch.distributed.run"]


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    return out


def test_two_processes_train_as_one(tmp_path):
    g = GraphSpec.sequential([
        ("Input", {"shape": [2]}),
        ("Dense", {"units": 12, "activation": "tanh"}),
        ("BatchNormalization", {"momentum": 0.9}),
        ("Dense", {"units": 8, "activation": "relu"}),
        ("Dense", {"units": 2, "activation": "softmax"}),
    ])
    data = DataSpec("synthetic", "spiral", val_fraction=0.2,
                    params={"n_samples": 250, "noise": 0.1, "seed": 3})
    # 200 training samples in batches of 23: the last batch (16) splits 8 + 8, the others
    # 12 + 11.
    cfg = TrainingConfig(batch_size=23, epochs=3, learning_rate=0.02, l2=0.001,
                         clip_norm=1.0)
    folder = export(Project("BN", "", g, data, cfg), tmp_path / "proj")
    one = _run([sys.executable, "train.py", "--float64", "--epochs", "1", "--out-weights",
                "one.npz", "--metrics", "one.csv"], folder)
    two = _run([*_torchrun(), "--standalone", "--nproc_per_node=2", "train.py",
                "--float64", "--epochs", "1", "--out-weights", "two.npz", "--metrics",
                "two.csv"], folder)
    assert "2 processes" in two.stderr
    assert one.stdout.count("weights written") == two.stdout.count("weights written") == 1
    a, b = read_weights(folder / "one.npz").arrays, read_weights(folder / "two.npz").arrays
    assert max_relative(b, a, floor=1e-6) < 1e-6
    rows_one = (folder / "one.csv").read_text().splitlines()
    rows_two = (folder / "two.csv").read_text().splitlines()
    assert rows_one[0] == rows_two[0] and len(rows_two) == 2
    for x, y in zip(rows_one[1].split(","), rows_two[1].split(","), strict=True):
        assert float(x) == pytest.approx(float(y), rel=1e-9)
