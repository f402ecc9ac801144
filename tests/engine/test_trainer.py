"""The training loop: learning, determinism, divergence, run control, early stopping,
regularization, clipping, freezing, metrics, events and multi-input networks."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest

from nncore import trainer as trainer_module
from nncore.config import TrainingConfig
from nncore.data import synthetic
from nncore.errors import DataError
from nncore.events import (
    BatchEnd,
    Diverged,
    EpochEnd,
    Paused,
    RunControl,
    TrainingFinished,
    TrainingStarted,
)
from nncore.network import Network
from nncore.spec import EdgeSpec, GraphSpec, NodeSpec
from nncore.trainer import Trainer

TIMEOUT = 20.0  # seconds; only reached when something hangs


def mlp(n_in, hidden, n_out, act="tanh", out_act="softmax", extra=()):
    layers = [("Input", {"shape": [n_in]})]
    layers += [("Dense", {"units": h, "activation": act}) for h in hidden]
    layers += list(extra)
    layers.append(("Dense", {"units": n_out, "activation": out_act}))
    return GraphSpec.sequential(layers)


def fit(graph, x, y, xv=None, yv=None, *, seed=0, dtype=np.float32, control=None,
        on_divergence="stop", prepare=None, **cfg):
    """Build a network and train it; returns (network, trainer, finished, events)."""
    net = Network(graph, seed=seed, dtype=dtype)
    if prepare is not None:
        prepare(net)
    trainer = Trainer(net, TrainingConfig(**cfg), control, on_divergence)
    events = []
    finished = trainer.fit(x, y, xv, yv, callback=events.append)
    return net, trainer, finished, events


def of(events, cls):
    return [e for e in events if isinstance(e, cls)]


def regression_data(n=64, seed=0, n_in=3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, n_in)).astype(np.float32)
    y = (np.sin(x[:, :1]) + 0.5 * x[:, 1:2] ** 2 - x[:, 2:3]).astype(np.float32)
    return x, y


# -- learning -----------------------------------------------------------------------------
def test_learns_xor():
    tr = synthetic.xor(400, noise=0.0, seed=1)
    va = synthetic.xor(200, noise=0.0, seed=2)
    net, _, fin, _ = fit(mlp(2, [8], 2), tr.X / 5, tr.y, va.X / 5, va.y,
                         loss="categorical_crossentropy", optimizer="adam",
                         learning_rate=0.05, epochs=60, batch_size=32, seed=1)
    assert fin.reason == "completed" and fin.epochs_run == 60
    acc = fin.history.val_metrics[-1]["accuracy"]
    assert acc >= 0.97
    # The reported accuracy is what the network's predictions give.
    pred = net.predict(va.X / 5).argmax(axis=1)
    assert np.mean(pred == va.y) == pytest.approx(acc)


def test_learns_xor_with_one_sigmoid_output():
    tr = synthetic.xor(400, noise=0.0, seed=3)
    va = synthetic.xor(200, noise=0.0, seed=4)
    net, _, fin, _ = fit(mlp(2, [8], 1, out_act="sigmoid"), tr.X / 5, tr.y, va.X / 5, va.y,
                         loss="binary_crossentropy", optimizer="adam", learning_rate=0.05,
                         epochs=60, batch_size=32, seed=3)
    acc = fin.history.val_metrics[-1]["accuracy"]
    assert acc >= 0.97
    p = net.predict(va.X / 5)[:, 0]
    assert np.all((p > 0) & (p < 1))
    assert np.mean((p > 0.5) == (va.y == 1)) == pytest.approx(acc)


def test_learns_a_two_arm_spiral():
    tr = synthetic.spiral(400, noise=0.1, seed=5)
    va = synthetic.spiral(200, noise=0.1, seed=6)
    _, _, fin, _ = fit(mlp(2, [16, 16], 2, act="relu"), tr.X / 5, tr.y, va.X / 5, va.y,
                       loss="categorical_crossentropy", optimizer="adam",
                       learning_rate=0.01, epochs=200, batch_size=16, seed=5)
    assert fin.history.val_metrics[-1]["accuracy"] >= 0.97
    assert fin.history.train_loss[-1] < 0.2 * fin.history.train_loss[0]


# -- determinism --------------------------------------------------------------------------
def test_same_seed_same_weights_other_seed_differs():
    x, y = regression_data(96)
    graph = mlp(3, [12], 1, out_act="linear", extra=[("Dropout", {"rate": 0.2})])
    kw = dict(loss="mse", optimizer="adam", learning_rate=0.01, epochs=4, batch_size=10)
    runs = [fit(graph, x, y, x[:20], y[:20], seed=s, **kw) for s in (7, 7, 8)]
    (n1, _, f1, _), (n2, _, f2, _), (n3, _, _, _) = runs
    w1, w2, w3 = n1.get_weights(), n2.get_weights(), n3.get_weights()
    for k in w1:
        assert np.array_equal(w1[k], w2[k]), k
    assert f1.history.train_loss == f2.history.train_loss
    assert f1.history.val_loss == f2.history.val_loss
    assert not all(np.array_equal(w1[k], w3[k]) for k in w1)


def test_shuffling_and_dropout_are_seeded_by_the_network():
    # Same initial weights (copied) but a different generator: the runs must differ, so the
    # generator, not only the initial weights, decides the shuffling and dropout masks.
    x, y = regression_data(64)
    graph = mlp(3, [8], 1, out_act="linear", extra=[("Dropout", {"rate": 0.3})])
    w0 = Network(graph, seed=1).get_weights()
    kw = dict(loss="mse", optimizer="sgd", learning_rate=0.05, epochs=2, batch_size=8)
    a, _, _, _ = fit(graph, x, y, seed=1, **kw)
    b, _, _, _ = fit(graph, x, y, seed=2, prepare=lambda n: n.set_weights(w0), **kw)
    assert not np.array_equal(a.params_flat, b.params_flat)


# -- divergence ---------------------------------------------------------------------------
def _forward_by_hand(w, x, names):
    """Plain NumPy forward pass of a relu MLP (last layer linear); per-layer outputs."""
    outs, h = [], x
    for i, n in enumerate(names):
        z = h @ w[f"{n}/W"]
        z += w[f"{n}/b"]
        h = z if i == len(names) - 1 else np.maximum(z, 0)
        outs.append(h)
    return outs


def test_huge_learning_rate_diverges_and_restores_the_last_good_epoch(monkeypatch):
    # This test follows the run to its first NaN/Inf: the earlier "exploded" check (a
    # finite loss far above its start, tested below) is switched off.
    monkeypatch.setattr(trainer_module, "EXPLODE_FACTOR", math.inf)
    x, y = regression_data(64)
    graph = GraphSpec(
        [NodeSpec("in", "Input", {"shape": [3]}),
         NodeSpec("h1", "Dense", {"units": 8, "activation": "relu"}),
         NodeSpec("h2", "Dense", {"units": 8, "activation": "relu"}),
         NodeSpec("out", "Dense", {"units": 1, "activation": "linear"})],
        [EdgeSpec("in", "h1"), EdgeSpec("h1", "h2"), EdgeSpec("h2", "out")])
    net = Network(graph, seed=0)
    w0 = net.get_weights()
    # One full batch per epoch, no shuffling: each forward pass sees all of x with the
    # weights left by the previous BatchEnd, so the failure can be replayed by hand.
    trainer = Trainer(net, TrainingConfig(loss="mse", optimizer="sgd", learning_rate=1e6,
                                          epochs=50, batch_size=64, shuffle=False))
    events, after_batch, after_epoch = [], [w0], {0: net.snapshot()}

    def record(e):
        events.append(e)
        if isinstance(e, BatchEnd):
            after_batch.append(net.get_weights())
        elif isinstance(e, EpochEnd):
            after_epoch[e.epoch] = net.snapshot()

    with np.errstate(all="raise"):  # the trainer itself must not trip float warnings
        fin = trainer.fit(x, y, callback=record)
    assert fin.reason == "diverged"
    (d,) = of(events, Diverged)
    assert d.layer in ("h1", "h2", "out")
    assert f"Dense '{d.layer}'" in d.message and f"Dense '{d.layer}'" in fin.message
    assert "learning rate" in fin.message
    # Which layer first produced NaN/Inf, found independently from the last good weights.
    names = ["h1", "h2", "out"]
    last = after_batch[-1]
    if d.batch:  # detected in a forward pass
        with np.errstate(all="ignore"):
            outs = _forward_by_hand(last, x, names)
        first = next(n for n, o in zip(names, outs) if not np.isfinite(o).all())
    else:  # the last update of an epoch already left non-finite weights
        first = next(n for n in names
                     if not all(np.isfinite(v).all() for k, v in last.items()
                                if k.startswith(n + "/")))
    assert d.layer == first
    # Weights afterwards: finite, and exactly those at the end of the last good epoch.
    assert np.isfinite(net.params_flat).all()
    assert d.restored_epoch == max(after_epoch) == fin.epochs_run
    assert np.array_equal(net.params_flat, after_epoch[d.restored_epoch])
    assert of(events, TrainingFinished)[-1] is fin


def test_overflowing_layer_is_named():
    # Kernel entries of 3e38 (finite in float32) make the second hidden layer's output
    # overflow on the first batch; the first hidden layer stays finite.
    x, y = regression_data(32)
    graph = GraphSpec(
        [NodeSpec("in", "Input", {"shape": [3]}),
         NodeSpec("first", "Dense", {"units": 4, "activation": "sigmoid"}),
         NodeSpec("blowup", "Dense", {"units": 4, "activation": "relu"}),
         NodeSpec("out", "Dense", {"units": 1, "activation": "linear"})],
        [EdgeSpec("in", "first"), EdgeSpec("first", "blowup"), EdgeSpec("blowup", "out")])

    def poison(net):
        net.layers["blowup"].weights["W"][...] = 3e38

    net, _, fin, events = fit(graph, x, y, prepare=poison, loss="mse", optimizer="sgd",
                              learning_rate=0.01, epochs=3, batch_size=8)
    assert fin.reason == "diverged" and fin.epochs_run == 0
    (d,) = of(events, Diverged)
    assert (d.epoch, d.batch, d.layer, d.restored_epoch) == (1, 1, "blowup", 0)
    assert "Dense 'blowup'" in fin.message and "Dense 'first'" not in fin.message
    assert not of(events, BatchEnd) and not of(events, EpochEnd)
    assert np.all(net.layers["blowup"].weights["W"] == np.float32(3e38))  # initial, restored


def test_divergence_can_pause_for_a_lower_learning_rate():
    x, y = regression_data(64)
    control = RunControl()
    events = []
    net = Network(mlp(3, [8], 1, act="relu", out_act="linear"), seed=0)
    trainer = Trainer(net, TrainingConfig(loss="mse", optimizer="sgd", learning_rate=1e6,
                                          epochs=5, batch_size=16), control, "pause")

    def on_event(e):
        events.append(e)
        if isinstance(e, Paused) and e.reason == "diverged":
            control.call_in_run(lambda: trainer.update_settings(learning_rate=0.01))
            control.resume()

    fin = trainer.fit(x, y, callback=on_event)
    assert fin.reason == "completed" and fin.epochs_run == 5
    (d,) = of(events, Diverged)
    (p,) = [e for e in of(events, Paused) if e.reason == "diverged"]
    # the pause names the epoch that diverged and says why, in the Diverged event's words
    assert p.epoch == d.epoch == 1 and p.message == d.message and "loss" in p.message
    assert [e.epoch for e in of(events, EpochEnd)] == [1, 2, 3, 4, 5]
    assert np.isfinite(net.params_flat).all()
    assert all(e.lr == 0.01 for e in of(events, EpochEnd))


# -- run control --------------------------------------------------------------------------
def _classification_data(n=120, seed=0):
    ds = synthetic.gauss(n, noise=0.2, seed=seed)
    return ds.X / 4, ds.y


@pytest.mark.parametrize("k", [1, 3])
def test_stop_from_the_callback_ends_within_one_batch(k):
    x, y = _classification_data()
    control = RunControl()
    events = []

    def on_event(e):
        events.append(e)
        if isinstance(e, BatchEnd) and e.epoch == 1 and e.batch == k:
            control.request_stop()

    net = Network(mlp(2, [4], 2), seed=0)
    trainer = Trainer(net, TrainingConfig(epochs=10, batch_size=10), control)
    fin = trainer.fit(x, y, callback=on_event)
    assert fin.reason == "stopped" and fin.epochs_run == 0
    batches = of(events, BatchEnd)
    assert [(b.epoch, b.batch) for b in batches] == [(1, i) for i in range(1, k + 1)]
    assert not of(events, EpochEnd)
    assert isinstance(events[-1], TrainingFinished)


def _per_batch_and_bulk(batch_seconds, control_bulk=None, **cfg):
    """The same seeded run reported after every batch and in bulk; (events, events)."""
    x, y = _classification_data(100)
    runs = []
    for bs, ctl in ((0.0, None), (batch_seconds, control_bulk)):
        events = []
        trainer = Trainer(Network(mlp(2, [4], 2), seed=0),
                          TrainingConfig(batch_size=10, **cfg), ctl)
        trainer.fit(x, y, callback=events.append, batch_seconds=bs)
        runs.append(events)
    return runs


def test_batches_reported_in_bulk_carry_every_loss_in_order():
    each, bulk = _per_batch_and_bulk(1e9, epochs=3)
    per_batch = of(each, BatchEnd)
    assert len(per_batch) == 30 and all(b.losses == [b.loss] for b in per_batch)
    reports = of(bulk, BatchEnd)
    # With a period longer than the run: one report per epoch, sent just before EpochEnd
    # (the first batch is reported at once: nothing was reported yet).
    assert [(b.epoch, b.batch, len(b.losses)) for b in reports] == \
        [(1, 1, 1), (1, 10, 9), (2, 10, 10), (3, 10, 10)]
    assert [b.loss for b in per_batch] == [v for b in reports for v in b.losses]
    assert all(b.loss == b.losses[-1] for b in reports)
    for b in reports:  # the other values are those of the report's last batch
        ref = next(p for p in per_batch if (p.epoch, p.batch) == (b.epoch, b.batch))
        assert (b.step, b.lr, b.grad_norms) == (ref.step, ref.lr, ref.grad_norms)
    kinds = [type(e).__name__ for e in bulk]
    assert kinds == ["TrainingStarted", "BatchEnd", "BatchEnd", "EpochEnd", "BatchEnd",
                     "EpochEnd", "BatchEnd", "EpochEnd", "TrainingFinished"]
    assert [e.train_loss for e in of(bulk, EpochEnd)] == \
        [e.train_loss for e in of(each, EpochEnd)]


def test_batches_reported_in_bulk_come_before_a_pause():
    control = RunControl()
    events = []
    tops = [0]

    def at_batch_top():  # runs on the training thread before each batch
        tops[0] += 1
        if tops[0] == 4:  # before batch 5: batches 2-4 are not reported yet
            control.pause()
            threading.Timer(0.05, control.resume).start()
        else:
            control.call_in_run(at_batch_top)

    def on_event(e):
        events.append(e)
        if isinstance(e, BatchEnd) and e.epoch == 1 and e.batch == 1:
            control.call_in_run(at_batch_top)

    x, y = _classification_data(100)
    trainer = Trainer(Network(mlp(2, [4], 2), seed=0),
                      TrainingConfig(epochs=1, batch_size=10), control)
    trainer.fit(x, y, callback=on_event, batch_seconds=1e9)
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["TrainingStarted", "BatchEnd", "BatchEnd", "Paused", "BatchEnd",
                     "EpochEnd", "TrainingFinished"]
    assert [(b.batch, len(b.losses)) for b in of(events, BatchEnd)] == \
        [(1, 1), (4, 3), (10, 6)]


def test_pending_batches_are_reported_before_a_divergence():
    x, y = _classification_data(100)
    events = []

    def on_event(e):
        events.append(e)

    net = Network(mlp(2, [4], 2), seed=0)
    trainer = Trainer(net, TrainingConfig(epochs=3, batch_size=10, learning_rate=1e6))
    fin = trainer.fit(x, y, callback=on_event, batch_seconds=1e9)
    assert fin.reason == "diverged"
    i = next(k for k, e in enumerate(events) if isinstance(e, Diverged))
    reports = of(events[:i], BatchEnd)
    div = events[i]
    reported = sum(len(b.losses) for b in reports if b.epoch == div.epoch)
    # Every batch before the one that diverged was reported, before the Diverged event.
    assert reported == (div.batch - 1 if div.batch else reports[-1].batches)
    assert all(math.isfinite(v) for b in reports for v in b.losses)


def test_stop_during_the_last_batch_keeps_the_completed_epoch():
    x, y = _classification_data(100)
    control = RunControl()
    events = []

    def on_event(e):
        events.append(e)
        if isinstance(e, BatchEnd) and e.epoch == 2 and e.batch == e.batches:
            control.request_stop()

    trainer = Trainer(Network(mlp(2, [4], 2), seed=0),
                      TrainingConfig(epochs=10, batch_size=25), control)
    fin = trainer.fit(x, y, callback=on_event)
    assert fin.reason == "stopped" and fin.epochs_run == 2
    assert [e.epoch for e in of(events, EpochEnd)] == [1, 2]
    assert len(of(events, BatchEnd)) == 8


def _run_in_thread(trainer, x, y, events, xv=None, yv=None):
    out = {}

    def target():
        out["fin"] = trainer.fit(x, y, xv, yv, callback=events.append)

    th = threading.Thread(target=target, daemon=True)
    th.start()
    return th, out


def _wait_for(cond, what):
    ev = threading.Event()
    for _ in range(int(TIMEOUT / 0.005)):
        if cond():
            return
        ev.wait(0.005)
    raise AssertionError(f"timed out waiting for {what}")


def test_pause_and_resume_from_another_thread_continue_the_same_run():
    x, y = _classification_data(120)
    cfg = dict(epochs=6, batch_size=10, optimizer="adam", learning_rate=0.02)
    ref_net, _, ref_fin, _ = fit(mlp(2, [6], 2), x, y, **cfg)

    control = RunControl()
    reached, paused_requested = threading.Event(), threading.Event()

    class Recorder(list):
        def append(self, e):
            super().append(e)
            if isinstance(e, BatchEnd) and e.step == 20:
                reached.set()  # let the other thread pause us here ...
                assert paused_requested.wait(TIMEOUT)  # ... before the next batch starts

    events = Recorder()
    net = Network(mlp(2, [6], 2), seed=0)
    trainer = Trainer(net, TrainingConfig(**cfg), control)
    th, out = _run_in_thread(trainer, x, y, events)
    assert reached.wait(TIMEOUT)
    control.pause()
    assert control.paused
    paused_requested.set()
    _wait_for(lambda: of(events, Paused), "the Paused event")
    n_events = len(events)
    threading.Event().wait(0.15)  # while paused nothing happens
    assert len(events) == n_events and th.is_alive()
    (p,) = of(events, Paused)
    assert (p.reason, p.epoch) == ("user", 2)  # 12 batches per epoch: step 21 is in epoch 2
    control.resume()
    th.join(TIMEOUT)
    assert not th.is_alive()
    fin = out["fin"]
    assert fin.reason == "completed" and fin.epochs_run == 6
    steps = [b.step for b in of(events, BatchEnd)]
    assert steps == list(range(1, 6 * 12 + 1))
    assert [e.epoch for e in of(events, EpochEnd)] == [1, 2, 3, 4, 5, 6]
    # Pausing changes nothing about the run: same weights as an uninterrupted one.
    assert np.array_equal(net.params_flat, ref_net.params_flat)
    assert fin.history.train_loss == ref_fin.history.train_loss


def test_step_epoch_runs_exactly_one_epoch_then_pauses():
    x, y = _classification_data(100)
    control = RunControl()
    control.pause()  # paused before the first batch
    events = []
    trainer = Trainer(Network(mlp(2, [4], 2), seed=0),
                      TrainingConfig(epochs=4, batch_size=20), control)
    th, out = _run_in_thread(trainer, x, y, events, x[:30], y[:30])
    _wait_for(lambda: of(events, Paused), "the first pause")
    assert not of(events, BatchEnd)
    for k in (1, 2):
        control.step_epoch()
        _wait_for(lambda k=k: len(of(events, Paused)) == k + 1, f"the pause after epoch {k}")
        threading.Event().wait(0.05)
        assert [e.epoch for e in of(events, EpochEnd)] == list(range(1, k + 1))
        assert len(of(events, BatchEnd)) == 5 * k
        last = of(events, Paused)[-1]
        assert (last.reason, last.epoch) == ("step", k)
        assert control.paused
    control.resume()
    th.join(TIMEOUT)
    assert out["fin"].reason == "completed" and out["fin"].epochs_run == 4
    assert len(of(events, BatchEnd)) == 20


def test_step_epoch_from_the_middle_of_an_epoch_finishes_that_epoch():
    x, y = _classification_data(100)
    control = RunControl()
    events = []

    def on_event(e):
        events.append(e)
        if isinstance(e, BatchEnd) and (e.epoch, e.batch) == (2, 2):
            control.pause()

    trainer = Trainer(Network(mlp(2, [4], 2), seed=0),
                      TrainingConfig(epochs=5, batch_size=20), control)
    out = {}
    th = threading.Thread(target=lambda: out.setdefault(
        "fin", trainer.fit(x, y, callback=on_event)), daemon=True)
    th.start()
    _wait_for(lambda: of(events, Paused), "the user pause")
    control.step_epoch()
    _wait_for(lambda: len(of(events, Paused)) == 2, "the pause at the end of epoch 2")
    assert [e.epoch for e in of(events, EpochEnd)] == [1, 2]
    assert len(of(events, BatchEnd)) == 10
    control.request_stop()  # stopping while paused ends the run
    th.join(TIMEOUT)
    assert out["fin"].reason == "stopped" and out["fin"].epochs_run == 2


def test_stop_while_paused():
    x, y = _classification_data(60)
    control = RunControl()
    control.pause()
    events = []
    trainer = Trainer(Network(mlp(2, [4], 2), seed=0), TrainingConfig(epochs=3), control)
    th, out = _run_in_thread(trainer, x, y, events)
    _wait_for(lambda: of(events, Paused), "the pause")
    control.request_stop()
    th.join(TIMEOUT)
    assert out["fin"].reason == "stopped" and not of(events, BatchEnd)


# -- early stopping -----------------------------------------------------------------------
def _overfitting_setup(n=24):
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, (n, 1)).astype(np.float32)
    y = (x + 0.5 * rng.normal(size=(n, 1))).astype(np.float32)  # mostly noise to memorise
    xv = rng.uniform(-1, 1, (200, 1)).astype(np.float32)
    yv = (xv + 0.5 * rng.normal(size=(200, 1))).astype(np.float32)
    return mlp(1, [64, 64], 1, out_act="linear"), x, y, xv, yv


@pytest.mark.parametrize("restore", [True, False])
def test_early_stopping_restores_the_best_weights(restore):
    graph, x, y, xv, yv = _overfitting_setup()
    snaps = {}
    net = Network(graph, seed=0)
    trainer = Trainer(net, TrainingConfig(
        loss="mse", optimizer="adam", learning_rate=0.01, epochs=400, batch_size=8,
        early_stopping=True, patience=5, restore_best=restore))
    events = []

    def on_event(e):
        events.append(e)
        if isinstance(e, EpochEnd):
            snaps[e.epoch] = net.snapshot()

    fin = trainer.fit(x, y, xv, yv, callback=on_event)
    assert fin.reason == "early_stopping"
    val = fin.history.val_loss
    best = int(np.argmin(val)) + 1  # epochs are 1-based
    assert fin.best_epoch == best and fin.best_loss == val[best - 1]
    assert fin.epochs_run == best + 5 < 400
    assert all(v >= val[best - 1] for v in val[best:])
    assert fin.restored_best is restore
    want = snaps[best] if restore else snaps[fin.epochs_run]
    assert np.array_equal(net.params_flat, want)
    if restore:
        assert not np.array_equal(snaps[best], snaps[fin.epochs_run])
        # Evaluating the restored weights gives the best validation loss again.
        pred = net.predict(xv)
        assert np.mean((pred - yv) ** 2) == pytest.approx(val[best - 1], rel=1e-5)


def test_min_delta_counts_small_improvements_as_none():
    graph, x, y, xv, yv = _overfitting_setup()
    _, _, fin, _ = fit(graph, x, y, xv, yv, loss="mse", optimizer="adam", learning_rate=0.01,
                       epochs=400, batch_size=8, early_stopping=True, patience=3,
                       min_delta=0.05)
    val = fin.history.val_loss
    # Replay the rule: an improvement must beat the best so far by more than min_delta.
    best, best_epoch, bad = math.inf, 0, 0
    for i, v in enumerate(val, start=1):
        if v < best - 0.05:
            best, best_epoch, bad = v, i, 0
        else:
            bad += 1
        if bad >= 3:
            break
    assert fin.reason == "early_stopping"
    assert (fin.best_epoch, fin.epochs_run) == (best_epoch, i)


# -- regularization and clipping ----------------------------------------------------------
def _one_sgd_step(graph, x, y, **cfg):
    net, _, _, _ = fit(graph, x, y, dtype=np.float64, seed=4, loss="mse", optimizer="sgd",
                       learning_rate=0.1, epochs=1, batch_size=len(y), shuffle=False, **cfg)
    return net.get_weights()


def test_l2_and_l1_add_their_closed_form_to_kernel_gradients_only():
    x, y = regression_data(32)
    graph = mlp(3, [5], 1, out_act="linear")
    w0 = Network(graph, seed=4, dtype=np.float64).get_weights()
    plain = _one_sgd_step(graph, x, y)
    l2 = _one_sgd_step(graph, x, y, l2=0.3)
    l1 = _one_sgd_step(graph, x, y, l1=0.2)
    for k in w0:
        if k.endswith("/W"):  # d(l2 |W|^2)/dW = 2 l2 W ; d(l1 |W|_1)/dW = l1 sign(W)
            np.testing.assert_allclose(l2[k] - plain[k], -0.1 * 2 * 0.3 * w0[k], atol=1e-12)
            np.testing.assert_allclose(l1[k] - plain[k], -0.1 * 0.2 * np.sign(w0[k]),
                                       atol=1e-12)
        else:  # biases are not regularized
            np.testing.assert_allclose(l2[k], plain[k], atol=1e-15)
            np.testing.assert_allclose(l1[k], plain[k], atol=1e-15)


def test_l2_shrinks_weight_norms():
    x, y = regression_data(96)
    graph = mlp(3, [16], 1, out_act="linear")
    kw = dict(loss="mse", optimizer="adam", learning_rate=0.01, epochs=30, batch_size=16)
    a, _, _, _ = fit(graph, x, y, **kw)
    b, _, _, ev = fit(graph, x, y, l2=0.05, **kw)

    def kernel_norm(net):
        return math.sqrt(sum(float(np.sum(v ** 2)) for k, v in net.get_weights().items()
                             if k.endswith("/W")))
    assert kernel_norm(b) < 0.8 * kernel_norm(a)
    # The reported weight norms are the norms of the layers' weights.
    last = of(ev, EpochEnd)[-1]
    for node, norm in last.weight_norms.items():
        want = math.sqrt(sum(float(np.sum(v.astype(np.float64) ** 2))
                             for v in b.layers[node].weights.values()))
        assert norm == pytest.approx(want, rel=1e-5)


def test_gradient_clipping_bounds_each_update():
    x, y = regression_data(64)
    x *= 10  # large inputs: large gradients
    graph = mlp(3, [8], 1, out_act="linear")
    lr, clip = 0.01, 0.5
    cfg = dict(loss="mse", optimizer="sgd", learning_rate=lr, epochs=3, batch_size=16)
    deltas = {}
    for c in (clip, None):
        net = Network(graph, seed=0, dtype=np.float64)
        prev = [net.snapshot()]
        steps = []

        def on_event(e, net=net, prev=prev, steps=steps):
            if isinstance(e, BatchEnd):
                steps.append((net.params_flat - prev[0], e.grad_norms))
                prev[0] = net.snapshot()

        Trainer(net, TrainingConfig(clip_norm=c, **cfg)).fit(x, y, callback=on_event)
        deltas[c] = steps
    clipped = deltas[clip]
    norms = [float(np.linalg.norm(d)) for d, _ in clipped]
    assert all(n <= lr * clip * (1 + 1e-9) for n in norms)
    raw = [math.sqrt(sum(v * v for v in g.values())) for _, g in clipped]
    for n, r in zip(norms, raw):  # clipped steps have exactly the bound; others the gradient
        assert n == pytest.approx(lr * min(r, clip), rel=1e-6)
    assert sum(r > clip for r in raw) >= len(raw) // 2  # clipping really was active
    # First step, same starting point: clipping only rescales the gradient.
    d_clip, d_free = clipped[0][0], deltas[None][0][0]
    np.testing.assert_allclose(d_clip, d_free * clip / raw[0], rtol=1e-9, atol=1e-15)


# -- freezing -----------------------------------------------------------------------------
def test_frozen_layer_keeps_its_weights():
    x, y = regression_data(64)
    net = Network(mlp(3, [8, 8], 1, out_act="linear"), seed=0)
    net.set_frozen("dense2", True)
    before = net.get_weights()
    assert net.trainable_params == (3 * 8 + 8) + (8 * 1 + 1)
    trainer = Trainer(net, TrainingConfig(loss="mse", optimizer="adam", learning_rate=0.05,
                                          epochs=5, batch_size=16, l2=0.01))
    events = []
    trainer.fit(x, y, callback=events.append)
    after = net.get_weights()
    for k in ("dense2/W", "dense2/b"):
        assert np.array_equal(after[k], before[k]), k
    for k in ("dense1/W", "dense1/b", "dense3/W", "dense3/b"):
        assert not np.array_equal(after[k], before[k]), k
    assert set(of(events, BatchEnd)[0].grad_norms) == {"dense1", "dense3"}
    # Unfreezing keeps the values and lets it train again.
    net.set_frozen("dense2", False)
    assert np.array_equal(net.get_weights()["dense2/W"], before["dense2/W"])
    Trainer(net, TrainingConfig(loss="mse", epochs=1)).fit(x, y)
    assert not np.array_equal(net.get_weights()["dense2/W"], before["dense2/W"])


# -- metrics and events -------------------------------------------------------------------
def test_regression_metrics_match_a_direct_computation():
    x, y = regression_data(128, seed=1)
    xv, yv = regression_data(50, seed=2)
    net, trainer, fin, events = fit(mlp(3, [16], 1, out_act="linear"), x, y, xv, yv,
                                    loss="mse", optimizer="adam", learning_rate=0.02,
                                    epochs=15, batch_size=16)
    last = of(events, EpochEnd)[-1]
    pred = net.predict(xv).astype(np.float64)
    err = pred - yv
    mse = float(np.mean(err ** 2))
    r2 = 1 - float(np.sum(err ** 2)) / float(np.sum((yv - yv.mean()) ** 2))
    assert last.val_loss == pytest.approx(mse, rel=1e-5)
    assert last.val_metrics["rmse"] == pytest.approx(math.sqrt(mse), rel=1e-5)
    assert last.val_metrics["r2"] == pytest.approx(r2, rel=1e-5, abs=1e-6)
    assert 0.5 < r2 < 1.0  # it learned something
    # Training metrics are over the epoch's batches: rmse^2 equals the mean batch loss.
    assert last.train_metrics["rmse"] ** 2 == pytest.approx(last.train_loss, rel=1e-5)
    assert fin.history.val_metrics[-1] == last.val_metrics


def test_multi_label_accuracy_is_a_fraction_of_labels():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(90, 4)).astype(np.float32)
    y = np.stack([x[:, 0] > 0, x[:, 1] + x[:, 2] > 0, x[:, 3] > 1], axis=1).astype(np.float32)
    net, _, fin, _ = fit(mlp(4, [8], 3, out_act="sigmoid"), x, y, x[:40], y[:40],
                         loss="binary_crossentropy", optimizer="adam", learning_rate=0.05,
                         epochs=20, batch_size=15)
    acc = fin.history.val_metrics[-1]["accuracy"]
    assert acc == pytest.approx(np.mean((net.predict(x[:40]) > 0.5) == (y[:40] > 0.5)))
    assert 0.5 < acc <= 1.0 and fin.history.train_metrics[-1]["accuracy"] <= 1.0


def test_grad_norms_per_layer_match_hand_backprop():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(20, 2))
    y = rng.normal(size=(20, 1))
    graph = mlp(2, [3], 1, out_act="linear", extra=[("BatchNormalization", {})])
    net = Network(graph, seed=9, dtype=np.float64)
    w = net.get_weights()
    events = []
    Trainer(net, TrainingConfig(loss="mse", optimizer="sgd", learning_rate=0.01, epochs=2,
                                batch_size=20, shuffle=False)).fit(x, y, callback=events.append)
    first = of(events, BatchEnd)[0]
    assert set(first.grad_norms) == {"dense1", "batchnormalization1", "dense2"}
    # Hand backprop of tanh -> BatchNorm (batch statistics) -> linear, mse.
    z1 = x @ w["dense1/W"] + w["dense1/b"]
    h = np.tanh(z1)
    mu, var = h.mean(0), h.var(0)
    inv = 1 / np.sqrt(var + 1e-3)
    xhat = (h - mu) * inv
    bn = xhat * w["batchnormalization1/gamma"] + w["batchnormalization1/beta"]
    out = bn @ w["dense2/W"] + w["dense2/b"]
    g_out = 2 * (out - y) / out.size
    g_w2, g_b2 = bn.T @ g_out, g_out.sum(0)
    g_bn = g_out @ w["dense2/W"].T
    g_gamma, g_beta = (g_bn * xhat).sum(0), g_bn.sum(0)
    g_xhat = g_bn * w["batchnormalization1/gamma"]
    n = len(x)
    g_h = inv / n * (n * g_xhat - g_xhat.sum(0) - xhat * (g_xhat * xhat).sum(0))
    g_z1 = g_h * (1 - h ** 2)
    g_w1, g_b1 = x.T @ g_z1, g_z1.sum(0)

    def norm(*arrays):
        return math.sqrt(sum(float(np.sum(a ** 2)) for a in arrays))

    assert first.grad_norms["dense2"] == pytest.approx(norm(g_w2, g_b2), rel=1e-9)
    assert first.grad_norms["batchnormalization1"] == pytest.approx(norm(g_gamma, g_beta),
                                                                    rel=1e-9)
    assert first.grad_norms["dense1"] == pytest.approx(norm(g_w1, g_b1), rel=1e-9)
    assert first.loss == pytest.approx(float(np.mean((out - y) ** 2)), rel=1e-12)
    # Epoch events carry the mean over the epoch's batches (one batch here: equal).
    for e in of(events, EpochEnd):
        (b,) = [b for b in of(events, BatchEnd) if b.epoch == e.epoch]
        assert e.grad_norms == pytest.approx(b.grad_norms)


def test_event_sequence_and_epoch_averages():
    x, y = _classification_data(100)
    _, _, fin, events = fit(mlp(2, [4], 2), x, y, x[:20], y[:20], epochs=3, batch_size=30)
    assert isinstance(events[0], TrainingStarted)
    s = events[0]
    assert (s.epochs, s.steps_per_epoch, s.n_train, s.n_val) == (3, 4, 100, 20)
    assert isinstance(events[-1], TrainingFinished) and events[-1] is fin
    batches = of(events, BatchEnd)
    assert [(b.epoch, b.batch, b.batches) for b in batches] == [
        (e, b, 4) for e in (1, 2, 3) for b in (1, 2, 3, 4)]
    for e in of(events, EpochEnd):
        mine = [b for b in batches if b.epoch == e.epoch]
        sizes = [30, 30, 30, 10]
        assert e.train_loss == pytest.approx(
            sum(b.loss * s for b, s in zip(mine, sizes)) / 100, rel=1e-9)
        for node in e.grad_norms:
            assert e.grad_norms[node] == pytest.approx(
                np.mean([b.grad_norms[node] for b in mine]), rel=1e-9)
    assert len(fin.history) == 3 and fin.history.epoch == [1, 2, 3]


# -- several inputs -----------------------------------------------------------------------
def _two_input_graph():
    return GraphSpec(
        [NodeSpec("a", "Input", {"shape": [2]}), NodeSpec("b", "Input", {"shape": [3]}),
         NodeSpec("cat", "Concatenate", {}),
         NodeSpec("h", "Dense", {"units": 16, "activation": "tanh"}),
         NodeSpec("out", "Dense", {"units": 1, "activation": "linear"})],
        [EdgeSpec("a", "cat"), EdgeSpec("b", "cat"), EdgeSpec("cat", "h"),
         EdgeSpec("h", "out")])


def test_two_inputs_train_from_a_dict_of_arrays():
    rng = np.random.default_rng(5)

    def data(n):
        a = rng.normal(size=(n, 2))  # float64 on purpose: cast per batch
        b = rng.normal(size=(n, 3)).astype(np.float32)
        y = (a[:, :1] * b[:, :1] + np.tanh(b[:, 1:2] - a[:, 1:2])).astype(np.float32)
        return {"a": a, "b": b}, y

    x, y = data(256)
    xv, yv = data(64)
    net, _, fin, _ = fit(_two_input_graph(), x, y, xv, yv, loss="mse", optimizer="adam",
                         learning_rate=0.02, epochs=40, batch_size=32)
    assert fin.reason == "completed"
    assert fin.history.val_metrics[-1]["r2"] > 0.8
    assert fin.history.val_loss[-1] < 0.3 * fin.history.val_loss[0]
    pred = net.predict(xv)
    assert np.mean((pred - yv) ** 2) == pytest.approx(fin.history.val_loss[-1], rel=1e-4)
    # Only one input given: a DataError naming the missing one.
    with pytest.raises(DataError, match="Input 'b'"):
        Trainer(net, TrainingConfig(loss="mse")).fit({"a": x["a"]}, y)
    with pytest.raises(DataError, match="give one array for each"):
        Trainer(net, TrainingConfig(loss="mse")).fit(x["a"], y)


def test_update_settings_applies_between_batches_and_refuses_structural_changes():
    from nncore.errors import ParameterError

    x, y = regression_data(64)
    control = RunControl()
    net = Network(mlp(3, [8], 1, act="tanh", out_act="linear"), seed=0)
    trainer = Trainer(net, TrainingConfig(loss="mse", optimizer="momentum", learning_rate=0.1,
                                          epochs=2, batch_size=16), control)
    lrs = []

    def on_event(e):
        if isinstance(e, BatchEnd):
            lrs.append(e.lr)
            if e.step == 2:
                control.call_in_run(lambda: trainer.update_settings(
                    learning_rate=0.02, optimizer_params={"momentum": 0.5}))

    trainer.fit(x, y, callback=on_event)
    assert lrs[:2] == [0.1, 0.1] and set(lrs[2:]) == {0.02}
    assert trainer.optimizer.config["momentum"] == 0.5
    with pytest.raises(ParameterError, match="batch_size cannot change"):
        trainer.update_settings(batch_size=8)
    with pytest.raises(ParameterError, match="learning_rate"):
        trainer.update_settings(learning_rate=-1.0)


def test_loss_overflow_with_finite_outputs_names_the_output_layer():
    x, y = regression_data(32)
    net = Network(mlp(3, [4], 1, act="tanh", out_act="linear"), seed=0)
    out_id = net.output_id
    net.layers[out_id].weights["W"][...] = 1e20  # outputs ~1e20: finite, but their squares
    fin = Trainer(net, TrainingConfig(loss="mse", optimizer="sgd", learning_rate=0.1,
                                      epochs=1, batch_size=8)).fit(x, y)
    assert fin.reason == "diverged"
    assert f"Dense '{out_id}'" in fin.message and "too large for the loss" in fin.message


def test_a_finite_but_exploding_loss_counts_as_divergence():
    # Cross-entropy with lr 1e6 stays finite (huge logits) but is plainly diverged.
    x, y = _classification_data()
    net = Network(mlp(2, [8], 2, act="tanh", out_act="softmax"), seed=0)
    start = net.get_weights()
    fin = Trainer(net, TrainingConfig(loss="categorical_crossentropy", optimizer="sgd",
                                      learning_rate=1e6, epochs=3, batch_size=16)).fit(x, y)
    assert fin.reason == "diverged" and "exploded" in fin.message
    assert "Dense '" in fin.message
    for k, v in net.get_weights().items():  # diverged in epoch 1: the initial weights
        np.testing.assert_array_equal(v, start[k])


def test_normal_training_never_trips_the_explosion_check():
    x, y = _classification_data()
    net = Network(mlp(2, [8], 2, act="tanh", out_act="softmax"), seed=0)
    fin = Trainer(net, TrainingConfig(loss="categorical_crossentropy", optimizer="adam",
                                      learning_rate=0.05, epochs=30, batch_size=16)).fit(x, y)
    assert fin.reason == "completed"


@pytest.mark.parametrize("extra", [{}, {"clip_norm": 0.05}, {"clip_norm": 0.05, "l2": 1e-3}])
def test_a_watched_run_trains_the_same_weights_as_an_unwatched_one(extra):
    """fit computes per-layer gradient norms only for a listener; the weights must not
    depend on it (clipping scales by the same total either way)."""
    x, y = _classification_data()
    weights = []
    for callback in (None, lambda event: None):
        net = Network(mlp(2, [8, 8], 2, act="tanh", out_act="softmax"), seed=3)
        cfg = TrainingConfig(loss="categorical_crossentropy", optimizer="adam",
                             learning_rate=0.05, epochs=4, batch_size=16, **extra)
        Trainer(net, cfg).fit(x, y, callback=callback)
        weights.append(net.get_weights())
    for k in weights[0]:
        np.testing.assert_array_equal(weights[0][k], weights[1][k])


def test_the_step_leaves_out_the_layer_norms_only_when_asked():
    x, y = _classification_data()
    net = Network(mlp(2, [8], 2, act="tanh", out_act="softmax"), seed=0)
    tr = Trainer(net, TrainingConfig(loss="categorical_crossentropy", optimizer="sgd"))
    xs, ts = tr.prepare(x[:16], y[:16], "training data")
    full = tr.train_step(xs, ts, 0.0)
    assert full.grad_norms is not None and len(full.grad_norms) == 2
    assert tr.train_step(xs, ts, 0.0, norms=False).grad_norms is None


# -- evaluation ---------------------------------------------------------------------------
def test_evaluation_metrics_are_summed_exactly_in_float64_in_inference_mode():
    """Trainer.evaluate on a float32 regression network: the RMSE and R2 equal float64
    sums over the outputs computed here (not the float32 batch losses), and dropout is off
    (inference)."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(1000, 3)).astype(np.float32)
    y = (x @ np.array([[1.5], [-2.0], [0.5]], np.float32) + 1000.0).astype(np.float32)
    graph = GraphSpec.sequential([("Input", {"shape": [3]}),
                                  ("Dense", {"units": 8, "activation": "tanh"}),
                                  ("Dropout", {"rate": 0.5}),
                                  ("Dense", {"units": 1, "activation": "linear"})])
    net = Network(graph, seed=0)
    trainer = Trainer(net, TrainingConfig(loss="mse"))
    _, metrics = trainer.evaluate(x, y)
    out = net.forward(x, training=False).astype(np.float64)
    err = out - y.astype(np.float64)
    sse = float(np.sum(err * err))
    sst = float(np.sum((y - y.astype(np.float64).mean()) ** 2))
    assert metrics["rmse"] == pytest.approx(math.sqrt(sse / len(y)), rel=1e-12)
    assert metrics["r2"] == pytest.approx(1.0 - sse / sst, rel=1e-12)
