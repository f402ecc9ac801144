"""``netcanvas lr-find``: the learning-rate range test (:mod:`nncore.lr_finder`) on a
project's network and training data; prints the suggested rate, optionally writes the
curve as CSV and as a PNG plot. The project's network and settings are not changed.

Exit codes: 0 a rate is suggested; 1 the curve gives none (the sweep stopped too early:
the loss was not finite or exploded within a few steps; the CSV and plot are written all
the same, they show why); 2 bad usage or input.
"""

from __future__ import annotations

import argparse
import math
from typing import Any

from nncore.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    InProject,
    UsageError,
    check_output_path,
    load_project_file,
)

STOP_REASONS = {
    "end": "every step made",
    "diverged": "stopped when the smoothed loss exceeded {factor:g} times its minimum",
    "not finite": "stopped when the loss or a gradient was no longer finite",
}


def add_parser(commands: Any) -> argparse.ArgumentParser:
    from nncore.lr_finder import DEFAULT_END, DEFAULT_RULE, DEFAULT_START, DEFAULT_STEPS, RULES

    f = commands.add_parser("lr-find", help="learning-rate range test: sweep the rate, print "
                            "a suggested one, plot the loss against it")
    f.add_argument("project", help="project file (.json)")
    f.add_argument("--out", metavar="CSV", help="write the curve: step, rate, loss, smoothed "
                   "loss")
    f.add_argument("--plot", metavar="PNG", help="draw the curve with the suggestion marked")
    f.add_argument("--start", type=float, default=DEFAULT_START, metavar="R",
                   help=f"first learning rate (default {DEFAULT_START:g})")
    f.add_argument("--end", type=float, default=DEFAULT_END, metavar="R",
                   help=f"last learning rate (default {DEFAULT_END:g})")
    f.add_argument("--steps", type=int, default=DEFAULT_STEPS, metavar="N",
                   help=f"training steps of the sweep (default {DEFAULT_STEPS})")
    f.add_argument("--rule", choices=list(RULES), default=DEFAULT_RULE,
                   help=f"how the rate is read off the curve (default {DEFAULT_RULE})")
    return f


def run(args: argparse.Namespace) -> int:
    from nncore.errors import ParameterError
    from nncore.lr_finder import lr_range_test, rates_for
    from nncore.run import build_network, check_run, check_run_memory, prepare_data

    project, base = load_project_file(args.project)
    try:
        rates_for(args.start, args.end, args.steps)
    except ParameterError as e:
        raise UsageError(f"--start, --end, --steps: {e}") from None
    project_file = ("project file", args.project)
    check_output_path(args.out, "--out", project_file)
    check_output_path(args.plot, "--plot", project_file, ("--out", args.out))
    config = project.training
    with InProject(args.project):
        data = prepare_data(project.data, base)
        check_run_memory(project, config, data)
        net = build_network(project)
        run_data = check_run(net, data, config)
    result = lr_range_test(net, config, run_data.x, run_data.y, start=args.start,
                           end=args.end, steps=args.steps, rule=args.rule)
    _write(args, project.name, result)
    return _report(args, result, config.learning_rate)


def _write(args: argparse.Namespace, name: str, result: Any) -> None:
    from nncore.fileio import OutputSet
    from nncore.lr_finder import range_test_png

    with OutputSet() as out:
        if args.out:
            out.add_text(args.out, result.csv())
        if args.plot:
            out.add_bytes(args.plot, range_test_png(result, f"Learning-rate range test: "
                                                            f"{name}"))
        out.commit()


def _report(args: argparse.Namespace, result: Any, own: float) -> int:
    from nncore.lr_finder import STOP_FACTOR

    n = len(result.rates)
    last = f"{result.rates[-1]:.3g}" if n else f"{args.start:g}"
    how = STOP_REASONS[result.stop_reason].format(factor=STOP_FACTOR)
    print(f"swept {n} of {args.steps} steps from {args.start:g} to {last} ({how})")
    if n and math.isfinite(result.minimum_rate):
        print(f"lowest smoothed loss {min(result.smoothed):.4g} at rate "
              f"{result.minimum_rate:.3g}")
    for option, path in (("curve", args.out), ("plot", args.plot)):
        if path:
            print(f"{option} written to {path}")
    if result.suggestion is None:
        print(f"no rate to suggest: the sweep stopped after {n} steps, too few to read the "
              "curve; try a lower --start or more --steps")
        return EXIT_FAILED
    print(f"suggested learning rate: {result.suggestion:.3g} ({result.rule}; the project "
          f"uses {own:g})")
    return EXIT_OK
