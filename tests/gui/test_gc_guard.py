"""The garbage-collection guard: automatic collection off, cycles still collected on the
event loop (app.gc_guard)."""

from __future__ import annotations

import gc
import weakref

from app import gc_guard


class Node:
    def __init__(self) -> None:
        self.other = self  # a reference cycle: only the cyclic collector frees it


def test_automatic_collection_is_off_in_the_gui_process(qapp):
    assert not gc.isenabled()


def test_a_cycle_is_collected_by_the_event_loop_timer(qtbot):
    guard = gc_guard.CollectOnTimer(interval_msec=10)
    try:
        refs = []
        for _ in range(gc.get_threshold()[0] + 50):  # enough garbage to pass generation 0
            refs.append(weakref.ref(Node()))
        assert all(r() is not None for r in refs[-5:])  # not freed by reference counting
        qtbot.waitUntil(lambda: all(r() is None for r in refs), timeout=2000)
    finally:
        guard.uninstall()
        gc.disable()  # the session's guard stays in charge


def test_collect_due_leaves_a_small_count_alone():
    gc.collect()
    assert gc_guard.collect_due() == -1
    x = [Node() for _ in range(gc.get_threshold()[0] + 10)]
    del x
    assert gc_guard.collect_due() >= 0


def test_freezing_the_startup_objects_hides_them_from_later_collections():
    keep = [Node() for _ in range(100)]  # alive at "startup"
    try:
        gc_guard.freeze_startup()
        assert gc.get_freeze_count() >= len(keep)
        tracked_after = len(gc.get_objects(generation=2))
        assert all(not any(o is k for o in gc.get_objects(generation=2)) for k in keep[:3])
        assert tracked_after < gc.get_freeze_count()
    finally:
        gc.unfreeze()  # the test session goes on collecting as before
