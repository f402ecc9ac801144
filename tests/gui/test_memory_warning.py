"""The window shows the training-memory estimate in the summary and warns (but trains)
when a run is estimated not to fit; the command line refuses such a run instead."""

from __future__ import annotations

import nncore.memory

TIMEOUT = 60_000


def test_the_summary_shows_the_estimate_and_follows_the_batch_size(window):
    assert "Training memory: about" in window.summary.totals.text()
    assert "a training batch of 32" in window.summary.totals.toolTip()
    window.editor.set_training(batch_size=64)
    assert "a training batch of 64" in window.summary.totals.toolTip()


def test_a_run_that_may_not_fit_warns_and_still_trains(window, qtbot, monkeypatch):
    monkeypatch.setattr(nncore.memory, "memory_available", lambda: 1000)  # 1 kB free
    window.editor.set_training(epochs=2)
    window.summary.refresh()
    assert "more than this machine has available" in window.summary.totals.text()
    with qtbot.waitSignal(window.training.runFinished, timeout=TIMEOUT) as done:
        assert window.training.train()
        banner = window.run_controls.banner
        assert banner.isVisible()
        assert "This run may run out of memory: training needs about" in banner.message()
    assert done.args[0].status == "completed"


def test_no_warning_when_the_run_fits(window, qtbot):
    with qtbot.waitSignal(window.training.runFinished, timeout=TIMEOUT):
        window.editor.set_training(epochs=1)
        assert window.training.train()
        assert not window.run_controls.banner.isVisible()
