"""``netcanvas predict``: predictions of a trained network for the inputs in a CSV, .npy or
.npz file, written as CSV (class and probabilities, or the predicted values)."""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path
from typing import Any

import numpy as np

from nncore.cli.common import EXIT_OK, UsageError, check_output_path, trained_network


def add_parser(commands: Any) -> argparse.ArgumentParser:
    r = commands.add_parser("predict", help="predict with trained weights on new inputs")
    r.add_argument("project")
    r.add_argument("--weights", required=True, metavar="W.npz")
    r.add_argument("--input", required=True, metavar="DATA.csv",
                   help="inputs: CSV (named or positional feature columns), .npy or .npz")
    r.add_argument("--output", required=True, metavar="PRED.csv")
    return r


def run(args: argparse.Namespace) -> int:
    from nncore.losses import LOSSES
    from nncore.project import atomic_write_text

    check_output_path(args.output, "--output", ("project file", args.project),
                      ("--weights", args.weights), ("--input", args.input))
    project, net, weights = trained_network(args)
    if len(net.input_ids) != 1:
        raise UsageError("predict reads one input array; this network has several Inputs")
    x = _read_inputs(args.input, net.input_shape)
    norm = weights.normalizer()
    if norm is not None:
        x = norm.transform(x)
    net.set_fused_output(LOSSES[project.training.loss].fused_activation is not None)
    pred = net.predict(x)
    task = weights.meta.get("task") or project.training.task
    atomic_write_text(Path(args.output), _prediction_csv(pred, task, weights))
    print(f"{len(pred)} predictions written to {args.output}")
    return EXIT_OK


def _read_inputs(path: str, want: tuple[int, ...]) -> np.ndarray:
    """The input array in ``path``, rows reshaped to the Input's shape when they are flat;
    raises DataError for a wrong width or a missing value."""
    from nncore.data import load_array
    from nncore.errors import DataError

    x = load_array(path)
    if x.ndim == 2 and len(want) > 1 and x.shape[1] == int(np.prod(want)):
        x = x.reshape(len(x), *want)
    if tuple(x.shape[1:]) != want:
        raise DataError(f"{path}: each row must have {int(np.prod(want))} feature "
                        f"value(s) for input shape {want}, got {x.shape[1:]}")
    if not np.isfinite(x).all():
        bad = np.argwhere(~np.isfinite(x.reshape(len(x), -1)))[0]
        raise DataError(f"{path}: row {bad[0] + 1} has a missing or non-numeric value")
    return x


def _prediction_csv(pred: np.ndarray, task: str, weights: Any) -> str:
    """Classification: the predicted class and each class's probability; regression: the
    predicted values, scaled back to the targets' units."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if task == "classification":
        if pred.shape[1] == 1:  # one sigmoid unit: P(class 1)
            probs = np.concatenate([1 - pred, pred], axis=1)
        else:
            probs = pred
        names = weights.class_names  # checked against the network (check_outputs)
        if not names or len(names) != probs.shape[1]:  # (one name for one unit: numbers)
            names = [str(i) for i in range(probs.shape[1])]
        w.writerow(["predicted_class"] + [f"p_{n}" for n in names])
        for row in probs:
            w.writerow([names[int(row.argmax())]] + [f"{v:.6g}" for v in row])
    else:
        flat = weights.unscale_targets(pred).reshape(len(pred), -1)
        w.writerow([f"prediction_{i}" for i in range(flat.shape[1])] if flat.shape[1] > 1
                   else ["prediction"])
        for row in flat:
            w.writerow([f"{v:.8g}" for v in row])
    return buf.getvalue()

