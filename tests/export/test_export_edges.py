"""Edges of the exports that the other export tests leave open (mutation-testing pass):
the raw-input normalisation checked against ``nncore.data.Normalizer`` and a formula
written here, what the files tell their reader (ONNX metadata and initializer names, the
script's comments and wrapped lists, the error messages), target scaling of sequence
outputs, and layer options away from their defaults (one-sided 'same' padding, two
recurrent layers that return only their last state)."""

from __future__ import annotations

import ast
import json

import numpy as np
import onnx
import pytest

from nncore.data import Normalizer
from nncore.errors import ParameterError
from nncore.export import (
    UnsupportedLayerError,
    export_onnx,
    export_python,
    resolve_normalization,
)
from nncore.network import Network
from nncore.spec import GraphSpec

from .export_nets import graph, import_script, module_constants, run_onnx, write_script

TOL = 1e-5


def seq(*layers, seed=0):
    return Network(GraphSpec.sequential(list(layers)), seed=seed)


def flat_net(n_in=3, units=2):
    return seq(("Input", {"shape": [n_in]}), ("Dense", {"units": units}))


def onnx_meta(path):
    model = onnx.load(str(path))
    return {p.key: p.value for p in model.metadata_props}


# ---------------------------------------------------------------------------------------------
# InputNormalization: the reference the exports are checked against
# ---------------------------------------------------------------------------------------------
def test_apply_standardizes_image_channels_like_a_plain_loop():
    net = seq(("Input", {"shape": [2, 3, 4]}), ("Flatten", {}), ("Dense", {"units": 2}))
    mean, std = [1.5, -2.0], [0.5, 4.0]
    norm = resolve_normalization(net, {"mode": "standardize", "mean": mean, "std": std})
    (n,) = norm.values()
    assert (n.input_id, n.feature_axis, n.ndim) == ("input1", 1, 4)
    x = np.random.default_rng(0).normal(0, 3, (5, 2, 3, 4))
    want = np.empty_like(x)
    for c in range(2):  # channel by channel, in float64
        want[:, c] = (x[:, c] - mean[c]) / std[c]
    got = n.apply(x)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, want.astype(np.float32))
    got64 = n.apply(x, dtype=np.float64)
    assert got64.dtype == np.float64
    np.testing.assert_allclose(got64, want, rtol=1e-15)


def test_apply_minmax_on_sequences_normalises_the_last_axis():
    net = seq(("Input", {"shape": [4, 3]}), ("Flatten", {}), ("Dense", {"units": 2}))
    lo, hi = np.array([0.0, -1.0, 2.0]), np.array([2.0, 3.0, 2.5])
    (n,) = resolve_normalization(net, {"mode": "minmax", "min": lo, "max": hi}).values()
    assert n.feature_axis == 2
    x = np.random.default_rng(1).normal(0, 2, (3, 4, 3))
    np.testing.assert_allclose(n.apply(x, np.float64), (x - lo) / (hi - lo), rtol=1e-15)


def test_identity_apply_casts_to_the_requested_dtype():
    net = flat_net()
    (n,) = resolve_normalization(net, {"mode": "none"}).values()
    x = np.arange(6.0).reshape(2, 3)  # float64
    got = n.apply(x)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, x.astype(np.float32))
    assert n.apply(x.astype(np.float32), dtype=np.float64).dtype == np.float64


def test_identity_state_fields():
    net = seq(("Input", {"shape": [4, 3]}), ("Flatten", {}), ("Dense", {"units": 2}))
    (n,) = resolve_normalization(net, {"mode": "none"}).values()
    assert n.input_id == "input1" and n.mode == "none" and n.identity
    assert n.stats == {}
    assert n.offset.shape == (0,) and n.scale.shape == (0,)
    assert (n.feature_axis, n.ndim) == (1, 3)


@pytest.mark.parametrize("mean, std", [
    ([0.0, 5.0], [1e-12, 2.0]),          # exactly at the threshold: kept as 1
    ([0.0, 5.0], [1.5e-12, 2.0]),        # just above it (threshold 1e-12 * max(1, |mean|))
    ([1e6, 0.0], [1e-7, 1.0]),           # below 1e-12 * |mean| = 1e-6: constant feature
    ([1e6, 0.0], [2e-6, 1.0]),           # above it
])
def test_constant_feature_rule_is_the_normalizers(mean, std):
    state = {"mode": "standardize", "ndim": 2, "mean": mean, "std": std}
    net = flat_net(n_in=2)
    (n,) = resolve_normalization(net, state).values()
    x = np.array([[1e6 + 1.0, 3.0], [0.5, -1.0]])
    np.testing.assert_array_equal(n.apply(x), Normalizer.from_dict(state).transform(x))
    # The rule written out: scale 1 unless std > 1e-12 * max(1, |mean|).
    thr = 1e-12 * np.maximum(1.0, np.abs(mean))
    np.testing.assert_array_equal(n.scale, np.where(np.array(std) > thr, std, 1.0))


def test_state_object_without_fitted_attribute_is_accepted():
    class State:  # anything with to_dict(), e.g. a normaliser of another library
        def to_dict(self):
            return {"mode": "standardize", "mean": [1.0, 2.0, 3.0], "std": [2.0, 2.0, 2.0]}

    (n,) = resolve_normalization(flat_net(), State()).values()
    np.testing.assert_array_equal(n.offset, [1.0, 2.0, 3.0])


def test_unfitted_normalizer_is_refused_naming_the_input():
    with pytest.raises(ParameterError, match=r"^normaliser state for Input 'input1': the "
                       r"normaliser has not been fitted$"):
        resolve_normalization(flat_net(), Normalizer("standardize"))


@pytest.mark.parametrize("state, message", [
    ([1.0, 2.0], "normaliser state for Input 'input1': normaliser state must be a Normalizer "
     "or a dict with a 'mode' field, got list"),
    ({"mode": "zscore"}, "normaliser state for Input 'input1': 'mode' must be one of "
     "standardize, minmax, none, got 'zscore'"),
    ({"mode": "standardize", "mean": ["a", "b", "c"], "std": [1, 1, 1]},
     "normaliser state for Input 'input1': 'mean' must be a list of numbers"),
    ({"mode": "minmax", "min": [0, 0], "max": [1, 1]},
     r"normaliser state for Input 'input1': 'min' has 2 values, the Input has 3 features "
     r"(shape (3,))"),
])
def test_bad_states_are_refused_with_their_words(state, message):
    with pytest.raises(ParameterError) as err:
        resolve_normalization(flat_net(), state)
    assert str(err.value) == message


def test_wrong_channel_count_says_channels():
    net = seq(("Input", {"shape": [3, 2, 2]}), ("Flatten", {}), ("Dense", {"units": 2}))
    with pytest.raises(ParameterError) as err:
        resolve_normalization(net, {"mode": "standardize", "mean": [0, 0], "std": [1, 1]})
    assert str(err.value) == ("normaliser state for Input 'input1': 'mean' has 2 values, the "
                              "Input has 3 channels (shape (3, 2, 2))")


def test_rank_4_samples_cannot_be_normalised():
    net = seq(("Input", {"shape": [2, 2, 2, 2]}), ("Flatten", {}), ("Dense", {"units": 2}))
    with pytest.raises(ParameterError) as err:
        resolve_normalization(net, {"mode": "standardize", "mean": [0, 0], "std": [1, 1]})
    assert str(err.value) == ("normaliser state for Input 'input1': inputs with per-sample "
                              "rank 4 cannot be normalised (expected flat, sequence or image "
                              "inputs)")


# ---------------------------------------------------------------------------------------------
# ONNX: metadata and names the reader sees
# ---------------------------------------------------------------------------------------------
def test_onnx_normalization_metadata_holds_offset_and_scale(tmp_path):
    net = seq(("Input", {"shape": [4, 3]}), ("Flatten", {}), ("Dense", {"units": 2}))
    state = {"mode": "minmax", "min": [0.0, -1.0, 2.0], "max": [2.0, 3.0, 2.0]}
    path = tmp_path / "m.onnx"
    export_onnx(net, path, normalizer_state=state, input_names=["raw"])
    meta = json.loads(onnx_meta(path)["netcanvas.normalization"])
    assert meta == {"raw": {"mode": "minmax", "feature_axis": 2, "ndim": 3,
                            "min": [0.0, -1.0, 2.0], "max": [2.0, 3.0, 2.0],
                            "offset": [0.0, -1.0, 2.0], "scale": [2.0, 4.0, 1.0],
                            "applied_in_graph": True}}
    x = np.random.default_rng(2).normal(0, 2, (5, 4, 3)).astype(np.float32)
    lo, sc = np.array(meta["raw"]["offset"]), np.array(meta["raw"]["scale"])
    np.testing.assert_allclose(run_onnx(path, {"raw": x}), net.predict((x - lo) / sc),
                               rtol=TOL, atol=TOL)


def test_onnx_normalization_metadata_of_mode_none_has_no_offset(tmp_path):
    path = tmp_path / "m.onnx"
    export_onnx(flat_net(), path, normalizer_state={"mode": "none"})
    meta = json.loads(onnx_meta(path)["netcanvas.normalization"])
    assert meta == {"input1": {"mode": "none", "feature_axis": 1, "ndim": 2,
                               "applied_in_graph": True}}


def test_onnx_initializers_are_named_node_id_slash_weight(tmp_path):
    g = graph(
        [("ids", "Input", {"shape": [4]}),
         ("emb", "Embedding", {"input_dim": 7, "output_dim": 3}),
         ("bn", "BatchNormalization", {}),                  # on a sequence: Sub/Mul/Mul/Add
         ("flat", "Flatten", {}),
         ("hid", "Dense", {"units": 5, "activation": "relu"}),
         ("out", "Dense", {"units": 2, "use_bias": False})],
        [("ids", "emb"), ("emb", "bn"), ("bn", "flat"), ("flat", "hid"), ("hid", "out")])
    net = Network(g, seed=3)
    path = tmp_path / "m.onnx"
    export_onnx(net, path)
    inits = {t.name: onnx.numpy_helper.to_array(t)
             for t in onnx.load(str(path)).graph.initializer}
    w = net.get_weights()
    for key in ("emb/embeddings", "bn/moving_mean", "bn/gamma", "bn/beta", "hid/W", "hid/b",
                "out/W"):
        np.testing.assert_array_equal(inits[key], w[key])
    ids = np.random.default_rng(3).integers(0, 7, (6, 4))
    np.testing.assert_allclose(run_onnx(path, {"ids": ids}), net.predict(ids), rtol=TOL,
                               atol=TOL)


def test_onnx_conv_initializers_are_named_node_id_slash_weight(tmp_path):
    net = seq(("Input", {"shape": [2, 5, 5]}), ("Conv2D", {"filters": 3}), ("Flatten", {}),
              ("Dense", {"units": 2}))
    path = tmp_path / "m.onnx"
    export_onnx(net, path)
    names = {t.name for t in onnx.load(str(path)).graph.initializer}
    assert {"conv2d1/W", "conv2d1/b"} <= names


def test_embedding_fed_by_a_layer_is_refused_with_advice(tmp_path):
    g = graph([("x", "Input", {"shape": [4]}),
               ("d", "Dropout", {"rate": 0.1}),
               ("emb", "Embedding", {"input_dim": 5, "output_dim": 2}),
               ("f", "Flatten", {})],
              [("x", "d"), ("d", "emb"), ("emb", "f")])
    net = Network(g, seed=0)  # a valid network: only its ONNX export is refused
    with pytest.raises(UnsupportedLayerError) as err:
        export_onnx(net, tmp_path / "m.onnx")
    assert str(err.value) == ("Embedding 'emb': cannot export to ONNX: its ids come from 'd', "
                              "which is not an Input; connect the Embedding directly to an "
                              "Input of ids")


# ---------------------------------------------------------------------------------------------
# ONNX: target scaling, recurrent layers
# ---------------------------------------------------------------------------------------------
def _sequence_output_net():
    return seq(("Input", {"shape": [3, 2]}), ("SimpleRNN", {"units": 2,
                                                           "return_sequences": True}))


@pytest.mark.parametrize("scaling", [
    ([1.0, -2.0, 3.0, 0.5, 0.0, 4.0], [2.0, 0.5, 1.5, 3.0, 1.0, 0.25]),  # per output value
    ([1.5], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),                              # one mean, many std
    ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [2.5]),                              # many means, one std
])
def test_onnx_target_scaling_of_a_sequence_output(scaling, tmp_path):
    net = _sequence_output_net()
    assert net.output_shape == (3, 2)
    path = tmp_path / "m.onnx"
    export_onnx(net, path, target_scaling=scaling)
    x = np.random.default_rng(4).normal(0, 1, (5, 3, 2)).astype(np.float32)
    mean, std = (np.asarray(v, np.float64) for v in scaling)
    want = np.empty((5, 6))
    flat = net.predict(x).reshape(5, 6).astype(np.float64)
    for j in range(6):  # column by column: flattened output value j
        want[:, j] = flat[:, j] * std[j % std.size] + mean[j % mean.size]
    np.testing.assert_allclose(run_onnx(path, {"input1": x}).reshape(5, 6), want,
                               rtol=TOL, atol=TOL)
    script = import_script(write_script(net, tmp_path, target_scaling=scaling))
    np.testing.assert_allclose(script.predict(x).reshape(5, 6), want, rtol=TOL, atol=TOL)


def test_two_recurrent_layers_returning_their_last_state(tmp_path):
    g = graph([("a", "Input", {"shape": [4, 3]}),
               ("b", "Input", {"shape": [5, 2]}),
               ("la", "LSTM", {"units": 3}),
               ("gb", "GRU", {"units": 2}),
               ("rb", "SimpleRNN", {"units": 2, "activation": "relu"}),
               ("cat", "Concatenate", {}),
               ("out", "Dense", {"units": 2, "activation": "softmax"})],
              [("a", "la"), ("b", "gb"), ("b", "rb"), ("la", "cat"), ("gb", "cat"),
               ("rb", "cat"), ("cat", "out")])
    net = Network(g, seed=4)
    path = tmp_path / "m.onnx"
    export_onnx(net, path)
    onnx.checker.check_model(str(path), full_check=True)
    rng = np.random.default_rng(5)
    x = {"a": rng.normal(0, 1, (6, 4, 3)).astype(np.float32),
         "b": rng.normal(0, 1, (6, 5, 2)).astype(np.float32)}
    np.testing.assert_allclose(run_onnx(path, x), net.predict(x), rtol=TOL, atol=TOL)


# ---------------------------------------------------------------------------------------------
# Python script: wrapped lists, comments, one-sided padding
# ---------------------------------------------------------------------------------------------
def _assignment_value(source: str, name: str):
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and node.targets[0].id == name:
            return ast.literal_eval(node.value)
    raise AssertionError(name)


@pytest.mark.parametrize("seed", [6, 62])  # 62: offset lines of exactly 100 columns, and one
# that would take one more value in 101 columns
def test_long_lists_in_the_script_are_wrapped_within_100_columns(seed, tmp_path):
    rng = np.random.default_rng(seed)
    net = flat_net(n_in=12, units=12)
    mean, std = rng.normal(0, 1e3, 12), rng.uniform(0.1, 3.0, 12)
    t_mean, t_std = rng.normal(0, 1e-5, 12), rng.uniform(1e-3, 1.0, 12)
    path = write_script(net, tmp_path, normalizer_state={"mode": "standardize", "mean": mean,
                                                         "std": std},
                        target_scaling=(t_mean, t_std))
    source = path.read_text()
    assert max(len(line) for line in source.splitlines()) <= 100
    norm = _assignment_value(source, "NORMALIZATION")["input1"]
    assert norm["offset"] == [float(v) for v in mean]        # exact floats, all of them
    assert norm["scale"] == [float(v) for v in std]
    scaling = _assignment_value(source, "TARGET_SCALING")
    assert scaling["mean"] == [float(v) for v in t_mean]
    assert scaling["std"] == [float(v) for v in t_std]
    lines = source.splitlines()
    for key, indent in (("'offset': [", 19), ("'scale': [", 18), ("'mean': [", 13),
                        ("'std': [", 12)):
        start = next(k for k, line in enumerate(lines) if line.lstrip().startswith(key))
        assert lines[start].index("[") == indent - 1
        assert not lines[start].rstrip().endswith("]")      # long enough to wrap
        k = start + 1
        while True:  # continuation lines start under the first value
            line = lines[k]
            assert line[:indent] == " " * indent and line[indent] in "-0123456789"
            # Filled: the line before could not take this line's first value.
            assert len(lines[k - 1]) + 1 + len(line.split()[0]) > 100
            if "]" in line:
                break
            k += 1
    x = rng.normal(0, 1e3, (4, 12)).astype(np.float32)
    script = import_script(path)
    want = net.predict(((x - mean) / std).astype(np.float32)) * t_std + t_mean
    np.testing.assert_allclose(script.predict(x), want, rtol=1e-5, atol=1e-6)


def test_conv_script_comments_describe_the_geometry(tmp_path):
    net = seq(("Input", {"shape": [2, 6, 6]}),
              ("Conv2D", {"filters": 2, "kernel_size": [3, 2]}),
              ("Conv2D", {"filters": 2, "kernel_size": [2, 2], "dilation_rate": [2, 1],
                          "padding": "valid"}),
              ("Flatten", {}), ("Dense", {"units": 2}))
    source = write_script(net, tmp_path).read_text()
    assert "# window 3x2, stride 1x1, 'same': pads (t, l, b, r) (1, 0, 1, 1)\n" in source
    assert ("# window 2x2, stride 1x1, dilation 2x1, 'valid': pads (t, l, b, r) (0, 0, 0, 0)"
            in source)
    assert "dilation 1x1" not in source
    assert source.count("# windows (n, C, OH, OW, kh, kw) -> columns (C*kh*kw, n*OH*OW), "
                        "one matrix product") == 2


@pytest.mark.parametrize("kernel", [[2, 1], [1, 2]])
@pytest.mark.parametrize("layer", ["Conv2D", "MaxPool2D", "AvgPool2D"])
def test_one_sided_same_padding_matches_predict(layer, kernel, tmp_path):
    opts = ({"filters": 2, "kernel_size": kernel} if layer == "Conv2D"
            else {"pool_size": kernel, "strides": [1, 1], "padding": "same"})
    net = seq(("Input", {"shape": [2, 4, 5]}), (layer, opts), ("Flatten", {}),
              ("Dense", {"units": 3, "activation": "tanh"}), seed=7)
    pads = net.layers[net.order[1]].pads
    assert sorted(pads) == [0, 0, 0, 1]  # only one side of one axis is padded
    x = np.random.default_rng(7).normal(0, 1, (5, 2, 4, 5)).astype(np.float32)
    want = net.predict(x)
    script = import_script(write_script(net, tmp_path))
    np.testing.assert_allclose(script.predict(x), want, rtol=1e-6, atol=1e-6)
    export_onnx(net, tmp_path / "m.onnx")
    np.testing.assert_allclose(run_onnx(tmp_path / "m.onnx", {"input1": x}), want,
                               rtol=TOL, atol=TOL)


def test_gru_script_comment_names_the_reset_after_product(tmp_path):
    net = seq(("Input", {"shape": [3, 2]}), ("GRU", {"units": 2}))
    source = write_script(net, tmp_path).read_text()
    assert ("q += rb  # gate blocks z, r, h; the reset gate scales h U + rb ('reset after')"
            in source)


# ---------------------------------------------------------------------------------------------
# Python script: what its docstring tells the reader
# ---------------------------------------------------------------------------------------------
def _ids_and_numbers_net():
    g = graph([("ids", "Input", {"shape": [4]}),
               ("num", "Input", {"shape": [3]}),
               ("raw", "Input", {"shape": [2]}),
               ("emb", "Embedding", {"input_dim": 5, "output_dim": 2}),
               ("f", "Flatten", {}),
               ("cat", "Concatenate", {}),
               ("out", "Dense", {"units": 3, "activation": "softmax"})],
              [("ids", "emb"), ("emb", "f"), ("f", "cat"), ("num", "cat"), ("raw", "cat"),
               ("cat", "out")])
    return Network(g, seed=9)


def test_script_docstring_describes_each_input_and_the_usage(tmp_path):
    net = _ids_and_numbers_net()
    path = tmp_path / "my_model.py"
    export_python(net, path, normalizer_state={"raw": {"mode": "minmax", "min": [0, 1],
                                                       "max": [2, 5]}})
    np.savez(tmp_path / "my_model.npz", **net.get_weights())
    doc = import_script(path).__doc__
    lines = doc.splitlines()
    assert "  'ids': shape (n, 4), integer ids." in lines
    assert ("  'num': shape (n, 3), float32. Values are used as given (no normalisation)."
            in lines)
    assert ("'raw': shape (n, 2), float32. Expects RAW values: predict() normalises them "
            "itself (minmax, x -> (x - offset) / scale along axis 1; see NORMALIZATION). "
            "Output:" in " ".join(doc.split()))
    assert "  python my_model.py INPUT INPUT INPUT          # print predictions as CSV" in lines
    assert "  import my_model; y = my_model.predict(x)" in lines
    # The long line wraps under its own indent plus four spaces.
    raw = next(k for k, line in enumerate(lines) if line.startswith("  'raw':"))
    assert lines[raw + 1].startswith("      (minmax, x -> (x - offset)")


def test_script_docstring_names_the_netcanvas_version(tmp_path, monkeypatch):
    from importlib import metadata

    net = flat_net()
    doc = import_script(write_script(net, tmp_path)).__doc__
    assert f"Generated by NetCanvas {metadata.version('netcanvas')} (export format 1)." in doc

    def not_installed(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", not_installed)  # run from a source checkout
    doc = import_script(write_script(net, tmp_path)).__doc__
    assert "Generated by NetCanvas 0 (export format 1)." in doc


def test_class_names_with_backslashes_and_triple_quotes_show_as_written(tmp_path):
    names = ["a\\b", 'say """hi"""', "c"]
    net = flat_net(units=3)
    mod = import_script(write_script(net, tmp_path, class_names=names))
    assert mod.CLASS_NAMES == names
    assert f"Classes: {', '.join(repr(c) for c in names)}." in mod.__doc__


def test_script_has_no_self_assignments(tmp_path):
    net = seq(("Input", {"shape": [3]}), ("Dense", {"units": 4, "activation": "linear"}),
              ("Activation", {"activation": "linear"}), ("Dense", {"units": 2}))
    source = write_script(net, tmp_path).read_text()
    for line in source.splitlines():
        parts = line.strip().split(" = ")
        assert not (len(parts) == 2 and parts[0] == parts[1]), line


def test_empty_weights_filename_is_refused(tmp_path):
    with pytest.raises(ParameterError) as err:
        export_python(flat_net(), tmp_path / "m.py", weights_filename="")
    assert str(err.value) == "weights_filename must be a non-empty string, got ''"
    assert not list(tmp_path.iterdir())


# ---------------------------------------------------------------------------------------------
# activation helpers: a missing entry names the node; a layer without an activation is linear
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["onnx", "python"])
@pytest.mark.parametrize("layer, opts, node", [
    ("Dense", {"units": 2, "activation": "gelu"}, "dense1"),
    ("Conv2D", {"filters": 2, "activation": "gelu"}, "conv2d1"),
])
def test_activation_without_an_entry_names_the_node(kind, layer, opts, node, monkeypatch,
                                                    tmp_path):
    from nncore.export import onnx_export, python_script

    table = onnx_export.ONNX_ACTIVATIONS if kind == "onnx" else python_script.PY_ACTIVATIONS
    monkeypatch.delitem(table, "gelu")
    shape = [4] if layer == "Dense" else [2, 4, 4]
    net = seq(("Input", {"shape": shape}), (layer, opts))
    target = "ONNX" if kind == "onnx" else "a Python script"
    with pytest.raises(UnsupportedLayerError) as err:
        if kind == "onnx":
            export_onnx(net, tmp_path / "m.onnx")
        else:
            export_python(net, tmp_path / "m.py")
    assert err.value.node_id == node
    assert str(err.value) == (f"{layer} '{node}': cannot export activation 'gelu' to {target} "
                              f"(supported: {', '.join(table)})")
    assert str(err.value).endswith("(supported: linear, sigmoid, tanh, relu, leaky_relu, elu, "
                                   "softplus, silu, softmax)")


def _double_onnx(b, node_id, layer, inputs):
    from nncore.export.onnx_export import activation

    z = b.op("Mul", [inputs[0], b.const(f"{node_id}/two", 2.0)], f"{node_id}/z")
    return activation(b, node_id, layer, z)


def _double_template(s, node_id, layer, ins, out):
    return [f"{out} = {ins[0]} * 2", *s.activate(node_id, layer, out, out)]


def test_helpers_treat_a_layer_without_activation_as_linear(monkeypatch, tmp_path):
    from nncore import registry
    from nncore.export import ONNX_CONVERTERS, PY_TEMPLATES

    from .export_nets import Mystery

    monkeypatch.setitem(registry._LAYERS, "Mystery", Mystery)
    monkeypatch.setitem(ONNX_CONVERTERS, "Mystery", _double_onnx)
    monkeypatch.setitem(PY_TEMPLATES, "Mystery", _double_template)
    net = seq(("Input", {"shape": [3]}), ("Mystery", {}), ("Dense", {"units": 2}))
    assert net.layers["mystery1"].activation_name is None
    x = np.random.default_rng(8).normal(0, 1, (4, 3)).astype(np.float32)
    want = net.predict(x)
    export_onnx(net, tmp_path / "m.onnx")
    np.testing.assert_allclose(run_onnx(tmp_path / "m.onnx", {"input1": x}), want,
                               rtol=TOL, atol=TOL)
    script = import_script(write_script(net, tmp_path))
    np.testing.assert_allclose(script.predict(x), want, rtol=1e-6, atol=1e-6)


def test_script_docstring_usage_section_of_a_one_input_network(tmp_path):
    path = tmp_path / "scorer.py"
    export_python(flat_net(), path)
    np.savez(tmp_path / "scorer.npz", **flat_net().get_weights())
    doc = import_script(path).__doc__
    usage = doc[doc.index("\n\nUsage:"):]
    assert usage == (
        "\n\nUsage:\n"
        "  python scorer.py INPUT          # print predictions as CSV\n"
        "  python scorer.py inputs.npy -o predictions.npy   # or -o predictions.csv\n"
        "  python scorer.py --weights other.npz inputs.csv\n"
        "INPUT is a .npy array or a CSV of numbers (one sample per row, header optional).\n"
        "From Python:\n"
        "  import scorer; y = scorer.predict(x)\n")


# ---------------------------------------------------------------------------------------------
# Python script: forward() reads as the network, one commented block per node
# ---------------------------------------------------------------------------------------------
def _odd_ids_net():
    g = graph([("in put", "Input", {"shape": [6]}),
               ("class", "Dense", {"units": 4, "activation": "tanh", "use_bias": False}),
               ("a-b", "Dense", {"units": 4, "activation": "relu"}),
               ("a_b", "Activation", {"activation": "sigmoid"}),
               ("sum", "Add", {}),
               ("bn", "BatchNormalization", {"epsilon": 0.01}),
               ("drop", "Dropout", {"rate": 0.25}),
               ("r", "Reshape", {"target_shape": [2, 2]}),
               ("r2", "Reshape", {"target_shape": [2, 2]}),
               ("cat", "Concatenate", {"axis": -1}),
               ("flat", "Flatten", {}),
               ("out", "Dense", {"units": 2, "activation": "softmax"})],
              [("in put", "class"), ("in put", "a-b"), ("a-b", "a_b"), ("class", "sum"),
               ("a_b", "sum"), ("sum", "bn"), ("bn", "drop"), ("drop", "r"), ("class", "r2"),
               ("r", "cat"), ("r2", "cat"), ("cat", "flat"), ("flat", "out")])
    return Network(g, seed=0)


FORWARD_BODY = [
    "# 'in put': Input -> (n, 6)",
    "v_in_put = inputs['in put']",
    "# 'class': Dense, 4 units, tanh, no bias -> (n, 4)",
    "v_class = v_in_put @ w['class/W']",
    'v_class = tanh(v_class)',
    "# 'a-b': Dense, 4 units, relu -> (n, 4)",
    "v_a_b = v_in_put @ w['a-b/W']",
    "v_a_b += w['a-b/b']",
    'v_a_b = relu(v_a_b)',
    "# 'r2': Reshape to (2, 2) per sample -> (n, 2, 2)",
    'v_r2 = v_class.reshape((v_class.shape[0], 2, 2))',
    "# 'a_b': Activation sigmoid -> (n, 4)",
    'v_a_b_1 = sigmoid(v_a_b)',
    "# 'sum': Add of 2 inputs -> (n, 4)",
    'v_sum = v_class + v_a_b_1',
    "# 'bn': BatchNormalization, epsilon 0.01, moving statistics -> (n, 4)",
    "gamma, beta = w['bn/gamma'], w['bn/beta']",
    "mean, var = w['bn/moving_mean'], w['bn/moving_var']",
    'inv_std = (1.0 / np.sqrt(var + 0.01)).astype(DTYPE)',
    'v_bn = (v_sum - mean.reshape(1, -1)) * inv_std.reshape(1, -1)',
    'v_bn = v_bn * gamma.reshape(1, -1) + beta.reshape(1, -1)',
    "# 'drop': Dropout (rate 0.25 in training only) -> (n, 4)",
    'v_drop = v_bn  # identity at inference',
    "# 'r': Reshape to (2, 2) per sample -> (n, 2, 2)",
    'v_r = v_drop.reshape((v_drop.shape[0], 2, 2))',
    "# 'cat': Concatenate along batched axis 2 -> (n, 2, 4)",
    'v_cat = np.concatenate([v_r, v_r2], axis=2)',
    "# 'flat': Flatten -> (n, 8)",
    'v_flat = v_cat.reshape(v_cat.shape[0], -1)',
    "# 'out': Dense, 2 units, softmax -> (n, 2)",
    "v_out = v_flat @ w['out/W']",
    "v_out += w['out/b']",
    'v_out = softmax(v_out)',
    'return v_out',
]


def test_forward_body_describes_every_node_with_distinct_variables(tmp_path):
    net = _odd_ids_net()
    path = write_script(net, tmp_path)
    lines = path.read_text().splitlines()
    start = lines.index("def forward(inputs, w):") + 3  # after the docstring
    assert [line[4:] for line in lines[start:start + len(FORWARD_BODY)]] == FORWARD_BODY
    mod = import_script(path)
    assert mod.INPUTS == [("in put", (6,), "float")]
    assert mod.OUTPUT_SHAPE == (2,)
    assert mod.WEIGHT_SHAPES == {k: tuple(v.shape) for k, v in net.get_weights().items()}
    assert list(mod.WEIGHT_SHAPES)[:2] == ["class/W", "a-b/W"]  # node order
    x = np.random.default_rng(9).normal(0, 1, (5, 6)).astype(np.float32)
    np.testing.assert_allclose(mod.predict(x), net.predict(x), rtol=1e-6, atol=1e-6)


# ---------------------------------------------------------------------------------------------
# ONNX: the model's own description, names and refusals, word for word
# ---------------------------------------------------------------------------------------------
def _two_inputs():
    from .export_nets import build

    return build("two_inputs")


@pytest.mark.parametrize("names, message", [
    (["only"], "input_names has 1 names, the network has 2 inputs (a, b)"),
    (["x", "x"], "input_names must be unique, got ['x', 'x']"),
    ({"zzz": "a"}, "input_names: 'zzz' is not an Input of the network (inputs: a, b)"),
    (["a", ""], "input_names: the name for Input 'b' must be a non-empty string, got ''"),
    (["a", 3], "input_names: the name for Input 'b' must be a non-empty string, got 3"),
    ("ab", "input_names must be a list of names (one per Input, in the order of "
     "network.input_ids) or a dict {input id: name}"),
])
def test_bad_input_names_are_refused_with_their_words(names, message, tmp_path):
    net, _ = _two_inputs()
    with pytest.raises(ParameterError) as err:
        export_onnx(net, tmp_path / "m.onnx", input_names=names)
    assert str(err.value) == message
    assert not list(tmp_path.iterdir())


def test_model_name_description_and_producer(tmp_path):
    from importlib import metadata

    net, _ = _two_inputs()
    path = tmp_path / "m.onnx"
    export_onnx(net, path, model_name="  my net ")
    model = onnx.load(str(path))
    assert model.graph.name == "my net"
    doc = (f"NetCanvas network 'my net': 8 nodes, {net.total_params} parameters. Outputs "
           "what Network.predict returns.")
    assert model.doc_string == doc and model.graph.doc_string == doc
    assert model.producer_name == "NetCanvas"
    assert model.producer_version == metadata.version("netcanvas")
    assert model.ir_version == 8
    assert [(o.domain, o.version) for o in model.opset_import] == [("", 17)]
    export_onnx(net, path, model_name="   ")
    assert onnx.load(str(path)).graph.name == "netcanvas"
    with pytest.raises(ParameterError) as err:
        export_onnx(net, path, model_name=3)
    assert str(err.value) == "model_name must be a string, got 3"


def test_producer_version_without_an_installed_package(tmp_path, monkeypatch):
    from importlib import metadata

    def not_installed(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", not_installed)
    export_onnx(flat_net(), tmp_path / "m.onnx")
    assert onnx.load(str(tmp_path / "m.onnx")).producer_version == "0"


def test_a_model_over_the_protobuf_limit_is_refused(tmp_path, monkeypatch):
    from nncore.export import onnx_export

    net = flat_net()
    size = onnx_export.build_onnx_model(net).ByteSize()
    monkeypatch.setattr(onnx_export, "MAX_BYTES", size - 1)
    with pytest.raises(ParameterError) as err:
        export_onnx(net, tmp_path / "m.onnx")
    assert str(err.value) == (f"the network is too large for one ONNX file ({size} bytes, "
                              "limit 2 GiB)")
    assert not list(tmp_path.iterdir())
    monkeypatch.setattr(onnx_export, "MAX_BYTES", size)
    export_onnx(net, tmp_path / "m.onnx")


def test_inputs_metadata_with_normalisation_ids_and_an_input_called_output(tmp_path):
    g = graph([("ids", "Input", {"shape": [4]}),
               ("num", "Input", {"shape": [3]}),
               ("emb", "Embedding", {"input_dim": 5, "output_dim": 2}),
               ("f", "Flatten", {}),
               ("cat", "Concatenate", {}),
               ("out", "Dense", {"units": 2, "activation": "softmax"})],
              [("ids", "emb"), ("emb", "f"), ("f", "cat"), ("num", "cat"), ("cat", "out")])
    net = Network(g, seed=1)
    path = tmp_path / "m.onnx"
    state = {"num": {"mode": "standardize", "mean": [1, 2, 3], "std": [2, 2, 2]}}
    export_onnx(net, path, input_names={"num": "output"}, normalizer_state=state)
    model = onnx.load(str(path))
    meta = onnx_meta(path)
    assert json.loads(meta["netcanvas.inputs"]) == [
        {"name": "ids", "node_id": "ids", "shape": [4], "dtype": "int64",
         "normalized_in_graph": False},
        {"name": "output", "node_id": "num", "shape": [3], "dtype": "float32",
         "normalized_in_graph": True}]
    assert json.loads(meta["netcanvas.output"])["name"] == "output_1"
    assert [o.name for o in model.graph.output] == ["output_1"]
    assert [i.type.tensor_type.elem_type for i in model.graph.input] == [
        onnx.TensorProto.INT64, onnx.TensorProto.FLOAT]
    assert set(json.loads(meta["netcanvas.normalization"])) == {"output"}
    rng = np.random.default_rng(10)
    ids, num = rng.integers(0, 5, (4, 4)), rng.normal(0, 2, (4, 3)).astype(np.float32)
    want = net.predict({"ids": ids, "num": (num - [1, 2, 3]) / 2})
    np.testing.assert_allclose(run_onnx(path, {"ids": ids, "output": num}), want, rtol=TOL,
                               atol=TOL)


def test_target_scaling_metadata(tmp_path):
    path = tmp_path / "m.onnx"
    export_onnx(flat_net(units=2), path, target_scaling=([1.0, -2.0], [0.5]))
    assert json.loads(onnx_meta(path)["netcanvas.target_scaling"]) == {
        "mean": [1.0, -2.0], "std": [0.5], "applied_in_graph": True}


# ---------------------------------------------------------------------------------------------
# PyTorch project files, read without PyTorch
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["regression", "iris"])
def test_pytorch_project_data_file_holds_the_prepared_splits(name, tmp_path):
    from nncore.losses import get_loss
    from nncore.run import network_inputs, prepare_data

    from .pytorch_support import EXAMPLES, example, export

    project = example(name)
    folder = export(project, tmp_path / "proj")
    data = prepare_data(project.data, EXAMPLES)
    with np.load(folder / "data.npz") as z:
        arrays = {k: z[k] for k in z.files}
    info = json.loads(str(arrays.pop("info")))
    from nncore.run import build_network

    net = build_network(project)
    assert info == {
        "task": data.dataset.task, "class_names": data.class_names,
        "normalization": "standardize",
        "target_mean": None if data.target_mean is None else [float(v) for v in
                                                                data.target_mean],
        "target_std": None if data.target_std is None else [float(v) for v in data.target_std],
        "inputs": list(net.input_ids)}
    (input_id,) = net.input_ids
    loss = get_loss(project.training.loss)
    for split in ("train", "val"):
        part = getattr(data, split)
        np.testing.assert_array_equal(arrays.pop(f"{split}/x/{input_id}"),
                                      network_inputs(net, part))
        np.testing.assert_array_equal(arrays.pop(f"{split}/y"),
                                      loss.check_targets(part.y, net.output_shape))
    for k, v in data.normalizer.state_arrays().items():
        np.testing.assert_array_equal(arrays.pop(f"norm/{k}"), v)
    assert arrays == {}  # no test split in these examples, nothing else


def test_pytorch_project_readme_and_train_settings(tmp_path):
    from importlib import metadata

    from .pytorch_support import export, spiral_project

    project = spiral_project(batch_size=25)
    folder = export(project, tmp_path / "proj")
    readme = (folder / "README.md").read_text()
    assert readme.startswith("# Spiral test: a PyTorch training project\n")
    assert f"Exported by NetCanvas {metadata.version('netcanvas')} (" in readme
    assert "It starts from the initial weights `netcanvas train` draws for the seed." in readme
    assert "init_weights.npz" not in readme
    assert "the project's 25 samples" in readme
    assert not any(f"@{k}@" in readme for k in ("NAME", "VERSION", "START", "BATCH"))
    train = (folder / "train.py").read_text()
    assert train.startswith('#!/usr/bin/env python3\n"""Train the NetCanvas project '
                            "'Spiral test' with PyTorch, as `netcanvas train` trains it.\n")
    assert f"Generated by NetCanvas {metadata.version('netcanvas')} (see README.md)" in train
    consts = module_constants(train, ("SETTINGS", "AUGMENT", "DATA_FILE", "INIT_WEIGHTS"))
    assert consts["SETTINGS"] == project.training.to_dict()
    assert consts["DATA_FILE"] == "data.npz" and consts["INIT_WEIGHTS"] is None
    assert consts["AUGMENT"]["active"] is False
    assert (folder / "train.py").stat().st_mode & 0o111
    assert not (folder / "README.md").stat().st_mode & 0o111


def test_pytorch_project_from_given_weights_says_so(tmp_path):
    from nncore.run import build_network
    from nncore.weights import read_weights, save_weights

    from .pytorch_support import export, spiral_project

    project = spiral_project()
    save_weights(tmp_path / "w.npz", build_network(project))
    folder = export(project, tmp_path / "proj", weights=read_weights(tmp_path / "w.npz"))
    readme = (folder / "README.md").read_text()
    assert ("It starts from `init_weights.npz` (the weights given to the export); delete that "
            "file, or pass `--init-weights` another file, to start elsewhere." in readme)
    consts = module_constants((folder / "train.py").read_text(), ("INIT_WEIGHTS",))
    assert consts["INIT_WEIGHTS"] == "init_weights.npz"


def test_pytorch_project_of_an_unnamed_project_without_the_package(tmp_path, monkeypatch):
    from importlib import metadata

    from .pytorch_support import export, spiral_project

    def not_installed(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", not_installed)
    project = spiral_project()
    project.name = ""
    folder = export(project, tmp_path / "proj")
    readme = (folder / "README.md").read_text()
    assert readme.startswith("# Untitled: a PyTorch training project\n")
    assert "Exported by NetCanvas 0 (" in readme
    assert "Generated by NetCanvas 0 (see README.md)" in (folder / "train.py").read_text()


def test_pytorch_project_folder_refusals_word_for_word(tmp_path):
    from nncore.export import export_pytorch_project

    from .pytorch_support import spiral_project

    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(ParameterError) as err:
        export_pytorch_project(spiral_project(), a_file)
    assert str(err.value) == f"{a_file}: exists and is not a folder"
    missing = tmp_path / "no" / "proj"
    with pytest.raises(ParameterError) as err:
        export_pytorch_project(spiral_project(), missing)
    assert str(err.value) == f"{missing}: the folder {missing.parent} does not exist"


def test_pytorch_project_augmentation_is_active_with_one_setting(tmp_path):
    from nncore.config import TrainingConfig

    from .pytorch_support import example, export

    project = example("digits_cnn")
    project.training = TrainingConfig.from_dict({**project.training.to_dict(),
                                                 "augment_flip_horizontal": True})
    folder = export(project, tmp_path / "proj")
    augment = module_constants((folder / "train.py").read_text(), ("AUGMENT",))["AUGMENT"]
    assert augment == {"shift": project.training.augment_shift, "flip_horizontal": True,
                       "flip_vertical": False, "noise": project.training.augment_noise,
                       "active": True}


def test_script_docstring_word_for_word(tmp_path):
    from importlib import metadata

    net = seq(("Input", {"shape": [3]}), ("Dense", {"units": 2, "activation": "linear"}),
              ("Dropout", {"rate": 0.5}))
    assert net.output_activation is None  # the output node (Dropout) has none: linear
    path = tmp_path / "reg.py"
    export_python(net, path, target_scaling=([1.0], [2.0]))
    np.savez(tmp_path / "reg.npz", **net.get_weights())
    version = metadata.version("netcanvas")
    want = "\n".join([
        "Standalone inference for the NetCanvas network 'reg'.",
        "",
        f"Generated by NetCanvas {version} (export format 1). Needs only Python 3 and NumPy.",
        "The weights are read from 'reg.npz' next to this script (NumPy .npz with keys "
        "'<node id>/<weight name>', loaded with allow_pickle=False).",
        "",
        "The network runs in inference mode in float32: Dropout is the identity and "
        "BatchNormalization uses its moving statistics.",
        "",
        "Inputs (one array per Input, batch first; rows may also be flat):",
        "  'input1': shape (n, 3), float32. Values are used as given (no normalisation).",
        "Output: shape (n, 2), activation linear.",
        "predict() returns targets in their original units: the network's output times "
        "TARGET_SCALING['std'] plus TARGET_SCALING['mean'].",
        "",
        "Usage:",
        "  python reg.py INPUT          # print predictions as CSV",
        "  python reg.py inputs.npy -o predictions.npy   # or -o predictions.csv",
        "  python reg.py --weights other.npz inputs.csv",
        "INPUT is a .npy array or a CSV of numbers (one sample per row, header optional).",
        "From Python:",
        "  import reg; y = reg.predict(x)"])
    doc = import_script(path).__doc__
    # Word for word (the wrapping aside); paragraphs stay apart; lines fit 92 columns.
    assert doc.split() == want.split()
    assert doc.count("\n\n") == want.count("\n\n") == 4
    assert max(len(line) for line in doc.splitlines()) <= 92


def test_script_docstring_of_a_classifier(tmp_path):
    net = seq(("Input", {"shape": [3]}), ("Dense", {"units": 3, "activation": "softmax"}))
    doc = import_script(write_script(net, tmp_path, class_names=["a", "b", "c"])).__doc__
    lines = doc.splitlines()
    assert "Output: shape (n, 3), activation softmax (class probabilities)." in lines
    assert "Classes: 'a', 'b', 'c'." in lines
    assert not any("TARGET_SCALING" in line for line in lines)


# ---------------------------------------------------------------------------------------------
# PyTorch model.py: its constants, read without PyTorch
# ---------------------------------------------------------------------------------------------
def test_pytorch_model_constants_describe_every_weight():
    from nncore.export.pytorch_model import generate_model_code, python_names
    from nncore.spec import NodeSpec

    g = graph([("seq", "Input", {"shape": [5, 3]}),
               ("ids", "Input", {"shape": [4]}),
               ("lstm", "LSTM", {"units": 3}),
               ("emb", "Embedding", {"input_dim": 6, "output_dim": 2}),
               ("f", "Flatten", {}),
               ("cat", "Concatenate", {}),
               ("bn", "BatchNormalization", {}),
               ("out", "Dense", {"units": 2, "activation": "sigmoid"})],
              [("seq", "lstm"), ("ids", "emb"), ("emb", "f"), ("lstm", "cat"), ("f", "cat"),
               ("cat", "bn"), ("bn", "out")])
    g.nodes = [NodeSpec(n.id, n.type, n.params, n.position, n.id == "emb") for n in g.nodes]
    net = Network(g, seed=0)
    code = generate_model_code(net, "My 'net'", "9.9")
    assert code.startswith('"""The NetCanvas network "My \'net\'" as a PyTorch module '
                           "(generated by NetCanvas 9.9).\n")
    c = module_constants(code, ("PROJECT_NAME", "INPUTS", "OUTPUT_SHAPE", "OUTPUT_ACTIVATION",
                                 "WEIGHT_SHAPES", "WEIGHT_NAMES", "INITIAL_WEIGHTS",
                                 "LSTM_BIASES", "TRAINABLE", "REGULARIZED", "FROZEN"))
    assert c["PROJECT_NAME"] == "My 'net'"
    assert c["INPUTS"] == [("seq", (5, 3), "float"), ("ids", (4,), "int")]
    assert (c["OUTPUT_SHAPE"], c["OUTPUT_ACTIVATION"]) == ((2,), "sigmoid")
    w = net.get_weights()
    assert c["WEIGHT_SHAPES"] == {k: v.shape for k, v in w.items()}
    names = python_names(net)
    assert c["WEIGHT_NAMES"] == {k: f"{names[k.split('/')[0]]}.{k.split('/')[1]}" for k in w}
    specs = {f"{n}/{s.name}": s for n in net.order
             for s in net.layers[n].weight_specs(net.layers[n].input_shapes)}
    assert sorted(c["INITIAL_WEIGHTS"]) == sorted(
        (k, tuple(s.shape), s.initializer) for k, s in specs.items())
    assert c["LSTM_BIASES"] == [("lstm/b", 3)]
    # Frozen: the Embedding's table; state buffers (moving statistics) are neither.
    assert c["FROZEN"] == ["emb/embeddings"]
    assert set(c["TRAINABLE"]) == {k for k, s in specs.items()
                                   if s.trainable and not k.startswith("emb/")}
    assert set(c["REGULARIZED"]) == {k for k in c["TRAINABLE"] if specs[k].regularize}
    assert set(c["REGULARIZED"]) < set(c["TRAINABLE"])
    assert "bn/moving_mean" not in c["TRAINABLE"] + c["FROZEN"]


# ---------------------------------------------------------------------------------------------
# which Inputs a normaliser state applies to, word for word
# ---------------------------------------------------------------------------------------------
def test_normaliser_state_for_several_inputs_word_for_word():
    net = _ids_and_numbers_net()
    with pytest.raises(ParameterError) as err:
        resolve_normalization(net, {"zzz": {"mode": "none"}})
    assert str(err.value) == ("normaliser state given for 'zzz', which is not an Input of the "
                              "network (inputs: ids, num, raw); a single state needs a 'mode' "
                              "field")
    with pytest.raises(ParameterError) as err:
        resolve_normalization(net, {"mode": "none"})
    assert str(err.value) == ("the network has 3 inputs (ids, num, raw); pass the normaliser "
                              "state as a dict {input id: state}")
    with pytest.raises(ParameterError) as err:
        resolve_normalization(net, {"ids": {"mode": "minmax", "min": [0] * 4, "max": [1] * 4}})
    assert str(err.value) == ("Input 'ids' carries integer ids and cannot be normalised (the "
                              "state holds minmax statistics for it)")
    # Mode "none" for the ids (what training saves for them) and None are skipped.
    norms = resolve_normalization(net, {"ids": {"mode": "none"}, "num": None,
                                        "raw": {"mode": "none"}})
    assert list(norms) == ["raw"] and norms["raw"].identity


def test_unsupported_layer_message_word_for_word(monkeypatch, tmp_path):
    from nncore import registry
    from nncore.export import ONNX_CONVERTERS, PY_TEMPLATES

    from .export_nets import Mystery

    monkeypatch.setitem(registry._LAYERS, "Mystery", Mystery)
    net = seq(("Input", {"shape": [3]}), ("Mystery", {}))
    for table, what, export in ((ONNX_CONVERTERS, "ONNX", export_onnx),
                                (PY_TEMPLATES, "a Python script", export_python)):
        with pytest.raises(UnsupportedLayerError) as err:
            export(net, tmp_path / "m")
        assert err.value.node_id == "mystery1"
        assert str(err.value) == (f"Mystery 'mystery1': cannot export to {what}: layer type "
                                  f"'Mystery' has no converter (supported: "
                                  f"{', '.join(sorted(table))})")
        assert ", AvgPool2D, BatchNormalization, Concatenate, Conv2D, " in str(err.value)


# ---------------------------------------------------------------------------------------------
# a float64 network's script; integer ids feeding float layers in ONNX
# ---------------------------------------------------------------------------------------------
def test_float64_network_script_computes_and_prints_in_float64(tmp_path):
    net = Network(GraphSpec.sequential([("Input", {"shape": [3]}),
                                        ("Dense", {"units": 4, "activation": "tanh"}),
                                        ("Dense", {"units": 2})]), dtype=np.float64, seed=2)
    path = write_script(net, tmp_path)
    mod = import_script(path)
    assert mod.DTYPE is np.float64 and mod.NUMBER_FORMAT == "%.17g"
    assert "The network runs in inference mode in float64:" in mod.__doc__
    assert "  'input1': shape (n, 3), float64." in mod.__doc__
    x = np.random.default_rng(11).normal(0, 1, (4, 3))
    got = mod.predict(x)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, net.predict(x), rtol=1e-13, atol=1e-13)
    mod32 = import_script(write_script(flat_net(), tmp_path))
    assert mod32.DTYPE is np.float32 and mod32.NUMBER_FORMAT == "%.9g"


def test_integer_ids_feeding_float_layers_are_cast_once(tmp_path):
    g = graph([("ids", "Input", {"shape": [4]}),
               ("emb", "Embedding", {"input_dim": 6, "output_dim": 2}),
               ("f", "Flatten", {}),
               ("d1", "Dense", {"units": 3}),
               ("d2", "Dense", {"units": 3}),
               ("cat", "Concatenate", {}),
               ("out", "Dense", {"units": 2})],
              [("ids", "emb"), ("emb", "f"), ("ids", "d1"), ("ids", "d2"), ("f", "cat"),
               ("d1", "cat"), ("d2", "cat"), ("cat", "out")])
    net = Network(g, seed=3)
    path = tmp_path / "m.onnx"
    export_onnx(net, path)
    casts = [n for n in onnx.load(str(path)).graph.node if n.op_type == "Cast"]
    assert len(casts) == 1 and list(casts[0].input) == ["ids"]
    ids = np.random.default_rng(12).integers(0, 6, (5, 4))
    np.testing.assert_allclose(run_onnx(path, {"ids": ids}), net.predict(ids), rtol=TOL,
                               atol=TOL)
    script = import_script(write_script(net, tmp_path))
    np.testing.assert_allclose(script.predict(ids), net.predict(ids), rtol=1e-6, atol=1e-6)


def test_script_docstring_keeps_long_and_hyphenated_class_names_whole(tmp_path):
    names = [f"north-east-corner-{k}" for k in range(24)] + ["x" * 100]
    net = flat_net(units=len(names))
    doc = import_script(write_script(net, tmp_path, class_names=names)).__doc__
    lines = doc.splitlines()
    for name in names:
        assert any(repr(name) in line for line in lines), name
    # Filled: each line of the Classes entry could not take the next word.
    start = next(k for k, line in enumerate(lines) if line.startswith("Classes: "))
    k = start
    while lines[k + 1]:  # the entry ends the paragraph before "Usage:"
        assert len(lines[k]) + 1 + len(lines[k + 1].split()[0]) > 92
        k += 1
    assert k > start + 3


def test_script_constants_are_commented(tmp_path):
    source = write_script(flat_net(), tmp_path).read_text()
    for comment in (
            "#: (input id, per-sample shape, 'float' or 'int') for each Input, in order.",
            "#: Normalisation of raw inputs: (x - offset) / scale along 'axis', in float64.",
            "#: Regression targets were standardised: outputs * std + mean (None: not used).",
            "#: Every weight array the network has, with its shape."):
        assert f"\n{comment}\n" in source
