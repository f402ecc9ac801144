"""The learning-rate range test (nncore.lr_finder): its rates, its debiased smoothing against
the closed form, one train_step per rate on a copy (the network untouched), the stop rule
against the divergence threshold of gradient descent on a quadratic (a closed form), and
the rules that read a rate off the curve."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nncore.config import TrainingConfig
from nncore.errors import ParameterError
from nncore.lr_finder import (
    RULES,
    STOP_FACTOR,
    lr_range_test,
    minimum_tenth,
    rates_for,
    steepest,
    suggest,
    valley,
)
from nncore.network import Network
from nncore.spec import GraphSpec
from nncore.trace import copy_network
from nncore.trainer import Trainer


def linear_problem(n=64, seed=0):
    """y = x w* + noise; a linear network (no bias) with MSE: a quadratic loss whose
    Hessian is (2 / n) X^T X."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)) * np.array([1.0, 2.0, 0.5])
    y = x @ np.array([[1.0], [-2.0], [0.5]]) + 0.01 * rng.normal(size=(n, 1))
    graph = GraphSpec.sequential([("Input", {"shape": [3]}),
                                  ("Dense", {"units": 1, "activation": "linear",
                                             "use_bias": False})])
    return Network(graph, dtype=np.float64, seed=seed), x, y


def mlp(seed=0):
    graph = GraphSpec.sequential([("Input", {"shape": [2]}),
                                  ("Dense", {"units": 8, "activation": "tanh"}),
                                  ("Dropout", {"rate": 0.2}),
                                  ("Dense", {"units": 2, "activation": "softmax"})])
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(50, 2)).astype(np.float32)
    return Network(graph, seed=seed), x, (x[:, 0] * x[:, 1] > 0).astype(np.int64)


def test_rates_grow_exponentially_from_start_to_end():
    r = rates_for(1e-6, 1.0, 13)
    assert r[0] == pytest.approx(1e-6) and r[-1] == pytest.approx(1.0)
    np.testing.assert_allclose(r[1:] / r[:-1], 10 ** 0.5, rtol=1e-12)
    for bad in [(0, 1, 10), (1, 1, 10), (2, 1, 10), (1e-3, math.inf, 10), (1e-3, 1, 1)]:
        with pytest.raises(ParameterError):
            rates_for(*bad)


def test_each_step_is_one_train_step_at_its_rate_on_a_copy():
    """The recorded losses are those of train_step at the sweep's rates, on batches drawn
    as training draws them; the network's weights and generator are untouched."""
    net, x, y = mlp()
    config = TrainingConfig(optimizer="momentum", optimizer_params={"momentum": 0.5},
                            batch_size=16, l2=0.01)
    before, rng = net.snapshot(), net.rng.bit_generator.state
    result = lr_range_test(net, config, x, y, start=1e-4, end=1.0, steps=12)
    np.testing.assert_array_equal(net.snapshot(), before)
    assert net.rng.bit_generator.state == rng
    # The same by hand: a trainer on a copy, four batches of 16 per pass (the last of 2).
    trainer = Trainer(copy_network(net), config)
    xs, t = trainer.prepare(x, y, "x")
    want = []
    for i, lr in enumerate(rates_for(1e-4, 1.0, 12)):
        if i % 4 == 0:
            order = trainer.net.rng.permutation(50)
        idx = order[(i % 4) * 16:(i % 4 + 1) * 16]
        want.append(trainer.train_step(xs[idx], t[idx], lr).loss)
    np.testing.assert_array_equal(result.losses, want)
    np.testing.assert_allclose(result.rates, rates_for(1e-4, 1.0, 12))


@pytest.mark.parametrize("beta", [0.0, 0.7, 0.98])
def test_smoothing_is_the_debiased_moving_average(beta):
    net, x, y = mlp(1)
    result = lr_range_test(net, TrainingConfig(), x, y, start=1e-5, end=1e-2, steps=30,
                           smoothing=beta)
    losses = result.losses
    for i in range(len(losses)):
        w = (1 - beta) * beta ** np.arange(i, -1, -1)  # weights of losses 0..i
        assert result.smoothed[i] == pytest.approx((w @ losses[:i + 1]) / (1 - beta ** (i + 1)),
                                                   rel=1e-12)
    assert result.stop_reason == "end" and len(losses) == 30


def test_the_sweep_stops_past_the_divergence_threshold_of_gradient_descent():
    """Full-batch SGD on a quadratic diverges exactly for rates above 2 / lambda_max of the
    Hessian: the sweep stops (smoothed loss above STOP_FACTOR times its minimum) at a rate
    beyond that threshold, within a decade of it (the error along the steepest direction,
    long converged, has to grow back from nearly nothing first), and every rule suggests a
    rate below it."""
    net, x, y = linear_problem()
    hessian = 2.0 / len(x) * x.T @ x
    threshold = 2.0 / np.linalg.eigvalsh(hessian).max()
    config = TrainingConfig(loss="mse", optimizer="sgd", batch_size=len(x))
    result = lr_range_test(net, config, x, y, steps=200)
    assert result.stop_reason == "diverged"
    assert threshold < result.rates[-1] < 10 * threshold
    assert result.smoothed[-1] > STOP_FACTOR * result.smoothed.min()
    assert result.smoothed[-2] <= STOP_FACTOR * result.smoothed[:-1].min()
    for rule in RULES:
        assert suggest(result.rates, result.smoothed, rule) < threshold, rule


def test_a_non_finite_loss_ends_the_sweep_without_an_update():
    net, x, y = linear_problem()
    config = TrainingConfig(loss="mse", optimizer="sgd", batch_size=len(x))
    result = lr_range_test(net, config, x, y, start=1e3, end=1e300, steps=50,
                           stop_factor=1e300)
    assert result.stop_reason == "not finite"
    assert np.isfinite(result.losses).all() and result.suggestion is None


# -- rules on curves whose answer is known ---------------------------------------------------

def curve():
    """Flat at 2, a fall to 1 between rates 1e-3 and 1e-1 (steepest at 1e-2), flat, then
    a climb: on 81 rates from 1e-6 to 10 (10 per decade)."""
    rates = 10.0 ** np.linspace(-6, 2, 81)
    u = np.log10(rates)
    loss = 1.5 - 0.5 * np.tanh(2 * (u + 2)) + np.where(u > 0, (u ** 2) * 3, 0.0)
    return rates, loss


def test_steepest_minimum_and_valley_on_a_known_curve():
    rates, loss = curve()
    assert steepest(rates, loss) == pytest.approx(10 ** -2.05, rel=0.13)
    best = rates[np.argmin(loss)]
    assert minimum_tenth(rates, loss) == pytest.approx(best / 10)
    # valley: the longest fall runs from the start to the minimum; read 1/2 of the way in
    # its middle third.
    end = int(np.argmin(loss))
    begin = end - (end + 1)
    third = (end - begin) / 3
    assert valley(rates, loss) == rates[begin + int(third) + int(third / 2)]


def test_suggest_trims_the_ends_and_needs_enough_points():
    rates, loss = curve()
    # Trimmed: the first tenth and the last 5 points are never read.
    spiky = loss.copy()
    spiky[:8] = -10
    spiky[-5:] = -10
    assert suggest(rates, spiky, "minimum/10") == minimum_tenth(rates[8:-5], loss[8:-5])
    assert suggest(rates[:15], loss[:15]) is None
    with pytest.raises(ParameterError, match="unknown rule"):
        suggest(rates, loss, "median")


def test_progress_follows_the_steps_and_its_exception_ends_the_sweep():
    net, x, y = mlp()
    calls = []
    result = lr_range_test(net, TrainingConfig(batch_size=16), x, y, start=1e-4, end=1e-2,
                           steps=12, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(i, 12) for i in range(1, len(result.rates) + 1)]
    before = net.snapshot()

    class Stop(Exception):
        pass

    def stop(done, total):
        if done == 5:
            raise Stop

    with pytest.raises(Stop):
        lr_range_test(net, TrainingConfig(batch_size=16), x, y, steps=12, progress=stop)
    np.testing.assert_array_equal(net.snapshot(), before)  # the sweep ran on a copy
