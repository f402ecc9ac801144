"""Weights files at their edges: metadata written by save_weights, an unfitted normaliser
left out, the default project name, and target scaling undone per output in the
prediction's dtype. Written against mutation-testing survivors (issue 19)."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from nncore.data.preprocess import Normalizer
from nncore.errors import FormatError
from nncore.network import Network
from nncore.spec import GraphSpec
from nncore.weights import NORM_PREFIX, WeightsFile, read_weights, save_weights, weights_bytes


def two_outputs() -> Network:
    return Network(GraphSpec.sequential([("Input", {"shape": [3]}),
                                         ("Dense", {"units": 2, "activation": "linear"})]),
                   seed=0)


def test_save_weights_writes_the_metadata_it_is_given(tmp_path) -> None:
    net = two_outputs()
    path = tmp_path / "w.npz"
    save_weights(path, net, class_names=["no", "yes"], task="classification",
                 project_name="Mine")
    w = read_weights(path, net.weight_shapes())
    assert w.class_names == ["no", "yes"]
    assert (w.meta["task"], w.meta["project"]) == ("classification", "Mine")


def test_without_a_project_name_the_metadata_names_none() -> None:
    with np.load(io.BytesIO(weights_bytes(two_outputs()))) as z:
        meta = json.loads(str(z["__meta__"]))
    assert meta["project"] == "" and meta["normalization"] is None


def test_an_unfitted_normaliser_is_not_saved(tmp_path) -> None:
    net = two_outputs()
    path = tmp_path / "w.npz"
    save_weights(path, net, normalizer=Normalizer("standardize"))
    w = read_weights(path, net.weight_shapes())
    assert w.norm_mode is None and not w.norm_arrays
    fitted = Normalizer("standardize").fit(np.arange(12.0).reshape(4, 3))
    save_weights(path, net, normalizer=fitted)
    w = read_weights(path, net.weight_shapes())
    assert w.norm_mode == "standardize"
    np.testing.assert_array_equal(w.norm_arrays["mean"], [4.5, 5.5, 6.5])
    assert not any(k.startswith(NORM_PREFIX) for k in w.arrays)


def test_target_scaling_is_undone_per_output_in_the_predictions_dtype() -> None:
    w = WeightsFile({}, {"target_mean": [10.0, -5.0], "target_std": [2.0, 0.5]})
    pred = np.array([[1.0, 2.0], [0.0, -4.0], [0.5, 0.5]], np.float32)
    out = w.unscale_targets(pred)
    assert out.dtype == np.float32 and out.shape == (3, 2)
    np.testing.assert_allclose(out, [[12.0, -4.0], [10.0, -7.0], [11.0, -4.75]])
    # images of outputs (n, 1, 2): the same per-output scaling on the flattened values
    images = w.unscale_targets(pred.reshape(3, 1, 2))
    assert images.shape == (3, 1, 2)
    np.testing.assert_allclose(images.reshape(3, 2), out)


def test_half_a_target_scaling_is_no_scaling() -> None:
    pred = np.array([[1.0], [2.0]], np.float32)
    for meta in ({"target_mean": [3.0]}, {"target_std": [2.0]}, {}):
        assert WeightsFile({}, meta).unscale_targets(pred) is pred


def test_the_metadata_holds_the_documented_keys() -> None:
    net = two_outputs()
    with np.load(io.BytesIO(weights_bytes(net, task="regression", project_name="P",
                                          target_mean=[1.0, 2.0], target_std=[3.0, 4.0]))) as z:
        meta = json.loads(str(z["__meta__"]))
    assert set(meta) == {"format", "version", "project", "task", "class_names",
                         "normalization", "inputs", "shapes", "target_mean", "target_std"}
    assert (meta["format"], meta["version"], meta["task"]) == ("netcanvas-weights", 1,
                                                               "regression")
    assert meta["inputs"] == list(net.input_ids)
    assert meta["shapes"] == {k: list(v) for k, v in net.weight_shapes().items()}
    assert (meta["target_mean"], meta["target_std"]) == ([1.0, 2.0], [3.0, 4.0])


def rewritten(tmp_path, change) -> tuple[Network, object]:
    """A valid weights file, its arrays changed by ``change(dict)``, written again."""
    net = two_outputs()
    with np.load(io.BytesIO(weights_bytes(net))) as z:
        arrays = {k: z[k] for k in z.files}
    change(arrays)
    path = tmp_path / "w.npz"
    np.savez(path, **arrays)
    return net, path


def test_a_weights_file_with_text_arrays_or_class_names_is_refused_in_words(tmp_path) -> None:
    key = next(k for k in two_outputs().weight_shapes() if k.endswith("/W"))
    _, path = rewritten(tmp_path, lambda a: a.update({key: np.array([["a", "b"]] * 3)}))
    with pytest.raises(FormatError) as info:
        read_weights(path)
    assert str(info.value) == f"{path}: weight {key!r} has dtype <U1; expected numbers"

    _, path = rewritten(tmp_path, lambda a: a.update({NORM_PREFIX + "mean": np.array(["x"])}))
    with pytest.raises(FormatError) as info:
        read_weights(path)
    assert str(info.value) == f"{path}: {NORM_PREFIX}mean has dtype <U1; expected numbers"

    def names(a):
        meta = json.loads(str(a["__meta__"]))
        meta["class_names"] = "ab"
        a["__meta__"] = np.array(json.dumps(meta))

    _, path = rewritten(tmp_path, names)
    with pytest.raises(FormatError) as info:
        read_weights(path)
    assert str(info.value) == (f"{path}: __meta__.class_names: expected a list of texts or "
                               f"null, got 'ab'")


def with_meta(**fields):
    def change(a):
        meta = json.loads(str(a["__meta__"]))
        meta.update(fields)
        a["__meta__"] = np.array(json.dumps(meta))
    return change


@pytest.mark.parametrize("fields, words", [
    ({"class_names": ["a", 1]}, "class_names: expected a list of texts or null, got ['a', 1]"),
    ({"task": "clustering"}, "task: expected one of classification, regression or null, got "
                             "'clustering'"),
    ({"normalization": 5}, "normalization: expected a text or null, got 5"),
    ({"target_mean": "a", "target_std": [1.0]},
     "target_mean: expected a list of finite numbers or null, got 'a'"),
    ({"target_mean": [], "target_std": []},
     "target_mean: expected a list of finite numbers or null, got []"),
    ({"target_mean": [True], "target_std": [1.0]},
     "target_mean: expected a list of finite numbers or null, got [True]"),
    ({"target_mean": [1.0], "target_std": ["x"]},
     "target_std: expected a list of finite numbers or null, got ['x']"),
])
def test_bad_metadata_fields_are_refused_in_words(tmp_path, fields, words) -> None:
    _, path = rewritten(tmp_path, with_meta(**fields))
    with pytest.raises(FormatError) as info:
        read_weights(path)
    assert str(info.value) == f"{path}: __meta__.{words}"


@pytest.mark.parametrize("fields", [{"target_mean": [1.0]}, {"target_std": [1.0]},
                                    {"target_mean": [1.0, 2.0], "target_std": [1.0]}])
def test_a_target_scaling_needs_both_halves_of_one_length(tmp_path, fields) -> None:
    _, path = rewritten(tmp_path, with_meta(**fields))
    with pytest.raises(FormatError) as info:
        read_weights(path)
    assert str(info.value) == (f"{path}: __meta__: target_mean and target_std must both be "
                               f"given, with equal lengths")
    _, path = rewritten(tmp_path, with_meta(target_mean=[1.0, 2.0], target_std=[3.0, 4.0]))
    assert read_weights(path).meta["target_std"] == [3.0, 4.0]
