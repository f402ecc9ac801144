"""Bugs the command-line contract's property test (tests/property/test_cli_contract.py)
found, each pinned by its smallest case."""

from __future__ import annotations

import pytest

from nncore.cli import COMMAND_NAMES


@pytest.mark.parametrize("command", COMMAND_NAMES)
def test_an_argument_with_a_nul_character_is_a_usage_error(cli, tmp_path, command):
    # In-process callers can pass one (no shell can): os.stat raised ValueError.
    r = cli(command, "bad\x00name.json", "--out", tmp_path / "x\x00.npz")
    assert r.code == 2 and "NUL character" in r.err and "Traceback" not in r.err
    assert list(tmp_path.iterdir()) == []
