"""What a divergence error says and carries: epoch, batch, the layer to blame, the peak
output that overflowed the loss. Written against mutation-testing survivors (issue 19)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from nncore.config import TrainingConfig
from nncore.divergence import DivergenceGuard, first_nonfinite_weights
from nncore.network import Network
from nncore.spec import EdgeSpec, GraphSpec, NodeSpec
from nncore.trainer import Trainer


def chain(*nodes: tuple[str, str, dict]) -> GraphSpec:
    """A chain of (id, type, params)."""
    g = GraphSpec()
    g.nodes = [NodeSpec(i, t, p) for i, t, p in nodes]
    g.edges = [EdgeSpec(a.id, b.id) for a, b in zip(g.nodes, g.nodes[1:])]
    return g


def net_of(*names: str, frozen: str | None = None) -> Network:
    graph = chain(("x", "Input", {"shape": [2]}),
                  *((n, "Dense", {"units": 3, "activation": "tanh"}) for n in names))
    net = Network(graph, seed=0, dtype=np.float64)
    if frozen is not None:
        net.set_frozen(frozen, True)
    return net


def test_an_explosion_names_epoch_batch_and_the_layer_with_the_largest_gradients() -> None:
    net = net_of("h1", "h2", "out")
    guard = DivergenceGuard(net, explode_factor=10.0)
    assert guard.check_gradients(2.0, 1.0) is None
    norms = np.array([0.5, 7.0, 1.0])  # norm_layers order: h1, h2, out
    assert net.norm_layers == ["h1", "h2", "out"]
    err = guard.error("exploded", 4, 9, 500.0, norms)
    text = str(err)
    assert "the loss exploded to 500 at epoch 4, batch 9, more than 10 times its value at " \
           "the start of the run (2); the largest gradients are in Dense 'h2'. The weights " \
           "from the last good epoch were restored." in text
    assert (err.layer, err.epoch, err.batch) == ("h2", 4, 9)


def test_an_explosion_without_gradient_norms_blames_no_layer() -> None:
    net = net_of("h1", "out")
    guard = DivergenceGuard(net, explode_factor=10.0)
    guard.check_gradients(1.0, 1.0)
    err = guard.error("exploded", 2, 3, 99.0, None)
    assert err.layer is None and (err.epoch, err.batch) == (2, 3)
    assert "largest gradients" not in str(err)
    assert "(1). The weights from the last good epoch were restored." in str(err)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_outputs_too_large_for_the_loss_are_reported_with_their_peak() -> None:
    """Every output finite, but its square overflows the MSE: the message gives the largest
    output, which the test reads from the forward pass itself."""
    graph = chain(("x", "Input", {"shape": [1]}), ("out", "Dense", {"units": 1}))
    net = Network(graph, seed=0, dtype=np.float32)
    net.layers["out"].weights["W"][...] = 1e30
    trainer = Trainer(net, TrainingConfig(loss="mse", optimizer="sgd"))
    guard = DivergenceGuard(net, 10.0)
    x, t = trainer.prepare(np.array([[3.0], [-2.0]]), np.zeros((2, 1)), "batch")
    result = trainer.train_step(x, t, 0.1, guard)
    assert result.divergence == "loss" and math.isinf(result.loss)
    out = net.forward(x, False)
    assert np.isfinite(out).all()
    err = guard.error("loss", 5, 2, result.loss, None)
    peak = float(np.max(np.abs(out)))
    assert (f"the outputs of Dense 'out' grew too large for the loss (up to {peak:.3g})"
            in str(err))
    assert (err.layer, err.epoch, err.batch) == ("out", 5, 2)


def test_non_finite_weights_blame_the_first_layer_in_execution_order() -> None:
    """Both layers hold NaN; the first to run is named, although its slot comes last in the
    flat buffer (frozen) and its id sorts last."""
    net = net_of("z_first", "a_second", frozen="z_first")
    starts = {s.node_id: s.start for s in net.slots}
    assert starts["z_first"] > starts["a_second"]
    net.layers["z_first"].weights["W"][0, 0] = np.nan
    net.layers["a_second"].weights["b"][0] = np.inf
    assert first_nonfinite_weights(net) == "Dense 'z_first' (its weights)"
    err = DivergenceGuard(net, 10.0).check_epoch(6, 0.1, "loss")
    assert err.layer == "z_first" and err.epoch == 6


def test_the_guard_keeps_the_last_good_weights_in_a_buffer_that_fits() -> None:
    net = net_of("h1", "out")
    buffer = np.full_like(net.params_flat, np.nan)
    guard = DivergenceGuard(net, 10.0, buffer)
    assert guard.good is buffer and np.array_equal(buffer, net.params_flat)
    wrong = np.zeros(net.params_flat.size + 1)
    assert DivergenceGuard(net, 10.0, wrong).good is not wrong
    as32 = np.zeros(net.params_flat.size, np.float32)  # the network is float64
    assert DivergenceGuard(net, 10.0, as32).good is not as32


def test_successive_fits_reuse_one_guard_buffer_and_restore_their_own_start() -> None:
    net = Network(chain(("x", "Input", {"shape": [2]}), ("out", "Dense", {"units": 3})),
                  seed=0, dtype=np.float64)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 2)), rng.normal(size=(8, 3))
    trainer = Trainer(net, TrainingConfig(loss="mse", optimizer="sgd", epochs=1,
                                          batch_size=4, learning_rate=0.05))
    trainer.fit(x, y)
    first = trainer._guard_buffer
    after_first = net.snapshot()
    # A second fit at a rate that explodes the loss: the weights go back to its own start.
    trainer.config = dataclasses.replace(trainer.config, learning_rate=1e7)
    fin = trainer.fit(x, y)
    assert fin.reason == "diverged"
    assert trainer._guard_buffer is first
    np.testing.assert_array_equal(net.params_flat, after_first)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_huge_but_finite_weights_are_not_taken_for_a_divergence() -> None:
    graph = chain(("x", "Input", {"shape": [2]}), ("out", "Dense", {"units": 3}))
    net = Network(graph, seed=0, dtype=np.float32)
    guard = DivergenceGuard(net, 10.0)
    net.params_flat[:] = 3e19  # each square overflows float32; the weights are finite
    assert guard.check_epoch(1, 0.5, "loss") is None
    net.params_flat[2] = -np.inf
    assert guard.check_epoch(1, 0.5, "loss").layer == "out"


# -- at an epoch's end, through Trainer.fit ---------------------------------------------------
def linear_net() -> Network:
    return Network(chain(("x", "Input", {"shape": [2]}),
                         ("out", "Dense", {"units": 1, "activation": "linear"})), seed=0)


def fit_collecting(net: Network, x, y, x_val=None, y_val=None, **cfg):
    trainer = Trainer(net, TrainingConfig(**{"loss": "mse", "optimizer": "sgd",
                                             "epochs": 3, "shuffle": False, **cfg}))
    events: list = []
    fin = trainer.fit(x, y, x_val, y_val, callback=events.append)
    return fin, events


def test_a_validation_loss_that_overflows_ends_the_run_at_the_epoch_end() -> None:
    """Training batches are fine; the validation inputs overflow float32 in the layer, so
    the check at the epoch's end stops the run, names the validation loss and restores the
    weights of the last good epoch (the start)."""
    from nncore.events import Diverged, EpochEnd
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 2)).astype(np.float32)
    y = x.sum(axis=1, keepdims=True)
    x_val = np.full((4, 2), 3e38, np.float32)
    net = linear_net()
    start = net.params_flat.copy()
    fin, events = fit_collecting(net, x, y, x_val, y[:4], learning_rate=0.01, batch_size=8)
    assert (fin.reason, fin.epochs_run) == ("diverged", 1)
    (d,) = [e for e in events if isinstance(e, Diverged)]
    assert (d.epoch, d.batch, d.restored_epoch) == (1, 0, 0)
    assert d.message == fin.message
    assert fin.message.startswith("training diverged: the validation loss became inf at "
                                  "epoch 1. The weights from the last good epoch were "
                                  "restored.")
    assert not [e for e in events if isinstance(e, EpochEnd)]
    np.testing.assert_array_equal(net.params_flat, start)


def test_weights_made_infinite_by_the_last_update_of_an_epoch_end_the_run() -> None:
    """One batch per epoch and a learning rate that overflows the weights: the loss and the
    gradients were finite, so only the weights' check at the epoch's end sees it. Without
    validation data the words name the weights, not a validation loss."""
    from nncore.events import Diverged
    x = np.full((4, 2), 1e16, np.float32)  # loss ~1e32 and gradients ~1e32: finite
    y = np.zeros((4, 1), np.float32)
    net = linear_net()
    start = net.params_flat.copy()
    fin, events = fit_collecting(net, x, y, learning_rate=1e7, batch_size=4)
    assert (fin.reason, fin.epochs_run) == ("diverged", 1)
    (d,) = [e for e in events if isinstance(e, Diverged)]
    assert (d.epoch, d.batch, d.restored_epoch, d.layer) == (1, 0, 0, "out")
    assert fin.message.startswith("training diverged: the weights became NaN/Inf at epoch "
                                  "1; the first non-finite values appeared in Dense 'out'")
    np.testing.assert_array_equal(net.params_flat, start)

