"""``netcanvas trace``: the JSON it writes holds the values ``nncore.trace`` computes for the
sample of the project's data the options name, and bad usage is refused with exit code 2."""

from __future__ import annotations

import json

import numpy as np
import pytest

from .conftest import EXAMPLES


@pytest.fixture(scope="module")
def xor_weights(tmp_path_factory):
    from nncore.cli import main

    out = tmp_path_factory.mktemp("xor") / "xor.npz"
    assert main(["train", str(EXAMPLES / "xor.json"), "--epochs", "3", "--quiet",
                 "--out-weights", str(out)]) == 0
    return out


def _in_process_trace(project_path, weights_path, split, index):
    """The trace computed without the command: the pipeline's stages and trace_sample."""
    from nncore.project import load_project
    from nncore.run import build_network, check_run, network_inputs, prepare_data
    from nncore.trace import trace_sample
    from nncore.weights import load_into, read_weights

    project = load_project(project_path)
    data = prepare_data(project.data, project_path.parent)
    net = build_network(project)
    load_into(net, read_weights(weights_path, net.weight_shapes()))
    run = check_run(net, data, project.training)
    part = data.train if split == "train" else data.val
    return trace_sample(run.trainer, network_inputs(net, part.subset([index])),
                        part.y[index:index + 1]), part


@pytest.mark.parametrize("split, index", [("train", 0), ("val", 17)])
def test_trace_writes_the_engines_values(cli, tmp_path, xor_weights, split, index):
    out = tmp_path / "trace.json"
    r = cli("trace", EXAMPLES / "xor.json", "--weights", xor_weights, "--sample", index,
            "--split", split, "--output", out)
    assert r.code == 0, r.err
    assert f"sample {index} of the {split} split" in r.out and str(out) in r.out
    doc = json.loads(out.read_text())
    assert doc["format"] == "netcanvas-trace" and doc["version"] == 1
    assert doc["project"] == "XOR"
    trace, part = _in_process_trace(EXAMPLES / "xor.json", xor_weights, split, index)
    assert doc["sample"] == {"split": split, "index": index, "target": int(part.y[index]),
                             "class_name": part.class_names[int(part.y[index])]}
    assert doc["loss"]["value"] == pytest.approx(trace.loss, rel=1e-6)
    assert doc["optimizer"]["name"] == "adam" and doc["optimizer"]["step"] == 1
    assert doc["optimizer"]["learning_rate"] == 0.03
    assert [layer["id"] for layer in doc["layers"]] == [t.node_id for t in trace.layers]
    for got, want in zip(doc["layers"], trace.layers):
        np.testing.assert_array_equal(np.array(got["output"], np.float32), want.output)
        for name, update in want.updates.items():
            np.testing.assert_array_equal(np.array(got["updates"][name], np.float32), update)
        for name, grad in want.grad_weights.items():
            np.testing.assert_array_equal(np.array(got["grad_weights"][name], np.float32),
                                          grad)
    # The sample is the split's, normalized as in training.
    np.testing.assert_array_equal(np.array(doc["layers"][0]["output"], np.float32),
                                  part.X[index])


def test_trace_of_a_multi_input_recurrent_and_scheduled_project(cli, tmp_path,
                                                                 write_project):
    """Recommender ids (no input gradient) with a warm-up: the step's rate is the
    schedule's at step 0; an LSTM project traces too."""
    from nncore.cli import main

    def warm(p):
        p["training"]["warmup_epochs"] = 2.0
        p["training"]["epochs"] = 1

    project = write_project("recommender", warm)
    weights = tmp_path / "w.npz"
    assert main(["train", str(project), "--quiet", "--out-weights", str(weights)]) == 0
    out = tmp_path / "t.json"
    r = cli("trace", project, "--weights", weights, "--sample", 5, "--output", out)
    assert r.code == 0, r.err
    doc = json.loads(out.read_text())
    from nncore.project import load_project
    from nncore.run import prepare_data

    steps = -(-len(prepare_data(load_project(project).data).train.y) // 32)
    assert doc["optimizer"]["learning_rate"] == pytest.approx(0.01 / (2 * steps))
    user = next(layer for layer in doc["layers"] if layer["id"] == "user")
    assert user["grad_output"] is None and isinstance(user["output"][0], int)

    lstm = write_project("sine_lstm", lambda p: p["training"].update(epochs=1))
    weights = tmp_path / "s.npz"
    assert main(["train", str(lstm), "--quiet", "--out-weights", str(weights)]) == 0
    r = cli("trace", lstm, "--weights", weights, "--sample", 0, "--split", "val",
            "--output", out)
    assert r.code == 0, r.err
    doc = json.loads(out.read_text())
    assert doc["layers"][1]["type"] == "LSTM"
    assert np.array(doc["layers"][1]["grad_weights"]["U"]).shape == (16, 64)


@pytest.mark.parametrize("args, words", [
    (["--sample", "400"], ["--sample 400", "320 samples", "0 to 319"]),
    (["--sample", "-1"], ["--sample -1"]),
    (["--sample", "0", "--split", "test"], ["--split test", "no test split"]),
])
def test_bad_sample_or_split_is_refused(cli, tmp_path, xor_weights, args, words):
    out = tmp_path / "t.json"
    r = cli("trace", EXAMPLES / "xor.json", "--weights", xor_weights, "--output", out, *args)
    assert r.code == 2
    assert all(w in r.err for w in words), r.err
    assert "Traceback" not in r.err and not out.exists()


def test_weights_of_another_network_and_an_output_over_an_input_are_refused(
        cli, tmp_path, xor_weights):
    out = tmp_path / "t.json"
    r = cli("trace", EXAMPLES / "spiral.json", "--weights", xor_weights, "--sample", "0",
            "--output", out)
    assert r.code == 2 and "dense3/W" in r.err and not out.exists()
    r = cli("trace", EXAMPLES / "xor.json", "--weights", xor_weights, "--sample", "0",
            "--output", xor_weights)
    assert r.code == 2 and "--output" in r.err


def test_trace_and_lr_find_never_import_qt(tmp_path, xor_weights):
    import subprocess
    import sys

    from .conftest import ROOT

    code = f"""
import sys
from nncore.cli import main
code = main(["trace", {str(EXAMPLES / "xor.json")!r}, "--weights", {str(xor_weights)!r},
             "--sample", "1", "--output", {str(tmp_path / "t.json")!r}])
code += main(["lr-find", {str(EXAMPLES / "xor.json")!r}, "--plot",
              {str(tmp_path / "p.png")!r}])
bad = sorted(m for m in sys.modules
             if m.split(".")[0] in ("PySide6", "shiboken6", "pyqtgraph", "app"))
print("RESULT", code, bad)
"""
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=ROOT, timeout=120)
    assert "RESULT 0 []" in p.stdout, p.stdout + p.stderr
