"""The headless command line: ``netcanvas COMMAND``, one module per command (:data:`COMMANDS`).

Exit codes: 0 success (also when training is stopped with Ctrl+C: the epochs so far are
saved); 2 bad usage or bad input (one clear message, no traceback); 1 a finding the command
defines (a training failure such as divergence, lint warnings, a failed gradient check, a
lesson claim that does not hold); 130 aborted by a second Ctrl+C. A failed run writes
nothing: output files keep their old contents. Never imports Qt.

Each command is a module with ``add_parser(commands)`` and ``run(args) -> exit code``;
:mod:`nncore.cli.common` and :mod:`nncore.cli.progress` hold what they share. A new command
is a new module added to :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys

from nncore.cli import (
    data,
    evaluate,
    explain,
    export,
    gradcheck,
    import_onnx,
    lesson,
    lessons,
    lint,
    lr_find,
    predict,
    summary,
    sweep,
    trace,
    train,
)
from nncore.cli.common import EXIT_ABORTED, EXIT_FAILED, EXIT_OK, EXIT_USAGE
from nncore.errors import NetCanvasError, TrainingError

#: The commands, in the order ``--help`` lists them.
COMMANDS = (train, summary, export, predict, evaluate, data, import_onnx, lint, gradcheck,
            lr_find, trace, explain, sweep, lessons, lesson)
#: Their names: a module's explicit NAME, or its name with "_" written "-".
COMMAND_NAMES = tuple(getattr(m, "NAME", m.__name__.rsplit(".", 1)[1].replace("_", "-"))
                      for m in COMMANDS)


def build_parser() -> argparse.ArgumentParser:
    """The ``netcanvas`` parser: each command adds its own sub-parser."""
    from nncore import __version__

    p = argparse.ArgumentParser(
        prog="netcanvas",
        description="NetCanvas: build, train and understand neural networks. With no "
                    "command (or a project path) it opens the window; these commands run "
                    "headless.")
    p.add_argument("--version", action="version", version=f"netcanvas {__version__}")
    commands = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(commands).set_defaults(run=command.run)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns its exit code (errors are printed, never raised)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if any("\x00" in a for a in argv):  # no file name holds one; os calls would raise
        _err("an argument contains a NUL character")
        return EXIT_USAGE
    if argv and not argv[0].startswith("-") and argv[0] not in COMMAND_NAMES:
        _err(unknown_command(argv[0]))
        return EXIT_USAGE
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse: --help/--version (0) or bad usage (2)
        return int(e.code or 0)
    try:
        return args.run(args)
    except BrokenPipeError:  # the reader (``| head``) stopped reading: not an error
        _silence_stdout()
        return EXIT_OK
    except TrainingError as e:
        _err(str(e))
        return EXIT_FAILED
    except NetCanvasError as e:
        _err(str(e))
        return EXIT_USAGE
    except OSError as e:
        _err(f"{e.filename or ''}: {e.strerror or e}".lstrip(": "))
        return EXIT_USAGE
    except MemoryError:
        _err("not enough memory for this network or data set; make it smaller")
        return EXIT_USAGE
    except KeyboardInterrupt:
        _err("aborted by Ctrl+C")
        return EXIT_ABORTED


def unknown_command(word: str) -> str:
    """The message for ``netcanvas WORD ...`` when WORD is no command: the commands, a
    close match if there is one, and how to open a project in the window instead."""
    close = difflib.get_close_matches(word, COMMAND_NAMES, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return (f"unknown command {word!r}{hint}; the commands are {', '.join(COMMAND_NAMES)} "
            "(netcanvas COMMAND --help tells more); to open a project in the window, give "
            "its file alone: netcanvas PROJECT.json")


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that flushing it at exit does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout is no file (an in-memory stream)
        pass


def _err(msg: str) -> None:
    print(f"netcanvas: error: {msg}", file=sys.stderr)
