"""``netcanvas summary``: the layers, output shapes and parameter counts of a project's
network, as a table on stdout."""

from __future__ import annotations

import argparse
from typing import Any

from nncore.cli.common import EXIT_OK, UsageError, load_project_file


def add_parser(commands: Any) -> argparse.ArgumentParser:
    s = commands.add_parser("summary",
                            help="print the layers, output shapes and parameter counts")
    s.add_argument("project")
    return s


def run(args: argparse.Namespace) -> int:
    from nncore.graph import analyze
    from nncore.memory import estimate_training_memory

    project, _ = load_project_file(args.project)
    a = analyze(project.graph)
    if a.errors:
        raise UsageError(f"{args.project}: the network is not valid:\n  "
                         + "\n  ".join(str(e) for e in a.errors))
    rows = [("Layer", "Type", "Output shape", "Params")]
    for n in a.order:
        shape = str(tuple(a.shapes[n]))
        rows.append((n, a.layers[n].type_name, shape, f"{a.params[n][1]:,}"))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    line = "-" * (sum(widths) + 6)
    print(f"Model: {project.name}")
    print(line)
    for j, r in enumerate(rows):
        print(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  "
              f"{r[3]:>{widths[3]}}")
        if j == 0:
            print(line)
    print(line)
    print(f"Total params: {a.total_params:,}")
    print(f"Trainable params: {a.trainable_params:,}")
    print(f"Non-trainable params: {a.total_params - a.trainable_params:,}")
    memory = estimate_training_memory(a, project.training)
    print(f"Training memory (estimate, without the data): {memory.describe()}")
    return EXIT_OK
