"""What Trainer.fit reports in its events, field by field: the start (epochs, steps, rows,
validation rows), each epoch's totals and elapsed time, the early-stopping words, a step
request on the last epoch, and a resume point taken once. Written against
mutation-testing survivors of the fit loop (issue 19)."""

from __future__ import annotations

import threading
import time

import numpy as np

from nncore.config import TrainingConfig
from nncore.events import EpochEnd, Paused, RunControl, TrainingStarted
from nncore.network import Network
from nncore.spec import GraphSpec
from nncore.trainer import Trainer

GRAPH = GraphSpec.sequential([("Input", {"shape": [2]}),
                              ("Dense", {"units": 1, "activation": "linear"})])


def data(n: int = 30, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2)).astype(np.float32)
    return x, (x @ np.array([[1.0], [-1.0]], np.float32))


def fit(x, y, xv=None, yv=None, control=None, **cfg):
    trainer = Trainer(Network(GRAPH, seed=0),
                      TrainingConfig(**{"loss": "mse", "optimizer": "sgd", **cfg}), control)
    events: list = []
    t0 = time.perf_counter()
    fin = trainer.fit(x, y, xv, yv, callback=events.append)
    return trainer, fin, events, time.perf_counter() - t0


def test_the_start_event_counts_epochs_steps_and_rows():
    x, y = data(30)
    _, _, events, _ = fit(x, y, epochs=2, batch_size=8)
    assert events[0] == TrainingStarted(2, 4, 30, 0, 0)
    _, _, events, _ = fit(x, y, x[:7], y[:7], epochs=3, batch_size=10)
    assert events[0] == TrainingStarted(3, 3, 30, 7, 0)


def test_epoch_events_carry_the_run_length_and_a_plausible_elapsed_time():
    x, y = data(30)
    _, fin, events, wall = fit(x, y, epochs=3, batch_size=8)
    ends = [e for e in events if isinstance(e, EpochEnd)]
    assert [(e.epoch, e.epochs) for e in ends] == [(1, 3), (2, 3), (3, 3)]
    times = [e.elapsed for e in ends]
    # seconds since the run started: growing, and within the time the call took
    assert 0 <= times[0] <= times[1] <= times[2] <= fin.elapsed <= wall


def test_early_stopping_names_the_epoch_it_stopped_after():
    x, y = data(30)
    _, fin, events, _ = fit(x, y, epochs=10, batch_size=8, learning_rate=0.01,
                            early_stopping=True, patience=2, min_delta=1e9)
    assert fin.reason == "early_stopping" and fin.epochs_run == 3
    ends = [e for e in events if isinstance(e, EpochEnd)]
    # every epoch reports the best so far: epoch 1 and its loss (none improved enough)
    assert [(e.best_epoch, e.best_loss) for e in ends] == [(1, ends[0].train_loss)] * 3
    assert fin.message.startswith("stopped after epoch 3: no improvement for 2 epochs; "
                                  "best epoch 1")


def test_a_step_requested_in_the_last_epoch_ends_the_run_without_a_pause():
    x, y = data(30)
    control = RunControl()
    control.step_epoch()  # pause at the end of the (only) epoch: there is none after it
    done: list = []
    worker = threading.Thread(target=lambda: done.append(
        fit(x, y, control=control, epochs=1, batch_size=8)))
    worker.start()
    worker.join(timeout=60)
    if worker.is_alive():  # paused after the last epoch: let it go, then fail
        control.request_stop()
        worker.join()
        raise AssertionError("the run paused after its last epoch")
    _, fin, events, _ = done[0]
    assert fin.reason == "completed"
    assert not [e for e in events if isinstance(e, Paused)]


def test_a_resume_point_is_taken_by_one_fit_only():
    x, y = data(30)
    first, _, _, _ = fit(x, y, epochs=2, batch_size=8)
    point = first.resume_point()
    trainer = Trainer(Network(GRAPH, seed=0), TrainingConfig(loss="mse", optimizer="sgd",
                                                             epochs=3, batch_size=8))
    trainer.net.set_weights(first.net.get_weights())
    trainer.resume(point)
    fin = trainer.fit(x, y)
    assert fin.history.epoch == [1, 2, 3] and trainer.resume_at is None
    again = trainer.fit(x, y)  # a new fit of the same trainer starts at its first epoch
    assert again.epochs_run == 3
