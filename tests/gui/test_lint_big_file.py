"""Lint never reads a big data file itself: it takes what the Data panel prepared (a second
copy of an MNIST-sized file would double the window's memory), and lints the data once the
panel has it."""

from __future__ import annotations

import numpy as np

from app.understanding.lint_checker import OWN_LOAD_BYTES


def test_lint_takes_the_data_panels_prepared_data_of_a_big_file(window, qtbot, tmp_path,
                                                                monkeypatch):
    w = window
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120_000, 2))
    label = (x[:, 0] + x[:, 1] > 0).astype(int)
    lines = ["x1,x2,label"] + [f"{a:.6f},{b:.6f},{c}" for (a, b), c in zip(x, label)]
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert path.stat().st_size > OWN_LOAD_BYTES
    checker = w.lint.checker
    own_loads = []
    original = checker._start_job
    monkeypatch.setattr(checker, "_start_job",
                        lambda key, spec, base: (own_loads.append(spec.source),
                                                 original(key, spec, base)))
    w.data_dock.show()
    w.data_dock.raise_()
    assert w.editor.set_data(source="file", path=str(path), params={"target": "label"}) is None
    # Until the panel has prepared it, the data rules wait (a note says why).
    qtbot.waitUntil(lambda: w.data_panel.prepared_data(w.document.data, w.document.base_dir)
                    is not None, timeout=120_000)
    qtbot.waitUntil(lambda: not checker.busy and not any(
        "checked once the Data panel" in f.what for f in checker.findings), timeout=30_000)
    assert "file" not in own_loads
    assert not any("was not loaded" in f.what for f in checker.findings)
