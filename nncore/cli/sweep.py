"""``netcanvas sweep``: train a project once per combination of settings (a grid, or random
combinations of it) and write one CSV row per run: the settings, how the run ended, the
final and best losses and metrics, and the time. Ctrl+C stops the current run after its
batch and writes the rows so far; a second Ctrl+C aborts (the rows so far are written)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from nncore.cli.common import EXIT_OK, InProject, UsageError, check_output_path


def add_parser(commands: Any) -> argparse.ArgumentParser:
    s = commands.add_parser("sweep", help="train once per combination of settings and "
                            "tabulate the results")
    s.add_argument("project", help="project file (.json)")
    s.add_argument("--set", action="append", required=True, metavar="PATH=V1,V2,...",
                   dest="sets",
                   help="a setting by its path in the project file and the values it takes, "
                        "e.g. training.learning_rate=0.001,0.01 or "
                        "network.nodes.dense1.params.units=8,32 (repeat for more settings)")
    s.add_argument("--random", type=int, metavar="K",
                   help="run K combinations drawn at random from the grid (default: all)")
    s.add_argument("--epochs", type=int, help="override every run's number of epochs")
    s.add_argument("--seed", type=int, help="override every run's seed (and draw the "
                   "random combinations with it)")
    s.add_argument("--out", required=True, metavar="RESULTS.csv")
    s.add_argument("--quiet", action="store_true", help="no line per run")
    return s


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from nncore.cli.common import load_project_file
    from nncore.sweep import SweepError, parse_set, plan

    project, base = load_project_file(args.project)
    _check_usage(args)
    check_output_path(args.out, "--out", ("project file", args.project))
    try:
        axes = [parse_set(text) for text in args.sets]
        combos = plan(project, axes, args.random, args.seed or 0)
    except SweepError as e:
        raise UsageError(f"--set {e}") from None
    paths = [a.path for a in axes]
    if not args.quiet:
        print(f"{len(combos)} run{'s' if len(combos) != 1 else ''} of "
              f"{Path(args.project).name}", file=sys.stderr)
    rows = _run(args, project, base, combos)
    _write(args.out, rows, paths)
    print(f"{len(rows)} of {len(combos)} runs written to {args.out}")
    return EXIT_OK


def _check_usage(args: argparse.Namespace) -> None:
    if args.epochs is not None and args.epochs < 1:
        raise UsageError(f"--epochs must be at least 1, got {args.epochs}")
    if args.seed is not None and not 0 <= args.seed < 2**32:
        raise UsageError(f"--seed must be between 0 and 2^32-1, got {args.seed}")
    if args.random is not None and args.random < 1:
        raise UsageError(f"--random must be at least 1, got {args.random}")


def _run(args: argparse.Namespace, project: Any, base: Any, combos: list) -> list:
    """The sweep's rows; Ctrl+C stops it after the current batch. Rows of a sweep
    aborted by a second Ctrl+C are written before the abort goes on."""
    from nncore.cli.train import _CtrlCStops
    from nncore.events import RunControl
    from nncore.sweep import run_sweep

    control = RunControl()
    ctrl_c = _CtrlCStops(control)
    rows: list = []

    def on_run(i: int, combo: dict) -> None:
        if not args.quiet:
            shown = ", ".join(f"{p.rsplit('.', 1)[-1]}={v}" for p, v in combo.items())
            print(f"run {i}/{len(combos)}: {shown}", file=sys.stderr, flush=True)

    def on_row(row: Any) -> None:
        rows.append(row)
        if not args.quiet:
            print(f"  {_summary(row)}", file=sys.stderr, flush=True)

    ctrl_c.install()
    try:
        with InProject(args.project):
            run_sweep(project, combos, base, epochs=args.epochs, seed=args.seed,
                      control=control, on_run=on_run, on_row=on_row)
    except KeyboardInterrupt:
        _write(args.out, rows, list(combos[0]))
        raise
    finally:
        ctrl_c.restore()
    return rows


def _summary(row: Any) -> str:
    values = ", ".join(f"{k} {v:.4g}" for k, v in row.final.items() if v is not None)
    end = row.message if row.status in ("error", "diverged") else values
    return f"{row.status} after {row.epochs} epochs ({row.seconds:.1f}s): {end}"


def _write(path: str, rows: list, paths: list[str]) -> None:
    from nncore.fileio import atomic_write_text
    from nncore.sweep import rows_csv

    atomic_write_text(path, rows_csv(rows, paths))
