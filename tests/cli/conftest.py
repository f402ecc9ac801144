"""Shared helpers for the command-line tests: run ``nncore.cli.main`` in-process or as a real
``python -m nncore.cli`` process, and write modified copies of the example projects."""

from __future__ import annotations

import copy
import csv
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "resources" / "examples"
CORPUS = Path(__file__).resolve().parent / "corpus"


@dataclass
class Result:
    code: int
    out: str
    err: str
    #: Training steps the command took (in-process runs only): 0 for a refusal that came
    #: before any training, which is what a user waiting on a bad file cares about.
    steps: int | None = None


def example(name: str) -> dict:
    """The parsed JSON of an example project (a fresh copy each call)."""
    return json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def read_metrics(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    return header, [dict(zip(header, r, strict=True)) for r in rows[1:]]


@pytest.fixture
def cli(capsys, monkeypatch) -> Callable[..., Result]:
    """Run the CLI in this process: ``cli("train", path, "--quiet")`` -> Result, counting
    the training steps it takes."""
    from nncore.cli import main
    from nncore.trainer import Trainer

    steps = [0]
    step = Trainer.train_step

    def counted(self, *args, **kwargs):
        steps[0] += 1
        return step(self, *args, **kwargs)

    monkeypatch.setattr(Trainer, "train_step", counted)

    def run(*args: object) -> Result:
        capsys.readouterr()
        steps[0] = 0
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err, steps[0])

    return run


def run_process(*args: object, timeout: float = 120) -> Result:
    """Run ``python -m nncore.cli ARGS`` in a fresh interpreter."""
    p = subprocess.run([sys.executable, "-m", "nncore.cli", *map(str, args)],
                       capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                       env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    return Result(p.returncode, p.stdout, p.stderr)


@pytest.fixture
def write_project(tmp_path) -> Callable[..., Path]:
    """``write_project(name_or_dict, edit=None, filename=None)`` writes a copy of an example
    (or the given dict), optionally changed in place by ``edit(project_dict)``, into the
    test's temporary folder and returns its path."""

    def write(source: str | dict, edit: Callable[[dict], None] | None = None,
              filename: str | None = None) -> Path:
        p = example(source) if isinstance(source, str) else copy.deepcopy(source)
        if edit is not None:
            edit(p)
        name = filename or (f"{source}.json" if isinstance(source, str) else "project.json")
        path = tmp_path / name
        path.write_text(json.dumps(p, indent=1), encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def digits_weights(tmp_path_factory) -> Path:
    """digits_mlp trained once for the session with the CLI; returns the weights path."""
    from nncore.cli import main

    out = tmp_path_factory.mktemp("digits") / "digits.npz"
    assert main(["train", str(EXAMPLES / "digits_mlp.json"), "--quiet",
                 "--out-weights", str(out)]) == 0
    return out
