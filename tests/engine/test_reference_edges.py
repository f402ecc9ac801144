"""Edges the layer, loss, metric, schedule and optimizer tests left open, each checked
against a value the test computes itself. Written against mutation-testing survivors
(issue 19): every assertion here fails for a small, realistic bug that the rest of the
suite let through (a factor dropped, a boundary moved, a message garbled)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nncore.activations import get_activation
from nncore.errors import DataError, ParameterError, ShapeError, SpecError
from nncore.evaluation import _classification
from nncore.initializers import INITIALIZER_NAMES
from nncore.layers.core import Activation, BatchNormalization, Dense, Dropout, Reshape
from nncore.losses import get_loss
from nncore.metrics import (
    MetricsAccumulator,
    correct_predictions,
    regression_metrics,
    total_sum_squares,
)
from nncore.network import Network
from nncore.one_hot import OneHotTargets
from nncore.optimizers import get_optimizer
from nncore.registry import layer_types
from nncore.schedules import learning_rate
from nncore.spec import GraphSpec
from tests.engine.test_layers import build


# -- BatchNormalization: the moving statistics ------------------------------------------
@pytest.mark.parametrize("shape, axes", [((4,), (0,)), ((5, 3), (0, 1)), ((2, 3, 3), (0, 2, 3))])
def test_batchnorm_moves_its_statistics_by_momentum(shape, axes) -> None:
    """moving = m * moving + (1 - m) * batch statistic, per feature: the last axis of a
    sequence (T, F), the channel of an image (C, H, W)."""
    m = 0.8
    layer = build(BatchNormalization, {"momentum": m}, [shape])
    rng = np.random.default_rng(1)
    x = rng.normal(2.0, 3.0, (6, *shape))
    mean0, var0 = layer.weights["moving_mean"].copy(), layer.weights["moving_var"].copy()
    layer.forward(x, True)
    feat = x.shape[-1] if len(shape) == 2 else x.shape[1]
    rows = np.moveaxis(x, -1 if len(shape) == 2 else 1, 0).reshape(feat, -1)
    np.testing.assert_allclose(layer.weights["moving_mean"], m * mean0 + (1 - m) * rows.mean(1))
    np.testing.assert_allclose(layer.weights["moving_var"],
                               m * var0 + (1 - m) * rows.var(1))  # biased, as Keras
    # Inference then normalises with the moving statistics.
    w = layer.weights
    y = layer.forward(x, False)
    bshape = [1] * x.ndim
    bshape[-1 if len(shape) == 2 else 1] = feat
    want = (w["gamma"].reshape(bshape) * (x - w["moving_mean"].reshape(bshape))
            / np.sqrt(w["moving_var"].reshape(bshape) + layer.config["epsilon"])
            + w["beta"].reshape(bshape))
    np.testing.assert_allclose(y, want, rtol=1e-12)


def test_batchnorm_refuses_a_four_dimensional_input_in_words() -> None:
    with pytest.raises(ShapeError, match=r"expects a flat, sequence or image input, got "
                                         r"\(2, 2, 2, 2\)"):
        BatchNormalization("bn").compute_output_shape([(2, 2, 2, 2)])


def test_batchnorm_moving_variance_may_lie_below_one() -> None:
    specs = {s.name: s for s in BatchNormalization("bn").weight_specs([(3,)])}
    assert specs["moving_var"].minimum == 0.0 and not specs["moving_var"].trainable
    assert not specs["moving_mean"].trainable and specs["moving_mean"].minimum is None


# -- other layers ------------------------------------------------------------------------
def test_reshape_refusal_counts_the_values_of_both_shapes() -> None:
    with pytest.raises(ShapeError, match=r"cannot reshape \(2, 3\) \(6 values\) into "
                                         r"\(4,\) \(4 values\)"):
        Reshape("r", target_shape=[4]).compute_output_shape([(2, 3)])


def test_a_parameter_called_name_is_refused_as_unknown_not_a_crash() -> None:
    """A project file may hold any parameter names: "name" is not a layer parameter (the
    node id is the name), so it is refused in words like any other unknown one."""
    with pytest.raises(ParameterError, match=r"Dense 'd': unknown parameter 'name'"):
        Dense("d", units=3, name="x")
    graph = GraphSpec.sequential([("Input", {"shape": [2]}), ("Dense", {"units": 1,
                                                                     "name": "x"})])
    with pytest.raises(SpecError, match=r"Dense 'dense1': unknown parameter 'name'"):
        Network(graph)


@pytest.mark.parametrize("cls", layer_types(), ids=lambda c: c.type_name)
def test_a_layer_without_a_name_is_named_after_its_type(cls) -> None:
    params = dict(cls.examples[0][0]) if cls.examples else {}
    assert cls(**params).name == cls.type_name.lower()


@pytest.mark.parametrize("cls", layer_types(), ids=lambda c: c.type_name)
def test_no_layer_type_crashes_on_a_parameter_called_name(cls) -> None:
    with pytest.raises(ParameterError, match=r"unknown parameter 'name'"):
        cls("x", name="y")


def test_an_activation_layer_keeps_its_name() -> None:
    assert Activation("act7", activation="relu").name == "act7"


def test_dense_initializer_settings_are_choices_with_their_defaults() -> None:
    params = {p.name: p for p in Dense.schema}
    for name, default, words in (("kernel_initializer", "glorot_uniform", "weights"),
                                 ("bias_initializer", "zeros", "biases")):
        p = params[name]
        assert (p.name, p.kind, p.default) == (name, "choice", default)
        assert tuple(p.choices) == tuple(INITIALIZER_NAMES)
        assert words in p.help


def test_dropout_rate_zero_is_the_identity_and_draws_nothing() -> None:
    layer = build(Dropout, {"rate": 0.0}, [(5,)])
    layer.rng = np.random.default_rng(3)
    before = layer.rng.bit_generator.state
    x = np.arange(10.0).reshape(2, 5)
    np.testing.assert_array_equal(layer.forward(x, True), x)
    assert layer.rng.bit_generator.state == before


# -- activations at their edges -----------------------------------------------------------
def test_leaky_relu_takes_the_negative_slope_at_zero_as_pytorch_does() -> None:
    act = get_activation("leaky_relu")
    x = np.array([-1.0, 0.0, 2.0])
    y = act.forward(x)
    g = act.backward(np.ones(3), x, y)
    np.testing.assert_array_equal(g, [act.alpha, act.alpha, 1.0])


def test_softmax_rows_of_very_different_scale_are_each_exact() -> None:
    """Each row is shifted by its own maximum: a shift by the largest value of the whole
    batch would underflow the small row to 0/0."""
    act = get_activation("softmax")
    x = np.array([[0.0, 1.0, 2.0], [1000.0, 1001.0, 1002.0], [-900.0, -900.0, -899.0]])
    y = act.forward(x)
    e = np.exp([0.0, 1.0, 2.0])
    np.testing.assert_allclose(y[0], e / e.sum())
    np.testing.assert_allclose(y[1], e / e.sum())
    np.testing.assert_allclose(y[2], np.exp([-1, -1, 0]) / np.exp([-1, -1, 0]).sum())


def test_softmax_gradient_of_a_sequence_matches_finite_differences() -> None:
    """Softmax over the last axis of (batch, time, classes): the vector-Jacobian product
    sums over the classes, not over time."""
    act = get_activation("softmax")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 4))
    grad = rng.normal(size=x.shape)
    y = act.forward(x)
    got = act.backward(grad, x, y)
    num = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += 1e-6
        xm[idx] -= 1e-6
        num[idx] = ((act.forward(xp) - act.forward(xm)) * grad).sum() / 2e-6
    np.testing.assert_allclose(got, num, rtol=1e-6, atol=1e-9)


# -- losses: the targets they accept -------------------------------------------------------
@pytest.mark.parametrize("name", ["mse", "mae", "huber"])
def test_a_vector_of_targets_feeds_a_single_output(name) -> None:
    loss = get_loss(name)
    t = loss.check_targets(np.array([1, 2, 3]), (1,))
    assert t.shape == (3, 1) and t.dtype == np.float32
    np.testing.assert_array_equal(t[:, 0], [1, 2, 3])
    out = np.array([[1.5], [2.0], [2.0]])
    want = {"mse": (0.25 + 0 + 1) / 3, "mae": (0.5 + 0 + 1) / 3,
            "huber": (0.125 + 0 + 0.5) / 3}[name]
    assert loss.forward(out, t) == pytest.approx(want)


@pytest.mark.parametrize("targets, out_shape, got", [
    (np.zeros(4), (2,), r"\(\)"),          # a vector cannot feed two outputs
    (np.zeros((4, 3)), (2,), r"\(3,\)"),
    (np.zeros((4, 2)), (1,), r"\(2,\)"),
])
def test_mismatched_targets_are_refused_with_both_shapes(targets, out_shape, got) -> None:
    with pytest.raises(DataError, match=rf"targets have shape {got} per sample but the "
                                        rf"network outputs \({out_shape[0]},\)"):
        get_loss("mse").check_targets(targets, out_shape)


def test_float_targets_pass_unchanged_and_integers_become_float32() -> None:
    loss = get_loss("mse")
    t64 = np.zeros((3, 2))
    assert loss.check_targets(t64, (2,)) is t64
    assert loss.check_targets(np.zeros((3, 2), np.int64), (2,)).dtype == np.float32
    assert get_loss("binary_crossentropy").check_targets(
        np.array([0, 1, 1]), (1,)).dtype == np.float32


# -- metrics -------------------------------------------------------------------------------
def test_accuracy_of_one_sample_and_of_several_sigmoid_labels() -> None:
    assert correct_predictions(np.array([[0.3]]), np.array([[1.0]]), False) == 1
    out = np.array([[0.5, -0.5], [0.5, 0.5], [-1.0, 2.0]])  # logits of two labels
    t = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 1.0]])
    # Labels right per sample: 2, 1, 1 of 2 -> 1 + 0.5 + 0.5 samples.
    assert correct_predictions(out, t, False) == pytest.approx(2.0)


def test_a_logit_of_exactly_zero_is_class_0_as_in_the_confusion_matrix() -> None:
    """Accuracy while training and the evaluation's confusion matrix cut a sigmoid output
    at the same place: class 1 only above a logit of 0."""
    out = np.array([[0.0], [0.0], [1e-7], [-1e-7]])
    t = np.array([[0.0], [0.0], [1.0], [0.0]])
    assert correct_predictions(out, t, False) == 4
    ev = _classification(out, t[:, 0], 0.0, "validation", None,
                         get_loss("binary_crossentropy"))
    assert ev.predictions.tolist() == [0, 0, 1, 0]
    assert ev.metrics["accuracy"] == 1.0
    # A soft target of exactly one half counts as class 0 (class 1 only above it).
    assert correct_predictions(np.array([[-1.0]]), np.array([[0.5]]), False) == 1


def test_regression_metrics_closed_forms() -> None:
    t = np.array([[0.1], [0.2], [0.4]])  # a total sum of squares below 1
    out = np.array([[0.15], [0.2], [0.3]])
    sse = float(((out - t) ** 2).sum())
    sst = float(((t - t.mean()) ** 2).sum())
    assert total_sum_squares(t) == pytest.approx(sst)
    got = regression_metrics(sse, t.size, sst)
    assert got == pytest.approx({"rmse": math.sqrt(sse / 3), "r2": 1 - sse / sst})
    assert regression_metrics(4.0, 1, 2.0)["rmse"] == pytest.approx(2.0)
    assert regression_metrics(1.0, 2, 0.0)["r2"] == 0.0  # constant targets: no variance


def test_total_sum_squares_is_per_output_column() -> None:
    t = np.array([[0.0, 10.0], [2.0, 30.0]])
    assert total_sum_squares(t) == pytest.approx(1 + 1 + 100 + 100)
    seq = np.arange(12.0).reshape(2, 3, 2)  # (n, T, F): each of the 6 values its own mean
    assert total_sum_squares(seq) == pytest.approx(6 * 2 * 3.0 ** 2)


@pytest.mark.parametrize("exact", [False, True])
def test_mae_epoch_metrics_from_errors_the_test_sums_itself(exact) -> None:
    rng = np.random.default_rng(4)
    t = rng.normal(size=(10, 2)).astype(np.float32)
    outs = [rng.normal(size=(5, 2)).astype(np.float32) for _ in range(2)]
    loss = get_loss("mae")
    acc = MetricsAccumulator(loss, t, exact=exact)
    batch_losses = []
    for b, out in enumerate(outs):
        batch_losses.append(loss.forward(out, t[5 * b:5 * b + 5]))
        acc.add(out, t[5 * b:5 * b + 5], batch_losses[-1])
    err = np.concatenate(outs).astype(np.float64) - t
    sse = float((err ** 2).sum())
    sst = float(((t.astype(np.float64) - t.mean(0)) ** 2).sum())
    mean_loss, metrics = acc.result()
    assert mean_loss == pytest.approx(float(np.abs(err).mean()), rel=1e-6)
    assert mean_loss == pytest.approx(np.mean(batch_losses))  # equal batches
    assert metrics["rmse"] == pytest.approx(math.sqrt(sse / t.size), rel=1e-6)
    assert metrics["r2"] == pytest.approx(1 - sse / sst, rel=1e-6)


# -- schedules with one step per epoch, and fractional warm-up ------------------------------
def test_one_step_per_epoch_counts_each_step_as_an_epoch() -> None:
    # Cosine over 4 epochs, one step each: step 2 is half way.
    lr = learning_rate(1.0, "cosine", {"min_factor": 0.0}, 2, 1, 4)
    assert lr == pytest.approx(0.5)
    # A one-epoch cosine reaches its floor at the end of that epoch.
    assert learning_rate(1.0, "cosine", {"min_factor": 0.1}, 1, 1, 1) == pytest.approx(0.1)
    assert learning_rate(1.0, "cosine", {"min_factor": 0.0}, 1, 2, 1) == pytest.approx(0.5)


def test_fractional_warmup_ramps_over_its_steps() -> None:
    # Half an epoch of warm-up at 4 steps per epoch: 2 warm steps, rates 1/2 then 1.
    rates = [learning_rate(0.8, "constant", {}, s, 4, 10, warmup_epochs=0.5)
             for s in range(3)]
    assert rates == pytest.approx([0.4, 0.8, 0.8])
    # One step per epoch and 2 warm-up epochs: 1/2, then full.
    rates = [learning_rate(1.0, "constant", {}, s, 1, 10, warmup_epochs=2) for s in range(3)]
    assert rates == pytest.approx([0.5, 1.0, 1.0])


# -- optimizer checkpoints -------------------------------------------------------------------
def test_optimizer_state_of_the_wrong_size_or_missing_is_refused_in_words() -> None:
    opt = get_optimizer("momentum")
    opt.bind(np.zeros(4), np.zeros(4))
    (name,) = opt.state_names
    with pytest.raises(ValueError, match=rf"optimizer momentum: state '{name}' must be an "
                                         r"array of 4 values"):
        opt.set_state(3, {name: np.zeros(5)})
    with pytest.raises(ValueError, match=rf"state '{name}' must be an array of 4 values"):
        opt.set_state(3, {})
    opt.set_state(3, {name: np.full(4, 2.0)})
    assert opt.iterations == 3 and opt.state[name].tolist() == [2.0] * 4


# -- categorical cross-entropy: the targets it takes ------------------------------------------
CCE = "Categorical cross-entropy"


@pytest.mark.parametrize("targets, k, labels", [
    (np.array([[0], [2], [1]]), 3, [0, 2, 1]),   # a column of labels
    (np.array([[1], [0]]), 2, [1, 0]),
    (np.array([0.0, 1.0, 2.0]), 3, [0, 1, 2]),    # whole floats are labels
    (np.array([[1.0], [0.0]], np.float32), 2, [1, 0]),
])
def test_cross_entropy_reads_labels_in_every_form(targets, k, labels) -> None:
    t = get_loss("categorical_crossentropy").check_targets(targets, (k,))
    assert t.dtype == np.int64 and t.tolist() == labels


def test_cross_entropy_takes_one_hot_rows_as_float32() -> None:
    cce = get_loss("categorical_crossentropy")
    rows = np.array([[0, 1, 0], [1, 0, 0]])
    t = cce.check_targets(rows, (3,))
    assert t.dtype == np.float32 and t.tolist() == rows.tolist()
    single = cce.check_targets(np.array([[1.0], [1.0]]), (1,))  # one unit: one-hot rows
    assert single.dtype == np.float32 and single.shape == (2, 1)


@pytest.mark.parametrize("targets, out_shape, words", [
    (np.zeros(4), (2, 3), rf"^{CCE}: the network output must be flat, got \(2, 3\)$"),
    (np.array([0.5, 1.0]), (3,), rf"^{CCE}: class labels must be whole numbers$"),
    (np.array(["a", "b"]), (3,), rf"^{CCE}: class labels must be integers, got <U1$"),
    (np.array([0, 3]), (3,), rf"^{CCE}: class labels must be in 0..2 for an output of 3 "
                             r"units, got labels from 0 to 3$"),
    (np.zeros((2, 4)), (3,), rf"^{CCE}: one-hot targets have \(4,\) per sample but the "
                             r"network outputs 3 classes$"),
    (np.zeros((2, 1, 3)), (3,), r"one-hot targets have \(1, 3\) per sample"),
])
def test_cross_entropy_refuses_targets_in_words(targets, out_shape, words) -> None:
    with pytest.raises(DataError, match=words):
        get_loss("categorical_crossentropy").check_targets(targets, out_shape)


def test_one_hot_accuracy_adds_up_over_batches() -> None:
    loss = OneHotTargets(get_loss("mse"), 2)
    labels = np.array([0, 1, 1, 0])
    acc = MetricsAccumulator(loss, loss.check_targets(labels, (2,)), exact=False)
    right = np.array([[0.9, 0.1], [0.2, 0.8]], np.float32)   # both right
    wrong = np.array([[0.9, 0.1], [0.3, 0.7]], np.float32)   # both wrong
    for out, lab in ((right, labels[:2]), (wrong, labels[2:])):
        t = loss.check_targets(lab, (2,))
        acc.add(out, t, loss.forward(out, t))
    assert acc.result()[1]["accuracy"] == 0.5
