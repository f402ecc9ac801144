"""The ``netcanvas`` command: the window, or the command-line tools.

``netcanvas`` opens the window with the spiral example; ``netcanvas PROJECT.json`` opens
that project; ``netcanvas train|summary|export|predict ...`` (and ``-h``/``--help``/
``--version``) run the command-line interface in :mod:`nncore.cli` without importing Qt.
Nothing here imports Qt at module level.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import nncore  # noqa: F401 (first: the engine's BLAS settings apply before NumPy loads)

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from app.mainwindow import MainWindow

CLI_COMMANDS = frozenset({"train", "summary", "export", "predict", "-h", "--help",
                          "--version"})


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in CLI_COMMANDS:
        from nncore.cli import main as cli_main

        sys.exit(cli_main(argv))
    sys.exit(run_gui(argv))


def create_application(argv: list[str]) -> QApplication:
    """The QApplication with NetCanvas' names, style and palette (one per process)."""
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication

    from app import gc_guard
    from app.theme import follow_system_theme

    QCoreApplication.setOrganizationName("NetCanvas")
    QCoreApplication.setApplicationName("NetCanvas")
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "netcanvas",
                                                   *argv])
    app.setApplicationDisplayName("NetCanvas")
    follow_system_theme(app)
    gc_guard.install(app)
    return app


def project_argument(args: list[str]) -> Path | None:
    """The project file named on the command line (the first argument not an option)."""
    for a in args:
        if not a.startswith("-"):
            return Path(a)
    return None


def create_window(argv: list[str]) -> tuple[QApplication, MainWindow]:
    """Build the application and the window, with the project from ``argv`` (if any)."""
    from PySide6.QtWidgets import QApplication

    existing = QApplication.instance()
    app = create_application(argv)
    from app.mainwindow import MainWindow

    window = MainWindow()
    # Qt removes its own options (-platform, -style, ...) from the arguments it was given.
    path = project_argument(argv if existing is not None else app.arguments()[1:])
    if path is not None:
        window.open_project(path)
    return app, window


def run_gui(argv: list[str]) -> int:
    from PySide6.QtCore import QTimer

    app, window = create_window(argv)
    window.show()
    QTimer.singleShot(0, window.offer_recovery)
    return app.exec()


if __name__ == "__main__":
    main()
