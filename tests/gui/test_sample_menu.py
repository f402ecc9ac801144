"""A click on a sample offers to trace it or explain it, on the right split and row."""

from __future__ import annotations

import numpy as np

from nncore.run import prepare_data


def _triggered(menu, text):
    act = next(a for a in menu.actions() if a.text() == text)
    act.trigger()


def test_a_preview_click_traces_and_explains_the_same_sample(window, qtbot, monkeypatch):
    w = window
    traced, explained = [], []
    monkeypatch.setattr(w.sample_picking, "_openers",
                        (("Trace This Sample…", lambda s, i: traced.append((s, i))),
                         ("Explain This Sample…", lambda s, i: explained.append((s, i)))))
    data = prepare_data(w.document.data, w.document.base_dir)
    # A row of the loaded data set that went to the validation split, found independently:
    # the split's features equal the data set's row once normalised the same way.
    row = int(data.val.rows[7])
    norm = data.normalizer.transform(data.dataset.X[row:row + 1])
    np.testing.assert_allclose(norm[0], data.val.X[7], rtol=1e-6)
    w.data_panel.preview.samplePicked.emit("all", row)
    menu = w.sample_picking.menu
    assert menu is not None and menu.isVisible()
    assert [a.text() for a in menu.actions()][0] == "Validation sample 7"
    _triggered(menu, "Trace This Sample…")
    _triggered(menu, "Explain This Sample…")
    assert traced == [("val", 7)] and explained == [("val", 7)]
    menu.close()


def test_a_misclassified_image_keeps_its_split(window, monkeypatch):
    w = window
    got = []
    monkeypatch.setattr(w.sample_picking, "_openers",
                        (("Trace This Sample…", lambda s, i: got.append((s, i))),))
    w.plot_docks.results.samplePicked.emit("val", 3)
    _triggered(w.sample_picking.menu, "Trace This Sample…")
    assert got == [("val", 3)]
    w.sample_picking.menu.close()


def test_the_menu_opens_the_real_trace_on_that_sample(window, qtbot):
    w = window
    w.plot_docks.results.samplePicked.emit("train", 5)
    _triggered(w.sample_picking.menu, "Trace This Sample…")
    dialog = w.trace_samples.dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.split_box.currentData() == "train" and dialog.row_box.value() == 5
    w.sample_picking.menu.close()
    dialog.close()
