"""One harness over the layer registry: every example configuration of every registered
layer type is checked for output shape, parameter count, float64 finite-difference
gradients (inputs and parameters) and parameters through a project file. A new layer type
is tested by registering it with examples."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nncore.activations import ACTIVATION_NAMES
from nncore.errors import DataError
from nncore.initializers import INITIALIZER_NAMES, initialize
from nncore.layers.base import Layer
from nncore.project import Project, project_from_dict
from nncore.registry import INPUT_DTYPES, layer_types
from nncore.spec import GraphSpec, NodeSpec
from tests.engine.differences import central_difference

CASES = [
    pytest.param(cls, params, shapes, id=f"{cls.type_name}-{i}")
    for cls in layer_types()
    for i, (params, shapes) in enumerate(cls.examples)
]
BATCH = 3


def build(cls: type[Layer], params: dict, shapes: list, dtype=np.float64, seed: int = 0):
    """A standalone layer with random weights, as the network would set it up."""
    rng = np.random.default_rng(seed)
    layer = cls("under_test", **params)
    layer.input_shapes = [tuple(s) for s in shapes]
    layer.output_shape = layer.compute_output_shape(layer.input_shapes)
    layer.dtype = dtype
    for spec in layer.weight_specs(layer.input_shapes):
        if spec.minimum is not None:  # a bounded array (BatchNorm's moving variance)
            value = spec.minimum + rng.uniform(0.5, 2.0, spec.shape)
        else:
            value = rng.normal(0.0, 0.5, spec.shape)
        layer.weights[spec.name] = value.astype(dtype)
        if spec.trainable:
            layer.grads[spec.name] = np.zeros(spec.shape, dtype)
    layer.on_built()
    return layer


def takes_ids(layer: Layer) -> bool:
    """Layers declaring ``input_dtype = "int"`` take integer ids below ``input_id_limit``."""
    return layer.input_dtype == "int"


def make_inputs(layer: Layer, rng, dtype=np.float64):
    if takes_ids(layer):
        return [rng.integers(0, layer.input_id_limit, (BATCH, *s)) for s in layer.input_shapes]
    return [rng.normal(0.0, 1.0, (BATCH, *s)).astype(dtype) for s in layer.input_shapes]


def run(layer: Layer, xs, training=True, seed=7):
    layer.rng = np.random.default_rng(seed)  # identical dropout masks on every call
    x = xs if layer.max_inputs != 1 else xs[0]
    return layer.forward(x, training)


def test_every_layer_type_has_examples():
    for cls in layer_types():
        assert cls.examples, f"{cls.type_name} registers no examples for the test harness"


@pytest.mark.parametrize("cls,params,shapes", CASES)
def test_declared_capabilities_are_consistent(cls, params, shapes):
    """What a layer type declares about itself (input_dtype with input_id_limit, glyph)
    is well formed, and a layer taking ids really takes them: it refuses ids at its limit
    and accepts every id below it."""
    assert cls.input_dtype in INPUT_DTYPES
    assert isinstance(cls.glyph, str) and cls.glyph == cls.glyph.strip()
    layer = build(cls, params, shapes)
    if not takes_ids(layer):
        assert layer.input_id_limit is None
        return
    limit = layer.input_id_limit
    assert isinstance(limit, int) and limit > 0
    ids = [np.arange(int(np.prod((BATCH, *s)))).reshape(BATCH, *s) % limit
           for s in layer.input_shapes]
    assert run(layer, ids).shape == (BATCH, *layer.output_shape)
    with pytest.raises(DataError, match=str(limit)):
        run(layer, [np.full((BATCH, *s), limit) for s in layer.input_shapes])


@pytest.mark.parametrize("cls,params,shapes", CASES)
def test_weights_stay_within_their_declared_minimum(cls, params, shapes):
    """Initial values (from each array's initializer) and state after training steps lie
    at or above the array's declared ``minimum``."""
    specs = cls("under_test", **params).weight_specs([tuple(s) for s in shapes])
    bounded = [s for s in specs if s.minimum is not None]
    for spec in bounded:
        start = initialize(spec.initializer, spec.shape, np.random.default_rng(0))
        assert (start >= spec.minimum).all(), f"{cls.type_name}.{spec.name} starts below"
    if not bounded or not shapes:
        return
    layer = build(cls, params, shapes)
    rng = np.random.default_rng(4)
    for _ in range(3):
        run(layer, make_inputs(layer, rng))
    for spec in bounded:
        assert (layer.weights[spec.name] >= spec.minimum).all(), f"{cls.type_name}.{spec.name}"


@pytest.mark.parametrize("cls,params,shapes", CASES)
def test_output_shape_and_dtype(cls, params, shapes):
    layer = build(cls, params, shapes, dtype=np.float32)
    if not shapes:  # Input: passes data through
        x = np.ones((BATCH, *layer.output_shape), np.float32)
        assert layer.forward(x, False).shape == x.shape
        return
    xs = make_inputs(layer, np.random.default_rng(1), np.float32)
    for training in (True, False):
        out = run(layer, xs, training)
        assert out.shape == (BATCH, *layer.output_shape)
        assert out.dtype == np.float32


@pytest.mark.parametrize("cls,params,shapes", CASES)
def test_parameter_count_matches_allocated_arrays(cls, params, shapes):
    layer = build(cls, params, shapes)
    trainable, total = layer.count_params(layer.input_shapes)
    assert total == sum(w.size for w in layer.weights.values())
    assert trainable == sum(g.size for g in layer.grads.values())


def test_parameter_counts_closed_form():
    from nncore.layers.core import BatchNormalization, Dense
    assert Dense("d", units=7).count_params([(5,)]) == (5 * 7 + 7, 5 * 7 + 7)
    assert Dense("d", units=7, use_bias=False).count_params([(5,)]) == (35, 35)
    # BatchNorm over 3 image channels: gamma, beta trainable; moving mean/var not.
    assert BatchNormalization("b").count_params([(3, 4, 4)]) == (6, 12)


def _numeric_grad(f, array, indices, eps=1e-6):
    return np.array([central_difference(f, array, idx, eps) for idx in indices])


def _sample_indices(shape, rng, k=12):
    size = int(np.prod(shape))
    flat = rng.choice(size, size=min(k, size), replace=False)
    return [np.unravel_index(i, shape) for i in flat]


@pytest.mark.parametrize("cls,params,shapes", [c for c in CASES if c.values[2]])
def test_gradients_match_finite_differences(cls, params, shapes):
    """Analytic gradients of L = sum(out * R) against central differences, float64."""
    rng = np.random.default_rng(3)
    layer = build(cls, params, shapes)
    xs = make_inputs(layer, rng)
    out = run(layer, xs)
    r = rng.normal(0.0, 1.0, out.shape)

    def loss():
        return float(np.sum(run(layer, xs) * r))

    run(layer, xs)
    gin = layer.backward(r.copy())
    gin = gin if isinstance(gin, list) else [gin]
    analytic_params = {k: g.copy() for k, g in layer.grads.items()}
    for i, x in enumerate(xs if not takes_ids(layer) else []):  # ids have no gradient
        idx = _sample_indices(x.shape, rng)
        num = _numeric_grad(loss, x, idx)
        ana = np.array([gin[i][j] for j in idx])
        np.testing.assert_allclose(ana, num, rtol=1e-5, atol=1e-7,
                                   err_msg=f"input {i} gradient of {cls.type_name}")
    for name, w in layer.weights.items():
        if name not in analytic_params:
            continue
        idx = _sample_indices(w.shape, rng)
        num = _numeric_grad(loss, w, idx)
        ana = np.array([analytic_params[name][j] for j in idx])
        np.testing.assert_allclose(ana, num, rtol=1e-5, atol=1e-7,
                                   err_msg=f"gradient of {cls.type_name}.{name}")


@pytest.mark.parametrize("cls,params,shapes", CASES)
def test_parameters_and_frozen_flag_survive_a_project_file(cls, params, shapes):
    """A layer's parameters go through a project file (JSON) as the user set them and come
    back to a layer with the same validated settings, output and frozen flag."""
    node = NodeSpec("under_test", cls.type_name, dict(params), (12.5, 40.0), frozen=True)
    saved = json.loads(json.dumps(Project(graph=GraphSpec([node], [])).to_dict()))
    (again,) = project_from_dict(saved).graph.nodes
    assert (again.id, again.type, again.frozen, again.position) == (
        "under_test", cls.type_name, True, (12.5, 40.0))
    layer, rebuilt = cls("under_test", **params), cls("under_test", **again.params)
    assert rebuilt.config == layer.config
    if shapes:
        layer, rebuilt = build(cls, params, shapes), build(cls, again.params, shapes)
        xs = make_inputs(layer, np.random.default_rng(5))
        np.testing.assert_array_equal(run(layer, xs, False), run(rebuilt, xs, False))


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_every_activation_is_in_the_harness(name):
    from nncore.layers.core import Activation
    assert any(p.get("activation") == name for p, _ in Activation.examples)


@pytest.mark.parametrize("name", [n for n in ACTIVATION_NAMES if n != "softmax"])
def test_activations_match_reference_formulas(name):
    from nncore.activations import get_activation
    x = np.linspace(-6, 6, 49)
    ref = {
        "linear": x,
        "sigmoid": 1 / (1 + np.exp(-x)),
        "tanh": np.tanh(x),
        "relu": np.maximum(x, 0),
        "leaky_relu": np.where(x > 0, x, 0.01 * x),
        "elu": np.where(x > 0, x, np.exp(x) - 1),
        "gelu": 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3))),
        "softplus": np.log(1 + np.exp(x)),
        "silu": x / (1 + np.exp(-x)),
    }[name]
    np.testing.assert_allclose(get_activation(name).forward(x), ref, rtol=1e-12, atol=1e-12)


def test_activations_are_stable_for_huge_inputs():
    from nncore.activations import get_activation
    x = np.array([-1e4, -100.0, 0.0, 100.0, 1e4], np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        for name in ACTIVATION_NAMES:
            if name in ("elu", "gelu", "silu", "softplus", "sigmoid", "softmax"):
                y = get_activation(name).forward(x)
                assert np.isfinite(y).all(), name
    np.testing.assert_allclose(get_activation("softmax").forward(np.array([[1e4, 0.0]])),
                               [[1.0, 0.0]])


@pytest.mark.parametrize("name", [n for n in INITIALIZER_NAMES])
def test_initializers_have_the_documented_scale(name):
    rng = np.random.default_rng(0)
    w = initialize(name, (400, 600), rng)
    assert w.dtype == np.float32
    if name == "zeros":
        assert not w.any()
        return
    if name == "ones":
        assert (w == 1).all()
        return
    family = name.split("_")[0]
    var = {"glorot": 2 / (400 + 600), "he": 2 / 400, "lecun": 1 / 400}[family]
    assert abs(w.var() / var - 1) < 0.03
    if name.endswith("uniform"):
        assert np.abs(w).max() <= np.sqrt(3 * var) + 1e-7


def test_initialization_is_reproducible_from_the_generator():
    a = initialize("he_normal", (5, 5), np.random.default_rng(42))
    b = initialize("he_normal", (5, 5), np.random.default_rng(42))
    np.testing.assert_array_equal(a, b)


def test_softmax_is_stable_per_row_whatever_the_other_rows_hold():
    """Each row is shifted by its own maximum: a row of huge logits next to a row of small
    ones leaves both finite and equal to the row computed alone (a shift by the batch's
    maximum would underflow the small row to 0/0)."""
    from nncore.activations import get_activation

    x = np.array([[1000.0, 1001.0, 999.0], [0.0, 1.0, -1.0]])
    got = get_activation("softmax").forward(x.copy())
    for row, out in zip(x, got):
        e = np.exp(row - row.max())
        np.testing.assert_allclose(out, e / e.sum(), rtol=1e-12)
    assert np.all(np.isfinite(got))
