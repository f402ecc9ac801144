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
    """Every engine module, imported in a fresh interpreter, loads no Qt and no GUI."""
    names = sorted("nncore." + ".".join(p.relative_to(ROOT / "nncore").with_suffix("").parts)
                   for p in (ROOT / "nncore").rglob("*.py")
                   if p.name not in ("__init__.py", "__main__.py"))
    assert len(names) > 40 and "nncore.fit_loop" in names
    loaded = _modules_after("import importlib\n" + "".join(
        f"importlib.import_module({n!r})\n" for n in ["nncore", *names]))
    assert not loaded & set(FORBIDDEN), loaded & set(FORBIDDEN)


def test_import_linter_contract_holds():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe, "import-linter is part of the test extra"
    out = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
