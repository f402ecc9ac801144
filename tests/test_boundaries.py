"""The dependency arrow app -> nncore, enforced by tools."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("PySide6", "shiboken6", "pyqtgraph", "app")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print(' '.join(sys.modules))"],
        cwd=ROOT, capture_output=True, text=True, check=True)
    return {m.split(".")[0] for m in out.stdout.split()}


def test_nncore_imports_no_qt_in_a_fresh_interpreter():
    code = "import nncore, nncore.trainer, nncore.network, nncore.registry, nncore.layers"
    for extra in ("nncore.cli", "nncore.io", "nncore.data", "nncore.export"):
        if (ROOT / extra.replace(".", "/")).with_suffix(".py").exists() or (
                ROOT / extra.replace(".", "/")).is_dir():
            code += f", {extra}"
    loaded = _modules_after(code)
    assert not loaded & set(FORBIDDEN), loaded & set(FORBIDDEN)


def test_import_linter_contract_holds():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe, "import-linter is part of the test extra"
    out = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
