"""``netcanvas trace``: one sample of a project's data through a trained network, forward
and backward, with every layer's values, gradients, formulas and the update one training
step on it would make (:func:`nncore.trace.trace_sample`), written as JSON."""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nncore.cli.common import (
    EXIT_OK,
    InProject,
    UsageError,
    check_output_path,
    load_project_file,
    trained_network,
)

if TYPE_CHECKING:
    from nncore.data import Dataset
    from nncore.network import Network
    from nncore.project import Project
    from nncore.run import PreparedData
    from nncore.weights import WeightsFile

#: Version of the trace file format (``docs/file-formats.md``).
TRACE_FORMAT, TRACE_VERSION = "netcanvas-trace", 1
SPLITS = ("train", "val", "test")
#: An innermost JSON list holding no text and no object.
_NUMBER_LIST = re.compile(r"\[[^\[\]{}\"]*\]")


def add_parser(commands: Any) -> argparse.ArgumentParser:
    t = commands.add_parser("trace", help="one sample through the network and back: every "
                            "layer's values, gradients, formulas and update, as JSON")
    t.add_argument("project", help="project file (.json)")
    t.add_argument("--weights", required=True, metavar="W.npz", help="trained weights")
    t.add_argument("--sample", required=True, type=int, metavar="I",
                   help="index of the sample in the split (from 0)")
    t.add_argument("--split", choices=SPLITS, default="train",
                   help="which split the sample is taken from (default: train)")
    t.add_argument("--output", required=True, metavar="TRACE.json", help="where to write")
    return t


def run(args: argparse.Namespace) -> int:
    from nncore.fileio import atomic_write_text
    from nncore.run import check_run
    from nncore.schedules import LearningRateSchedule
    from nncore.trace import trace_sample

    check_output_path(args.output, "--output", ("project file", args.project),
                      ("--weights", args.weights))
    project, net, weights = trained_network(args)
    _, base = load_project_file(args.project)
    with InProject(args.project):
        data, part = _prepared(project, base, args.split, weights)
        feed, target = _one(net, part, args.sample, args.split)
        trainer = check_run(net, data, project.training).trainer
    n = len(data.train.y)
    steps = math.ceil(n / min(project.training.batch_size, n))
    lr = LearningRateSchedule(project.training, steps).rate(0)
    trace = trace_sample(trainer, feed, target, lr)
    doc = {"format": TRACE_FORMAT, "version": TRACE_VERSION, "project": project.name,
           "sample": _sample_info(part, args.split, args.sample), **trace.to_dict()}
    atomic_write_text(Path(args.output), compact_json(doc))
    _report(trace, args)
    return EXIT_OK


def compact_json(doc: Any) -> str:
    """``doc`` as indented JSON with each innermost list of numbers on one line."""
    text = json.dumps(doc, indent=1, allow_nan=False)
    return _NUMBER_LIST.sub(lambda m: " ".join(m.group().split()).replace("[ ", "[")
                            .replace(" ]", "]"), text) + "\n"


def _prepared(project: Project, base: Path, which: str, weights: WeightsFile
              ) -> tuple[PreparedData, Dataset]:
    """The project's data split as for training, normalized with the statistics saved with
    the weights (those of the run that trained them; fitted again as training does when
    the file has none), and the chosen split."""
    from nncore.data import Normalizer
    from nncore.run import PreparedData, load_dataset, prepare_data

    spec = project.data
    raw = prepare_data(dataclasses.replace(spec, normalization="none"), base,
                       load_dataset(spec, base))
    splits = [raw.train, raw.val, raw.test]
    norm = weights.normalizer() or Normalizer("none")
    if raw.dataset.inputs is None:  # (as training: named inputs are never normalized)
        if norm.mode == "none" and spec.normalization != "none":
            norm = Normalizer(spec.normalization).fit(raw.train.X)
        if norm.mode != "none":
            splits = [None if d is None else norm.apply(d) for d in splits]
    part = splits[SPLITS.index(which)]
    if part is None:
        raise UsageError(f"--split {which}: the project has no {which} split (its "
                         "val_fraction and test_fraction leave none)")
    data = PreparedData(raw.dataset, splits[0], splits[1], splits[2], norm,
                        raw.target_mean, raw.target_std)
    return data, part


def _one(net: Network, part: Dataset, index: int, split: str) -> tuple[Any, Any]:
    from nncore.run import network_inputs

    n = len(part.y)
    if not 0 <= index < n:
        raise UsageError(f"--sample {index}: the {split} split has {n} samples (0 to {n - 1})")
    return network_inputs(net, part.subset([index])), part.y[index:index + 1]


def _sample_info(part: Dataset, split: str, index: int) -> dict[str, Any]:
    from nncore.trace import plain_data

    y = part.y[index]
    info: dict[str, Any] = {"split": split, "index": index, "target": plain_data(y)}
    if part.task == "classification" and part.class_names:
        info["class_name"] = part.class_names[int(y)]
    return info


def _report(trace: Any, args: argparse.Namespace) -> None:
    """A few lines on stdout: the loss, the prediction, and per layer the largest weight
    gradient and weight change."""
    import numpy as np

    prediction = np.array2string(np.asarray(trace.prediction), precision=4, max_line_width=70)
    print(f"sample {args.sample} of the {args.split} split: loss {trace.loss:.6g} "
          f"({trace.loss_name}), prediction {prediction}, target {trace.target}")
    print(f"one step at learning rate {trace.learning_rate:.6g} ({trace.optimizer}):")
    for layer in trace.layers:
        if layer.grad_weights:
            grad = max(float(np.abs(g).max()) for g in layer.grad_weights.values())
            change = max(float(np.abs(u).max()) for u in layer.updates.values())
            print(f"  {layer.node_id} ({layer.type_name}): |dL/dW| up to {grad:.3g}, "
                  f"weights change by up to {change:.3g}")
    print(f"trace of {len(trace.layers)} nodes written to {args.output}")
