"""``netcanvas gradcheck``: back-propagation against float64 central differences
(:func:`nncore.gradcheck.gradcheck`), one table row per layer and array: the entries checked,
the kinks skipped, the largest relative error, where, and the two values.

Exit codes: 0 every relative error within 1e-5, 1 at least one above it, 2 bad usage or
input (a project, data or weights file that cannot be used)."""

from __future__ import annotations

import argparse
from typing import Any

from nncore.cli.common import EXIT_FAILED, EXIT_OK, InProject, UsageError, load_project_file


def add_parser(commands: Any) -> argparse.ArgumentParser:
    g = commands.add_parser("gradcheck", help="check back-propagation against numerical "
                                              "gradients on a few samples")
    g.add_argument("project", help="project file (.json)")
    g.add_argument("--weights", metavar="W.npz",
                   help="check at these weights (default: the project's initial weights)")
    g.add_argument("--samples", type=int, default=8,
                   help="training samples to check on (default 8)")
    g.add_argument("--seed", type=int, default=0,
                   help="picks the samples and the entries of large arrays (default 0)")
    return g


def run(args: argparse.Namespace) -> int:
    from nncore.gradcheck import gradcheck, table
    from nncore.graph import analyze
    from nncore.weights import read_weights

    if args.samples < 1:
        raise UsageError(f"--samples must be at least 1, got {args.samples}")
    if not 0 <= args.seed < 2**32:
        raise UsageError(f"--seed must be between 0 and 2^32-1, got {args.seed}")
    project, base = load_project_file(args.project)
    weights = None
    if args.weights:
        analysis = analyze(project.graph)
        weights = read_weights(args.weights, analysis.weight_shapes() if analysis.ok else None)
    with InProject(args.project, args.weights):
        result = gradcheck(project, base, weights, samples=args.samples, seed=args.seed)
    print(table(result))
    return EXIT_OK if result.passed else EXIT_FAILED
