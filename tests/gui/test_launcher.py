"""The netcanvas entry point: CLI commands never load Qt; otherwise a window opens."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import types

import pytest

from app import launcher


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=60)


def test_launcher_module_imports_no_qt():
    r = _run("""
        import sys
        import app.launcher
        print(sorted(m for m in sys.modules if m.startswith(("PySide6", "pyqtgraph"))))
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_cli_command_delegates_without_qt():
    r = _run("""
        import sys
        from app.launcher import main
        try:
            main(["--version"])
        except SystemExit as e:
            print("exit", e.code, any(m.startswith("PySide6") for m in sys.modules))
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "exit 0 False"


@pytest.mark.parametrize("command", ["train", "summary", "export", "predict", "-h", "--help",
                                     "--version"])
def test_every_cli_command_goes_to_nncore_cli(monkeypatch, command):
    from nncore.cli import COMMAND_NAMES

    calls = []
    fake = types.ModuleType("nncore.cli")
    fake.main = lambda argv: calls.append(list(argv)) or 3
    fake.COMMAND_NAMES = COMMAND_NAMES
    monkeypatch.setitem(sys.modules, "nncore.cli", fake)
    with pytest.raises(SystemExit) as exc:
        launcher.main([command, "project.json"])
    assert exc.value.code == 3
    assert calls == [[command, "project.json"]]


def test_gui_opens_project_from_argument(monkeypatch, qapp, tmp_path, dialog_log):
    from app.paths import examples_dir
    from nncore.project import load_project, save_project

    p = load_project(examples_dir() / "iris.json")
    path = tmp_path / "mine.json"
    save_project(p, path)
    monkeypatch.setattr("app.mainwindow.default_recovery_dir", lambda: tmp_path / "rec")
    from PySide6.QtCore import QCoreApplication

    app, window = launcher.create_window([str(path)])
    try:
        assert app is QCoreApplication.instance()
        assert window.document.path == path
        # The project's name; the window system adds the application's display name.
        assert window.windowTitle() == f"{p.name}[*]" and not window.isWindowModified()
        assert app.applicationDisplayName() == "NetCanvas"
    finally:
        window.files.marked_modified = False
        window.close()
        window.deleteLater()


def test_gui_without_argument_opens_the_spiral_example(monkeypatch, qapp, tmp_path,
                                                       dialog_log):
    monkeypatch.setattr("app.mainwindow.default_recovery_dir", lambda: tmp_path / "rec")
    app, window = launcher.create_window([])
    try:
        assert window.windowTitle() == "Spiral[*]" and not window.isWindowModified()
        g = window.document.graph
        assert [n.type for n in g.nodes] == ["Input", "Dense", "Dense", "Dense"]
        assert [n.params.get("units") for n in g.nodes[1:]] == [16, 16, 2]
        assert window.document.training.loss == "categorical_crossentropy"
        assert window.document.data.name == "spiral"
    finally:
        window.close()
        window.deleteLater()


def test_builtin_spiral_matches_the_example_network():
    from app.examples import builtin_spiral
    from app.paths import examples_dir
    from nncore.project import load_project

    built = builtin_spiral()
    example = load_project(examples_dir() / "spiral.json")
    strip = lambda g: [(n.id, n.type, dict(n.params)) for n in g.nodes]  # noqa: E731
    assert strip(built.graph) == [(i, t, {k: tuple(v) if isinstance(v, list) else v
                                          for k, v in p.items()})
                                  for i, t, p in strip(example.graph)]
    assert built.graph.edges == example.graph.edges
    assert built.training.loss == example.training.loss
    assert built.training.optimizer == example.training.optimizer


@pytest.mark.parametrize("argv, window", [
    ([], True),
    (["mine.json"], True),
    (["MINE.JSON"], True),
    (["-platform", "offscreen", "mine.json"], True),
    (["-reverse"], True),
    (["evalute", "x.json"], False),      # a mistyped command with a project
    (["lnit", "--help"], False),         # a command this version does not have
    (["evalute"], False),                # a word that is neither a command nor a file
    (["train"], False),
    (["train", "x.json"], False),
    (["a.json", "b.json"], False),
    (["--help"], False),
    (["--bogus"], False),
])
def test_only_no_arguments_or_one_project_file_open_the_window(argv, window):
    assert launcher.opens_window(argv) is window


def test_an_existing_file_without_json_suffix_opens_the_window(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "myproject").write_text("{}")
    assert launcher.opens_window(["myproject"])
    (tmp_path / "train").write_text("{}")
    assert not launcher.opens_window(["train"])  # a command's name stays the command


@pytest.mark.parametrize("argv", [["evalute", "x.json"], ["lnit", "--help"], ["evalute"]])
def test_unknown_words_answer_in_the_terminal_without_qt(argv):
    r = _run(f"""
        import sys
        from app.launcher import main
        try:
            main({argv!r})
        except SystemExit as e:
            print("exit", e.code, any(m.startswith("PySide6") for m in sys.modules))
    """)
    assert r.stdout.strip().splitlines()[-1] == "exit 2 False"
    err = r.stderr.strip()
    assert err.count("\n") == 0 and "Traceback" not in err
    assert f"unknown command {argv[0]!r}" in err
    from nncore.cli import COMMAND_NAMES

    assert ", ".join(COMMAND_NAMES) in err and "netcanvas PROJECT.json" in err


# -- system libraries of Qt's X11 plugin ------------------------------------------------

LDD_MISSING = """\
\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt6XcbQpa.so.6 => /x/libQt6XcbQpa.so.6 (0x00007f)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxkbcommon-x11.so.0 => not found
"""


def test_missing_xcb_libraries_are_named_with_the_install_command(monkeypatch, capsys,
                                                                   tmp_path):
    from app import platform_check

    plugin = tmp_path / "libqxcb.so"
    plugin.write_bytes(b"")
    monkeypatch.setattr(platform_check, "xcb_plugin", lambda: plugin)
    monkeypatch.setattr(platform_check, "_ldd", lambda path: LDD_MISSING)
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    assert platform_check.missing_libraries() == [
        "libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxkbcommon-x11.so.0"]
    assert launcher.run_gui([]) == 2
    err = capsys.readouterr().err
    assert "libxcb-icccm.so.4, libxcb-keysyms.so.1, libxkbcommon-x11.so.0" in err
    assert "sudo apt-get install libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0" in err


@pytest.mark.parametrize("soname, package", [
    ("libxcb-icccm.so.4", "libxcb-icccm4"), ("libxcb-render-util.so.0",
                                             "libxcb-render-util0"),
    ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"), ("libGL.so.1", "libgl1"),
    ("libX11-xcb.so.1", "libx11-xcb1"), ("libxcb-cursor.so.0", "libxcb-cursor0")])
def test_debian_package_names(soname, package):
    from app.platform_check import debian_package

    assert debian_package(soname) == package


@pytest.mark.parametrize("env, xcb", [
    ({}, True), ({"QT_QPA_PLATFORM": "offscreen"}, False), ({"QT_QPA_PLATFORM": "xcb"}, True),
    ({"QT_QPA_PLATFORM": "wayland"}, False),
    ({"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland"}, False),
    ({"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "x11"}, True)])
def test_the_check_runs_only_when_qt_would_use_xcb(env, xcb):
    from app.platform_check import uses_xcb

    assert uses_xcb(env) is (xcb and sys.platform.startswith("linux"))


def test_the_real_plugin_is_found_and_ldd_answers():
    """On this machine: the plugin is where the check looks, and whatever ldd reports as
    missing is a list of sonames (no crash, no guess)."""
    from app.platform_check import missing_libraries, xcb_plugin

    plugin = xcb_plugin()
    assert plugin is not None and plugin.name == "libqxcb.so"
    assert all(".so" in s for s in missing_libraries(plugin))
