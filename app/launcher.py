"""The ``netcanvas`` command: the window, or the command-line tools.

Only ``netcanvas`` (the window with the spiral example) and ``netcanvas PROJECT.json``
(that project; Qt's own options such as ``-platform xcb`` may come before it) open the
window. Everything else goes to the command line in :mod:`nncore.cli`, without importing
Qt: the commands, ``-h``/``--help``/``--version``, and any other word, which the command
line answers with the list of commands (exit 2). A mistyped command in a script or an SSH
session must never start a window that does not return.
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

#: Qt's command-line options that take a value (``-platform offscreen``), and those that
#: do not; QApplication removes both from its arguments.
QT_OPTIONS_WITH_VALUE = frozenset({
    "-platform", "-platformpluginpath", "-platformtheme", "-plugin", "-qwindowgeometry",
    "-qwindowtitle", "-qwindowicon", "-session", "-style", "-stylesheet", "-display",
    "-geometry", "-title", "-name", "-qmljsdebugger"})
QT_FLAGS = frozenset({"-reverse", "-widgetcount", "-nograb", "-dograb", "-sync"})


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if opens_window(argv):
        sys.exit(run_gui(argv))
    from nncore.cli import main as cli_main

    sys.exit(cli_main(argv))


def opens_window(argv: list[str]) -> bool:
    """True for no arguments, or one project file (a ``.json`` name or an existing file
    that is not named like a command), Qt's options aside."""
    from nncore.cli import COMMAND_NAMES

    rest = _without_qt_options(argv)
    if not rest:
        return True
    if len(rest) != 1 or rest[0].startswith("-") or rest[0] in COMMAND_NAMES:
        return False
    return rest[0].lower().endswith(".json") or Path(rest[0]).is_file()


def _without_qt_options(argv: list[str]) -> list[str]:
    rest, i = [], 0
    while i < len(argv):
        a = argv[i]
        if a in QT_OPTIONS_WITH_VALUE:
            i += 2
            continue
        if a not in QT_FLAGS:
            rest.append(a)
        i += 1
    return rest


def create_application(argv: list[str]) -> QApplication:
    """The QApplication with NetCanvas' names, style and palette (one per process)."""
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication

    from app import gc_guard, wheel_guard
    from app.theme import follow_system_theme

    QCoreApplication.setOrganizationName("NetCanvas")
    QCoreApplication.setApplicationName("NetCanvas")
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "netcanvas",
                                                   *argv])
    app.setApplicationDisplayName("NetCanvas")
    follow_system_theme(app)
    gc_guard.install(app)
    wheel_guard.install(app)
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
    from app import platform_check

    if platform_check.uses_xcb():
        missing = platform_check.missing_libraries()
        if missing:  # Qt would abort with a message that names none of them
            print(platform_check.missing_libraries_message(missing), file=sys.stderr)
            return 2
    from PySide6.QtCore import QTimer

    from app import gc_guard

    app, window = create_window(argv)
    window.show()
    QTimer.singleShot(0, window.offer_recovery)
    QTimer.singleShot(0, gc_guard.freeze_startup)
    return app.exec()


if __name__ == "__main__":
    main()
