"""``netcanvas explain`` end to end: the file's keys and values equal the engine's
attributions of the normalized samples (computed here from the weights file), the options
reach the engine, and bad usage exits 2 with nothing written."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nncore.explain import grad_cam, integrated_gradients, make_baseline, saliency
from nncore.network import Network
from nncore.project import load_project
from nncore.run import prepare_data
from nncore.weights import load_into, read_weights

from .conftest import EXAMPLES

CNN = EXAMPLES / "digits_cnn.json"
IRIS = EXAMPLES / "iris.json"


@pytest.fixture(scope="module")
def cnn_weights(tmp_path_factory):
    from nncore.cli import main

    out = tmp_path_factory.mktemp("cnn") / "cnn.npz"
    assert main(["train", str(CNN), "--quiet", "--epochs", "1", "--out-weights",
                 str(out)]) == 0
    return out


def network(project_path, weights_path):
    project = load_project(project_path)
    net = Network(project.graph)
    w = read_weights(weights_path)
    load_into(net, w)
    return net, w


def digits_samples(tmp_path, n=3):
    data = prepare_data(load_project(CNN).data)
    raw = data.normalizer.inverse_transform(data.val.X[:n])
    path = tmp_path / "x.csv"
    np.savetxt(path, raw.reshape(n, -1), delimiter=",")
    return path, np.loadtxt(path, delimiter=",", dtype=np.float32).reshape(n, 1, 8, 8)


def test_gradcam_and_saliency_files_hold_the_engines_attributions(cli, tmp_path,
                                                                  cnn_weights):
    x_path, raw = digits_samples(tmp_path)
    net, w = network(CNN, cnn_weights)
    x = w.normalizer().transform(raw)
    out = tmp_path / "cam.npz"
    r = cli("explain", CNN, "--weights", cnn_weights, "--input", x_path, "--method",
            "gradcam", "--layer", "conv1", "--target", "7", "--output", out)
    assert r.code == 0, r.err
    assert "3 attributions written" in r.out
    a = np.load(out)
    want = grad_cam(net, x, layer="conv1", target=7)
    np.testing.assert_allclose(a["attributions"], want.values, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(a["layer_map"], want.layer_map, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(a["inputs"], raw)
    assert list(a["targets"]) == [7, 7, 7]
    assert list(a["class_names"]) == w.class_names
    meta = json.loads(str(a["__meta__"]))
    assert meta["format"] == "netcanvas-attributions" and meta["version"] == 1
    assert meta["method"] == "gradcam" and meta["layer"] == "conv1"

    out2 = tmp_path / "sal.npz"
    r = cli("explain", CNN, "--weights", cnn_weights, "--input", x_path, "--method",
            "saliency", "--score", "probability", "--output", out2)
    assert r.code == 0, r.err
    s = np.load(out2)
    want = saliency(net, x, score="probability")
    np.testing.assert_allclose(s["attributions"], want.values, rtol=1e-10, atol=1e-14)
    np.testing.assert_array_equal(s["targets"], net.predict(x).argmax(axis=1))


@pytest.mark.parametrize("baseline", ["zeros", "mean", "blur"])
def test_integrated_gradients_file_with_each_baseline(cli, tmp_path, cnn_weights, baseline):
    x_path, raw = digits_samples(tmp_path, 2)
    net, w = network(CNN, cnn_weights)
    norm = w.normalizer()
    x = norm.transform(raw)
    out = tmp_path / "ig.npz"
    r = cli("explain", CNN, "--weights", cnn_weights, "--input", x_path, "--method",
            "integrated-gradients", "--baseline", baseline, "--steps", "16", "--output", out)
    assert r.code == 0, r.err
    a = np.load(out)
    mean = prepare_data(load_project(CNN).data).train.X.mean(axis=0)
    base = make_baseline(baseline, x, norm, mean)
    want = integrated_gradients(net, x, base, steps=16)
    np.testing.assert_allclose(a["attributions"], want.values, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(a["baseline"], norm.inverse_transform(base), rtol=1e-5,
                               atol=1e-5)
    delta = a["scores"] - a["baseline_scores"]
    np.testing.assert_allclose(a["attributions"].reshape(2, -1).sum(axis=1) - delta,
                               a["completeness_error"], atol=1e-9)
    assert (np.abs(a["completeness_error"]) <= 0.01 * np.abs(delta)).all()
    assert (a["steps"] >= 16).all()
    assert json.loads(str(a["__meta__"]))["baseline"] == baseline


def test_tolerance_zero_keeps_the_steps(cli, tmp_path, cnn_weights):
    x_path, _ = digits_samples(tmp_path, 2)
    out = tmp_path / "ig.npz"
    assert cli("explain", CNN, "--weights", cnn_weights, "--input", x_path, "--method",
               "integrated-gradients", "--steps", "5", "--tolerance", "0", "--output",
               out).code == 0
    assert list(np.load(out)["steps"]) == [5, 5]


def test_bad_usage_exits_2_and_writes_nothing(cli, tmp_path, cnn_weights):
    x_path, _ = digits_samples(tmp_path, 1)
    out = tmp_path / "a.npz"
    base = ["explain", CNN, "--weights", cnn_weights, "--input", x_path, "--output", out]
    wide = tmp_path / "wide.csv"
    np.savetxt(wide, np.zeros((1, 65)), delimiter=",")
    for extra, message in (
            (["--method", "saliency", "--layer", "conv1"], "--layer does not apply"),
            (["--method", "gradcam", "--steps", "3"], "--steps does not apply"),
            (["--method", "integrated-gradients", "--steps", "0"], "--steps must be"),
            (["--method", "integrated-gradients", "--tolerance", "2"], "--tolerance"),
            (["--method", "gradcam", "--layer", "flatten"], "images"),
            (["--method", "gradcam", "--target", "ten"], "neither a class name"),
            (["--method", "gradcam", "--target", "10"], "class 10 does not exist")):
        r = cli(*base, *extra)
        assert r.code == 2 and message in r.err, (extra, r.err)
        assert not out.exists()
    r = cli("explain", CNN, "--weights", cnn_weights, "--input", wide, "--method",
            "saliency", "--output", out)
    assert r.code == 2 and "shape (1, 8, 8)" in r.err
    r = cli("explain", CNN, "--weights", cnn_weights, "--input", x_path, "--method",
            "saliency", "--output", x_path)
    assert r.code == 2 and "--input" in r.err
    assert not out.exists()


def test_iris_class_names_as_targets(cli, tmp_path):
    weights = tmp_path / "iris.npz"
    assert cli("train", IRIS, "--quiet", "--epochs", "20", "--out-weights",
               weights).code == 0
    x_path = tmp_path / "x.csv"
    np.savetxt(x_path, [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]], delimiter=",")
    out = tmp_path / "a.npz"
    r = cli("explain", IRIS, "--weights", weights, "--input", x_path, "--method",
            "integrated-gradients", "--target", "virginica", "--output", out)
    assert r.code == 0, r.err
    assert r.out.count("target virginica") == 2
    assert list(np.load(out)["targets"]) == [2, 2]


def test_a_split_adds_the_data_set_view(cli, tmp_path):
    from nncore.importance import mean_abs_attribution, permutation_importance

    weights = tmp_path / "iris.npz"
    assert cli("train", IRIS, "--quiet", "--epochs", "20", "--out-weights",
               weights).code == 0
    out = tmp_path / "view.npz"
    r = cli("explain", IRIS, "--weights", weights, "--split", "val", "--method", "saliency",
            "--repeats", "3", "--seed", "2", "--output", out)
    assert r.code == 0, r.err
    assert "permutation importance on the val split" in r.out
    a = np.load(out)
    project = load_project(IRIS)
    data = prepare_data(project.data)
    net, _ = network(IRIS, weights)
    want = saliency(net, data.val.X)
    np.testing.assert_allclose(a["attributions"], want.values, rtol=1e-10)
    np.testing.assert_allclose(a["mean_abs_attribution"], mean_abs_attribution(want))
    np.testing.assert_array_equal(a["labels"], data.val.y)
    imp = permutation_importance(net, data.val.X, data.val.y, "categorical_crossentropy",
                                 repeats=3, seed=2)
    np.testing.assert_allclose(a["permutation_loss_increase"], imp.loss_increase)
    np.testing.assert_allclose(a["permutation_metric_drop_std"], imp.metric_drop_std)
    assert list(a["permutation_features"]) == data.dataset.feature_names
    np.testing.assert_allclose(a["inputs"], data.normalizer.inverse_transform(data.val.X),
                               rtol=1e-6)
    meta = json.loads(str(a["__meta__"]))
    assert (meta["split"], meta["metric"], meta["repeats"]) == ("val", "accuracy", 3)
    r = cli("explain", IRIS, "--weights", weights, "--input", weights, "--method",
            "saliency", "--repeats", "3", "--output", out)
    assert r.code == 2 and "--repeats needs --split" in r.err
    r = cli("explain", IRIS, "--weights", weights, "--split", "test", "--method",
            "saliency", "--output", tmp_path / "x.npz")
    assert r.code == 2 and "no test split" in r.err
