"""ONNX export: the model run in onnxruntime reproduces ``network.predict``."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest

from nncore.activations import ACTIVATION_NAMES
from nncore.data import Normalizer
from nncore.errors import ParameterError
from nncore.export import OPSET, export_onnx

from .export_nets import CASES, N, build, run_onnx, trained_bn_mlp

TOL = 1e-5


def feeds_for(net, x, names=None):
    names = names or {i: i for i in net.input_ids}
    if isinstance(x, dict):
        return {names[k]: v for k, v in x.items()}
    return {names[net.input_ids[0]]: x}


@pytest.mark.parametrize("case", sorted(CASES))
def test_onnx_output_matches_predict(case, tmp_path):
    net, x = build(case)
    path = tmp_path / "model.onnx"
    export_onnx(net, path)
    onnx.checker.check_model(str(path), full_check=True)
    got = run_onnx(path, feeds_for(net, x))
    want = net.predict(x)
    assert got.shape == want.shape == (N, *net.output_shape)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=TOL, atol=TOL)
    # Dynamic batch: one sample gives that sample's row.
    one = {k: v[3:4] for k, v in feeds_for(net, x).items()}
    np.testing.assert_allclose(run_onnx(path, one), want[3:4], rtol=TOL, atol=TOL)


def test_cases_cover_every_activation():
    # Every layer type is covered by tests/export/test_export_registry.py (its examples).
    assert {f"act_{a}" for a in ACTIVATION_NAMES} <= set(CASES)


def test_batchnorm_statistics_after_training_are_non_trivial_and_exported(tmp_path):
    net, x = build("trained_bn_mlp")
    w = net.get_weights()
    mean, var = w["batchnormalization1/moving_mean"], w["batchnormalization1/moving_var"]
    assert np.abs(mean).max() > 0.3 and np.abs(var - 1).max() > 0.3
    path = tmp_path / "m.onnx"
    export_onnx(net, path)
    model = onnx.load(str(path))
    inits = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    np.testing.assert_array_equal(inits["batchnormalization1/moving_mean"], mean)
    # Inference uses the moving statistics, not the batch's: one sample equals the batch row.
    feeds = feeds_for(net, x)
    np.testing.assert_allclose(run_onnx(path, {"input1": x[5:6]}), run_onnx(path, feeds)[5:6],
                               atol=1e-6)


def test_graph_interface_names_shapes_and_metadata(tmp_path):
    net, x = build("two_inputs")
    path = tmp_path / "m.onnx"
    export_onnx(net, path, class_names=["no", "yes"], model_name="two-in")
    model = onnx.load(str(path))
    assert model.opset_import[0].version == OPSET >= 17
    assert model.graph.name == "two-in"

    def dims(vi):
        return [d.dim_param or d.dim_value for d in vi.type.tensor_type.shape.dim]

    ins = {vi.name: vi for vi in model.graph.input}
    assert list(ins) == ["a", "b"]
    assert dims(ins["a"]) == ["batch", 3] and dims(ins["b"]) == ["batch", 2, 4]
    assert all(vi.type.tensor_type.elem_type == onnx.TensorProto.FLOAT for vi in ins.values())
    (out,) = model.graph.output
    assert out.name == "output" and dims(out) == ["batch", 1]
    meta = {p.key: p.value for p in model.metadata_props}
    assert meta["netcanvas.format"] == "netcanvas-onnx"
    assert meta["netcanvas.format_version"] == "1"
    assert json.loads(meta["netcanvas.class_names"]) == ["no", "yes"]
    assert json.loads(meta["netcanvas.output"]) == {
        "name": "output", "node_id": "out", "shape": [1], "activation": "sigmoid"}
    inputs = json.loads(meta["netcanvas.inputs"])
    assert [(i["name"], i["node_id"], i["shape"], i["dtype"]) for i in inputs] == [
        ("a", "a", [3], "float32"), ("b", "b", [2, 4], "float32")]
    assert "netcanvas.normalization" not in meta


def test_input_names_can_be_renamed_by_list_or_dict(tmp_path):
    net, x = build("two_inputs")
    want = net.predict(x)
    for names in (["first", "second"], {"b": "second"}):
        path = tmp_path / "m.onnx"
        export_onnx(net, path, input_names=names)
        mapping = dict(zip(net.input_ids, names)) if isinstance(names, list) else {
            "a": "a", **names}
        model = onnx.load(str(path))
        assert [vi.name for vi in model.graph.input] == [mapping["a"], mapping["b"]]
        np.testing.assert_allclose(run_onnx(path, feeds_for(net, x, mapping)), want,
                                   rtol=TOL, atol=TOL)


@pytest.mark.parametrize("names, match", [
    (["only"], "2 inputs"),
    (["x", "x"], "unique"),
    ({"zzz": "a"}, "not an Input"),
    (["a", ""], "non-empty"),
    ("ab", "list of names"),
])
def test_bad_input_names_are_rejected(names, match, tmp_path):
    net, _ = build("two_inputs")
    with pytest.raises(ParameterError, match=match):
        export_onnx(net, tmp_path / "m.onnx", input_names=names)
    assert not list(tmp_path.iterdir())


def test_gelu_is_composed_of_primitive_ops_and_is_opset_independent(tmp_path):
    net, x = build("act_gelu")
    path = tmp_path / "m.onnx"
    export_onnx(net, path)
    model = onnx.load(str(path))
    ops = {n.op_type for n in model.graph.node}
    assert "Gelu" not in ops and {"Tanh", "Mul", "Add"} <= ops
    # The same graph stamped with a newer opset means the same thing.
    model.opset_import[0].version = 21
    model.ir_version = 10
    onnx.checker.check_model(model, full_check=True)
    newer = tmp_path / "m21.onnx"
    onnx.save(model, str(newer))
    np.testing.assert_allclose(run_onnx(newer, {"input1": x}), net.predict(x), rtol=TOL,
                               atol=TOL)


def test_gelu_matches_the_engine_formula_over_a_wide_range(tmp_path):
    from nncore.network import Network
    from nncore.spec import GraphSpec

    net = Network(GraphSpec.sequential([("Input", {"shape": [1001]}),
                                        ("Activation", {"activation": "gelu"})]))
    x = np.linspace(-12, 12, 1001, dtype=np.float32)[None]
    # Closed form, evaluated independently in float64.
    c = np.sqrt(2 / np.pi)
    x64 = x.astype(np.float64)
    ref = 0.5 * x64 * (1 + np.tanh(c * (x64 + 0.044715 * x64 ** 3)))
    export_onnx(net, tmp_path / "g.onnx")
    # float32 rounding only: far tighter than the export tolerance.
    np.testing.assert_allclose(run_onnx(tmp_path / "g.onnx", {"input1": x}), ref, rtol=1e-6,
                               atol=1e-6)


def test_extreme_inputs_stay_finite_and_match(tmp_path):
    """Saturating values (softplus, sigmoid, softmax, elu at +-80) match the engine."""
    for act in ("softplus", "sigmoid", "softmax", "elu", "silu", "tanh"):
        net, _ = build(f"act_{act}")
        x = np.random.default_rng(1).choice([-80.0, -5.0, 0.0, 5.0, 80.0], (N, 2, 3, 4))
        x = x.astype(np.float32)
        export_onnx(net, tmp_path / "m.onnx")
        got = run_onnx(tmp_path / "m.onnx", {"input1": x})
        assert np.all(np.isfinite(got)), act
        np.testing.assert_allclose(got, net.predict(x), rtol=TOL, atol=1e-4, err_msg=act)


# ---------------------------------------------------------------------------------------------
# normalisation of raw inputs
# ---------------------------------------------------------------------------------------------
def _normalized_case(kind):
    rng = np.random.default_rng(3)
    if kind == "flat_standardize":
        net, _ = trained_bn_mlp(rng)
        raw = rng.normal(5.0, 4.0, (N, 4))
        raw[:, 2] = 7.5  # a constant feature keeps scale 1
        return net, Normalizer("standardize").fit(raw), raw
    if kind == "image_minmax":
        from .export_nets import image_channels

        net, _ = image_channels(rng)
        raw = rng.uniform(0, 255, (N, 2, 3, 3))
        return net, Normalizer("minmax").fit(raw), raw
    if kind == "sequence_standardize":
        from .export_nets import bn_sequence

        net, _ = bn_sequence(rng)
        raw = rng.normal(-3.0, 0.5, (N, 5, 3)) * np.array([1, 10, 100])
        return net, Normalizer("standardize").fit(raw), raw
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["flat_standardize", "image_minmax", "sequence_standardize"])
@pytest.mark.parametrize("as_dict", [False, True])
def test_normalization_is_applied_in_the_graph(kind, as_dict, tmp_path):
    net, norm, raw = _normalized_case(kind)
    raw = raw.astype(np.float32)
    state = norm.to_dict() if as_dict else norm
    path = tmp_path / "m.onnx"
    export_onnx(net, path, normalizer_state=state)
    want = net.predict(norm.transform(raw))
    got = run_onnx(path, {net.input_ids[0]: raw})
    np.testing.assert_allclose(got, want, rtol=TOL, atol=TOL)
    meta = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    stored = json.loads(meta["netcanvas.normalization"])[net.input_ids[0]]
    assert stored["mode"] == norm.mode and stored["applied_in_graph"] is True
    for k, v in norm.stats.items():
        np.testing.assert_array_equal(stored[k], v)


def test_normalization_of_one_input_of_two(tmp_path):
    net, x = build("two_inputs")
    raw_b = (x["b"] * 10 + 3).astype(np.float32)
    norm = Normalizer("standardize").fit(raw_b)
    path = tmp_path / "m.onnx"
    export_onnx(net, path, normalizer_state={"b": norm})
    want = net.predict({"a": x["a"], "b": norm.transform(raw_b)})
    np.testing.assert_allclose(run_onnx(path, {"a": x["a"], "b": raw_b}), want, rtol=TOL,
                               atol=TOL)
    inputs = json.loads({p.key: p.value for p in onnx.load(str(path)).metadata_props}[
        "netcanvas.inputs"])
    assert [i["normalized_in_graph"] for i in inputs] == [False, True]


@pytest.mark.parametrize("state, match", [
    ({"mode": "standardize", "mean": [0, 0, 0], "std": [1, 1, 1]}, "3 values"),
    ({"mode": "zscore"}, "'mode' must be one of"),
    ({"mode": "minmax", "min": [0, 0, 0, 0]}, "needs a 'max'"),
    ({"mode": "standardize", "ndim": 3, "mean": [0] * 4, "std": [1] * 4}, "3-D data"),
    ({"mode": "standardize", "mean": [0, 0, 0, float("nan")], "std": [1] * 4}, "NaN"),
    (Normalizer("standardize"), "not been fitted"),
    ([1, 2], "Normalizer or a dict"),
])
def test_bad_normalizer_state_is_rejected(state, match, tmp_path):
    net, _ = build("trained_bn_mlp")
    with pytest.raises(ParameterError, match=match):
        export_onnx(net, tmp_path / "m.onnx", normalizer_state=state)
    assert not (tmp_path / "m.onnx").exists()


def test_single_normalizer_state_for_a_two_input_network_is_rejected(tmp_path):
    net, x = build("two_inputs")
    norm = Normalizer().fit(x["a"])
    with pytest.raises(ParameterError, match=r"2 inputs \(a, b\)"):
        export_onnx(net, tmp_path / "m.onnx", normalizer_state=norm)


@pytest.mark.parametrize("case, names, match", [
    ("trained_bn_mlp", ["a", "b"], "2 class names given for an output of 3 units"),
    ("two_inputs", ["a", "b", "c"], "expected 1 or 2"),
    ("trained_bn_mlp", "abc", "list of strings"),
    ("trained_bn_mlp", ["a", 2, "c"], r"class_names\[1\]"),
    ("bn_image", ["a", "b"], None),
])
def test_class_names_are_checked_against_the_output(case, names, match, tmp_path):
    net, _ = build(case)
    if match is None:
        export_onnx(net, tmp_path / "m.onnx", class_names=names)
        return
    with pytest.raises(ParameterError, match=match):
        export_onnx(net, tmp_path / "m.onnx", class_names=names)



@pytest.mark.parametrize("mean, std", [([10.0, -3.0], [2.5, 0.1]), ([4.0], [3.0])])
def test_target_scaling_undoes_standardised_regression_targets(mean, std, tmp_path):
    net, x = build("bn_sequence")  # two linear outputs
    path = tmp_path / "m.onnx"
    export_onnx(net, path, target_scaling=(mean, std))
    want = net.predict(x) * np.asarray(std) + np.asarray(mean)
    np.testing.assert_allclose(run_onnx(path, {"input1": x}), want, rtol=TOL, atol=TOL)
    meta = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert json.loads(meta["netcanvas.target_scaling"])["std"] == std


@pytest.mark.parametrize("scaling, match", [
    (([1, 2, 3], [1, 1]), "mean has 3 values, the output has 2"),
    (([0, 0], [1, float("inf")]), "NaN or Inf"),
    ((1.0,), "pair"),
])
def test_bad_target_scaling_is_rejected(scaling, match, tmp_path):
    net, _ = build("bn_sequence")
    with pytest.raises(ParameterError, match=match):
        export_onnx(net, tmp_path / "m.onnx", target_scaling=scaling)


def test_empty_model_name_gets_a_default(tmp_path):
    net, _ = build("passthrough")
    export_onnx(net, tmp_path / "m.onnx", model_name="")
    assert onnx.load(str(tmp_path / "m.onnx")).graph.name == "netcanvas"
