"""The gradient check (nncore.gradcheck): every shipped example passes; a deliberately wrong
backward fails and is named; dropout, batch normalization and kinks are handled; the
difference formulas are checked against closed forms."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nncore.config import TrainingConfig
from nncore.gradcheck import (
    FLOOR,
    STEP,
    TOLERANCE,
    _differences,
    check_network,
    gradcheck,
    table,
)
from nncore.layers.core import BatchNormalization, Dense, Dropout
from nncore.network import Network
from nncore.project import DataSpec, Project, load_project
from nncore.spec import GraphSpec

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "resources" / "examples")
                  .glob("*.json"))
XOR = DataSpec("synthetic", "xor", params={"n_samples": 200})


def project(layers, loss="categorical_crossentropy", data=XOR, **training) -> Project:
    return Project("t", "", GraphSpec.sequential(layers), data,
                   TrainingConfig(loss=loss, **training))


MLP = [("Input", {"shape": [2]}), ("Dense", {"units": 6, "activation": "tanh"}),
       ("Dense", {"units": 5, "activation": "tanh"}),
       ("Dense", {"units": 2, "activation": "softmax"})]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_shipped_example_passes(path):
    result = gradcheck(load_project(path), path.parent)
    assert result.passed, table(result)
    assert all(r.checked for r in result.rows)
    compared = [r for r in result.rows if r.max_rel_error is not None]
    assert len(compared) == len(result.rows)  # no array left unchecked by kinks


def test_rows_cover_every_trainable_array_and_every_back_propagated_input():
    result = gradcheck(project(MLP))
    assert [(r.node_id, r.array) for r in result.rows] == [
        ("dense1", "W"), ("dense1", "b"), ("dense1", "input"),
        ("dense2", "W"), ("dense2", "b"), ("dense2", "input"),
        ("dense3", "W"), ("dense3", "b"), ("dense3", "input")]
    assert [r.size for r in result.rows][:3] == [12, 6, 16]  # 8 samples x 2 inputs


def _drop_factor(monkeypatch, cls, node, array):
    """Make ``cls.backward`` of node ``node`` wrong by half: its gradient of ``array``, or
    (``array == "input"``) the input gradient it returns."""
    original = cls.backward

    def backward(self, grad):
        gin = original(self, grad)
        if self.name != node:
            return gin
        if array == "input":
            return gin * 0.5
        self.grads[array] *= 0.5
        return gin

    monkeypatch.setattr(cls, "backward", backward)


@pytest.mark.parametrize("node,array", [("dense2", "W"), ("dense3", "b"),
                                        ("dense2", "input"), ("dense1", "W")])
def test_a_wrong_backward_fails_and_is_named(monkeypatch, node, array):
    _drop_factor(monkeypatch, Dense, node, array)
    result = gradcheck(project(MLP))
    assert not result.passed
    bad = result.culprit
    assert (bad.node_id, bad.array) == (node, array)
    assert bad.max_rel_error > 0.1 and bad.backprop == pytest.approx(bad.numerical / 2,
                                                                     rel=1e-4)
    failed = {(r.node_id, r.array) for r in result.failures}
    if array == "input":  # everything before it is wrong too, and nothing after it
        assert failed == {("dense1", "W"), ("dense1", "b"), ("dense1", "input"),
                          ("dense2", "input")}
    else:
        assert failed == {(node, array)}
    text = table(result)
    assert f"first goes wrong at layer '{node}', {array}" in text


def test_dropout_masks_are_the_same_in_every_evaluation(monkeypatch):
    layers = MLP[:2] + [("Dropout", {"rate": 0.5})] + MLP[2:]
    assert gradcheck(project(layers)).passed
    monkeypatch.setattr(Dropout, "backward", lambda self, grad: grad)  # forgets the mask
    result = gradcheck(project(layers))
    assert (result.culprit.node_id, result.culprit.array) == ("dropout1", "input")


def test_batch_normalization_is_checked_with_batch_statistics(monkeypatch):
    layers = MLP[:2] + [("BatchNormalization", {"momentum": 0.5})] + MLP[2:]
    result = gradcheck(project(layers), samples=5, seed=3)
    assert result.passed and ("batchnormalization1", "gamma") in {
        (r.node_id, r.array) for r in result.rows}

    original = BatchNormalization.backward

    def inference_backward(self, grad):  # the backward of fixed statistics, in training
        self.batch_stats = False
        return original(self, grad)

    monkeypatch.setattr(BatchNormalization, "backward", inference_backward)
    bad = gradcheck(project(layers), samples=5, seed=3).culprit
    assert (bad.node_id, bad.array) == ("batchnormalization1", "input")


def test_kinks_are_counted_not_failed(monkeypatch):
    """ReLUs on exactly-zero pre-activations (zero inputs and zero initial biases): the
    central difference there is the mean of two slopes, not the gradient."""
    layers = [("Input", {"shape": [3]}), ("Dense", {"units": 4, "activation": "relu"}),
              ("Dense", {"units": 1, "activation": "linear"})]
    net = Network(GraphSpec.sequential(layers), dtype=np.float64, seed=0)
    from nncore.losses import get_loss

    x = np.zeros((4, 3))
    x[:2] = np.random.default_rng(0).normal(size=(2, 3))
    result = check_network(net, get_loss("mse"), x, np.ones((4, 1)))
    assert result.passed
    dense1_b = next(r for r in result.rows if (r.node_id, r.array) == ("dense1", "b"))
    assert dense1_b.kinks == 4 and dense1_b.max_rel_error is None
    assert "-" in table(result).splitlines()[2]
    assert table(result).endswith("not compared (a kink at every entry checked): dense1/b")
    monkeypatch.setattr("nncore.gradcheck.KINK", np.inf)  # no kink detection: false failure
    assert not check_network(net, get_loss("mse"), x, np.ones((4, 1))).passed


def test_five_point_difference_and_jump_against_closed_forms():
    a = np.array([0.3])
    steep = lambda: float(np.exp(20 * a[0]))  # noqa: E731
    num, jump = _differences(a, (0,), steep, steep())
    # five-point error ~ 20^4 h^4 / 30, relative; a plain central difference would be
    # 20^2 h^2 / 6 = 7e-9 off
    assert num == pytest.approx(20 * np.exp(6.0), rel=1e-10)
    assert abs(jump) < 1e-6 * num and a[0] == 0.3  # smooth; the entry is restored
    b = np.array([0.0])
    kink = lambda: float(abs(b[0]) + 2 * b[0])  # noqa: E731  slopes 3 and 1
    num, jump = _differences(b, (0,), kink, kink())
    assert num == pytest.approx(2.0) and jump == pytest.approx(2.0)


def test_numerical_gradient_matches_a_closed_form():
    """Linear regression with MSE: dL/dW = 2/n X^T (X W + b - t), dL/db = 2/n sum(...)."""
    layers = [("Input", {"shape": [3]}), ("Dense", {"units": 1, "activation": "linear"})]
    net = Network(GraphSpec.sequential(layers), dtype=np.float64, seed=4)
    from nncore.losses import get_loss

    rng = np.random.default_rng(5)
    x, t = rng.normal(size=(6, 3)), rng.normal(size=(6, 1))
    result = check_network(net, get_loss("mse"), x, t, seed=9, max_entries=2)
    r = (x @ net.layers["dense1"].weights["W"] + net.layers["dense1"].weights["b"] - t)
    want = {"W": 2 / 6 * x.T @ r, "b": 2 / 6 * r.sum(axis=0), "input": 2 / 6 * r @
            net.layers["dense1"].weights["W"].T}
    for row in result.rows:
        assert row.size == want[row.array].size and row.checked == min(2, row.size)
        assert row.numerical == pytest.approx(want[row.array][row.worst_index], rel=1e-9)
        assert row.backprop == pytest.approx(want[row.array][row.worst_index], rel=1e-12)


def test_samples_seed_and_given_weights(tmp_path):
    from nncore.run import build_network
    from nncore.weights import read_weights, save_weights

    p = project(MLP)
    first = gradcheck(p, samples=3, seed=1, max_entries=4)
    assert first.samples == 3 and all(r.checked <= 4 for r in first.rows)
    assert gradcheck(p, samples=3, seed=2).loss != first.loss  # other samples
    other = build_network(p, seed=123)
    save_weights(tmp_path / "w.npz", other)
    weights = read_weights(tmp_path / "w.npz", other.weight_shapes())
    at_weights = gradcheck(p, weights=weights, samples=3, seed=1)
    assert at_weights.passed and at_weights.loss != first.loss


def test_frozen_layers_are_checked_as_trainable():
    p = project(MLP)
    p.graph.node("dense1").frozen = True
    rows = {(r.node_id, r.array) for r in gradcheck(p).rows}
    assert ("dense1", "W") in rows


def test_bad_requests_are_refused():
    from nncore.errors import DataError

    with pytest.raises(DataError, match="the training split has 160"):
        gradcheck(project(MLP), samples=161)
    net = Network(GraphSpec.sequential(MLP), seed=0)  # float32
    from nncore.losses import get_loss

    with pytest.raises(ValueError, match="float64"):
        check_network(net, get_loss("mse"), np.zeros((2, 2)), np.zeros((2, 2)))


def test_the_floor_scales_with_the_loss():
    """A loss of about 1e6 leaves about 2e-5 of rounding noise in a difference quotient: a
    gradient of 2e-3 (a feature a million times smaller than the other) is judged against
    the floor 1e-4 * |L| = 100, not against its own size, and passes."""
    assert STEP == 1e-5 and FLOOR == 1e-4 and TOLERANCE == 1e-5
    from nncore.losses import get_loss

    layers = [("Input", {"shape": [2]}), ("Dense", {"units": 1, "activation": "linear"})]
    net = Network(GraphSpec.sequential(layers), dtype=np.float64, seed=0)
    x = np.column_stack([np.linspace(-1, 1, 6), np.full(6, 1e-6)])
    result = check_network(net, get_loss("mse"), x, np.full((6, 1), 1000.0))
    assert result.loss > 9e5 and result.passed, table(result)
    w = next(r for r in result.rows if r.array == "W")
    assert abs(w.backprop) > 1e-4 and w.max_rel_error < 1e-6


def test_progress_counts_the_arrays_and_its_exception_ends_the_check():
    calls = []
    result = gradcheck(project(MLP), progress=lambda done, total: calls.append((done, total)))
    assert calls == [(i, 9) for i in range(1, 10)] and len(result.rows) == 9

    class Stop(Exception):
        pass

    def stop_at_three(done, total):
        if done == 3:
            raise Stop

    with pytest.raises(Stop):
        gradcheck(project(MLP), progress=stop_at_three)
