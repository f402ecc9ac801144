"""``netcanvas lessons``: the lessons, one a line: its name, then its title."""

from __future__ import annotations

import argparse
from typing import Any

from nncore.cli.common import EXIT_OK


def add_parser(commands: Any) -> argparse.ArgumentParser:
    return commands.add_parser("lessons", help="list the lessons (name and title)")


def run(args: argparse.Namespace) -> int:
    from nncore.lessons import LESSONS

    width = max(len(item.name) for item in LESSONS)
    for item in LESSONS:
        print(f"{item.name:<{width}}  {item.title}")
    return EXIT_OK
