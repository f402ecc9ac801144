"""The trainer's step and the parts fit is composed of, each on its own: train_step against
a hand-written float64 reference, the divergence guard, the learning-rate schedule, early
stopping, the metrics accumulator, the batch reporter; and fit against a loop written
from train_step by hand."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from nncore import training_parts
from nncore.config import TrainingConfig
from nncore.divergence import DivergenceGuard
from nncore.events import BatchEnd
from nncore.losses import get_loss
from nncore.metrics import MetricsAccumulator
from nncore.network import Network
from nncore.schedules import LearningRateSchedule, learning_rate
from nncore.spec import GraphSpec
from nncore.trainer import EXPLODE_FACTOR, Trainer
from nncore.training_parts import (
    BatchReporter,
    EarlyStopping,
    StepResult,
    combine_hooks,
    new_step_result,
)


def mlp(n_in=3, hidden=(4,), n_out=2, act="tanh", out_act="linear", extra=()):
    layers = [("Input", {"shape": [n_in]})]
    layers += [("Dense", {"units": h, "activation": act}) for h in hidden]
    layers += list(extra)
    layers.append(("Dense", {"units": n_out, "activation": out_act}))
    return GraphSpec.sequential(layers)


def data(n=12, n_in=3, n_out=2, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, n_in))
    y = np.tanh(x @ rng.normal(size=(n_in, n_out))) + 0.1 * rng.normal(size=(n, n_out))
    return x, y


# -- train_step against a reference ---------------------------------------------------------
def reference_loss_and_gradients(w, x, y):
    """MSE of the tanh -> linear MLP and its gradients, by hand in float64."""
    z1 = x @ w["dense1/W"] + w["dense1/b"]
    h = np.tanh(z1)
    out = h @ w["dense2/W"] + w["dense2/b"]
    loss = float(np.mean((out - y) ** 2))
    g_out = 2.0 * (out - y) / out.size
    g_h = g_out @ w["dense2/W"].T
    g_z1 = g_h * (1.0 - h ** 2)
    grads = {"dense1/W": x.T @ g_z1, "dense1/b": g_z1.sum(0),
             "dense2/W": h.T @ g_out, "dense2/b": g_out.sum(0)}
    return loss, out, grads


def test_the_reference_gradients_match_finite_differences():
    x, y = data()
    w = Network(mlp(), seed=1, dtype=np.float64).get_weights()
    _, _, grads = reference_loss_and_gradients(w, x, y)
    eps = 1e-6
    for key in w:
        for i in np.ndindex(w[key].shape):
            up = {k: v.copy() for k, v in w.items()}
            down = {k: v.copy() for k, v in w.items()}
            up[key][i] += eps
            down[key][i] -= eps
            numeric = (reference_loss_and_gradients(up, x, y)[0]
                       - reference_loss_and_gradients(down, x, y)[0]) / (2 * eps)
            assert grads[key][i] == pytest.approx(numeric, rel=1e-6, abs=1e-9), (key, i)


def regularized_clipped(w, grads, l1, l2, clip):
    """The gradient the optimizer sees: L1/L2 on kernels only, then the global norm clipped."""
    g = {k: v.copy() for k, v in grads.items()}
    for k in g:
        if k.endswith("/W"):
            g[k] += 2.0 * l2 * w[k] + l1 * np.sign(w[k])
    total = math.sqrt(sum(float(np.sum(v ** 2)) for v in g.values()))
    if total > clip:
        g = {k: v * (clip / total) for k, v in g.items()}
    return g, total


REG = dict(l1=0.02, l2=0.03, clip_norm=0.05)


def test_train_step_makes_the_sgd_update_with_l1_l2_and_clipping():
    x, y = data()
    net = Network(mlp(), seed=1, dtype=np.float64)
    trainer = Trainer(net, TrainingConfig(loss="mse", optimizer="sgd", **REG))
    w = net.get_weights()
    loss, out, grads = reference_loss_and_gradients(w, x, y)
    g, total = regularized_clipped(w, grads, **{k: v for k, v in
                                                zip(("l1", "l2", "clip"), REG.values())})
    assert total > REG["clip_norm"]  # clipping really is active
    x_, t = trainer.prepare(x, y, "batch")
    result = trainer.train_step(x_, t, 0.7)
    assert isinstance(result, StepResult)
    assert (result.lr, result.step, result.divergence) == (0.7, 1, None)
    assert result.loss == pytest.approx(loss, rel=1e-13)
    np.testing.assert_allclose(result.output, out, rtol=1e-13)
    # Gradient norms per layer, of the gradients before L1/L2 and clipping.
    want = [math.sqrt(float(np.sum(grads[f"{n}/W"] ** 2) + np.sum(grads[f"{n}/b"] ** 2)))
            for n in net.norm_layers]
    np.testing.assert_allclose(result.grad_norms, want, rtol=1e-12)
    after = net.get_weights()
    for k in w:
        np.testing.assert_allclose(after[k], w[k] - 0.7 * g[k], rtol=1e-12, atol=1e-15)
    assert trainer.step == 1


def test_train_step_makes_two_adam_updates_with_l1_l2_and_clipping():
    x, y = data()
    net = Network(mlp(), seed=2, dtype=np.float64)
    b1, b2, eps, lr = 0.8, 0.95, 1e-7, 0.01
    trainer = Trainer(net, TrainingConfig(
        loss="mse", optimizer="adam",
        optimizer_params={"beta1": b1, "beta2": b2, "epsilon": eps}, **REG))
    w = net.get_weights()
    m = {k: np.zeros_like(v) for k, v in w.items()}
    v = {k: np.zeros_like(a) for k, a in w.items()}
    x_, t = trainer.prepare(x, y, "batch")
    for step in (1, 2):
        _, _, grads = reference_loss_and_gradients(w, x, y)
        g, _ = regularized_clipped(w, grads, REG["l1"], REG["l2"], REG["clip_norm"])
        for k in w:
            m[k] = b1 * m[k] + (1 - b1) * g[k]
            v[k] = b2 * v[k] + (1 - b2) * g[k] ** 2
            m_hat, v_hat = m[k] / (1 - b1 ** step), v[k] / (1 - b2 ** step)
            w[k] = w[k] - lr * m_hat / (np.sqrt(v_hat) + eps)
        result = trainer.train_step(x_, t, lr)
        assert result.step == step and result.divergence is None
        after = net.get_weights()
        for k in w:
            np.testing.assert_allclose(after[k], w[k], rtol=1e-10, atol=1e-14)


# -- the divergence guard -------------------------------------------------------------------
def test_guard_decisions():
    net = Network(mlp(), seed=0, dtype=np.float64)
    guard = DivergenceGuard(net, explode_factor=10.0)
    assert guard.check_gradients(0.5, math.nan) == "gradient"
    assert guard.check_gradients(0.5, math.inf) == "gradient"
    assert guard.first_loss is None  # refused updates set no scale
    assert guard.check_gradients(0.5, 1.0) is None and guard.first_loss == 0.5
    # The limit is 10 x max(1, first loss) = 10: reaching it is fine, passing it is not.
    assert guard.check_gradients(10.0, 1.0) is None
    assert guard.check_gradients(10.5, 1.0) == "exploded"
    big = DivergenceGuard(net, explode_factor=10.0)
    assert big.check_gradients(3.0, 1.0) is None
    assert big.check_gradients(29.9, 1.0) is None
    assert big.check_gradients(30.1, 1.0) == "exploded"


def _guarded(optimizer="adam"):
    x, y = data()
    net = Network(mlp(), seed=0, dtype=np.float64)
    trainer = Trainer(net, TrainingConfig(loss="mse", optimizer=optimizer, **REG))
    x, t = trainer.prepare(x, y, "batch")
    return net, trainer, DivergenceGuard(net, EXPLODE_FACTOR), x, t


def test_guarded_step_refuses_a_nan_loss_before_back_propagation():
    net, trainer, guard, x, t = _guarded()
    before, grads_before = net.snapshot(), net.grads_flat.copy()
    x = x.copy()
    x[0, 0] = np.nan
    result = trainer.train_step(x, t, 0.1, guard)
    assert result.divergence == "loss" and math.isnan(result.loss)
    assert result.grad_norms is None
    assert np.array_equal(net.params_flat, before)
    assert np.array_equal(net.grads_flat, grads_before)  # never back-propagated
    assert trainer.step == 0 and trainer.optimizer.iterations == 0
    err = guard.error(result.divergence, 1, 3, result.loss, result.grad_norms)
    assert "the loss became nan at epoch 1, batch 3" in str(err)
    assert err.layer == "dense1"  # the first layer whose output is NaN
    # Without a guard the update is made, NaN and all.
    trainer.train_step(x, t, 0.1)
    assert not np.isfinite(net.params_flat).all()


def test_guarded_step_refuses_a_nan_gradient(monkeypatch):
    net, trainer, guard, x, t = _guarded()
    before = net.snapshot()
    backward = net.backward

    def poisoned(grad):
        backward(grad)
        net.layers["dense2"].grads["b"][0] = np.nan

    monkeypatch.setattr(net, "backward", poisoned)
    result = trainer.train_step(x, t, 0.1, guard)
    assert result.divergence == "gradient" and math.isfinite(result.loss)
    assert np.array_equal(net.params_flat, before)
    assert trainer.step == 0 and trainer.optimizer.iterations == 0
    assert all(not s.any() for s in trainer.optimizer.state.values())  # moments untouched
    err = guard.error(result.divergence, 2, 1, result.loss, result.grad_norms)
    assert "the gradient became NaN/Inf at epoch 2, batch 1" in str(err)
    assert err.layer == "dense2"


def test_guarded_step_refuses_an_exploding_loss():
    net, trainer, guard, x, t = _guarded(optimizer="sgd")
    first = trainer.train_step(x, t, 0.01, guard)
    assert first.divergence is None and guard.first_loss == first.loss
    after_first = net.snapshot()
    result = trainer.train_step(x, t * 1e6, 0.01, guard)  # finite, but far beyond the start
    assert result.divergence == "exploded"
    assert result.loss > EXPLODE_FACTOR * max(first.loss, 1.0)
    assert np.array_equal(net.params_flat, after_first)
    assert trainer.step == 1
    err = guard.error(result.divergence, 1, 2, result.loss, result.grad_norms)
    assert "exploded" in str(err) and f"({first.loss:.3g})" in str(err)
    assert err.layer == net.norm_layers[int(np.argmax(result.grad_norms))]


def test_guard_epoch_checks_and_the_last_good_weights():
    net = Network(mlp(), seed=0, dtype=np.float64)
    guard = DivergenceGuard(net, EXPLODE_FACTOR)
    start = net.snapshot()
    assert guard.check_epoch(1, 0.5, "loss") is None
    err = guard.check_epoch(1, math.nan, "validation loss")
    assert "the validation loss became nan at epoch 1." in str(err)
    net.params_flat[:] += 1.0
    guard.epoch_good(3)
    good = net.snapshot()
    net.layers["dense2"].weights["W"][0, 0] = np.inf
    err = guard.check_epoch(4, 0.5, "loss")
    assert "the weights became NaN/Inf at epoch 4" in str(err) and err.layer == "dense2"
    assert "Dense 'dense2' (its weights)" in str(err)
    assert guard.restore() == 3 and np.array_equal(net.params_flat, good)
    assert not np.array_equal(good, start)


# -- the learning-rate schedule -------------------------------------------------------------
def test_schedule_gives_each_step_its_rate_and_follows_live_changes():
    spe = 7
    cfg = TrainingConfig(loss="mse", learning_rate=0.2, schedule="cosine",
                         schedule_params={"min_factor": 0.1}, warmup_epochs=1.5, epochs=10)
    schedule = LearningRateSchedule(cfg, spe)
    for step in (0, 1, 6, 7, 10, 11, 35, 69, 70):
        e = step / spe
        factor = 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(e / 10, 1.0)))
        warm = min(1.0, (step + 1) / (1.5 * spe))
        assert schedule.rate(step) == pytest.approx(0.2 * factor * warm, rel=1e-12)
    constant = LearningRateSchedule(TrainingConfig(learning_rate=0.3), spe)
    assert all(constant.rate(s) == 0.3 for s in (0, 5, 500))
    # Settings changed during the run apply from the next step; a new schedule brings its
    # default parameters (here step decay: gamma 0.5 every 10 epochs).
    trainer = Trainer(Network(mlp(), seed=0), cfg)
    schedule = LearningRateSchedule(trainer.config, spe)
    trainer.update_settings(schedule="step", warmup_epochs=0.0, learning_rate=0.4)
    assert schedule.rate(0) == 0.4
    assert schedule.rate(10 * spe) == pytest.approx(0.2)
    assert schedule.rate(3) == learning_rate(0.4, "step", {"step_size": 10, "gamma": 0.5}, 3,
                                             spe, 10)


# -- early stopping -------------------------------------------------------------------------
def _stopping(**cfg):
    net = Network(mlp(), seed=0)
    config = TrainingConfig(early_stopping=True, **cfg)
    return net, config, EarlyStopping(net, config)


def _run(net, stopping, losses):
    """Feed the monitored losses, with the weights marked by their epoch; the epoch the
    part says to stop after (None: it never does)."""
    for epoch, loss in enumerate(losses, start=1):
        net.params_flat[:] = epoch
        stopping.update(epoch, loss)
        if stopping.should_stop():
            return epoch
    return None


def test_early_stopping_counts_only_improvements_beyond_min_delta():
    net, _, stopping = _stopping(patience=2, min_delta=0.1)
    # 0.95 and 0.92 are not 0.1 below 1.0; 0.85 is; 0.8 and 0.76 are not below 0.75.
    assert _run(net, stopping, [1.0, 0.95, 0.85, 0.8, 0.76, 0.1]) == 5
    assert (stopping.best_epoch, stopping.best_loss, stopping.bad_epochs) == (3, 0.85, 2)
    message = stopping.stop(5)
    assert message == ("stopped after epoch 5: no improvement for 2 epochs; best epoch 3 "
                       "(its weights restored)")
    assert stopping.restored and np.all(net.params_flat == 3)


def test_early_stopping_without_restore_best_keeps_the_last_weights():
    net, _, stopping = _stopping(patience=1, restore_best=False)
    assert stopping.best is None
    assert _run(net, stopping, [1.0, 0.5, 0.7]) == 3
    assert stopping.stop(3) == "stopped after epoch 3: no improvement for 1 epochs; best epoch 2"
    assert not stopping.restored and np.all(net.params_flat == 3)


def test_early_stopping_off_tracks_the_best_epoch_and_never_stops():
    net = Network(mlp(), seed=0)
    stopping = EarlyStopping(net, TrainingConfig(early_stopping=False, patience=1))
    assert _run(net, stopping, [1.0, 0.4, 0.9, 0.9, 0.9]) is None
    assert (stopping.best_epoch, stopping.best_loss) == (2, 0.4)


def test_early_stopping_reads_its_settings_at_every_epoch():
    net, config, stopping = _stopping(patience=5)
    assert _run(net, stopping, [1.0, 1.0, 1.0]) is None
    config.patience = 2  # a live change: two bad epochs are already enough
    assert stopping.should_stop()


# -- the metrics accumulator ----------------------------------------------------------------
def _accumulate(loss_name, out, t, exact, size=7, losses=None):
    metrics = MetricsAccumulator(get_loss(loss_name), t, exact=exact)
    for i, a in enumerate(range(0, len(t), size)):
        sl = slice(a, a + size)
        metrics.add(out[sl], t[sl], losses[i] if losses is not None else 0.0)
    return metrics


def test_metrics_classification_softmax_sigmoid_and_multi_label():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(30, 3)).astype(np.float32)
    labels = rng.integers(0, 3, 30)
    batch_losses = rng.uniform(0.1, 2.0, 5)
    m = _accumulate("categorical_crossentropy", logits, labels, False, losses=batch_losses)
    sizes = [7, 7, 7, 7, 2]
    loss, metrics = m.result()
    assert loss == pytest.approx(sum(b * s for b, s in zip(batch_losses, sizes)) / 30,
                                 rel=1e-15)
    assert metrics == {"accuracy": pytest.approx(np.mean(logits.argmax(1) == labels))}
    one_hot = np.eye(3, dtype=np.float32)[labels]
    assert _accumulate("categorical_crossentropy", logits, one_hot, False).result()[1] == \
        metrics
    single = rng.normal(size=(30, 1)).astype(np.float32)
    y1 = (rng.random((30, 1)) > 0.5).astype(np.float32)
    assert _accumulate("binary_crossentropy", single, y1, True).result()[1]["accuracy"] == \
        pytest.approx(np.mean((single > 0) == (y1 > 0.5)))
    y3 = (rng.random((30, 3)) > 0.5).astype(np.float32)
    assert _accumulate("binary_crossentropy", logits, y3, True).result()[1]["accuracy"] == \
        pytest.approx(np.mean((logits > 0) == (y3 > 0.5)))  # a fraction of the labels


@pytest.mark.parametrize("loss_name,exact", [("mse", False), ("mse", True), ("mae", False),
                                             ("huber", True)])
def test_metrics_regression(loss_name, exact):
    rng = np.random.default_rng(1)
    t = rng.normal(size=(30, 2)).astype(np.float32)
    out = (t + 0.3 * rng.normal(size=(30, 2))).astype(np.float32)
    # Batch losses as the MSE loss gives them: the training shortcut takes the squared
    # errors from them.
    losses = [float(np.mean((out[a:a + 7] - t[a:a + 7]).astype(np.float64) ** 2))
              for a in range(0, 30, 7)]
    _, metrics = _accumulate(loss_name, out, t, exact, losses=losses).result()
    err = (out - t).astype(np.float64)
    sst = float(np.sum((t - t.mean(0)) ** 2))
    assert metrics["rmse"] == pytest.approx(math.sqrt(np.mean(err ** 2)), rel=1e-6)
    assert metrics["r2"] == pytest.approx(1 - float(np.sum(err ** 2)) / sst, rel=1e-6)


def test_evaluate_is_an_exact_pass_of_the_accumulator():
    x, y = data(40)
    net = Network(mlp(), seed=0)
    trainer = Trainer(net, TrainingConfig(loss="mse"))
    x, t = trainer.prepare(x, y, "data")
    loss, metrics = trainer.evaluate(x, t, batch_size=9)
    pred = net.predict(x).astype(np.float64)
    mse = float(np.mean((pred - t) ** 2))
    assert loss == pytest.approx(mse, rel=1e-6)
    assert metrics["rmse"] == pytest.approx(math.sqrt(mse), rel=1e-6)


# -- the batch reporter ---------------------------------------------------------------------
def _results(net, n, seed=0):
    rng = np.random.default_rng(seed)
    out = np.zeros((2, 1))
    return [new_step_result((float(rng.random()), 0.1 * (i + 1), i + 1, out,
                             rng.random(len(net.norm_layers)), None)) for i in range(n)]


def test_reporter_sends_every_batch_or_in_bulk_before_any_other_event():
    net = Network(mlp(), seed=0)
    results = _results(net, 5)
    for period in (0.0, 1e9):
        events = []
        reporter = BatchReporter(events.append, period, net, 5, time.perf_counter())
        reporter.rows = None  # norms computed by each step (a large network's way)
        for i, r in enumerate(results[:4]):
            reporter.batch_end(1, i + 1, r)
        reporter.emit("pause")  # any event: the batches not reported yet go first
        reporter.batch_end(1, 5, results[4])
        reporter.emit("end")
        reporter.emit("again")  # nothing pending: the event alone
        batches = [e for e in events if isinstance(e, BatchEnd)]
        assert [b.loss for b in batches] == [b.losses[-1] for b in batches]
        assert [v for b in batches for v in b.losses] == [r.loss for r in results]
        for b in batches:  # the other values are those of the report's last batch
            r = results[b.batch - 1]
            assert (b.epoch, b.batches, b.step, b.lr) == (1, 5, r.step, r.lr)
            assert b.grad_norms == dict(zip(net.norm_layers, r.grad_norms.tolist()))
        kinds = [e if isinstance(e, str) else e.batch for e in events]
        if period == 0.0:
            assert kinds == [1, 2, 3, 4, "pause", 5, "end", "again"]
        else:  # the first batch at once (nothing reported yet), then in bulk
            assert kinds == [1, 4, "pause", 5, "end", "again"]
            assert [len(b.losses) for b in batches] == [1, 3, 1]


def test_reporter_epoch_averages_are_running_sums():
    # One layer: a plain NumPy sum over the batches would add them pairwise, not in order.
    net = Network(GraphSpec.sequential([("Input", {"shape": [2]}),
                                        ("Dense", {"units": 1})]), seed=0)
    reporter = BatchReporter(lambda e: None, 1e9, net, 300, time.perf_counter())
    reporter.rows = None  # norms computed by each step (a large network's way)
    results = _results(net, 300, seed=3)
    reporter.epoch_start()
    total = np.zeros(1)
    for i, r in enumerate(results):
        reporter.batch_end(1, i + 1, r)
        total += r.grad_norms
    grads, weights = reporter.epoch_norms()
    assert grads == dict(zip(net.norm_layers, (total / 300).tolist()))
    assert weights == dict(zip(net.norm_layers, net.layer_norms(net.params_flat).tolist()))
    reporter.epoch_start()
    reporter.batch_end(2, 1, results[0])
    assert reporter.epoch_norms()[0] == dict(zip(net.norm_layers,
                                                 results[0].grad_norms.tolist()))


def _norms_by_slices(net, g):
    """Per-layer L2 norms of one gradient vector, from the layers' own slices."""
    return [math.sqrt(sum(float(np.sum(g[sl].astype(np.float64) ** 2))
                          for sl in net.layer_grad_slices[n])) for n in net.norm_layers]


def test_small_networks_report_norms_from_a_row_of_gradients_per_batch():
    net = Network(mlp(), seed=0)
    events = []
    reporter = BatchReporter(events.append, 0.0, net, 4, time.perf_counter())
    assert reporter.rows.shape == (4, net.n_trainable)
    rng = np.random.default_rng(5)
    out = np.zeros((2, 1))
    grads = rng.normal(size=(4, net.n_trainable)).astype(np.float32)
    for i in range(4):
        reporter.rows[i] = grads[i]  # what train_step copies there
        reporter.batch_end(1, i + 1, new_step_result((0.5, 0.1, i + 1, out, None, None)))
    for ev, g in zip(events, grads):
        assert list(ev.grad_norms) == net.norm_layers
        assert list(ev.grad_norms.values()) == pytest.approx(_norms_by_slices(net, g),
                                                              rel=1e-12)
    per_batch = np.array([_norms_by_slices(net, g) for g in grads])
    epoch = reporter.epoch_norms()[0]
    assert list(epoch.values()) == pytest.approx(list(per_batch.mean(axis=0)), rel=1e-12)
    reporter.epoch_start()  # a new epoch averages its own rows only
    reporter.rows[0] = grads[3]
    reporter.batch_end(2, 1, new_step_result((0.5, 0.1, 5, out, None, None)))
    assert list(reporter.epoch_norms()[0].values()) == pytest.approx(per_batch[3],
                                                                     rel=1e-12)


def test_rows_are_kept_for_small_networks_only():
    small = Network(mlp(), seed=0)
    assert BatchReporter(lambda e: None, 0.0, small, 10, 0.0).rows is not None
    many = training_parts.GRAD_ROWS_BYTES // (4 * small.n_trainable) + 1
    assert BatchReporter(lambda e: None, 0.0, small, many, 0.0).rows is None
    wide = Network(GraphSpec.sequential([("Input", {"shape": [300]}),
                                         ("Dense", {"units": 120})]), seed=0)
    assert wide.n_trainable > 1 << 15
    assert BatchReporter(lambda e: None, 0.0, wide, 1, 0.0).rows is None
    # both limits themselves still keep rows: 2^15 weights; exactly GRAD_ROWS_BYTES
    at_limit = Network(GraphSpec.sequential([("Input", {"shape": [255]}),
                                             ("Dense", {"units": 128})]), seed=0)
    assert at_limit.n_trainable == 1 << 15
    assert BatchReporter(lambda e: None, 0.0, at_limit, 1, 0.0).rows is not None
    k = Network(GraphSpec.sequential([("Input", {"shape": [1023]}),
                                      ("Dense", {"units": 1})]), seed=0)
    batches = training_parts.GRAD_ROWS_BYTES // (4 * k.n_trainable)
    assert batches * 4 * k.n_trainable == training_parts.GRAD_ROWS_BYTES
    assert BatchReporter(lambda e: None, 0.0, k, batches, 0.0).rows.shape == (batches, 1024)
    assert BatchReporter(lambda e: None, 0.0, k, batches + 1, 0.0).rows is None


@pytest.mark.parametrize("units", [[8, 8, 1], [64, 32, 3], [120, 90, 10]])
def test_row_norms_are_bit_for_bit_the_single_vector_norms(units):
    layers = [("Input", {"shape": [5]})] + [("Dense", {"units": u}) for u in units]
    net = Network(GraphSpec.sequential(layers), seed=0)
    rows = np.random.default_rng(1).normal(0, 3, (30, net.n_trainable)).astype(np.float32)
    np.testing.assert_array_equal(net.layer_norms_rows(rows),
                                  [net.layer_norms(r) for r in rows])


def test_train_step_copies_the_gradients_before_regularisation_and_clipping():
    x, y = data(20)
    cfg = TrainingConfig(loss="mse", epochs=1, batch_size=20, l2=0.5, clip_norm=1e-3)
    nets = [Network(mlp(), seed=4) for _ in range(2)]
    twin = Trainer(nets[1], cfg)
    xt, tt = twin.prepare(x, y, "data")
    nets[1].backward(_loss_grad(twin, xt, tt))
    want = nets[1].grads_flat.copy()  # plain back-propagation, before L2 and clipping
    trainer = Trainer(nets[0], cfg)
    row = np.empty(nets[0].n_trainable, np.float32)
    trainer.train_step(xt, tt, 0.1, None, row)
    np.testing.assert_array_equal(row, want)


def _loss_grad(trainer, x, t):
    out = trainer.net.forward(x, True)
    trainer.loss.forward(out, t)
    return trainer.loss.backward()


def test_no_batch_event_is_built_without_a_listener(monkeypatch):
    def refuse(*args):
        raise AssertionError("BatchEnd built")

    monkeypatch.setattr(training_parts, "BatchEnd", refuse)
    x, y = data(20)
    trainer = Trainer(Network(mlp(), seed=0), TrainingConfig(loss="mse", epochs=2,
                                                             batch_size=5))
    assert trainer.fit(x, y).reason == "completed"
    with pytest.raises(AssertionError, match="BatchEnd built"):  # (the patch does work)
        trainer.fit(x, y, callback=lambda e: None)


def test_combine_hooks():
    calls = []
    a = lambda *args: calls.append(("a", args))  # noqa: E731
    b = lambda *args: calls.append(("b", args))  # noqa: E731
    assert combine_hooks([]) is None
    assert combine_hooks([a]) is a
    combine_hooks([a, b])(1, 2, "r")
    assert calls == [("a", (1, 2, "r")), ("b", (1, 2, "r"))]


# -- fit is the composition of the parts ----------------------------------------------------
def test_fit_equals_a_loop_of_train_steps_written_by_hand():
    x, y = data(53)
    xv, yv = data(20, seed=1)
    graph = mlp(hidden=(6,), extra=[("Dropout", {"rate": 0.2})])
    cfg = dict(loss="mse", optimizer="adam", learning_rate=0.02, epochs=4, batch_size=8,
               schedule="cosine", warmup_epochs=0.5, l2=0.01, clip_norm=1.0)
    net = Network(graph, seed=5)
    fin = Trainer(net, TrainingConfig(**cfg)).fit(x, y, xv, yv)

    ref = Network(graph, seed=5)
    trainer = Trainer(ref, TrainingConfig(**cfg))
    xp, t = trainer.prepare(x, y, "training data")
    xvp, tv = trainer.prepare(xv, yv, "validation data")
    guard = DivergenceGuard(ref, EXPLODE_FACTOR)
    steps = math.ceil(53 / 8)
    train_loss, val_loss, lrs = [], [], []
    for _ in range(4):
        perm = ref.rng.permutation(53)
        total = 0.0
        for b in range(steps):
            idx = perm[b * 8:(b + 1) * 8]
            lr = learning_rate(0.02, "cosine", {"min_factor": 0.0}, trainer.step, steps, 4,
                               0.5)
            result = trainer.train_step(xp[idx], t[idx], lr, guard)
            assert result.divergence is None
            total += result.loss * len(idx)
        train_loss.append(total / 53)
        val_loss.append(trainer.evaluate(xvp, tv)[0])
        lrs.append(lr)
    assert np.array_equal(net.params_flat, ref.params_flat)
    assert fin.history.train_loss == train_loss
    assert fin.history.val_loss == val_loss
    assert fin.history.lr == lrs


def test_sum_of_squares_of_huge_finite_float32_values_is_finite():
    """A float32 dot product overflows from about 1e19; the sum is redone in float64, so
    huge but finite gradients are not taken for a divergence (the guard's total)."""
    v = np.full(4, 1e20, np.float32)
    assert float(np.dot(v, v)) == math.inf  # what float32 alone gives
    assert training_parts.sum_of_squares(v) == pytest.approx(4e40, rel=1e-6)
    small = np.array([3.0, 4.0], np.float32)
    assert training_parts.sum_of_squares(small) == 25.0
    assert not math.isfinite(training_parts.sum_of_squares(np.array([1.0, np.nan], np.float32)))
    assert training_parts.sum_of_squares(np.array([np.inf], np.float32)) == math.inf
    assert training_parts.sum_of_squares(np.full(2, 1e200)) == math.inf  # float64 overflows


@pytest.mark.parametrize("shuffle", [True, False])
def test_small_data_batched_by_slices_trains_exactly_as_gathered_batches(monkeypatch,
                                                                        shuffle):
    """Small data is shuffled into one copy per epoch and sliced; large data is gathered
    batch by batch: the same rows in the same order, so the same weights bit for bit, and
    the caller's arrays untouched."""
    from nncore import fit_loop

    x, y = data(n=37)
    x = x.astype(np.float32)
    x0, y0 = x.copy(), y.copy()
    weights = []
    for limit in (fit_loop.SHUFFLED_COPY_BYTES, 0):
        monkeypatch.setattr(fit_loop, "SHUFFLED_COPY_BYTES", limit)
        net = Network(mlp(), seed=3)
        cfg = TrainingConfig(loss="mse", optimizer="adam", batch_size=5, epochs=3,
                             shuffle=shuffle, seed=1)
        Trainer(net, cfg).fit(x, y)
        weights.append(net.params_flat.copy())
    np.testing.assert_array_equal(weights[0], weights[1])
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(y, y0)


class FakeClock:
    """``time.perf_counter`` for the reporter, set by the test."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clocked(monkeypatch):
    """(clock, network, events, reporter): a reporter without a period, on a fake clock,
    computing norms per step."""
    clock = FakeClock(0.0)
    monkeypatch.setattr(training_parts.time, "perf_counter", clock)
    net = Network(mlp(), seed=0)
    events = []
    reporter = BatchReporter(events.append, 0.0, net, 3, 0.0)
    reporter.rows = None
    return clock, net, events, reporter


def test_with_no_period_every_batch_is_reported_even_within_one_clock_tick(clocked):
    clock, net, events, reporter = clocked
    clock.now = 10.0
    for i, r in enumerate(_results(net, 3)):
        reporter.batch_end(1, i + 1, r)  # the clock does not move
    assert [e.batch for e in events] == [1, 2, 3]


def test_weight_norms_are_retaken_once_their_period_has_passed(clocked):
    clock, net, events, reporter = clocked
    results = _results(net, 3)
    reporter.batch_end(1, 1, results[0])
    net.params_flat[:net.n_trainable] *= 2.0  # the weights change
    clock.now = training_parts.WEIGHT_NORMS_PERIOD / 2  # too early: the old norms
    reporter.batch_end(1, 2, results[1])
    clock.now = training_parts.WEIGHT_NORMS_PERIOD  # exactly one period: taken again
    reporter.batch_end(1, 3, results[2])
    first, early, due = (e.weight_norms for e in events)
    assert early == first
    assert due == pytest.approx({k: 2 * v for k, v in first.items()}, rel=1e-6)
