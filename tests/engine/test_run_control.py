"""RunControl's interface for the trainer: the 'requested' flag, checkpoint(), hold() and
the pause after an epoch, on their own and against a thread handing requests in."""

from __future__ import annotations

import threading

from nncore.events import RunControl

TIMEOUT = 20.0  # seconds; only reached when something hangs


def test_a_fresh_control_requests_nothing():
    ctl = RunControl()
    assert not ctl.requested and not ctl.paused and not ctl.stopped
    assert ctl.checkpoint(lambda: None) is False
    assert not ctl.take_pause_after_epoch()


def test_a_call_is_run_at_the_next_checkpoint():
    ctl = RunControl()
    ran, paused = [], []
    ctl.call_in_run(lambda: ran.append(1))
    assert ctl.requested and not ran  # nothing runs before the trainer checks
    assert ctl.checkpoint(lambda: paused.append(1)) is False
    assert ran == [1] and not paused and not ctl.requested
    ctl.resume()  # resuming asks nothing of the trainer
    assert not ctl.requested


def test_a_call_handed_in_by_a_call_waits_for_the_next_checkpoint():
    ctl = RunControl()
    ran = []
    ctl.call_in_run(lambda: ctl.call_in_run(lambda: ran.append("second")))
    ctl.checkpoint(lambda: None)
    assert ran == [] and ctl.requested  # the next batch sees it
    ctl.checkpoint(lambda: None)
    assert ran == ["second"] and not ctl.requested


def test_a_stop_is_for_good():
    ctl = RunControl()
    ctl.request_stop()
    assert ctl.requested and ctl.stopped
    assert ctl.checkpoint(lambda: None) is True
    assert ctl.requested and ctl.checkpoint(lambda: None) is True


def test_a_pause_holds_the_checkpoint_until_resumed_and_runs_calls_made_meanwhile():
    ctl = RunControl()
    ctl.pause()
    assert ctl.requested and ctl.paused
    reported, ran, out = threading.Event(), [], {}

    def trainer():
        out["stop"] = ctl.checkpoint(reported.set)

    th = threading.Thread(target=trainer, daemon=True)
    th.start()
    assert reported.wait(TIMEOUT)  # the pause was reported, and the trainer waits
    ctl.call_in_run(lambda: ran.append(1))
    threading.Event().wait(0.1)
    assert th.is_alive() and not ran
    ctl.resume()
    th.join(TIMEOUT)
    assert out == {"stop": False} and ran == [1]


def test_a_stop_ends_a_hold():
    ctl = RunControl()
    ctl.pause()
    out = {}
    th = threading.Thread(target=lambda: out.setdefault("stop", ctl.hold(lambda: None)),
                          daemon=True)
    th.start()
    threading.Event().wait(0.05)
    ctl.request_stop()
    th.join(TIMEOUT)
    assert out == {"stop": True}


def test_step_epoch_pauses_once_at_the_end_of_the_epoch():
    ctl = RunControl()
    ctl.pause()
    ctl.step_epoch()  # resumes, and asks for a pause at the epoch's end
    assert not ctl.paused
    assert ctl.take_pause_after_epoch() and ctl.paused
    assert not ctl.take_pause_after_epoch()


def test_no_request_from_another_thread_goes_unnoticed():
    ctl = RunControl()
    ran = []
    n = 2000

    def hand_in():
        for i in range(n):
            ctl.call_in_run(lambda i=i: ran.append(i))

    th = threading.Thread(target=hand_in, daemon=True)
    th.start()
    while th.is_alive() or ctl.requested:  # the trainer's batches
        if ctl.requested:
            ctl.checkpoint(lambda: None)
    th.join(TIMEOUT)
    assert ran == list(range(n))
