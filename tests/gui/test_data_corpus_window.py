"""The engine's corpus of tabular files (tests/data/test_data_csv_corpus.py), each imported
through the data panel as a person would: the options typed into the form first, then
Import file…; the panel holds exactly the values the engine's loader gives, the project
records the options, and the Detected box shows what was detected."""

from __future__ import annotations

import html

import numpy as np
import pytest

from nncore.data import load_data
from tests.data.test_data_csv_corpus import CASES, Case


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_corpus_file_imports_through_the_panel(window, tmp_path, dialog_log, case: Case):
    window.data_dock.raise_()
    panel = window.data_panel
    page = panel.sources.file
    page.options.show_params(case.options)
    page.apply_options()
    path = tmp_path / case.name
    path.write_bytes(case.content)
    dialog_log.open_paths.append(str(path))
    page.import_file.click()
    assert not page.problem.isVisibleTo(panel), page.error.text()
    spec = window.document.data
    assert spec.source == "file" and spec.path.endswith(case.name)
    assert spec.params == case.options
    expected = load_data(path, **case.options)
    ds = panel.dataset
    np.testing.assert_array_equal(ds.X, expected.X)
    np.testing.assert_array_equal(ds.y, expected.y)
    np.testing.assert_array_equal(ds.X, np.array(case.X, dtype=np.float32))
    assert ds.class_names == expected.class_names
    shown = html.unescape(page.detected.text.text())
    meta = expected.meta["csv"]
    assert all(c["name"] in shown for c in meta["columns"]
                                               if c["kind"])
    if meta["delimiter"] == "\t":
        assert "tab" in shown
    assert ("Header\xa0</td><td>yes" in shown) == bool(meta["has_header"])
