"""``netcanvas data``: what a data file holds and how it was read, as text or JSON."""

from __future__ import annotations

import json

from nncore.cli import main
from nncore.cli.common import EXIT_OK, EXIT_USAGE

EU = "a;b;Klasse\n1,5;2;gut\n?;3;schlecht\n2,5;3,5;gut\n4;1;schlecht\n"


def test_data_command_reports_what_was_detected(tmp_path, capsys):
    p = tmp_path / "eu.csv"
    p.write_text(EU)
    assert main(["data", str(p), "-o", "drop_incomplete=true", "--json"]) == EXIT_OK
    info = json.loads(capsys.readouterr().out)
    assert (info["format"], info["rows"], info["input_shape"], info["task"]) == \
        ("csv", 3, [2], "classification")
    assert info["classes"] == {"gut": 2, "schlecht": 1} and info["dropped_rows"] == 1
    read = info["read"]
    assert (read["delimiter"], read["decimal"], read["has_header"], read["missing_found"]) \
        == (";", ",", True, {"?": 1})
    assert [c["kind"] for c in read["columns"]] == ["number", "number", "text"]
    assert main(["data", str(p), "-o", "drop_incomplete=true"]) == EXIT_OK
    text = capsys.readouterr().out
    assert "eu (csv): 3 rows" in text and "delimiter: ';'  (detected)" in text
    assert "Klasse: target, text" in text


def test_data_command_errors_exit_2_with_the_fixing_option(tmp_path, capsys):
    p = tmp_path / "eu.csv"
    p.write_text(EU)
    assert main(["data", str(p)]) == EXIT_USAGE
    assert "drop_incomplete=True" in capsys.readouterr().err
    assert main(["data", str(p), "-o", "nonsense"]) == EXIT_USAGE
    assert "expected NAME=VALUE" in capsys.readouterr().err
    assert main(["data", str(p), "-o", "colour=1"]) == EXIT_USAGE
    assert "'colour' do not apply to CSV files" in capsys.readouterr().err
    assert main(["data", str(tmp_path / "none.csv")]) == EXIT_USAGE
    assert "not found" in capsys.readouterr().err
