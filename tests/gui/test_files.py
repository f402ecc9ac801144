"""Files: save/open round trip, examples, broken files, unsaved-changes prompts, recent
files, autosave and recovery, diagram export, window layout persistence."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QMessageBox

from app.paths import examples_dir, list_examples
from nncore.project import load_project, save_project
from nncore.spec import EdgeSpec

Button = QMessageBox.StandardButton


def shown_title(window) -> str:
    """The title the window system shows (it adds " — NetCanvas", the application name)."""
    return window.windowHandle().title()


def test_save_then_open_keeps_network_settings_and_layout(make_window, tmp_path, dialog_log):
    w = make_window()
    ed = w.editor
    ed.add_node("Dropout", (150.5, 420.25))
    ed.set_param("dropout1", "rate", 0.3)
    ed.set_frozen("dense1", True)
    ed.move_nodes({"dense3": (w.document.node("dense3").position, (900.0, -40.0))})
    ed.set_training(optimizer="rmsprop", learning_rate=0.002, epochs=42, l2=1e-4)
    ed.set_training(optimizer_params={"rho": 0.8})
    ed.set_data(val_fraction=0.25, normalization="minmax")
    expected = w.document.project.to_dict()
    path = tmp_path / "net.json"
    dialog_log.save_paths.append(str(tmp_path / "net"))  # suffix added automatically
    assert w.files.save()
    assert path.is_file()
    assert shown_title(w) == "Spiral"
    assert load_project(path).to_dict() == expected

    w2 = make_window()
    assert w2.open_project(path)
    got = w2.document.project.to_dict()
    assert got == expected
    assert w2.document.node("dropout1").position == (150.5, 420.25)
    assert w2.scene.nodes["dense3"].pos().x() == 900.0
    assert w2.training_panel.form_for("epochs").widget("epochs").value() == 42
    assert w2.document.path == path
    assert str(path.resolve()) in w2.files.recent_files()


def test_title_marks_unsaved_changes(window, tmp_path):
    assert shown_title(window) == "Spiral"
    window.editor.set_param("dense1", "units", 8)
    assert shown_title(window) == "Spiral*"
    window.undo_stack.undo()
    assert shown_title(window) == "Spiral"
    window.editor.set_param("dense1", "units", 8)
    assert window.files.save_to(tmp_path / "a.json")
    assert shown_title(window) == "Spiral"


@pytest.mark.parametrize("example", list_examples(), ids=lambda e: e.path.name)
def test_every_example_opens(window, dialog_log, example):
    assert example.name and example.description
    acts = {a.data(): a for a in window.files.example_actions()}
    assert str(example.path) in acts
    acts[str(example.path)].trigger()
    assert dialog_log.messages == []
    doc = window.document
    assert doc.project.name == example.name
    assert doc.path is None  # examples open as untitled copies
    assert doc.analysis.ok, doc.analysis.errors
    assert set(window.scene.nodes) == set(doc.graph.ids())
    assert shown_title(window) == example.name
    window.data_dock.raise_()
    window.data_panel.refresh_preview()
    assert window.data_panel.load_error is None
    assert window.data_panel.dataset is not None


def test_examples_menu_lists_every_file(window):
    files = sorted(p.name for p in examples_dir().glob("*.json"))
    assert files, "resources/examples holds the bundled examples"
    assert sorted(Path(a.data()).name for a in window.files.example_actions()) == files
    for a in window.files.example_actions():
        assert a.toolTip()


def _broken_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    good = json.loads((examples_dir() / "spiral.json").read_text())
    broken_json = tmp_path / "broken.json"
    broken_json.write_text('{"format": "netcanvas-project", "version": 1, "name": ')
    unknown = tmp_path / "unknown_layer.json"
    bad = json.loads(json.dumps(good))
    bad["network"]["nodes"][1]["type"] = "Transformer9000"
    unknown.write_text(json.dumps(bad))
    return {"json": (broken_json, "not valid JSON"),
            "type": (unknown, "Transformer9000")}


@pytest.mark.parametrize("kind", ["json", "type"])
def test_broken_file_leaves_current_project_intact(window, dialog_log, tmp_path, kind):
    path, words = _broken_files(tmp_path)[kind]
    window.editor.set_param("dense1", "units", 7)
    before = window.document.project.to_dict()
    stack = window.undo_stack.count()
    assert not window.open_project(path)
    title, text, info = dialog_log.last
    assert title == "Cannot open project"
    assert path.name in text
    assert words in info
    if kind == "type":
        assert "network.nodes[1].type" in info
    assert window.document.project.to_dict() == before
    assert window.undo_stack.count() == stack
    assert shown_title(window) == "Spiral*"
    # No "save changes?" question was asked for a file that could not be read.
    assert all(m[0] != "Unsaved changes" for m in dialog_log.messages)


def test_open_asks_to_save_and_cancel_keeps_project(window, dialog_log, tmp_path):
    other = tmp_path / "other.json"
    p = load_project(examples_dir() / "xor.json")
    save_project(p, other)
    window.editor.set_param("dense1", "units", 7)
    dialog_log.answers.append(Button.Cancel)
    assert not window.open_project(other)
    assert window.document.node("dense1").params["units"] == 7
    assert dialog_log.last[0] == "Unsaved changes"
    dialog_log.answers.append(Button.Discard)
    assert window.open_project(other)
    assert window.document.project.name == p.name
    assert shown_title(window) == p.name


def test_close_prompts_save_discard_cancel(make_window, dialog_log, tmp_path):
    w = make_window()
    w.editor.set_param("dense1", "units", 7)
    dialog_log.answers.append(Button.Cancel)
    assert not w.close()
    assert w.isVisible()
    target = tmp_path / "saved.json"
    dialog_log.answers.append(Button.Save)
    dialog_log.save_paths.append(str(target))
    assert w.close()
    assert load_project(target).graph.node("dense1").params["units"] == 7


def test_new_project_is_empty_and_untitled(window, dialog_log):
    window.editor.set_param("dense1", "units", 7)
    dialog_log.answers.append(Button.Discard)
    assert window.files.new_project()
    assert window.document.graph.nodes == []
    assert window.scene.nodes == {}
    assert shown_title(window) == "Untitled"
    assert not window.undo_stack.canUndo()


def test_recent_files_menu(window, tmp_path):
    paths = []
    for i in range(3):
        p = tmp_path / f"p{i}.json"
        assert window.files.save_to(p)
        paths.append(str(p.resolve()))
    assert window.files.recent_files()[:3] == paths[::-1]
    window.files.fill_recent_menu()
    texts = [a.text() for a in window.files.recent_menu.actions()]
    assert texts[0] == "&1 p2.json"
    os.remove(paths[0])
    window.open_project(Path(paths[0]))
    assert paths[0] not in window.files.recent_files()


def test_autosave_and_recovery_after_crash(make_window, dialog_log, tmp_path):
    rec_dir = tmp_path / "recovery"
    w = make_window(recovery_dir=rec_dir)
    assert not w.autosave.save()  # nothing changed: nothing written
    w.editor.set_param("dense2", "units", 5)
    assert w.autosave.save()
    assert not w.autosave.save()  # unchanged since the last autosave
    files = sorted(p.name for p in rec_dir.iterdir())
    assert files == [f"recovery-{os.getpid()}.json", f"recovery-{os.getpid()}.meta.json"]
    # Pretend the process died: rename the files to a pid that is not running.
    dead = 2**22 + 12345
    for p in rec_dir.iterdir():
        p.rename(rec_dir / p.name.replace(str(os.getpid()), str(dead)))
    w.files.marked_modified = False
    w.undo_stack.setClean()
    w.close()
    assert sorted(p.name for p in rec_dir.iterdir()) == [f"recovery-{dead}.json",
                                                         f"recovery-{dead}.meta.json"]

    w2 = make_window(recovery_dir=rec_dir)
    dialog_log.answers.append(Button.Yes)
    assert w2.autosave.offer_recovery()
    assert w2.document.node("dense2").params["units"] == 5
    assert shown_title(w2).endswith("*")
    assert list(rec_dir.iterdir()) == []


def test_clean_exit_deletes_recovery_file(make_window, tmp_path):
    rec_dir = tmp_path / "recovery"
    w = make_window(recovery_dir=rec_dir)
    w.editor.set_param("dense2", "units", 5)
    assert w.autosave.save()
    w.undo_stack.undo()
    w.close()
    assert list(rec_dir.iterdir()) == []


def test_autosave_timer_runs_every_minute(window):
    assert window.autosave.timer.isActive()
    assert window.autosave.timer.interval() == 60_000


def test_export_diagram_png_and_svg(window, tmp_path, dialog_log):
    png = tmp_path / "net.png"
    dialog_log.save_paths.append(str(png))
    assert window.diagram_export.export_dialog("png")
    img = QImage(str(png))
    assert not img.isNull()
    rect = window.scene.nodes_rect()
    assert img.width() == round((rect.width() + 48) * 2)
    svg = tmp_path / "net.svg"
    dialog_log.save_paths.append(str(tmp_path / "net"))
    assert window.diagram_export.export_dialog("svg")
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    text = svg.read_text()
    for node_id in ("input1", "dense1", "dense2", "dense3"):
        assert node_id in text
    assert not list(tmp_path.glob(".*.tmp*"))


def test_window_layout_persists(make_window, settings_path):
    w = make_window()
    w.training_dock.raise_()
    w.summary_dock.hide()
    w.resize(1100, 700)
    w.close()
    w2 = make_window()
    assert not w2.summary_dock.isVisible()
    w2.reset_window_layout()
    assert w2.summary_dock.isVisible()


def test_paste_from_foreign_clipboard_is_ignored(window):
    from PySide6.QtGui import QGuiApplication

    QGuiApplication.clipboard().setText("not a network")
    n = len(window.document.graph.nodes)
    assert window.edit.paste() == []
    assert len(window.document.graph.nodes) == n
    assert not window.edit.act_paste.isEnabled()


def test_save_failure_is_reported(window, dialog_log, tmp_path):
    target = tmp_path / "missing_dir" / "x.json"
    assert not window.files.save_to(target)
    assert dialog_log.last[0] == "Cannot save project"
    assert window.document.path is None


def test_relative_data_path_is_rebased_on_save_as(window, tmp_path):
    data = tmp_path / "d" / "points.csv"
    data.parent.mkdir()
    data.write_text("a,b,label\n0,1,x\n1,0,y\n0,0,x\n1,1,y\n2,2,x\n3,3,y\n")
    first = tmp_path / "d" / "p.json"
    assert window.files.save_to(first)
    assert window.data_panel.import_path(data)
    assert window.document.data.path == "points.csv"
    second = tmp_path / "elsewhere" / "q.json"
    second.parent.mkdir()
    assert window.files.save_to(second)
    # Outside the new project's folder the path becomes absolute, so it still resolves.
    assert load_project(second).data.path == data.resolve().as_posix()
    assert EdgeSpec("input1", "dense1") in window.document.graph.edges
