"""A network whose single Input carries integer ids (it feeds an Embedding), trained by
`netcanvas train` (which saves a normalizer of mode "none" for it), exports to ONNX and to
a Python script, and both predict what the engine predicts."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import onnxruntime as ort
import pytest

from nncore.cli import main as cli
from nncore.project import load_project
from nncore.run import build_network
from nncore.weights import load_into, read_weights


@pytest.fixture
def id_project(tmp_path):
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 10, size=(200, 3))
    rows = ["a,b,c,label"] + [f"{a},{b},{c},{int(a + b + c > 13)}" for a, b, c in ids]
    (tmp_path / "ids.csv").write_text("\n".join(rows) + "\n")
    nodes = [("ids", "Input", {"shape": [3]}), ("emb", "Embedding",
             {"input_dim": 10, "output_dim": 4}), ("flat", "Flatten", {}),
             ("out", "Dense", {"units": 2, "activation": "softmax"})]
    project = {
        "format": "netcanvas-project", "version": 1, "name": "ids",
        "network": {"nodes": [{"id": i, "type": t, "params": p, "position": [200 * k, 0]}
                              for k, (i, t, p) in enumerate(nodes)],
                    "edges": [{"source": a[0], "target": b[0]}
                              for a, b in zip(nodes, nodes[1:])]},
        "data": {"source": "file", "path": "ids.csv", "normalization": "none",
                 "params": {"target": "label"}},
        "training": {"loss": "categorical_crossentropy", "epochs": 3, "seed": 1},
    }
    path = tmp_path / "ids.json"
    path.write_text(json.dumps(project))
    assert cli(["train", str(path), "--quiet", "--out-weights", str(tmp_path / "w.npz")]) == 0
    return path


def test_id_input_network_exports_to_onnx_and_python(id_project, tmp_path):
    weights = tmp_path / "w.npz"
    assert read_weights(weights).norm_mode == "none"
    assert cli(["export", str(id_project), "--weights", str(weights), "--onnx",
                str(tmp_path / "m.onnx")]) == 0
    assert cli(["export", str(id_project), "--weights", str(weights), "--python",
                str(tmp_path / "m.py")]) == 0
    net = build_network(load_project(id_project))
    load_into(net, read_weights(weights))
    net.set_fused_output(True)
    x = np.array([[1, 2, 3], [9, 9, 9], [0, 5, 7]])
    want = net.predict(x)
    sess = ort.InferenceSession(str(tmp_path / "m.onnx"))
    feed = {sess.get_inputs()[0].name: x.astype(np.int64)}
    np.testing.assert_allclose(sess.run(None, feed)[0], want, rtol=1e-5, atol=1e-6)
    np.save(tmp_path / "x.npy", x)
    r = subprocess.run([sys.executable, str(tmp_path / "m.py"), str(tmp_path / "x.npy")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    got = np.array([[float(v) for v in line.split(",")[:2]]
                    for line in r.stdout.strip().splitlines()[1:]])
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
