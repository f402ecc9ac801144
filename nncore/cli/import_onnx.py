"""``netcanvas import MODEL.onnx --out PROJECT.json [--weights-out W.npz]``: an ONNX model
onto the canvas (:func:`nncore.onnx_import.import_onnx`): a project file whose network has
the model's layers, placed by the automatic layout, and a weights file with its
initializers. Exit code 1 when the model holds operators NetCanvas has no layer for (the
message lists them with their node names; nothing is written), 2 for bad usage or a file
that is not an ONNX model. The module is not named ``import`` (a Python keyword): the
command's name is :data:`NAME`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from nncore.cli.common import EXIT_FAILED, EXIT_OK, check_output_path

NAME = "import"


def add_parser(commands: Any) -> argparse.ArgumentParser:
    p = commands.add_parser(NAME, help="import an ONNX model as a project and its weights")
    p.add_argument("model", metavar="MODEL.onnx")
    p.add_argument("--out", required=True, metavar="PROJECT.json",
                   help="the project file to write")
    p.add_argument("--weights-out", metavar="W.npz",
                   help="the weights file to write (default: PROJECT.npz beside it)")
    return p


def run(args: argparse.Namespace) -> int:
    import sys

    from nncore.onnx_import import UnsupportedModelError, import_onnx

    model = ("model", args.model)
    check_output_path(args.out, "--out", model)  # first: "" or "." has no suffix to change
    weights_out = args.weights_out or str(Path(args.out).with_suffix(".npz"))
    check_output_path(weights_out, "--weights-out", model, ("--out", args.out))
    try:
        imported = import_onnx(args.model)
    except UnsupportedModelError as e:
        print(f"netcanvas: error: {e}", file=sys.stderr)
        return EXIT_FAILED
    imported.save(args.out, weights_out)
    graph = imported.project.graph
    print(f"project written to {args.out} ({len(graph.nodes)} nodes, "
          f"{imported.network.total_params:,} weights in {weights_out})")
    return EXIT_OK
