"""Loading data off the GUI thread: a big file loads on a thread with a progress bar in
bytes and Cancel (in the data panel and the status bar), the window handles events
meanwhile, Cancel stops the load, closing the window stops it at once, and a run trains on
the data the panel prepared instead of reading the file again."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from PySide6.QtCore import QTimer

from app.panels import data_loading
from nncore.data import load_data


@pytest.fixture
def panel(window):
    window.data_dock.raise_()
    window.data_dock.show()
    window.data_panel.refresh_preview()
    return window.data_panel


@pytest.fixture
def slow_load(monkeypatch):
    """Loads that report progress and run until cancelled or released (deterministic,
    whatever the machine's speed)."""
    release = threading.Event()
    started = threading.Event()

    def load(spec, base_dir, control=None):
        started.set()
        total = 50_000_000
        done = 0
        while not release.is_set():
            control.check("big.csv")
            done = min(total - 1, done + 1_000_000)
            control.report(done, total)
            time.sleep(0.005)
        return real_load(spec, base_dir, control)

    real_load = data_loading.load_spec
    monkeypatch.setattr(data_loading, "load_spec", load)
    monkeypatch.setattr(data_loading, "INLINE_BYTES", 0)
    return release, started


def _finished(thread) -> bool:
    """Whether a loading thread has ended (a thread object already deleted has)."""
    try:
        return thread.isFinished()
    except RuntimeError:
        return True


def _csv(path, n=300):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 3)).round(3)
    y = (X[:, 0] > 0).astype(int)
    path.write_text("a,b,c,label\n" + "".join(
        f"{r[0]},{r[1]},{r[2]},{'yn'[k]}\n" for r, k in zip(X, y, strict=True)))
    return path


def test_a_big_file_loads_on_a_thread_with_progress_and_events_keep_coming(
        window, panel, qtbot, tmp_path, slow_load):
    release, started = slow_load
    path = _csv(tmp_path / "big.csv")
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(panel.editing.loader.busy))
    timer.start(10)
    assert panel.import_path(path)  # started, not finished
    assert panel.editing.loader.busy and window.document.data.source == "synthetic"
    started.wait(5)
    qtbot.waitUntil(lambda: panel.progress.bar.value() > 0, timeout=5000)
    assert panel.progress.isVisibleTo(panel)
    assert "Loading big.csv:" in panel.progress.label.text()
    assert " of 50.0 MB" in panel.progress.label.text()
    assert window.data_panel.status_progress.isVisibleTo(window)
    # The GUI thread handles events while the file loads: the timer fires meanwhile.
    qtbot.waitUntil(lambda: ticks.count(True) >= 3, timeout=5000)
    release.set()
    qtbot.waitUntil(lambda: window.document.data.source == "file", timeout=10000)
    timer.stop()
    assert not panel.progress.isVisibleTo(panel)
    expected = load_data(path)
    qtbot.waitUntil(lambda: panel.dataset is not None, timeout=5000)
    np.testing.assert_array_equal(panel.dataset.X, expected.X)
    np.testing.assert_array_equal(panel.dataset.y, expected.y)
    assert window.undo_stack.undoText() == "Import big.csv"


def test_cancel_stops_the_load_and_changes_nothing(window, panel, qtbot, tmp_path,
                                                   slow_load):
    _release, started = slow_load
    before = window.document.data
    assert panel.import_path(_csv(tmp_path / "big.csv"))
    started.wait(5)
    qtbot.waitUntil(lambda: panel.progress.bar.value() > 0, timeout=5000)
    threads = panel.editing.loader.threads()
    assert threads
    panel.progress.cancel.click()
    assert not panel.editing.loader.busy
    assert not panel.progress.isVisibleTo(panel)
    qtbot.waitUntil(lambda: all(_finished(t) for t in threads), timeout=5000)
    assert window.document.data == before
    assert not window.undo_stack.canUndo()
    assert "cancelled" in window.statusBar().currentMessage()


def test_the_status_bar_cancel_stops_a_preview_load(make_window, qtbot, tmp_path,
                                                    slow_load):
    from nncore.project import DataSpec, Project

    path = _csv(tmp_path / "big.csv")
    w = make_window(project=Project(name="p", data=DataSpec(source="file", path="big.csv")),
                    path=tmp_path / "p.json")
    w.data_dock.raise_()
    panel = w.data_panel
    qtbot.waitUntil(lambda: panel.editing.loader.busy, timeout=5000)
    assert "Loading big.csv" in panel.preview.empty.text()
    w.data_panel.status_progress.cancel.click()
    assert "was cancelled" in panel.preview.empty.text()
    assert panel.load_again.isVisibleTo(panel)
    slow_load[0].set()
    panel.load_again.click()
    qtbot.waitUntil(lambda: panel.dataset is not None, timeout=10000)
    assert panel.dataset.n_samples == load_data(path).n_samples


def test_closing_the_window_stops_the_load_at_once(window, panel, qtbot, tmp_path,
                                                  slow_load):
    _release, started = slow_load
    assert panel.import_path(_csv(tmp_path / "big.csv"))
    started.wait(5)
    threads = panel.editing.loader.threads()
    assert threads and not threads[0].isFinished()
    window.files.marked_modified = False
    window.undo_stack.setClean()
    window.close()
    # close() returned: the load's thread has already ended (it did not wait for the load).
    assert all(t.isFinished() for t in threads)
    assert not panel.editing.loader.threads()


def test_a_load_that_fails_on_the_thread_shows_its_fix(window, panel, qtbot, tmp_path,
                                                      monkeypatch):
    monkeypatch.setattr(data_loading, "INLINE_BYTES", 0)
    path = tmp_path / "holes.csv"
    path.write_text("a,b,t\n1,2,x\n3,,y\n5,6,x\n")
    assert panel.import_path(path)
    qtbot.waitUntil(lambda: panel.sources.file.problem.isVisibleTo(panel), timeout=10000)
    assert "missing value" in panel.sources.file.error.text()
    assert panel.sources.file.options.fields["drop_incomplete"].isChecked()


def test_training_takes_the_data_the_panel_prepared(window, panel, qtbot, tmp_path,
                                                    monkeypatch):
    """A big file is read once: the panel's loading thread also splits and normalizes it,
    and the run trains on that prepared data (the same arrays as the engine's)."""
    from nncore.run import prepare_data

    monkeypatch.setattr(data_loading, "INLINE_BYTES", 0)
    path = _csv(tmp_path / "big.csv")
    assert panel.import_path(path)
    qtbot.waitUntil(lambda: window.document.data.source == "file", timeout=10000)
    spec, base = window.document.data, window.document.base_dir
    qtbot.waitUntil(lambda: panel.prepared_data(spec, base) is not None, timeout=10000)
    prepared = panel.prepared_data(spec, base)
    assert prepared.dataset is panel.dataset  # one copy of the raw data
    expected = prepare_data(spec, base, dataset=load_data(path))
    np.testing.assert_array_equal(prepared.train.X, expected.train.X)
    np.testing.assert_array_equal(prepared.val.y, expected.val.y)
    window.editor.set_param("input1", "shape", [3])
    assert window.training.trained.cached_data(window.document.snapshot(), base) is prepared
