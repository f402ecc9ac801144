"""A big file in the window, past its read: Train pressed before the data panel prepared
the data waits for the panel's load (with its progress) instead of reading the file a
second time; closing the window while the data is split stops the split at its next
piece; the loading thread hands the interpreter lock over promptly and reports progress
a few times a second."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest
from PySide6.QtGui import QAction

import app.data_source
import nncore.run
from app.panels import data_loading
from app.understanding import lint_checker
from nncore.data import chunked, load_data
from nncore.data import dataset as dataset_module
from nncore.data.formats.files import LoadCancelled
from nncore.run import prepare_data


def _csv(path, n=400):
    """Two features (the default window's network takes x1, x2) and a class label."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(n, 2)).round(4)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    path.write_text("x1,x2,label\n" + "".join(
        f"{a},{b},{k}\n" for (a, b), k in zip(X, y, strict=True)))
    return path


@pytest.fixture
def reads(monkeypatch):
    """Every read of a data file, by the panel's thread, lint or a run (its path)."""
    seen: list[str] = []
    real = nncore.run.load_dataset

    def counted(spec, base_dir=None, control=None):
        if spec.source == "file":
            seen.append(spec.path)
        return real(spec, base_dir, control)

    monkeypatch.setattr(nncore.run, "load_dataset", counted)
    monkeypatch.setattr(app.data_source, "load_dataset", counted)
    return seen


@pytest.fixture
def held_load(monkeypatch):
    """The panel's loads wait for ``release`` (so Train comes before the data is ready)."""
    release, started = threading.Event(), threading.Event()
    real = data_loading.load_spec

    def load(spec, base_dir, control=None):
        started.set()
        while not release.wait(0.005):
            control.check("big.csv")
            control.report(1, 100)
        return real(spec, base_dir, control)

    monkeypatch.setattr(data_loading, "load_spec", load)
    # The small test file is "big": the panel loads it on its thread, lint takes the
    # panel's data.
    monkeypatch.setattr(data_loading, "INLINE_BYTES", 0)
    monkeypatch.setattr(lint_checker, "OWN_LOAD_BYTES", 0)
    return release, started


def test_train_before_the_data_is_prepared_waits_for_the_panels_load(
        window, qtbot, tmp_path, reads, held_load):
    release, started = held_load
    w = window
    path = _csv(tmp_path / "big.csv")
    w.editor.set_training(epochs=1)
    w.data_dock.show()
    w.data_dock.raise_()
    assert w.editor.set_data(source="file", path=str(path), params={"target": "label"}) is None
    assert started.wait(10)
    finished = []
    w.training.runFinished.connect(finished.append)
    w.findChild(QAction, "actionTrain").trigger()
    # The run waits for the panel's load, whose progress (and Cancel) shows meanwhile.
    assert not w.training.active
    assert "Training starts once big.csv is loaded and prepared" in \
        w.statusBar().currentMessage()
    assert w.data_panel.status_progress.isVisibleTo(w)
    release.set()
    qtbot.waitUntil(lambda: bool(finished), timeout=60_000)
    assert reads == [str(path)]  # read once, by the panel: the run did not read it again
    spec, base = w.document.data, w.document.base_dir
    prepared = w.data_panel.prepared_data(spec, base)
    assert finished[0].data is prepared
    expected = prepare_data(spec, base, dataset=load_data(path, target="label"))
    np.testing.assert_array_equal(prepared.train.X, expected.train.X)
    np.testing.assert_array_equal(prepared.val.y, expected.val.y)
    assert finished[0].steps_per_epoch > 0


def test_a_cancelled_load_leaves_the_waiting_run_unstarted_and_says_why(
        window, qtbot, tmp_path, reads, held_load):
    _release, started = held_load
    w = window
    path = _csv(tmp_path / "big.csv")
    w.data_dock.show()
    w.data_dock.raise_()
    assert w.editor.set_data(source="file", path=str(path), params={"target": "label"}) is None
    assert started.wait(10)
    assert w.training.train()
    w.data_panel.status_progress.cancel.click()
    assert not w.training.active
    assert w.statusBar().currentMessage() == \
        "Training did not start: loading was cancelled"
    assert reads == []  # the cancelled load never got to read, and no run read it either


def test_closing_the_window_during_the_split_stops_it_at_the_next_piece(
        window, qtbot, tmp_path, monkeypatch):
    """The split's copies go in pieces, each followed by a check of the load's Cancel:
    the window's close sets it, and the copy running stops after the piece it was in."""
    monkeypatch.setattr(data_loading, "INLINE_BYTES", 0)
    monkeypatch.setattr(chunked, "PIECE_BYTES", 64)  # 8 rows of two float32 a piece
    # Per thread (the panel may run more than one load): in the split or not, pieces
    # started after the cancel, and where the cancel stopped it.
    local, in_split = threading.local(), threading.Event()
    after_cancel: dict[int, int] = {}
    raised: dict[int, list[str]] = {}
    real_pause, real_split = chunked.pause, nncore.run.split

    def split(*args, **kwargs):
        local.splitting = True
        try:
            return real_split(*args, **kwargs)
        finally:
            local.splitting = False

    def pause():
        control = chunked._local.pace[0]
        me = threading.get_ident()
        if getattr(local, "splitting", False):
            if not in_split.is_set():
                in_split.set()
                control.cancel.wait(10)  # the window closes meanwhile
            if control.cancel.is_set():
                after_cancel[me] = after_cancel.get(me, 0) + 1
        try:
            real_pause()
        except LoadCancelled:
            raised.setdefault(me, []).append(sys._getframe(1).f_code.co_name)
            raise

    monkeypatch.setattr(nncore.run, "split", split)
    monkeypatch.setattr(chunked, "pause", pause)
    monkeypatch.setattr(dataset_module, "pause", pause)
    w = window
    w.data_dock.show()
    w.data_dock.raise_()
    assert w.data_panel.import_path(_csv(tmp_path / "big.csv", n=4000), {"target": "label"})
    threads = w.data_panel.editing.loader.threads()
    qtbot.waitUntil(in_split.is_set, timeout=30_000)
    w.files.marked_modified = False
    w.undo_stack.setClean()
    w.close()
    # close() returned with the thread ended: the copy stopped at the piece it was in
    # (the first of 3,200 / 8 = 400 pieces of the training part), not at its end.
    assert all(t.isFinished() for t in threads)
    # The thread in the split stopped at the piece it was in, in the middle of the rows'
    # copy: one piece after the cancel, no more (another load the close cancelled may stop
    # elsewhere, once).
    (splitter,) = after_cancel
    assert after_cancel[splitter] == 1
    assert raised[splitter] == ["take_rows"]
    assert all(len(where) == 1 for where in raised.values())


def test_chunked_copies_equal_the_unchunked_result():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(1000, 3, 5)).astype(np.float32)
    index = rng.permutation(1000)[:777]
    index[:5] = [-1, -1000, 0, 999, -500]
    for piece in (1, 60, 61, 1 << 21):
        np.testing.assert_array_equal(chunked.take_rows(X, index, piece), X[index])
    assert chunked.take_rows(X, np.array([], dtype=np.int64)).shape == (0, 3, 5)
    with pytest.raises(IndexError):
        chunked.take_rows(X, np.array([1000]))


def test_a_paced_copy_stops_at_the_piece_after_a_cancel(monkeypatch):
    from nncore.data.formats.files import LoadControl

    X = np.arange(4000, dtype=np.float32).reshape(1000, 4)
    control = LoadControl(cancel=threading.Event())
    copied = []
    real_take = np.take

    def take(a, index, axis=None, out=None, mode="raise"):
        if a is X:  # (np.take is NumPy's own: other threads' calls are not this copy's)
            copied.append(len(index))
        if len(copied) == 3:
            control.cancel.set()
        return real_take(a, index, axis=axis, out=out, mode=mode)

    monkeypatch.setattr(chunked.np, "take", take)
    with chunked.paced(control, "x.csv"), pytest.raises(LoadCancelled, match="x.csv"):
        chunked.take_rows(X, np.arange(1000), piece_bytes=16 * 10)
    assert copied == [10, 10, 10]  # 3 of 100 pieces: it stopped after the cancel
    # Outside paced, the same copy runs to its end.
    control.cancel.clear()
    copied.clear()
    np.testing.assert_array_equal(chunked.take_rows(X, np.arange(1000), 160), X)
    assert len(copied) == 100


def test_the_loading_thread_hands_the_lock_over_promptly_while_it_runs(
        window, qtbot, tmp_path, held_load):
    release, started = held_load
    before = sys.getswitchinterval()
    seen = []
    assert window.data_panel.import_path(_csv(tmp_path / "big.csv"))
    assert started.wait(10)
    seen.append(sys.getswitchinterval())
    release.set()
    qtbot.waitUntil(lambda: window.document.data.source == "file", timeout=30_000)
    qtbot.waitUntil(lambda: not window.data_panel.editing.loader.threads(), timeout=30_000)
    assert seen == [data_loading.LOAD_SWITCH_INTERVAL_S] != [before]
    assert sys.getswitchinterval() == before


def test_progress_is_reported_a_few_times_a_second_and_its_end_at_once(monkeypatch):
    from nncore.data.formats.files import LoadControl
    from nncore.project import DataSpec

    clock = [100.0]
    monkeypatch.setattr(data_loading.time, "monotonic", lambda: clock[0])
    worker = data_loading._LoadWorker(
        data_loading.LoadRequest(DataSpec(source="file", path="big.csv"), None),
        LoadControl(cancel=threading.Event()))
    sent = []
    worker.progressed.connect(lambda _r, done, total: sent.append(done))
    for done in range(1, 50):  # 49 chunks read within 48 ms: one report
        worker.control.report(done, 1000)
        clock[0] += 0.001
    clock[0] += data_loading.PROGRESS_INTERVAL_S
    worker.control.report(60, 1000)
    worker.control.report(1000, 1000)  # the end of the file, at once
    assert sent == [1, 60, 1000]


def test_scratch_arrays_are_writable_work_arrays_of_the_shape_asked():
    a = chunked.scratch((3, 4), np.float64)
    a[...] = np.arange(12).reshape(3, 4)
    assert a.shape == (3, 4) and a.dtype == np.float64 and a.flags.writeable
    assert a.sum() == 66
    assert chunked.scratch((0, 5), bool).shape == (0, 5)
