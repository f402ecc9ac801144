"""Cold start of the window: from launching a fresh Python process to the main window shown
with the spiral example loaded. Median of several runs, each in a new subprocess.

    .venv/bin/python benchmarks/bench_startup.py [--runs 7]

Target: median <= 1.5 s. Without a display the Qt "offscreen" platform is used. Each run
gets empty, private settings and data folders, so nothing of the person's is read or
written.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 1.5

CHILD = r"""
import time
t0 = time.perf_counter()
import os, json
from app.launcher import create_application
app = create_application([])
t_app = time.perf_counter()
from app.mainwindow import MainWindow
t_import = time.perf_counter()
w = MainWindow()
t_built = time.perf_counter()
w.show()
while not (w.windowHandle() is not None and w.windowHandle().isExposed()):
    app.processEvents()
app.processEvents()
t_shown = time.perf_counter()
assert w.document.project.name.lower() == "spiral" and len(w.scene.nodes) == 4
print(json.dumps({"qapp": t_app - t0, "imports": t_import - t_app, "build": t_built - t_import,
                  "show": t_shown - t_built, "in_process": t_shown - t0}), flush=True)
os._exit(0)
"""


def one_run(env: dict[str, str]) -> dict[str, float]:
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", CHILD], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    wall = time.perf_counter() - start
    proc.wait(timeout=60)
    if proc.returncode != 0 or not line.strip():
        raise SystemExit(f"start-up run failed:\n{proc.stderr.read()}")
    out = json.loads(line)
    out["wall"] = wall
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        env["XDG_CONFIG_HOME"] = str(Path(tmp) / "config")
        env["XDG_DATA_HOME"] = str(Path(tmp) / "data")
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
            env.setdefault("QT_QPA_PLATFORM", "offscreen")
        runs = [one_run(env) for _ in range(args.runs)]
    walls = [r["wall"] for r in runs]
    med = statistics.median(walls)
    print(f"NetCanvas cold start, {args.runs} fresh processes "
          f"(platform: {env.get('QT_QPA_PLATFORM', 'native')})")
    print("  wall time to window shown: " + ", ".join(f"{w:.3f}" for w in walls) + " s")
    print(f"  median {med:.3f} s, min {min(walls):.3f} s, max {max(walls):.3f} s "
          f"(target <= {TARGET_S} s: {'OK' if med <= TARGET_S else 'MISSED'})")
    for key, label in (("qapp", "imports + QApplication"), ("imports", "window modules"),
                       ("build", "build window + load example"), ("show", "show")):
        print(f"  median {label:30s} {statistics.median(r[key] for r in runs):.3f} s")
    interp = statistics.median(r["wall"] - r["in_process"] for r in runs)
    print(f"  median {'interpreter start-up':30s} {interp:.3f} s")
    return 0 if med <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
