"""Bugs the command-line contract's property test (tests/property/test_cli_contract.py)
found, each pinned by its smallest case."""

from __future__ import annotations

import pytest

from nncore.cli import COMMAND_NAMES

from .conftest import EXAMPLES


@pytest.mark.parametrize("command", COMMAND_NAMES)
def test_an_argument_with_a_nul_character_is_a_usage_error(cli, tmp_path, command):
    # In-process callers can pass one (no shell can): os.stat raised ValueError.
    r = cli(command, "bad\x00name.json", "--out", tmp_path / "x\x00.npz")
    assert r.code == 2 and "NUL character" in r.err and "Traceback" not in r.err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("out", ["", " ", "."])
def test_import_with_an_empty_or_folder_out_is_a_usage_error(cli, tmp_path, monkeypatch,
                                                             out):
    # The default weights name was derived before --out was checked: Path("").with_suffix
    # raised ValueError.
    monkeypatch.chdir(tmp_path)
    r = cli("import", "model.onnx", "--out", out)
    assert r.code == 2 and "--out" in r.err and "Traceback" not in r.err
    assert ("empty" in r.err) if not out.strip() else ("folder" in r.err)
    assert list(tmp_path.iterdir()) == []


def test_an_empty_output_name_is_refused_by_name(cli):
    r = cli("train", EXAMPLES / "xor.json", "--out-weights", "")
    assert r.code == 2 and "--out-weights: the file name is empty" in r.err


@pytest.mark.parametrize("option", ["--onnx", "--python"])
def test_export_to_an_empty_name_is_refused_not_taken_for_the_other_format(cli, tmp_path,
                                                                           option):
    # "--onnx ''" was falsy, so the export went down the --python branch with no path
    # (TypeError).
    r = cli("export", EXAMPLES / "xor.json", "--weights", tmp_path / "w.npz", option, "")
    assert r.code == 2 and f"{option}: the file name is empty" in r.err
    assert list(tmp_path.iterdir()) == []


def test_pytorch_export_to_an_empty_folder_name_is_refused(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = cli("export", EXAMPLES / "xor.json", "--pytorch", "")
    assert r.code == 2 and "--pytorch: the folder name is empty" in r.err
    assert list(tmp_path.iterdir()) == []
