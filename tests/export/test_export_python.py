"""Standalone Python script export: the generated file reproduces ``network.predict``."""

from __future__ import annotations

import ast
import csv
import io
import subprocess
import sys

import numpy as np
import pytest

from nncore.data import Normalizer
from nncore.export import export_python
from nncore.network import Network
from nncore.spec import GraphSpec

from .export_nets import CASES, N, build, graph, import_script, randomize_bn

TOL = 1e-6
STDLIB = {"argparse", "csv", "io", "os", "sys", "tempfile"}


def write(net, tmp_path, name="model.py", **kw):
    path = tmp_path / name
    export_python(net, path, **kw)
    np.savez(tmp_path / kw.get("weights_filename", path.with_suffix(".npz").name),
             **net.get_weights())
    return path


@pytest.mark.parametrize("case", sorted(CASES))
def test_script_matches_predict(case, tmp_path):
    net, x = build(case)
    mod = import_script(write(net, tmp_path))
    got = mod.predict(x)
    want = net.predict(x)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=TOL, atol=TOL)
    # Flat rows (as read from a CSV) are reshaped to each Input's shape.
    if not isinstance(x, dict):
        np.testing.assert_allclose(mod.predict(x.reshape(N, -1)), want, rtol=TOL, atol=TOL)


def test_script_imports_only_numpy_and_the_standard_library(tmp_path):
    net, _ = build("branching_dag")
    tree = ast.parse(write(net, tmp_path).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported == STDLIB | {"numpy"}


def test_script_runs_in_a_clean_interpreter_without_netcanvas(tmp_path):
    """Copy script and weights elsewhere and run them with -I (no site tweaks) while
    blocking nncore: only NumPy is needed."""
    net, x = build("image_channels")
    path = write(net, tmp_path, name="net_script.py")
    np.save(tmp_path / "x.npy", x)
    code = ("import sys; sys.modules['nncore'] = None; sys.modules['onnx'] = None\n"
            f"sys.argv = ['net_script.py', {str(tmp_path / 'x.npy')!r}, '-o', "
            f"{str(tmp_path / 'y.npy')!r}]\n"
            f"import runpy; runpy.run_path({str(path)!r}, run_name='__main__')")
    res = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 0, res.stderr
    got = np.load(tmp_path / "y.npy", allow_pickle=False)
    np.testing.assert_allclose(got, net.predict(x), rtol=TOL, atol=TOL)


def test_cli_reads_csv_with_header_and_prints_probabilities_and_classes(tmp_path):
    net, x = build("trained_bn_mlp")
    raw = (x * 3 + 10).astype(np.float32)
    norm = Normalizer("standardize").fit(raw)
    classes = ["setosa", "versi,color", 'vir"ginica']
    path = write(net, tmp_path, normalizer_state=norm, class_names=classes)
    with open(tmp_path / "in.csv", "w") as f:
        f.write("f1,f2,f3,f4\n")
        for row in raw:
            f.write(",".join(repr(float(v)) for v in row) + "\n")
    res = subprocess.run([sys.executable, str(path), str(tmp_path / "in.csv")],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    rows = list(csv.reader(io.StringIO(res.stdout)))
    assert rows[0] == classes + ["class"]
    probs = np.array([[float(v) for v in r[:3]] for r in rows[1:]])
    want = net.predict(norm.transform(raw))
    np.testing.assert_allclose(probs, want, rtol=TOL, atol=TOL)
    assert [r[3] for r in rows[1:]] == [classes[k] for k in want.argmax(axis=1)]


def test_cli_two_inputs_npy_and_csv_to_csv_file(tmp_path):
    net, x = build("two_inputs")
    path = write(net, tmp_path, class_names=["neg", "pos"])
    np.save(tmp_path / "a.npy", x["a"])
    np.savetxt(tmp_path / "b.csv", x["b"].reshape(N, -1), delimiter=";", fmt="%.9g")
    out = tmp_path / "pred.csv"
    res = subprocess.run([sys.executable, str(path), str(tmp_path / "a.npy"),
                          str(tmp_path / "b.csv"), "-o", str(out)],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    rows = list(csv.reader(out.open()))
    assert rows[0] == ["y0", "class"]
    want = net.predict(x)
    np.testing.assert_allclose([float(r[0]) for r in rows[1:]], want[:, 0], rtol=TOL, atol=TOL)
    assert [r[1] for r in rows[1:]] == ["pos" if p > 0.5 else "neg" for p in want[:, 0]]


def test_cli_reports_bad_weights_and_inputs_clearly(tmp_path):
    net, x = build("trained_bn_mlp")
    path = write(net, tmp_path)
    np.save(tmp_path / "x.npy", x)
    weights = net.get_weights()
    del weights["dense2/b"]
    np.savez(tmp_path / "broken.npz", **weights)
    res = subprocess.run([sys.executable, str(path), str(tmp_path / "x.npy"), "--weights",
                          str(tmp_path / "broken.npz")], capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 2
    assert "'dense2/b' is missing" in res.stderr and "Traceback" not in res.stderr
    np.save(tmp_path / "bad.npy", x[:, :3])
    res = subprocess.run([sys.executable, str(path), str(tmp_path / "bad.npy")],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and "expected shape (n, 4), got (17, 3)" in res.stderr
    # Object arrays are never unpickled.
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    res = subprocess.run([sys.executable, str(path), str(tmp_path / "obj.npy")],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and "pickle" in res.stderr.lower()


def test_weights_with_wrong_shape_are_rejected_by_load_weights(tmp_path):
    net, _ = build("bn_sequence")
    path = write(net, tmp_path)
    weights = net.get_weights()
    weights["dense1/W"] = weights["dense1/W"][:-1]
    np.savez(tmp_path / "bad.npz", **weights)
    mod = import_script(path)
    with pytest.raises(ValueError, match=r"'dense1/W' has shape \(14, 2\), expected \(15, 2\)"):
        mod.load_weights(str(tmp_path / "bad.npz"))


@pytest.mark.parametrize("kind", ["image_minmax", "sequence_standardize"])
def test_script_normalizes_raw_inputs_per_channel_or_feature(kind, tmp_path):
    rng = np.random.default_rng(4)
    if kind == "image_minmax":
        from .export_nets import image_channels

        net, _ = image_channels(rng)
        raw = rng.uniform(0, 255, (N, 2, 3, 3)).astype(np.float32)
        norm = Normalizer("minmax").fit(raw)
    else:
        from .export_nets import bn_sequence

        net, _ = bn_sequence(rng)
        raw = (rng.normal(-3.0, 0.5, (N, 5, 3)) * np.array([1, 10, 100])).astype(np.float32)
        norm = Normalizer("standardize").fit(raw)
    mod = import_script(write(net, tmp_path, normalizer_state=norm.to_dict()))
    np.testing.assert_allclose(mod.predict(raw), net.predict(norm.transform(raw)), rtol=TOL,
                               atol=TOL)
    assert "Expects RAW values" in mod.__doc__


def test_float64_network_runs_in_float64(tmp_path):
    g = GraphSpec.sequential([("Input", {"shape": [5, 3]}), ("BatchNormalization", {}),
                              ("Flatten", {}), ("Dense", {"units": 4, "activation": "softplus"}),
                              ("Dense", {"units": 3, "activation": "softmax"})])
    net = Network(g, dtype=np.float64, seed=0)
    randomize_bn(net, np.random.default_rng(0))
    x = np.random.default_rng(1).normal(size=(N, 5, 3))
    mod = import_script(write(net, tmp_path))
    assert mod.DTYPE is np.float64
    np.testing.assert_allclose(mod.predict(x), net.predict(x), rtol=1e-12, atol=1e-12)


def test_awkward_node_ids_give_a_valid_script(tmp_path):
    ids = ['in "x"', "class", "a/b\nc", 'dense """ \\ 1', "ünï-cødé"]
    g = graph([(ids[0], "Input", {"shape": [3]}),
               (ids[1], "Dense", {"units": 4, "activation": "relu"}),
               (ids[2], "Dense", {"units": 4, "activation": "tanh"}),
               (ids[3], "Add", {}),
               (ids[4], "Dense", {"units": 2, "activation": "softmax"})],
              [(ids[0], ids[1]), (ids[0], ids[2]), (ids[1], ids[3]), (ids[2], ids[3]),
               (ids[3], ids[4])])
    net = Network(g, seed=0)
    x = np.random.default_rng(0).normal(size=(N, 3)).astype(np.float32)
    mod = import_script(write(net, tmp_path, class_names=['"""', "\\"]))
    np.testing.assert_allclose(mod.predict({ids[0]: x}), net.predict(x), rtol=TOL, atol=TOL)
    assert mod.CLASS_NAMES == ['"""', "\\"]


def test_write_weights_option_writes_the_npz_the_script_reads(tmp_path):
    net, x = build("bn_image")
    path = tmp_path / "deploy.py"
    export_python(net, path, weights_filename="params.npz", write_weights=True)
    with np.load(tmp_path / "params.npz", allow_pickle=False) as f:
        assert set(f.files) == set(net.get_weights())
    np.testing.assert_allclose(import_script(path).predict(x), net.predict(x), rtol=TOL,
                               atol=TOL)


def test_script_undoes_target_scaling(tmp_path):
    net, x = build("bn_sequence")
    mean, std = [10.0, -3.0], [2.5, 0.125]
    mod = import_script(write(net, tmp_path, target_scaling=(mean, std)))
    want = net.predict(x) * np.asarray(std) + np.asarray(mean)
    np.testing.assert_allclose(mod.predict(x), want, rtol=TOL, atol=TOL)


def test_script_reads_a_netcanvas_weights_file_directly(tmp_path):
    """Weights saved by nncore.weights (with __meta__ and __norm__/ entries) work as is."""
    from nncore.weights import save_weights

    net, x = build("trained_bn_mlp")
    raw = (x * 2 - 1).astype(np.float32)
    norm = Normalizer("minmax").fit(raw)
    save_weights(tmp_path / "trained.npz", net, normalizer=norm, class_names=["a", "b", "c"])
    export_python(net, tmp_path / "run.py", weights_filename="trained.npz",
                  normalizer_state=norm.to_dict())
    mod = import_script(tmp_path / "run.py")
    np.testing.assert_allclose(mod.predict(raw), net.predict(norm.transform(raw)), rtol=TOL,
                               atol=TOL)
