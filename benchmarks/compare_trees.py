"""Side-by-side benchmark of two source trees (for example the commit before a change and
the change): the same benchmark runs in both, in alternation, round by round, so a change
in the machine's speed hits both sides alike.

    .venv/bin/python benchmarks/compare_trees.py OLD_DIR NEW_DIR --rounds 5 \\
        -- bench_engine.py --only A,B --no-torch --quick

Each tree is a checkout of this repository (``git worktree add /tmp/old <commit>`` makes
one). The benchmark runs with ``PYTHONPATH`` set to the tree, so one virtualenv serves both;
``--script own`` (the default) runs each tree's own copy of the benchmark script (needed when
the benchmark uses an interface that the change renamed), ``--script new`` runs the new
tree's copy against both. The figures are read from the benchmark's report with the
patterns in :data:`PATTERNS`; for each figure the report prints both medians, the median of
the per-round ratios new/old and their range, and says "undecided" when the rounds'
ratios fall on both sides of 1 by more than the tolerance: then the runs do not decide which
side is faster.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

#: Figures read from each benchmark's report: (name, regex with one number group, unit,
#: True when larger is better). A section header line sets the prefix of later names.
PATTERNS: dict[str, dict] = {
    "bench_engine.py": {
        "section": re.compile(r"^([A-D])  \S"),
        "figures": [
            ("raw step", re.compile(r"ours, raw step\s+([\d.]+) ms/step"), "ms/step", False),
            ("Trainer.fit", re.compile(r"ours, Trainer\.fit\s+([\d.]+) ms/step"), "ms/step",
             False),
        ],
    },
    "bench_gui_training.py": {
        "section": re.compile(r"^\n?([AB])\b.*epochs x"),
        "figures": [
            ("headless", re.compile(r"throughput: headless ([\d,.]+) steps/s"), "steps/s",
             True),
            ("in window", re.compile(r"in the window ([\d,.]+) steps/s"), "steps/s", True),
            ("window/headless", re.compile(r"median ratio ([\d.]+)%"), "%", True),
            ("lateness p99", re.compile(r"p99 ([\d.]+) ms"), "ms", False),
        ],
    },
    "bench_cnn.py": {
        "section": re.compile(r"(?!)"),
        "figures": [
            ("ours", re.compile(r"^  ours \(nncore\)\s+([\d.]+) ms/step"), "ms/step", False),
            ("torch", re.compile(r"^  torch\s+([\d.]+) ms/step"), "ms/step", False),
            ("ours/torch", re.compile(r"ratio ours / torch: ([\d.]+)"), "x", False),
        ],
    },
    "bench_lstm.py": {
        "section": re.compile(r"(?!)"),
        "figures": [
            ("ours", re.compile(r"^  ours  raw step\s+([\d.]+) ms/step"), "ms/step", False),
            ("torch", re.compile(r"^  torch raw step\s+([\d.]+) ms/step"), "ms/step", False),
            ("ours/torch", re.compile(r"ratio ours / torch = ([\d.]+)"), "x", False),
        ],
    },
}


def parse(report: str, script: str) -> dict[str, float]:
    spec = PATTERNS[script]
    out: dict[str, float] = {}
    section = ""
    for line in report.splitlines():
        m = spec["section"].match(line)
        if m:
            section = m.group(1)
        for name, rx, _unit, _up in spec["figures"]:
            f = rx.search(line)
            if f:
                out[f"{section} {name}".strip()] = float(f.group(1).replace(",", ""))
    return out


def run_once(tree: Path, script_path: Path, args: list[str], timeout: float) -> str:
    env = dict(os.environ, PYTHONPATH=str(tree))
    res = subprocess.run([sys.executable, str(script_path), *args], cwd=tree, env=env,
                         capture_output=True, text=True, timeout=timeout)
    if res.returncode not in (0, 1):  # 1: a benchmark's FAIL verdict, still a report
        raise RuntimeError(f"{script_path} in {tree} exited {res.returncode}:\n"
                           f"{res.stderr[-2000:]}")
    return res.stdout


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("old", type=Path)
    ap.add_argument("new", type=Path)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--script", choices=("own", "new"), default="own",
                    help="which tree's copy of the benchmark script runs (default: own)")
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds per run")
    ap.add_argument("--tolerance", type=float, default=0.02,
                    help="ratios within 1 +- this count as equal (default 0.02)")
    ap.epilog = "after --: SCRIPT [ARGS...], a script in benchmarks/ and its options"
    argv = sys.argv[1:] if argv is None else argv
    cut = argv.index("--") if "--" in argv else len(argv)
    a = ap.parse_args(argv[:cut])
    bench = argv[cut + 1:]
    if not bench or bench[0] not in PATTERNS:
        ap.error(f"give -- SCRIPT [ARGS], SCRIPT one of {', '.join(PATTERNS)}")
    script, args = bench[0], bench[1:]
    trees = {"old": a.old.resolve(), "new": a.new.resolve()}
    results: dict[str, list[dict[str, float]]] = {"old": [], "new": []}
    t0 = time.time()
    for r in range(a.rounds):
        order = ("old", "new") if r % 2 == 0 else ("new", "old")
        for side in order:
            src = trees[side] if a.script == "own" else trees["new"]
            report = run_once(trees[side], src / "benchmarks" / script, args, a.timeout)
            results[side].append(parse(report, script))
            print(f"[{time.time() - t0:6.0f} s] round {r + 1}/{a.rounds} {side}: "
                  + ", ".join(f"{k} {v:g}" for k, v in results[side][-1].items()),
                  file=sys.stderr, flush=True)
    print(f"{script} {' '.join(args)}: {a.rounds} rounds, old = {trees['old']}, "
          f"new = {trees['new']}, script = {a.script}")
    units = {name: (unit, up) for name, _rx, unit, up in PATTERNS[script]["figures"]}
    names = [k for k in results["new"][0] if all(k in d for d in results["old"] + results["new"])]
    print(f"  {'figure':<24} {'old median':>12} {'new median':>12} {'new/old':>9}  "
          f"{'per-round new/old':<22} verdict")
    for k in names:
        unit, up = units[k.split(" ", 1)[-1]] if " " in k else units[k]
        old = [d[k] for d in results["old"]]
        new = [d[k] for d in results["new"]]
        ratios = [n / o for n, o in zip(new, old) if o]
        med = statistics.median(ratios)
        lo, hi = min(ratios), max(ratios)
        better = (med > 1) == up
        if lo < 1 - a.tolerance and hi > 1 + a.tolerance and abs(med - 1) > a.tolerance:
            verdict = "undecided (rounds disagree)"
        elif abs(med - 1) <= a.tolerance:
            verdict = "same"
        else:
            verdict = "new better" if better else "new worse"
        print(f"  {k:<24} {statistics.median(old):>12.4g} {statistics.median(new):>12.4g} "
              f"{med:>9.3f}  [{lo:.3f} .. {hi:.3f}]{'':<6} {verdict} ({unit}, "
              f"{'higher' if up else 'lower'} is better)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
