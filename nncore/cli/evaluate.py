"""``netcanvas evaluate``: loss and metrics of trained weights on a split of the project's
data, without training: for classification a confusion matrix and per-class precision,
recall, F1 and support; for regression RMSE, MAE and R² in the targets' units."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from nncore.cli.common import EXIT_OK, InProject, check_output_path, trained_network
from nncore.evaluation import SPLITS


def add_parser(commands: Any) -> argparse.ArgumentParser:
    e = commands.add_parser("evaluate", help="loss, metrics and per-class scores of trained "
                            "weights on a split of the project's data")
    e.add_argument("project", help="project file (.json)")
    e.add_argument("--weights", required=True, metavar="W.npz")
    e.add_argument("--split", choices=SPLITS, default="val",
                   help="which split of the project's data (default: val)")
    e.add_argument("--output", metavar="R.json", help="also write the results as JSON")
    return e


def run(args: argparse.Namespace) -> int:
    from nncore.evaluation import evaluate_split
    from nncore.fileio import atomic_write_text
    from nncore.run import prepare_data

    check_output_path(args.output, "--output", ("project file", args.project),
                      ("--weights", args.weights))
    project, net, weights = trained_network(args)
    with InProject(args.project):
        data = prepare_data(project.data, Path(args.project).resolve().parent)
        result = evaluate_split(net, data, project.training.loss, args.split,
                                project.training.loss_params)
    saved = weights.normalizer()
    if saved is not None and not _same_statistics(saved, data.normalizer):
        print("netcanvas: note: the data's normalization statistics differ from those "
              f"saved in {args.weights}; has the data changed since training?",
              file=sys.stderr)
    print(report(result))
    if args.output:
        atomic_write_text(args.output, json.dumps(result.to_dict(), indent=1) + "\n")
        print(f"results written to {args.output}")
    return EXIT_OK


def _same_statistics(a: Any, b: Any) -> bool:
    sa, sb = a.state_arrays(), b.state_arrays()
    return a.mode == b.mode and sa.keys() == sb.keys() and all(
        np.allclose(np.asarray(sa[k], np.float64), np.asarray(sb[k], np.float64),
                    rtol=1e-6, atol=1e-9) for k in sa)


def report(result: Any) -> str:
    """The results as text: metrics, then the confusion matrix and the per-class table."""
    lines = [f"{result.split}: {result.n} samples, loss {result.loss:.4f}, "
             + ", ".join(f"{k} {v:.4f}" for k, v in result.metrics.items())]
    if result.confusion is None:
        return "\n".join(lines)
    names = result.class_names
    width = max(8, *(len(n) + 1 for n in names))
    lines += ["", "confusion matrix (rows: true class, columns: predicted)",
              " " * width + "".join(f"{n:>{width}}" for n in names)]
    for name, row in zip(names, result.confusion):
        lines.append(f"{name:>{width}}" + "".join(f"{v:>{width}}" for v in row))
    lines += ["", f"{'class':>{width}} {'precision':>10} {'recall':>10} {'f1':>10} "
              f"{'support':>8}"]
    for c in result.per_class:
        lines.append(f"{c.name:>{width}} {c.precision:>10.4f} {c.recall:>10.4f} "
                     f"{c.f1:>10.4f} {c.support:>8}")
    for label, avg in (("macro", result.macro), ("weighted", result.weighted)):
        lines.append(f"{label:>{width}} {avg['precision']:>10.4f} {avg['recall']:>10.4f} "
                     f"{avg['f1']:>10.4f} {result.n:>8}")
    return "\n".join(lines)
