"""The frame scheduler on its own, with stand-in callbacks: the turns of draining and
redrawing while a run trains, one part per tick, background work within the budget, the
timer stopping when nothing is left; and AfterPending's place behind pending events."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QObject

from app.training import frames as frames_mod
from app.training.frames import (
    MAX_SLICE,
    REDRAW_SLOTS,
    TICK_MSEC,
    TICK_MSEC_RUNNING,
    AfterPending,
    FrameScheduler,
)


class Stand:
    """The callbacks a FrameScheduler gets, with a log of what it did in each tick."""

    def __init__(self, training: bool, busy: bool, background: bool = False) -> None:
        self.training, self.busy, self.background = training, busy, background
        self.log: list[tuple[int, str]] = []
        self.deadlines: list[float] = []
        self.frames = FrameScheduler(lambda: self.training, lambda: self.busy, self.drain,
                                     lambda: self.background, self.work)
        self.frames.redraw.connect(lambda slot: self.log.append((self.frames.ticks,
                                                                 f"redraw {slot}")))

    def drain(self) -> None:
        self.log.append((self.frames.ticks, "drain"))

    def work(self, deadline: float) -> None:
        self.deadlines.append(deadline)
        self.log.append((self.frames.ticks, "work"))
        self.background = False


def test_while_training_ticks_take_turns_draining_and_redrawing(qapp):
    s = Stand(training=True, busy=True)
    s.frames.request_redraw()
    for _ in range(8):
        s.frames._tick()
    drains = {t for t, what in s.log if what == "drain"}
    redraws = [(t, what) for t, what in s.log if what.startswith("redraw")]
    assert drains == {1, 3, 5, 7}
    assert not drains & {t for t, _ in redraws}  # never both in one tick
    assert redraws[0] == (2, "redraw 0")  # one part per tick, in order
    assert [w for _, w in redraws] == [f"redraw {k}" for k in range(len(redraws))]


def test_idle_redraws_every_part_then_the_timer_stops(qapp):
    s = Stand(training=False, busy=False)
    s.frames.request_redraw()
    assert s.frames._timer.isActive()
    for _ in range(REDRAW_SLOTS):
        s.frames._tick()
    assert [w for _, w in s.log] == [f"redraw {k}" for k in range(REDRAW_SLOTS)]
    assert not s.frames._timer.isActive()


class FrozenClock:
    """The scheduler's clock, moved only by the test (no wall-clock in assertions)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def perf_counter(self) -> float:
        return self.now

    def thread_time(self) -> float:
        return 0.0


def test_background_work_gets_a_slice_of_the_budget(qapp, monkeypatch):
    clock = FrozenClock()
    monkeypatch.setattr(frames_mod, "time", clock)
    s = Stand(training=False, busy=False, background=True)
    s.frames.wake()
    clock.now += 10.0  # enough idle time to fill the budget
    s.frames._tick()
    assert [w for _, w in s.log] == ["work"]
    assert s.deadlines == [clock.now + MAX_SLICE]
    s.frames._tick()  # nothing left: the timer stops
    assert not s.frames._timer.isActive()


def test_without_budget_a_part_redraws_only_when_overdue(qapp, monkeypatch):
    monkeypatch.setattr(frames_mod, "RUNNING_BUDGET", 0.0)
    monkeypatch.setattr(frames_mod, "MAX_REDRAW_GAP", 1e9)
    s = Stand(training=True, busy=True)
    s.frames.request_redraw()
    s.frames._tokens = -1.0  # a debt: no budget left
    for _ in range(6):
        s.frames._tick()
    assert [w for _, w in s.log] == ["drain"] * 3


@pytest.mark.parametrize("training, msec", [(True, TICK_MSEC_RUNNING), (False, TICK_MSEC)])
def test_the_pace_follows_training(qapp, training, msec):
    s = Stand(training=False, busy=False)
    s.frames.set_training(training)
    assert s.frames.tick_msec == msec


def test_redraw_all_redraws_every_part_at_once(qapp):
    s = Stand(training=True, busy=True)
    s.frames.redraw_all()
    assert [w for _, w in s.log] == [f"redraw {k}" for k in range(REDRAW_SLOTS)]


class _Recorder(QObject):
    def __init__(self, order: list[str]) -> None:
        super().__init__()
        self.order = order

    def event(self, e: QEvent) -> bool:  # noqa: N802
        if e.type() == QEvent.Type.User:
            self.order.append("posted")
            return True
        return super().event(e)


def test_after_pending_runs_behind_the_events_already_posted(qapp):
    order: list[str] = []
    recorder, after = _Recorder(order), AfterPending()
    QCoreApplication.postEvent(recorder, QEvent(QEvent.Type.User))
    after.call(lambda: order.append("after"))
    QCoreApplication.postEvent(recorder, QEvent(QEvent.Type.User))
    QCoreApplication.processEvents()
    assert order == ["posted", "posted", "after"]
