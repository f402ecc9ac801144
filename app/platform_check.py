"""Before Qt starts on Linux: are the system libraries of Qt's X11 platform plugin there?

PySide6's wheels bring Qt but not every X11 library its ``xcb`` plugin links to; on a fresh
desktop ``libxcb-icccm4`` or ``libxcb-keysyms1`` are often missing, and Qt then aborts with
"Could not load the Qt platform plugin "xcb" ... even though it was found", which names no
library and suggests reinstalling. This module asks the dynamic linker (``ldd``) which of
the plugin's libraries cannot be found, so the program can name them and the one command
that installs them instead. It imports no Qt.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

_NOT_FOUND = re.compile(r"^\s*(\S+)\s*=>\s*not found", re.MULTILINE)


def uses_xcb(environ: dict[str, str] | None = None) -> bool:
    """True when Qt would pick its X11 (xcb) plugin: on Linux, with no other platform
    asked for (``QT_QPA_PLATFORM``) and not in a Wayland session."""
    env = os.environ if environ is None else environ
    if not sys.platform.startswith("linux"):
        return False
    asked = env.get("QT_QPA_PLATFORM", "").split(":")[0].strip()
    if asked:
        return asked == "xcb"
    return not (env.get("WAYLAND_DISPLAY") and env.get("XDG_SESSION_TYPE") == "wayland")


def xcb_plugin() -> Path | None:
    """PySide6's xcb platform plugin, without importing PySide6."""
    spec = find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations)))
    plugin = root / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    return plugin if plugin.is_file() else None


def _ldd(path: Path) -> str:
    ldd = shutil.which("ldd")
    if ldd is None:
        return ""
    try:
        return subprocess.run([ldd, str(path)], capture_output=True, text=True,
                              timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def missing_libraries(plugin: Path | None = None) -> list[str]:
    """Shared libraries (sonames) the xcb plugin needs that the linker cannot find, in the
    order ``ldd`` lists them, without repeats; empty when all are there or when it cannot
    tell (no ``ldd``, no plugin)."""
    plugin = plugin or xcb_plugin()
    if plugin is None:
        return []
    return list(dict.fromkeys(_NOT_FOUND.findall(_ldd(plugin))))


def debian_package(soname: str) -> str:
    """The Debian/Ubuntu package of a library by its soname, by Debian's naming rule:
    ``libxcb-icccm.so.4`` -> ``libxcb-icccm4``, ``libxkbcommon-x11.so.0`` ->
    ``libxkbcommon-x11-0``, ``libGL.so.1`` -> ``libgl1``."""
    m = re.match(r"^(.+?)\.so\.(\d+)", soname)
    if not m:
        return soname.lower()
    name, version = m.group(1).lower(), m.group(2)
    return f"{name}-{version}" if name[-1].isdigit() else f"{name}{version}"


def missing_libraries_message(missing: list[str]) -> str:
    packages = " ".join(debian_package(s) for s in missing)
    return (f"netcanvas: cannot open the window: Qt's X11 (xcb) platform needs system "
            f"libraries that are not installed: {', '.join(missing)}.\n"
            f"On Debian or Ubuntu install them with:\n"
            f"    sudo apt-get install {packages}\n"
            "The command-line tools work without them (netcanvas --help).")
