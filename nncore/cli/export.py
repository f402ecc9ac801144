"""``netcanvas export``: a project's network with trained weights as an ONNX model or a
standalone NumPy Python script, or the project as a PyTorch training project (a folder)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from nncore.cli.common import EXIT_OK, UsageError, check_output_path, trained_network


def add_parser(commands: Any) -> argparse.ArgumentParser:
    e = commands.add_parser("export", help="export trained weights to ONNX or a Python script, "
                                           "or the project to a PyTorch training project")
    e.add_argument("project")
    e.add_argument("--weights", metavar="W.npz",
                   help="trained weights (needed for --onnx and --python; with --pytorch, "
                        "the weights training starts from)")
    g = e.add_mutually_exclusive_group(required=True)
    g.add_argument("--onnx", metavar="OUT.onnx")
    g.add_argument("--python", metavar="OUT.py")
    g.add_argument("--pytorch", metavar="DIR",
                   help="a folder with model.py, train.py (also under torchrun), data.npz")
    return e


def run(args: argparse.Namespace) -> int:
    from nncore import export

    # "is not None": an empty name is a name given (and refused), not another format.
    if args.pytorch is not None:
        return _pytorch(args)
    onnx = args.onnx is not None
    if not args.weights:
        raise UsageError(f"--{'onnx' if onnx else 'python'} needs --weights W.npz "
                         "(the trained weights to export)")
    check_output_path(args.onnx if onnx else args.python, "--onnx" if onnx else "--python",
                      ("project file", args.project), ("--weights", args.weights))
    project, net, weights = trained_network(args)
    norm = weights.normalizer()
    if onnx:
        export.export_onnx(net, args.onnx, normalizer_state=_norm_state(norm),
                           class_names=weights.class_names, model_name=project.name,
                           target_scaling=_target_scaling(weights))
        print(f"ONNX model written to {args.onnx}")
    else:
        # The script reads its weights from its own folder: copy them there if needed.
        here = Path(args.weights).resolve().parent == Path(args.python).resolve().parent
        copy = Path(args.python).resolve().parent / Path(args.weights).name
        if not here and copy.exists():
            raise UsageError(f"--python: {copy} already exists; the script needs its weights "
                             f"beside it under that name: remove it or export next to "
                             f"{args.weights}")
        export.export_python(net, args.python, weights_filename=Path(args.weights).name,
                             normalizer_state=_norm_state(norm),
                             class_names=weights.class_names,
                             target_scaling=_target_scaling(weights), write_weights=not here)
        print(f"Python script written to {args.python} (it reads {Path(args.weights).name} "
              "from its own folder)")
    return EXIT_OK


def _pytorch(args: argparse.Namespace) -> int:
    """The PyTorch training project of ``args.project`` in the folder ``args.pytorch``."""
    from nncore.cli.common import InProject, load_project_file
    from nncore.export import export_pytorch_project
    from nncore.graph import analyze
    from nncore.weights import read_weights

    if not args.pytorch.strip():
        raise UsageError("--pytorch: the folder name is empty; give one")
    folder = Path(args.pytorch)
    if not folder.resolve().parent.is_dir():
        raise UsageError(f"--pytorch: folder {folder.resolve().parent} does not exist")
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--pytorch: {folder} is a file; give a folder")
    project, base = load_project_file(args.project)
    weights = None
    if args.weights:
        analysis = analyze(project.graph)
        weights = read_weights(args.weights, analysis.weight_shapes() if analysis.ok else None)
    with InProject(args.project, args.weights):
        export_pytorch_project(project, folder, base_dir=base, weights=weights)
    print(f"PyTorch project written to {folder}: python {folder / 'train.py'} --help "
          "(see its README.md)")
    return EXIT_OK


def _target_scaling(weights: Any) -> tuple | None:
    mean, std = weights.meta.get("target_mean"), weights.meta.get("target_std")
    return None if mean is None or std is None else (mean, std)


def _norm_state(norm: Any) -> dict | None:
    return None if norm is None else norm.to_dict()
