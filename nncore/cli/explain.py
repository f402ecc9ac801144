"""``netcanvas explain``: which inputs the predictions of a trained network rest on, for the
samples of a file or a split of the project's data (saliency, integrated gradients or
Grad-CAM), written as an ``.npz`` (docs/file-formats.md, "Attributions"). For a split the
file also holds the data-set view: each feature's mean absolute attribution and its
permutation importance."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from nncore.cli.common import EXIT_OK, UsageError, check_output_path, trained_network
from nncore.evaluation import SPLITS
from nncore.explain import BASELINES, METHODS
from nncore.importance import DEFAULT_REPEATS
from nncore.integrated_gradients import DEFAULT_STEPS, DEFAULT_TOLERANCE, MAX_STEPS


def add_parser(commands: Any) -> argparse.ArgumentParser:
    e = commands.add_parser("explain", help="which inputs predictions rest on: saliency, "
                            "integrated gradients or Grad-CAM")
    e.add_argument("project", help="project file (.json)")
    e.add_argument("--weights", required=True, metavar="W.npz")
    source = e.add_mutually_exclusive_group(required=True)
    source.add_argument("--input", metavar="X.csv",
                        help="the samples: CSV (one per row, features in training order; "
                             "an image's pixels flattened), .npy or .npz")
    source.add_argument("--split", choices=SPLITS,
                        help="the samples of this split of the project's data, with the "
                             "data-set view: mean absolute attribution and permutation "
                             "importance")
    e.add_argument("--repeats", type=int, metavar="R",
                   help=f"with --split: shuffles per feature for permutation importance "
                        f"(default {DEFAULT_REPEATS})")
    e.add_argument("--seed", type=int, help="with --split: seed of the shuffles (default 0)")
    e.add_argument("--method", required=True, choices=METHODS)
    e.add_argument("--layer", help="gradcam: the layer (a node with image outputs; "
                                    "default: the last Conv2D)")
    e.add_argument("--steps", type=int, metavar="N",
                   help=f"integrated-gradients: intervals of the path to start with "
                        f"(default {DEFAULT_STEPS})")
    e.add_argument("--tolerance", type=float, metavar="T",
                   help=f"integrated-gradients: halve intervals until the attributions "
                        f"add up to the score's change within this fraction (default "
                        f"{DEFAULT_TOLERANCE}; 0: exactly --steps intervals)")
    e.add_argument("--baseline", choices=BASELINES,
                   help="integrated-gradients: start of the path: a zero input (default), "
                        "the training data's mean, or the input blurred (images)")
    e.add_argument("--target", metavar="CLASS", help="the class to explain (a name or "
                   "index; for regression the output unit); default: the predicted class")
    e.add_argument("--score", choices=("logit", "probability"), default="logit",
                   help="explain the class's logit (default) or its probability")
    e.add_argument("--output", required=True, metavar="A.npz")
    return e


def run(args: argparse.Namespace) -> int:
    from nncore.attribution import attribution_bytes
    from nncore.explain import attribute, make_baseline
    from nncore.fileio import atomic_write_bytes

    _check_usage(args)
    check_output_path(args.output, "--output", ("project file", args.project),
                      ("--weights", args.weights), ("--input", args.input))
    project, net, weights = trained_network(args)
    norm = weights.normalizer()
    data = _project_data(args, project) if args.split or args.baseline == "mean" else None
    if args.split:
        x, raw, labels = _split_samples(data, args.split, net)
    else:
        raw = read_samples(args.input, net.input_shape)
        x, labels = (norm.transform(raw) if norm is not None else raw), None
    target = parse_target(args.target, weights.class_names)
    base = None
    if args.method == "integrated-gradients":
        base = make_baseline(args.baseline or "zeros", x, norm,
                             data.train.X.mean(axis=0) if data is not None else None)
    result = attribute(net, x, args.method, target=target, score=args.score,
                       baseline=base, steps=args.steps or DEFAULT_STEPS,
                       tolerance=DEFAULT_TOLERANCE if args.tolerance is None
                       else args.tolerance, layer=args.layer)
    meta: dict[str, Any] = {"project": project.name}
    base_raw = None
    if base is not None:
        meta["baseline"] = args.baseline or "zeros"
        base_raw = norm.inverse_transform(base.astype(np.float32)) if norm else base
    extra = None
    if args.split:
        meta["split"] = args.split
        extra = _data_set_view(args, project, net, x, labels, result, data, meta)
    atomic_write_bytes(args.output, attribution_bytes(
        result, raw, weights.class_names, base_raw, meta, extra))
    report(result, weights.class_names, args.output)
    return EXIT_OK


def _project_data(args: argparse.Namespace, project: Any) -> Any:
    from pathlib import Path

    from nncore.cli.common import InProject
    from nncore.run import prepare_data

    with InProject(args.project):
        return prepare_data(project.data, Path(args.project).resolve().parent)


def _split_samples(data: Any, split: str, net: Any) -> tuple[Any, Any, Any]:
    """(network inputs, the same in the data's units, targets) of a split."""
    from nncore.errors import DataError

    ds = getattr(data, split)
    if ds is None or len(ds.y) == 0:
        raise DataError(f"the project's data has no {split} split")
    if ds.inputs is not None:
        raise DataError("attributions explain networks with one numeric Input; this data "
                        f"feeds {len(ds.inputs)} ({', '.join(ds.inputs)})")
    raw = data.normalizer.inverse_transform(ds.X) if data.normalizer.fitted else ds.X
    return ds.X, raw, ds.y


def _data_set_view(args: argparse.Namespace, project: Any, net: Any, x: Any, labels: Any,
                   result: Any, data: Any, meta: dict[str, Any]) -> dict[str, Any]:
    """Mean absolute attribution and permutation importance, as arrays of the file."""
    from nncore.importance import mean_abs_attribution, permutation_importance

    names = data.dataset.feature_names if x.ndim == 2 else None
    imp = permutation_importance(net, x, labels, project.training.loss,
                                 project.training.loss_params,
                                 args.repeats or DEFAULT_REPEATS, args.seed or 0, names)
    meta.update(metric=imp.metric, repeats=imp.repeats, loss=imp.loss,
                metric_value=imp.metric_value)
    order = np.argsort(-imp.loss_increase)[:10]
    print(f"permutation importance on the {args.split} split (loss {imp.loss:.4g}, "
          f"{imp.metric} {imp.metric_value:.4g}; loss increase when shuffled):")
    for j in order:
        print(f"  {imp.features[j]}: {imp.loss_increase[j]:+.4g} "
              f"(+/- {imp.loss_increase_std[j]:.2g}), {imp.metric} "
              f"{-imp.metric_drop[j]:+.4g}")
    return {"labels": np.asarray(labels), "mean_abs_attribution": mean_abs_attribution(result),
            "permutation_features": np.array(imp.features, dtype=str),
            "permutation_loss_increase": imp.loss_increase,
            "permutation_loss_increase_std": imp.loss_increase_std,
            "permutation_metric_drop": imp.metric_drop,
            "permutation_metric_drop_std": imp.metric_drop_std}


def _check_usage(args: argparse.Namespace) -> None:
    ig = args.method == "integrated-gradients"
    for option, value, ok in (("--layer", args.layer, args.method == "gradcam"),
                              ("--steps", args.steps, ig), ("--tolerance", args.tolerance, ig),
                              ("--baseline", args.baseline, ig)):
        if value is not None and not ok:
            raise UsageError(f"{option} does not apply to --method {args.method}")
    for option, value in (("--repeats", args.repeats), ("--seed", args.seed)):
        if value is not None and not args.split:
            raise UsageError(f"{option} needs --split (it is for permutation importance)")
    if args.repeats is not None and not 1 <= args.repeats <= 1000:
        raise UsageError(f"--repeats must be from 1 to 1,000, got {args.repeats}")
    if args.steps is not None and not 1 <= args.steps <= MAX_STEPS:
        raise UsageError(f"--steps must be an integer from 1 to {MAX_STEPS:,}, got "
                         f"{args.steps}")
    if args.tolerance is not None and not 0 <= args.tolerance < 1:
        raise UsageError(f"--tolerance must be from 0 to below 1, got {args.tolerance}")


def read_samples(path: str, want: tuple[int, ...]) -> np.ndarray:
    """The samples in ``path``, flat rows reshaped to the Input's shape; raises DataError
    for a wrong width or a missing value."""
    from nncore.data import load_array
    from nncore.errors import DataError

    x = load_array(path)
    if x.ndim == 2 and len(want) > 1 and x.shape[1] == int(np.prod(want)):
        x = x.reshape(len(x), *want)
    if tuple(x.shape[1:]) != tuple(want):
        raise DataError(f"{path}: each sample must have shape {want} ({int(np.prod(want))} "
                        f"value(s) per row), got {x.shape[1:]}")
    if len(x) == 0:
        raise DataError(f"{path}: there are no samples")
    if not np.isfinite(x).all():
        bad = np.argwhere(~np.isfinite(x.reshape(len(x), -1)))[0]
        raise DataError(f"{path}: row {bad[0] + 1} has a missing or non-numeric value")
    return x


def parse_target(text: str | None, class_names: list[str] | None) -> int | None:
    """``--target``: a class name of the weights file, or an index."""
    if text is None:
        return None
    if class_names and text in class_names:
        return class_names.index(text)
    try:
        return int(text)
    except ValueError:
        names = f" (classes: {', '.join(class_names)})" if class_names else ""
        raise UsageError(f"--target: {text!r} is neither a class name nor an index"
                         f"{names}") from None


def report(result: Any, class_names: list[str] | None, output: str) -> None:
    """One line per sample (the first 10): the explained target and its score."""
    for i, (t, s) in enumerate(zip(result.targets[:10], result.scores[:10])):
        name = class_names[t] if class_names and t < len(class_names) else str(t)
        line = f"sample {i + 1}: target {name}, {result.score} {s:.4g}"
        if result.baseline_scores is not None:
            err = result.completeness_error[i]
            line += (f", baseline {result.baseline_scores[i]:.4g}, attributions add up "
                     f"to within {abs(err):.2g} ({result.steps[i]} intervals)")
        print(line)
    if len(result.targets) > 10:
        print(f"... {len(result.targets) - 10} more")
    print(f"{len(result.targets)} attributions written to {output}")
