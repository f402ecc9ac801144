"""Mutation testing of NetCanvas with mutmut, run by hand (not in CI): see docs/testing.md.

    python tools/mutation.py engine     # the engine's core modules, with tests/engine, tests/data
    python tools/mutation.py model      # the other layers, the trainer and its fit loop
    python tools/mutation.py files      # weights and project files
    python tools/mutation.py exports    # ONNX, Python script, PyTorch (run it with torch)
    python tools/mutation.py document   # app/document (the undo layer), with its GUI tests
    python tools/mutation.py engine --results   # list what survived in the last run
    python tools/mutation.py engine --only 'nncore.data.preprocess.*'   # some mutants only

Each scope runs in its own clone of this repository (``--workdir``, default
``/tmp/netcanvas-mutation-<scope>``; an existing clone is brought up to this checkout's
HEAD), with the ``[tool.mutmut]`` table of that scope written into the clone's
``pyproject.toml``, so this checkout is never mutated. mutmut must be installed in the
Python that runs this script together with the test dependencies (``pip install mutmut
-e ".[test]"`` in a separate virtualenv). A mutant whose loop never ends is stopped after
``--mutant-seconds`` and counts as detected ("suspicious"). Results stay in the clone:
``mutmut results`` and ``mutmut show NAME`` there.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: The engine modules mutated (the layers, losses and optimizers at the core of every run,
#: the trainer's parts, metrics, schedules, the divergence guard and the data preprocessing
#: and splitting). Every other module of nncore is listed in ``do_not_mutate``.
ENGINE = ["nncore/activations.py", "nncore/divergence.py", "nncore/initializers.py",
          "nncore/layers/core.py", "nncore/losses.py", "nncore/metrics.py",
          "nncore/optimizers.py", "nncore/schedules.py", "nncore/training_parts.py",
          "nncore/data/preprocess.py"]

#: The rest of the model the issue names: every other layer, the trainer and its fit loop.
MODEL = sorted({f"nncore/layers/{n}.py" for n in (
    "base", "convolution", "embedding", "gru", "image", "lstm", "merge", "pooling",
    "recurrent", "simple_rnn", "spatial_dropout")} | {"nncore/trainer.py", "nncore/fit_loop.py"})

#: Weights and project files (reading, validating, writing).
FILES = ["nncore/project.py", "nncore/weights.py"]

#: The exports (ONNX, the Python script and its runtime, the PyTorch model and project).
#: Run with a Python that has torch, or the PyTorch reference tests skip.
EXPORTS = ["nncore/export/__init__.py", "nncore/export/onnx_conv.py",
           "nncore/export/onnx_export.py", "nncore/export/onnx_recurrent.py",
           "nncore/export/py_conv.py", "nncore/export/py_recurrent.py",
           "nncore/export/py_runtime.py", "nncore/export/python_script.py",
           "nncore/export/pytorch_model.py", "nncore/export/pytorch_project.py"]

ENGINE_COPY = ["resources", "tests", "app"]

SCOPES = {
    "model": {"package": "nncore", "mutate": MODEL, "tests": ["tests/engine"],
              "also_copy": ENGINE_COPY},
    "files": {"package": "nncore", "mutate": FILES,
              "tests": ["tests/engine", "tests/cli"],
              "also_copy": ENGINE_COPY},
    "exports": {"package": "nncore", "mutate": EXPORTS, "tests": ["tests/export"],
                "also_copy": ENGINE_COPY,
                # the PyTorch cross-checks too (the default run deselects them)
                "pytest_args": ["-m", "torch or not torch"]},
    "engine": {
        "package": "nncore", "mutate": ENGINE,
        "tests": ["tests/engine", "tests/data"],
        "also_copy": ["resources", "tests", "app"],
    },
    "document": {
        "package": "app", "mutate": None,  # every module of app/document
        "tests": ["tests/gui/test_document.py", "tests/gui/test_document_steps.py",
                  "tests/gui/test_document_words.py",
                  "tests/gui/test_files.py", "tests/gui/test_project_edits.py",
                  "tests/gui/test_inspector.py", "tests/gui/test_canvas.py"],
        "also_copy": ["resources", "tests", "nncore"],
    },
}


def toml_list(items: list[str]) -> str:
    return "[" + ", ".join(f'"{i}"' for i in items) + "]"


def mutmut_table(scope: str, clone: Path) -> str:
    """The ``[tool.mutmut]`` table of ``scope`` (files not mutated listed explicitly)."""
    s = SCOPES[scope]
    package = s["package"]
    files = sorted(p.relative_to(clone).as_posix() for p in (clone / package).rglob("*.py"))
    if s["mutate"] is None:
        keep = [f for f in files if f.startswith("app/document/")]
    else:
        keep = s["mutate"]
    skip = [f for f in files if f not in keep]
    return ("\n[tool.mutmut]\n"
            f'source_paths = ["{package}"]\n'
            f"do_not_mutate = {toml_list(skip)}\n"
            f"pytest_add_cli_args_test_selection = {toml_list(s['tests'])}\n"
            f"pytest_add_cli_args = {toml_list(['-x', '-q', *s.get('pytest_args', [])])}\n"
            f"also_copy = {toml_list(s['also_copy'])}\n")


def prepare_clone(scope: str, clone: Path) -> None:
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout.strip()
    if not (clone / ".git").exists():
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    subprocess.run(["git", "checkout", "-q", "--", "pyproject.toml"], cwd=clone, check=True)
    subprocess.run(["git", "fetch", "-q", str(ROOT), head], cwd=clone, check=True)
    subprocess.run(["git", "checkout", "-q", "--detach", head], cwd=clone, check=True)
    with open(clone / "pyproject.toml", "a", encoding="utf-8") as f:
        f.write(mutmut_table(scope, clone))


def stop_endless_mutants(limit_s: float, done: threading.Event) -> None:
    """mutmut names each child process after its mutant ("mutmut: NAME"); stop one that
    runs longer than ``limit_s`` (a mutated loop that never ends)."""
    while not done.wait(5.0):
        out = subprocess.run(["ps", "-eo", "pid=,etimes=,args="], capture_output=True,
                             text=True).stdout
        for line in out.splitlines():
            pid, secs, args = line.strip().split(None, 2)
            if args.startswith("mutmut: ") and int(secs) > limit_s:
                try:
                    os.kill(int(pid), 9)
                except ProcessLookupError:
                    pass


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scope", choices=sorted(SCOPES))
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--max-children", type=int, default=1)
    ap.add_argument("--mutant-seconds", type=float, default=90.0)
    ap.add_argument("--results", action="store_true", help="only list the survivors")
    ap.add_argument("--only", nargs="+", default=[], metavar="PATTERN",
                    help="mutants to run, by name or glob (e.g. 'nncore.data.preprocess.*')")
    args = ap.parse_args(argv)
    clone = args.workdir or Path(f"/tmp/netcanvas-mutation-{args.scope}")
    # Fastest tests first (tests/conftest.py): a mutant a quick test kills stops early.
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen",
               NETCANVAS_FAST_TESTS_FIRST=str(clone / "mutants" / "mutmut-stats.json"))
    mutmut = [sys.executable, "-m", "mutmut"]
    if args.results:
        return subprocess.run([*mutmut, "results"], cwd=clone, env=env).returncode
    prepare_clone(args.scope, clone)
    done = threading.Event()
    watchdog = threading.Thread(target=stop_endless_mutants,
                                args=(args.mutant_seconds, done), daemon=True)
    watchdog.start()
    t0 = time.monotonic()
    try:
        code = subprocess.run([*mutmut, "run", "--max-children", str(args.max_children),
                               *args.only], cwd=clone, env=env).returncode
    finally:
        done.set()
    print(f"\nmutmut ran {time.monotonic() - t0:.0f} s in {clone}; survivors: "
          f"python tools/mutation.py {args.scope} --results")
    return code


if __name__ == "__main__":
    sys.exit(main())
