"""The run history and its events, without Qt: numbering, the active, chosen and shown
runs, overlays, and the order in which observers hear of changes."""

from __future__ import annotations

import numpy as np
import pytest

from app.examples import builtin_spiral
from app.models.events import Event
from app.models.history import RunHistory
from app.models.runs import RUN_COLORS, format_duration, format_metric, run_label


@pytest.fixture
def history() -> RunHistory:
    return RunHistory()


def _record(history: RunHistory) -> list[tuple]:
    """Every event of ``history``, in order, as (name, args)."""
    log: list[tuple] = []
    for name in ("runs_changed", "run_changed", "display_changed", "overlay_changed"):
        getattr(history, name).connect(lambda *args, name=name: log.append((name, *args)))
    return log


def _run_and_end(history: RunHistory, weights: bool = True):
    run = history.next_run(builtin_spiral(), 0, False)
    history.begin(run)
    if weights:
        run.weights = {"dense1/W": np.zeros((2, 16))}
    history.end(run, keep=True)
    return run


def test_event_calls_callbacks_in_order_and_disconnects():
    ev, calls = Event(), []
    first = lambda x: calls.append(("first", x))  # noqa: E731
    ev.connect(first)
    ev.connect(lambda x: calls.append(("second", x)))
    ev.emit(1)
    ev.disconnect(first)
    ev.emit(2)
    assert calls == [("first", 1), ("second", 1), ("second", 2)]
    with pytest.raises(ValueError):
        ev.disconnect(first)


def test_runs_are_numbered_and_coloured_in_order(history):
    project = builtin_spiral()
    run = history.next_run(project, 0, False)
    assert (run.number, run.color, run.status) == (1, RUN_COLORS[0], "preparing")
    assert run.label == run_label(project) == "tanh · adam 0.01"
    assert run.task == "classification" and run.metric == "accuracy"
    assert run.epochs_planned == project.training.epochs
    assert history.runs == []  # not in the history before begin()
    log = _record(history)
    history.begin(run)
    assert history.runs == [run] and history.active_run is run
    assert log == [("runs_changed",), ("display_changed",)]
    assert history.next_run(project, 5, True).number == 2


def test_a_run_that_never_trained_leaves_and_gives_back_its_number(history):
    first = _run_and_end(history)
    run = history.next_run(builtin_spiral(), 0, False)
    history.begin(run)
    log = _record(history)
    history.end(run, keep=False)
    assert history.runs == [first] and history.active_run is None
    assert log == [("runs_changed",), ("run_changed", run), ("display_changed",)]
    assert history.next_run(builtin_spiral(), 0, False).number == 2


def test_the_shown_run_is_the_active_then_the_chosen_then_the_latest(history):
    assert history.display_run() is None and history.selected_run() is None
    r1 = _run_and_end(history)
    r2 = _run_and_end(history, weights=False)  # e.g. failed: no weights
    assert history.display_run() is r2
    assert history.selected_run() is r1  # the latest with weights
    log = _record(history)
    assert history.select(r1) and not history.select(r1)
    assert log == [("display_changed",)]
    assert history.display_run() is r1
    assert history.select(r2)
    assert history.display_run() is r2 and history.selected_run() is r1
    r3 = history.next_run(builtin_spiral(), 0, False)
    history.begin(r3)
    assert history.display_run() is r3  # the active run, whatever was chosen
    assert history.find(2) is r2 and history.find(9) is None


def test_overlays_leave_out_the_shown_run(history):
    r1, r2, r3 = (_run_and_end(history) for _ in range(3))
    log = _record(history)
    history.set_overlay(r1.number, True)
    history.set_overlay(r3.number, True)
    assert history.overlay_runs() == [r1]  # r3 is shown
    history.select(r1)
    assert history.overlay_runs() == [r3]
    history.set_overlay(r3.number, False)
    assert history.overlay_runs() == []
    assert [e[0] for e in log].count("overlay_changed") == 3
    assert r2 not in history.overlay_runs()


def test_clear_forgets_everything_and_numbers_from_one(history):
    r1 = _run_and_end(history)
    history.set_overlay(r1.number, True)
    history.select(r1)
    log = _record(history)
    history.clear()
    assert history.runs == [] and history.overlay == set()
    assert history.display_run() is None and history.selected_run() is None
    assert log == [("runs_changed",), ("display_changed",)]
    assert history.next_run(builtin_spiral(), 0, False).number == 1


def test_run_updated_tells_the_observers(history):
    run = _run_and_end(history)
    log = _record(history)
    history.run_updated(run)
    assert log == [("run_changed", run)]


def test_formats():
    assert format_duration(3.25) == "3.2 s" and format_duration(75) == "1:15"
    assert format_duration(3600 * 2 + 61) == "2:01:01"
    assert format_metric("accuracy", 0.9876) == "98.8%"
    assert format_metric("rmse", 0.123456) == "0.1235"
    assert format_metric("rmse", float("nan")) == "–"
