"""``netcanvas train | summary | export | predict`` end to end.

References are computed independently of the command under test: predictions by a NumPy
forward pass written out here from the weights file and the saved normalization
statistics, parameter counts by hand, exported models through onnxruntime and by importing
the generated script.
"""

from __future__ import annotations

import importlib.util
import re
import signal
import subprocess
import sys
import threading

import numpy as np
import pytest

from nncore.weights import read_weights

from .conftest import EXAMPLES, ROOT, example, read_metrics, run_process

XOR = EXAMPLES / "xor.json"
DIGITS = EXAMPLES / "digits_mlp.json"
REGRESSION = EXAMPLES / "regression.json"


# -- independent reference ----------------------------------------------------------------

def _standardize(x: np.ndarray, w) -> np.ndarray:
    """Apply the normalization statistics saved in a weights file (float64, then float32;
    a feature with zero spread keeps scale 1)."""
    assert w.norm_mode == "standardize"
    mean = np.asarray(w.norm_arrays["mean"], np.float64)
    std = np.asarray(w.norm_arrays["std"], np.float64)
    return ((x.astype(np.float64) - mean) / np.where(std > 0, std, 1.0)).astype(np.float32)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _mlp(x: np.ndarray, a: dict, layers: list[tuple[str, str]]) -> np.ndarray:
    """Forward pass of a chain of Dense layers (W: (in, out)) in float64."""
    h = x.astype(np.float64)
    act = {"tanh": np.tanh, "relu": lambda v: np.maximum(v, 0.0), "linear": lambda v: v,
           "softmax": _softmax}
    for node, activation in layers:
        h = act[activation](h @ a[f"{node}/W"].astype(np.float64) + a[f"{node}/b"])
    return h


def _read_csv(path) -> tuple[list[str], list[list[str]]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return lines[0].split(","), [line.split(",") for line in lines[1:]]


def _same_arrays(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


# -- train: overrides and determinism ------------------------------------------------------

def test_epochs_and_seed_overrides_equal_editing_the_project(cli, tmp_path, write_project):
    w, m = tmp_path / "w.npz", tmp_path / "m.csv"
    r = cli("train", XOR, "--quiet", "--epochs", 7, "--seed", 3, "--out-weights", w,
            "--metrics", m)
    assert r.code == 0, r.err
    assert [int(row["epoch"]) for row in read_metrics(m)[1]] == list(range(1, 8))
    assert "epochs 7" in r.out
    # The same settings written into the project file give the very same weights...
    edited = write_project("xor", lambda p: p["training"].update(epochs=7, seed=3))
    assert cli("train", edited, "--quiet", "--out-weights", tmp_path / "ref.npz").code == 0
    assert _same_arrays(read_weights(w).arrays, read_weights(tmp_path / "ref.npz").arrays)
    # ...and the project's own seed (0) gives different ones.
    assert cli("train", XOR, "--quiet", "--epochs", 7, "--out-weights",
               tmp_path / "seed0.npz").code == 0
    assert not _same_arrays(read_weights(w).arrays, read_weights(tmp_path / "seed0.npz").arrays)


def test_same_seed_gives_bit_identical_weights_and_metrics(cli, tmp_path):
    runs = []
    for i in range(2):
        w, m = tmp_path / f"w{i}.npz", tmp_path / f"m{i}.csv"
        assert cli("train", EXAMPLES / "spiral.json", "--quiet", "--epochs", 15, "--seed", 11,
                   "--out-weights", w, "--metrics", m).code == 0
        runs.append((read_weights(w), m.read_bytes()))
    (a, ma), (b, mb) = runs
    assert _same_arrays(a.arrays, b.arrays)
    assert _same_arrays(a.norm_arrays, b.norm_arrays)
    assert ma == mb


# -- predict ----------------------------------------------------------------------------

def test_predict_matches_a_forward_pass_on_normalized_inputs(cli, tmp_path):
    w = tmp_path / "xor.npz"
    assert cli("train", XOR, "--quiet", "--out-weights", w).code == 0
    rng = np.random.default_rng(0)
    x = rng.uniform(-6, 6, size=(50, 2)).round(4)
    inputs = tmp_path / "inputs.csv"
    inputs.write_text("x1,x2\n" + "".join(f"{a:.17g},{b:.17g}\n" for a, b in x), encoding="utf-8")
    out = tmp_path / "pred.csv"
    r = cli("predict", XOR, "--weights", w, "--input", inputs, "--output", out)
    assert r.code == 0, r.err
    assert "50 predictions" in r.out

    wf = read_weights(w)
    expected = _mlp(_standardize(x, wf), wf.arrays, [("dense1", "tanh"), ("dense2", "softmax")])
    header, rows = _read_csv(out)
    names = wf.class_names
    assert len(names) == 2
    assert header == ["predicted_class"] + [f"p_{n}" for n in names]
    got = np.array([[float(v) for v in row[1:]] for row in rows])
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    clear = np.abs(expected[:, 0] - expected[:, 1]) > 1e-4
    assert clear.sum() > 40
    assert [row[0] for row, c in zip(rows, clear) if c] == \
        [names[i] for i in expected.argmax(axis=1)[clear]]
    # The XOR rule itself: same-sign quadrants against opposite-sign ones (away from axes).
    far = (np.abs(x) > 1.0).all(axis=1)
    truth = np.where(x[far, 0] * x[far, 1] > 0, "same sign", "opposite signs")
    assert np.mean(np.array([row[0] for row in rows])[far] == truth) > 0.95


def test_regression_predictions_are_in_the_original_target_units(cli, tmp_path,
                                                                 write_project):
    # y = 500 + 100 x1 - 50 x2: far from zero mean and unit spread, so predictions left in
    # standardized units would be off by hundreds.
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, size=(300, 2))
    y = 500 + 100 * x[:, 0] - 50 * x[:, 1] + rng.normal(0, 1.0, 300)
    (tmp_path / "linear.csv").write_text(
        "x1,x2,y\n" + "".join(f"{a:.17g},{b:.17g},{c:.17g}\n" for (a, b), c in zip(x, y)),
        encoding="utf-8")

    def edit(p):
        p["data"] = {"source": "file", "path": "linear.csv", "standardize_target": True,
                     "params": {"target": "y", "task": "regression"}}
        p["training"]["epochs"] = 100
    project = write_project("regression", edit)
    w = tmp_path / "w.npz"
    r = cli("train", project, "--quiet", "--out-weights", w)
    assert r.code == 0, r.err

    wf = read_weights(w)
    # The saved target statistics are those of the (training split of the) raw targets.
    assert abs(wf.meta["target_mean"][0] - y.mean()) < 0.15 * y.std()
    assert abs(wf.meta["target_std"][0] / y.std() - 1) < 0.15

    x_new = rng.uniform(-1, 1, size=(40, 2))
    (tmp_path / "new.csv").write_text(
        "x1,x2\n" + "".join(f"{a:.17g},{b:.17g}\n" for a, b in x_new), encoding="utf-8")
    out = tmp_path / "pred.csv"
    assert cli("predict", project, "--weights", w, "--input", tmp_path / "new.csv",
               "--output", out).code == 0
    header, rows = _read_csv(out)
    assert header == ["prediction"]
    got = np.array([float(row[0]) for row in rows])
    layers = [("dense1", "relu"), ("dense2", "relu"), ("dense3", "linear")]
    scaled = _mlp(_standardize(x_new, wf), wf.arrays, layers)[:, 0]
    expected = scaled * wf.meta["target_std"][0] + wf.meta["target_mean"][0]
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-3)
    truth = 500 + 100 * x_new[:, 0] - 50 * x_new[:, 1]
    assert np.sqrt(np.mean((got - truth) ** 2)) < 5.0  # the noise is 1.0, the spread ~60


# -- summary ----------------------------------------------------------------------------

def test_summary_lists_layers_shapes_and_parameter_counts(cli):
    r = cli("summary", DIGITS)
    assert r.code == 0, r.err
    rows = {}
    for line in r.out.splitlines():
        m = re.match(r"^(\w+)\s+(\w+)\s+(\(.*?\))\s+([\d,]+)$", line)
        if m:
            rows[m[1]] = (m[2], m[3], int(m[4].replace(",", "")))
    # 64 inputs -> Dense 64: 64*64 + 64; Dropout: none; Dense 10: 64*10 + 10.
    assert rows == {"input1": ("Input", "(64,)", 0),
                    "dense1": ("Dense", "(64,)", 64 * 64 + 64),
                    "dropout1": ("Dropout", "(64,)", 0),
                    "dense2": ("Dense", "(10,)", 64 * 10 + 10)}
    assert "Total params: 4,810" in r.out
    assert "Trainable params: 4,810" in r.out
    assert "Non-trainable params: 0" in r.out


# -- export -----------------------------------------------------------------------------

DIGITS_LAYERS = [("dense1", "relu"), ("dense2", "softmax")]


def _digits_inputs(n: int = 64) -> np.ndarray:
    from nncore.data import load_bundled

    return load_bundled("digits").X[:n].astype(np.float32)


def test_export_onnx_runs_in_onnxruntime_on_raw_inputs(cli, tmp_path, digits_weights):
    ort = pytest.importorskip("onnxruntime")
    out = tmp_path / "digits.onnx"
    r = cli("export", DIGITS, "--weights", digits_weights, "--onnx", out)
    assert r.code == 0, r.err
    x = _digits_inputs()
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    (got,) = sess.run(None, {sess.get_inputs()[0].name: x})
    wf = read_weights(digits_weights)
    expected = _mlp(_standardize(x, wf), wf.arrays, DIGITS_LAYERS)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def test_export_python_script_predicts_like_the_network(cli, tmp_path, digits_weights):
    folder = tmp_path / "exported"
    folder.mkdir()
    script = folder / "digits_model.py"
    r = cli("export", DIGITS, "--weights", digits_weights, "--python", script)
    assert r.code == 0, r.err
    # The script reads its weights from its own folder; the original is untouched.
    assert (folder / digits_weights.name).is_file()
    spec = importlib.util.spec_from_file_location("netcanvas_exported_digits", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    x = _digits_inputs()
    wf = read_weights(digits_weights)
    expected = _mlp(_standardize(x, wf), wf.arrays, DIGITS_LAYERS)
    np.testing.assert_allclose(module.predict(x), expected, rtol=1e-4, atol=1e-5)


def test_export_refuses_to_overwrite_the_weights(cli, tmp_path, digits_weights):
    before = digits_weights.read_bytes()
    r = cli("export", DIGITS, "--weights", digits_weights, "--onnx", digits_weights)
    assert r.code == 2
    assert "--weights" in r.err
    assert digits_weights.read_bytes() == before


# -- initial weights and transfer learning ----------------------------------------------

def test_init_weights_strict_load_starts_from_those_weights(cli, tmp_path, write_project):
    trained = tmp_path / "trained.npz"
    assert cli("train", XOR, "--quiet", "--out-weights", trained).code == 0
    # With a negligible learning rate one epoch leaves the weights where they were loaded.
    frozen_lr = write_project("xor", lambda p: p["training"].update(learning_rate=1e-9))
    again = tmp_path / "again.npz"
    m = tmp_path / "m.csv"
    r = cli("train", frozen_lr, "--quiet", "--epochs", 1, "--init-weights", trained,
            "--out-weights", again, "--metrics", m)
    assert r.code == 0, r.err
    a, b = read_weights(trained).arrays, read_weights(again).arrays
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_allclose(b[k], a[k], atol=1e-6)
    # A fresh start with the same settings is far from them, and far worse.
    scratch = tmp_path / "scratch.npz"
    m0 = tmp_path / "m0.csv"
    assert cli("train", frozen_lr, "--quiet", "--epochs", 1, "--out-weights", scratch,
               "--metrics", m0).code == 0
    assert not np.allclose(read_weights(scratch).arrays["dense1/W"], a["dense1/W"], atol=0.1)
    loaded_loss = float(read_metrics(m)[1][0]["train_loss"])
    fresh_loss = float(read_metrics(m0)[1][0]["train_loss"])
    assert loaded_loss < fresh_loss / 5


def test_init_weights_strict_load_refuses_another_networks_weights(cli, tmp_path,
                                                                    write_project,
                                                                    digits_weights):
    renamed = write_project("digits_mlp", _rename_output)
    r = cli("train", renamed, "--quiet", "--init-weights", digits_weights)
    assert r.code == 2
    assert str(digits_weights) in r.err
    assert "head/W" in r.err or "dense2/W" in r.err
    assert r.err.count("netcanvas: error:") == 1


def _rename_output(p: dict) -> None:
    """A transfer-learning variant of digits_mlp: the classifier head gets a new id (so it
    is not loaded) and a different activation; the hidden layer keeps its id and shape."""
    for node in p["network"]["nodes"]:
        if node["id"] == "dense2":
            node["id"] = "head"
    for edge in p["network"]["edges"]:
        for end in ("source", "target"):
            if edge[end] == "dense2":
                edge[end] = "head"
    p["training"]["epochs"] = 15


def test_partial_freeze_keeps_loaded_layers_bit_identical(cli, tmp_path, write_project,
                                                          digits_weights):
    project = write_project("digits_mlp", _rename_output)
    base = read_weights(digits_weights).arrays
    out, m = tmp_path / "frozen.npz", tmp_path / "m.csv"
    r = cli("train", project, "--quiet", "--init-weights", digits_weights, "--partial",
            "--freeze-loaded", "--out-weights", out, "--metrics", m)
    assert r.code == 0, r.err
    got = read_weights(out).arrays
    assert set(got) == {"dense1/W", "dense1/b", "head/W", "head/b"}
    assert np.array_equal(got["dense1/W"], base["dense1/W"])
    assert np.array_equal(got["dense1/b"], base["dense1/b"])
    assert got["dense1/W"].tobytes() == base["dense1/W"].tobytes()
    # The new head learned on top of the frozen features.
    assert float(read_metrics(m)[1][-1]["val_accuracy"]) >= 0.9

    # Without --freeze-loaded the loaded layer is trained further.
    out2 = tmp_path / "tuned.npz"
    assert cli("train", project, "--quiet", "--init-weights", digits_weights, "--partial",
               "--out-weights", out2).code == 0
    assert not np.array_equal(read_weights(out2).arrays["dense1/W"], base["dense1/W"])


def test_freeze_loaded_needs_partial_and_init_weights(cli, digits_weights):
    r = cli("train", DIGITS, "--freeze-loaded")
    assert r.code == 2 and "--init-weights" in r.err
    r = cli("train", DIGITS, "--init-weights", digits_weights, "--freeze-loaded")
    assert r.code == 2 and "--partial" in r.err


# -- real processes: Ctrl+C, divergence, exit codes, no Qt ---------------------------------

def test_ctrl_c_stops_cleanly_and_saves_the_epochs_so_far(tmp_path):
    w, m = tmp_path / "w.npz", tmp_path / "m.csv"
    proc = subprocess.Popen(
        [sys.executable, "-m", "nncore.cli", "train", str(XOR), "--epochs", "100000",
         "--out-weights", str(w), "--metrics", str(m)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    watchdog = threading.Timer(120, proc.kill)  # a hung process must not hang the suite
    watchdog.start()
    try:
        seen = []
        while True:
            line = proc.stderr.readline()
            if not line:
                break
            seen.append(line)
            if line.startswith("epoch "):
                break
        assert seen and seen[-1].startswith("epoch "), seen
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    err = "".join(seen) + err
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert "stopping" in err
    done = re.search(r"stopped by the user after (\d+) complete epoch", out)
    assert done, out
    n = int(done[1])
    assert 1 <= n < 100000
    header, rows = read_metrics(m)
    assert [int(row["epoch"]) for row in rows] == list(range(1, n + 1))
    wf = read_weights(w)
    assert set(wf.arrays) == {"dense1/W", "dense1/b", "dense2/W", "dense2/b"}
    assert all(np.isfinite(a).all() for a in wf.arrays.values())


def test_divergence_exits_1_naming_the_layer_and_writes_nothing(tmp_path, write_project):
    def edit(p):
        p["training"].update(learning_rate=1e6, optimizer="sgd", optimizer_params={})
    project = write_project("regression", edit)
    w, m = tmp_path / "w.npz", tmp_path / "m.csv"
    w.write_bytes(b"previous weights")
    m.write_bytes(b"previous metrics")
    r = run_process("train", project, "--quiet", "--out-weights", w, "--metrics", m)
    assert r.code == 1, r.err
    assert "Traceback" not in r.err
    assert r.err.count("netcanvas: error:") == 1
    assert "diverged" in r.err
    named = re.search(r"Dense '(\w+)'", r.err)
    assert named and named[1] in {n["id"] for n in example("regression")["network"]["nodes"]}
    assert w.read_bytes() == b"previous weights"
    assert m.read_bytes() == b"previous metrics"


def test_exit_codes_and_messages_of_a_real_process(tmp_path):
    ok = run_process("summary", XOR)
    assert ok.code == 0 and "Total params" in ok.out and ok.err == ""
    missing = run_process("train", tmp_path / "nothing.json")
    assert missing.code == 2
    assert missing.err.startswith("netcanvas: error:") and "nothing.json" in missing.err
    assert "Traceback" not in missing.err
    usage = run_process("train")
    assert usage.code == 2 and "usage:" in usage.err and "Traceback" not in usage.err
    assert run_process("--help").code == 0



def test_every_command_module_is_listed_in_help_and_reached_from_the_launcher(capsys):
    """A command is one module in nncore.cli.COMMANDS: its parser is in --help (in order)
    and ``netcanvas NAME`` goes to the command line, not the window."""
    from app.launcher import opens_window
    from nncore.cli import COMMAND_NAMES, COMMANDS, main

    names = list(COMMAND_NAMES)
    assert names[:4] == ["train", "summary", "export", "predict"]  # then added commands
    assert {"lint", "gradcheck", "lr-find", "trace", "explain", "evaluate", "sweep",
            "import", "data", "lessons", "lesson"} <= set(names)
    assert main(["--help"]) == 0
    listed = capsys.readouterr().out
    # (argparse puts the help of a long name such as gradcheck on the next line)
    at = [re.search(rf"^    {n}\s", listed, re.M).start() for n in names]
    assert at == sorted(at)
    for name, module in zip(names, COMMANDS):
        assert callable(module.add_parser) and callable(module.run)
        assert not opens_window([name]) and not opens_window([name, "project.json"])
        assert main([name, "--help"]) == 0
        assert capsys.readouterr().out.startswith(f"usage: netcanvas {name} ")

def test_the_cli_never_imports_qt(tmp_path, digits_weights):
    inputs = tmp_path / "x.csv"
    inputs.write_text("1,2\n3,4\n", encoding="utf-8")
    code = f"""
import sys
from nncore.cli import main
args = [
    ["train", {str(XOR)!r}, "--quiet", "--epochs", "2", "--out-weights",
     {str(tmp_path / 'w.npz')!r}],
    ["summary", {str(XOR)!r}],
    ["predict", {str(XOR)!r}, "--weights", {str(tmp_path / 'w.npz')!r}, "--input",
     {str(inputs)!r}, "--output", {str(tmp_path / 'p.csv')!r}],
    ["export", {str(DIGITS)!r}, "--weights", {str(digits_weights)!r}, "--onnx",
     {str(tmp_path / 'm.onnx')!r}],
    ["export", {str(DIGITS)!r}, "--weights", {str(digits_weights)!r}, "--python",
     {str(tmp_path / 'm.py')!r}],
]
codes = [main(a) for a in args]
bad = sorted(m for m in sys.modules
             if m.split(".")[0] in ("PySide6", "shiboken6", "pyqtgraph", "app"))
print("RESULT", codes, bad)
"""
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=ROOT, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "RESULT [0, 0, 0, 0, 0] []" in p.stdout, p.stdout + p.stderr


def test_metrics_csv_is_written_atomically_in_full(cli, tmp_path):
    m = tmp_path / "m.csv"
    m.write_text("old", encoding="utf-8")
    assert cli("train", XOR, "--quiet", "--epochs", 3, "--metrics", m).code == 0
    header, rows = read_metrics(m)
    assert len(rows) == 3
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_idx_labels_path_is_relative_to_the_project_folder(tmp_path, monkeypatch):
    """Both IDX files are found from the project's folder, whatever the working folder."""
    import struct

    from nncore.project import DataSpec
    from nncore.run import load_dataset

    images = np.arange(6 * 4 * 4, dtype=np.uint8).reshape(6, 4, 4)
    labels = np.array([0, 1, 2, 0, 1, 2], np.uint8)
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "img.idx3-ubyte").write_bytes(
        struct.pack(">BBBBIII", 0, 0, 0x08, 3, 6, 4, 4) + images.tobytes())
    (folder / "lab.idx1-ubyte").write_bytes(
        struct.pack(">BBBBI", 0, 0, 0x08, 1, 6) + labels.tobytes())
    monkeypatch.chdir(tmp_path)  # not the project folder
    spec = DataSpec(source="file", path="img.idx3-ubyte",
                    params={"labels_path": "lab.idx1-ubyte"})
    ds = load_dataset(spec, folder)
    assert ds.X.shape == (6, 1, 4, 4)
    np.testing.assert_array_equal(ds.y, labels)
