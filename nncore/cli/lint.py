"""``netcanvas lint``: meaning-level warnings about a project before it trains
(:func:`nncore.lint.lint`), one line per finding: severity, where, what, why, fix.

Exit codes: 0 no errors or warnings (notes, such as data that could not be loaded, may be
printed), 1 at least one error or warning, 2 a project file that cannot be read."""

from __future__ import annotations

import argparse
from typing import Any

from nncore.cli.common import EXIT_FAILED, EXIT_OK, load_project_file


def add_parser(commands: Any) -> argparse.ArgumentParser:
    p = commands.add_parser("lint", help="warn about mistakes of meaning before training "
                                         "(activation and loss, sizes, settings)")
    p.add_argument("project", help="project file (.json)")
    return p


def run(args: argparse.Namespace) -> int:
    from nncore.lint import lint

    project, base = load_project_file(args.project)
    findings = lint(project, base)
    for f in findings:
        print(f.line())
    if not findings:
        print(f"{args.project}: no findings")
    return EXIT_FAILED if any(f.severity != "note" for f in findings) else EXIT_OK
