"""The models under the window never import Qt or pyqtgraph: checked in a fresh
interpreter (the import-linter contract in pyproject.toml checks the source too)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import app.models

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {"PySide6", "shiboken6", "pyqtgraph"}


def test_models_import_no_qt_in_a_fresh_interpreter():
    names = [f"app.models.{m.name}" for m in pkgutil.iter_modules(app.models.__path__)]
    assert {"app.models.history", "app.models.runs", "app.models.buffers"} <= set(names)
    code = "import sys\n" + "".join(f"import {n}\n" for n in names) + \
        "print(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    loaded = {m.split(".")[0] for m in out.stdout.split()}
    assert not loaded & FORBIDDEN, loaded & FORBIDDEN
