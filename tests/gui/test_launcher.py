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
    calls = []
    fake = types.ModuleType("nncore.cli")
    fake.main = lambda argv: calls.append(list(argv)) or 3
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
        assert window.windowTitle() == f"NetCanvas — {p.name}"
    finally:
        window.files.marked_modified = False
        window.close()
        window.deleteLater()


def test_gui_without_argument_opens_the_spiral_example(monkeypatch, qapp, tmp_path,
                                                       dialog_log):
    monkeypatch.setattr("app.mainwindow.default_recovery_dir", lambda: tmp_path / "rec")
    app, window = launcher.create_window([])
    try:
        assert window.windowTitle() == "NetCanvas — Spiral"
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
