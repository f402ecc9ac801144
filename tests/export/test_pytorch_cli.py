"""``netcanvas export PROJECT --pytorch DIR [--weights W.npz]``: the folder, and the
refusals (exit code 2, one line, nothing written)."""

from __future__ import annotations

import pytest

from nncore.cli import main
from nncore.project import save_project

from .pytorch_support import EXAMPLES, spiral_project

SPIRAL = EXAMPLES / "spiral.json"


def _cli(capsys, *args):
    capsys.readouterr()
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def _one_error(err, *fragments):
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("netcanvas: error: "), err
    for f in fragments:
        assert f in lines[0], (f, lines[0])


def test_writes_the_project_folder(capsys, tmp_path):
    code, out, err = _cli(capsys, "export", SPIRAL, "--pytorch", tmp_path / "proj")
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "proj").iterdir()) == [
        "README.md", "data.npz", "model.py", "train.py"]
    assert "PyTorch project written to" in out
    assert "# 'dense1'" in (tmp_path / "proj" / "model.py").read_text()


def test_with_weights_they_are_the_start(capsys, tmp_path):
    assert main(["train", str(SPIRAL), "--epochs", "1", "--quiet", "--out-weights",
                 str(tmp_path / "w.npz")]) == 0
    code, _, err = _cli(capsys, "export", SPIRAL, "--pytorch", tmp_path / "proj", "--weights",
                        tmp_path / "w.npz")
    assert code == 0, err
    assert (tmp_path / "proj" / "init_weights.npz").exists()


@pytest.mark.parametrize("case", ["no parent", "a file", "bad weights", "bad graph",
                                  "onnx without weights"])
def test_refusals_name_the_problem_and_write_nothing(case, capsys, tmp_path):
    project, extra, target = SPIRAL, [], tmp_path / "proj"
    if case == "no parent":
        target, fragments = tmp_path / "missing" / "proj", ["--pytorch", "does not exist"]
    elif case == "a file":
        target.write_text("x")
        fragments = ["--pytorch", "is a file"]
    elif case == "bad weights":
        (tmp_path / "w.npz").write_bytes(b"not a zip")
        extra, fragments = ["--weights", tmp_path / "w.npz"], ["w.npz"]
    elif case == "bad graph":
        p = spiral_project()
        p.graph.node("dense3").params["activation"] = "tanh"
        save_project(p, tmp_path / "p.json")
        project, fragments = tmp_path / "p.json", ["p.json", "dense3", "softmax"]
    else:
        code, _, err = _cli(capsys, "export", SPIRAL, "--onnx", tmp_path / "m.onnx")
        assert code == 2
        _one_error(err, "--onnx needs --weights")
        return
    code, _, err = _cli(capsys, "export", project, "--pytorch", target, *extra)
    assert code == 2
    _one_error(err, *fragments)
    if case != "a file":
        assert not target.exists()
