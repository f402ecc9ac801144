"""``netcanvas lesson NAME [--check]``: a lesson's text and steps; with ``--check``, run its
experiments headless and print the figures each claim rests on (exit 1 if one fails)."""

from __future__ import annotations

import argparse
import textwrap
from typing import Any

from nncore.cli.common import EXIT_FAILED, EXIT_OK


def add_parser(commands: Any) -> argparse.ArgumentParser:
    p = commands.add_parser("lesson", help="show a lesson; --check runs its experiments")
    p.add_argument("name", help="the lesson's name (netcanvas lessons lists them)")
    p.add_argument("--check", action="store_true",
                   help="train each step headless and print the figures its claim rests on")
    return p


def run(args: argparse.Namespace) -> int:
    from nncore.lessons import lesson

    item = lesson(args.name)
    print(f"{item.title}\n")
    print(textwrap.fill(item.text, 92) + "\n")
    if not args.check:
        for i, step in enumerate(item.steps, 1):
            print(f"{i}. {step.title} (watch: {step.watch})")
            print(textwrap.indent(textwrap.fill(step.expect, 88), "   "))
        return EXIT_OK
    failed = 0
    for i, (step, figures) in enumerate(item.check(), 1):
        print(f"{i}. {step.title}")
        for figure in figures:
            print(f"   {figure.line()}")
            failed += not figure.holds
    print(f"\n{'all claims hold' if not failed else f'{failed} claim(s) do not hold'}")
    return EXIT_OK if not failed else EXIT_FAILED
