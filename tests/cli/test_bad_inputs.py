"""Bad input never crashes the command line: exit code 2, one ``netcanvas: error:`` line
naming the file and the field or line, no traceback, no hang, and nothing already on disk
damaged. The static cases are in ``corpus/`` (see its README); the rest are generated here.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

from nncore.network import Network
from nncore.project import load_project
from nncore.weights import save_weights

from .conftest import CORPUS, EXAMPLES, run_process

XOR = EXAMPLES / "xor.json"
SENTINEL_WEIGHTS = b"weights from an earlier run"
SENTINEL_METRICS = b"epoch,train_loss\n1,0.5\n"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def outputs(tmp_path):
    """Pre-existing --out-weights and --metrics files that a failed run must not touch."""
    w, m = tmp_path / "previous.npz", tmp_path / "previous.csv"
    w.write_bytes(SENTINEL_WEIGHTS)
    m.write_bytes(SENTINEL_METRICS)
    yield ["--out-weights", w, "--metrics", m]
    assert w.read_bytes() == SENTINEL_WEIGHTS
    assert m.read_bytes() == SENTINEL_METRICS
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def assert_clean_failure(r, *fragments: str, code: int = 2) -> None:
    """Exit ``code``, stderr is exactly one error line holding every fragment."""
    assert r.code == code, (r.code, r.err)
    assert "Traceback" not in r.err
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r.err
    assert lines[0].startswith("netcanvas: error: ")
    for f in fragments:
        assert f in lines[0], f"{f!r} not in {lines[0]!r}"


# -- the static corpus -------------------------------------------------------------------

CORPUS_CASES = [
    ("truncated.json", ["not valid JSON", "line "]),
    ("empty.json", ["empty"]),
    ("not_an_object.json", ["JSON object"]),
    ("units_text.json", ["network.nodes[1].params.units", "'abc'"]),
    ("shape_zero.json", ["network.nodes[0].params.shape", "[0]"]),
    ("epochs_negative.json", ["training.epochs", "-1"]),
    ("learning_rate_text.json", ["training.learning_rate", "'fast'"]),
    ("unknown_layer.json", ["network.nodes[1].type", "Convolution9D"]),
    ("cycle.json", ["cycle", "dense1", "dense2"]),
    ("no_network.json", ["network:"]),
    ("node_without_id.json", ["network.nodes[1].id", "missing"]),
    ("node_without_type.json", ["network.nodes[1].type", "missing"]),
    ("units_absurd.json", ["network.nodes[1].params.units", "1000000000000"]),
    ("network_too_large.json", ["Dense 'wide'", "3,600,060,000", "50,000,000"]),
    ("newer_version.json", ["version", "newer", "99"]),
    ("csv_nan.json", ["csv_nan.csv", "line 5", "'x2'"]),
    ("csv_text.json", ["csv_text.csv", "line 4", "'x2'", "twelve"]),
    ("csv_empty.json", ["csv_empty.csv", "empty"]),
    ("missing_data.json", ["data.path", "no_such_file.csv"]),
]


def test_corpus_is_complete():
    files = {p.name for p in CORPUS.glob("*.json")}
    assert files == {name for name, _ in CORPUS_CASES}


@pytest.mark.parametrize("name, fragments", CORPUS_CASES, ids=[c[0] for c in CORPUS_CASES])
def test_corpus_project_fails_cleanly(cli, outputs, name, fragments):
    project = CORPUS / name
    before = _digest(project)
    r = cli("train", project, "--quiet", *outputs)
    assert_clean_failure(r, str(project), *fragments)
    assert r.steps == 0
    assert _digest(project) == before


@pytest.mark.parametrize("name", ["truncated.json", "cycle.json", "network_too_large.json",
                                  "csv_nan.json"])
def test_corpus_in_a_real_process(tmp_path, name):
    r = run_process("train", CORPUS / name, "--out-weights", tmp_path / "w.npz")
    assert_clean_failure(r, str(CORPUS / name))
    assert not (tmp_path / "w.npz").exists()


@pytest.mark.parametrize("name", ["truncated.json", "unknown_layer.json", "newer_version.json"])
def test_corpus_summary_and_predict_fail_cleanly(cli, tmp_path, name):
    assert_clean_failure(cli("summary", CORPUS / name), name)
    out = tmp_path / "pred.csv"
    r = cli("predict", CORPUS / name, "--weights", CORPUS / "empty_weights.npz",
            "--input", CORPUS / "csv_nan.csv", "--output", out)
    assert_clean_failure(r, name)
    assert not out.exists()


# -- generated project files -------------------------------------------------------------

def test_deeply_nested_json(cli, tmp_path, outputs):
    p = tmp_path / "deep.json"
    p.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    assert_clean_failure(cli("train", p, *outputs), "deep.json", "nested too deeply")


def test_binary_file_as_project(cli, tmp_path, outputs):
    p = tmp_path / "image.json"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    assert_clean_failure(cli("train", p, *outputs), "image.json", "not a text file")


def test_missing_project_file(cli, tmp_path, outputs):
    assert_clean_failure(cli("train", tmp_path / "absent.json", *outputs), "absent.json")


def test_images_of_mixed_sizes_without_a_size(cli, tmp_path, write_project, outputs):
    from PIL import Image

    for cls, sizes in (("circle", [(8, 8), (8, 8)]), ("square", [(8, 8), (12, 10)])):
        (tmp_path / "images" / cls).mkdir(parents=True)
        for i, size in enumerate(sizes):
            Image.new("L", size, color=40 * i).save(tmp_path / "images" / cls / f"{i}.png")
    project = write_project("xor", lambda p: p.update(data={"source": "file",
                                                            "path": "images"}))
    r = cli("train", project, *outputs)
    assert_clean_failure(r, str(project), "different sizes", "size")


# -- weights files -----------------------------------------------------------------------

class _Canary:
    """Unpickling this creates a folder: proof that something unpickled the file."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return (os.mkdir, (self.path,))


def _network(example: str) -> Network:
    return Network(load_project(EXAMPLES / f"{example}.json").graph, seed=0)


def _weights_cases(tmp_path: Path) -> dict[str, tuple[Path, list[str]]]:
    """name -> (weights file, fragments of the expected message)."""
    canary = tmp_path / "UNPICKLED"
    cases: dict[str, tuple[Path, list[str]]] = {}

    p = tmp_path / "pickled.npz"  # a pickle renamed to .npz
    p.write_bytes(pickle.dumps({"dense1/W": _Canary(canary), "dense1/b": np.zeros(8)}))
    cases["pickle"] = (p, ["not a NetCanvas weights file"])

    p = tmp_path / "object_array.npz"  # a real .npz whose array is pickled objects
    np.savez(p, **{"dense1/W": np.array([_Canary(canary)], dtype=object)})
    cases["object array"] = (p, ["holds Python objects", "nothing is unpickled"])

    p = tmp_path / "huge_header.npz"  # an array header claiming 40 GB, 16 bytes of data
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (10_000_000_000,)})
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("dense1/W.npy", header.getvalue() + bytes(16))
    cases["lying header"] = (p, ["dense1/W", "damaged"])

    net = _network("xor")
    net.params_flat[:3] = np.nan
    p = tmp_path / "nan.npz"
    save_weights(p, net)
    cases["NaN"] = (p, ["NaN"])

    p = tmp_path / "newer.npz"
    arrays = dict(_network("xor").get_weights())
    np.savez(p, __meta__=np.array(json.dumps({"format": "netcanvas-weights", "version": 7})),
             **arrays)
    cases["newer version"] = (p, ["newer", "7"])

    p = tmp_path / "bad_meta.npz"
    np.savez(p, __meta__=np.array(json.dumps({"format": "netcanvas-weights", "version": 1,
                                              "class_names": 5})), **arrays)
    cases["bad metadata"] = (p, ["class_names"])

    p = tmp_path / "plain.npz"  # arrays but no metadata
    np.savez(p, **arrays)
    cases["no metadata"] = (p, ["__meta__"])

    p = tmp_path / "spiral.npz"  # another project: an extra layer
    save_weights(p, _network("spiral"))
    cases["other names"] = (p, ["dense3/W", "does not have"])

    p = tmp_path / "digits.npz"  # another project: same names, other shapes
    save_weights(p, _network("digits_mlp"))
    cases["other shapes"] = (p, ["dense1/W", "(64, 64)"])

    cases["empty"] = (CORPUS / "empty_weights.npz", ["empty"])
    cases["missing"] = (tmp_path / "absent.npz", ["not found"])
    return cases


WEIGHT_CASES = ["pickle", "object array", "lying header", "NaN", "newer version",
                "bad metadata", "no metadata", "other names", "other shapes", "empty",
                "missing"]


def test_canary_payload_is_live(tmp_path):
    probe = tmp_path / "probe"
    pickle.loads(pickle.dumps(_Canary(probe)))
    assert probe.is_dir()


@pytest.mark.parametrize("case", WEIGHT_CASES)
def test_bad_weights_fail_cleanly(cli, tmp_path, outputs, case):
    path, fragments = _weights_cases(tmp_path)[case]
    bad = {"bad metadata"}  # metadata only matters when predicting
    if case not in bad:
        r = cli("train", XOR, "--quiet", "--init-weights", path, *outputs)
        assert_clean_failure(r, str(path), *fragments)
    inputs = tmp_path / "x.csv"
    inputs.write_text("x1,x2\n1,2\n", encoding="utf-8")
    out = tmp_path / "pred.csv"
    out.write_bytes(b"old predictions")
    r = cli("predict", XOR, "--weights", path, "--input", inputs, "--output", out)
    assert_clean_failure(r, str(path), *fragments)
    assert out.read_bytes() == b"old predictions"
    onnx = tmp_path / "m.onnx"
    assert_clean_failure(cli("export", XOR, "--weights", path, "--onnx", onnx), str(path))
    assert not onnx.exists()
    assert not (tmp_path / "UNPICKLED").exists()


def test_partial_load_with_nothing_in_common(cli, tmp_path, outputs, write_project):
    def rename(p):
        ids = {"dense1": "hidden", "dense2": "out"}
        for n in p["network"]["nodes"]:
            n["id"] = ids.get(n["id"], n["id"])
        for e in p["network"]["edges"]:
            e["source"], e["target"] = ids.get(e["source"], e["source"]), ids.get(
                e["target"], e["target"])
    other = tmp_path / "renamed.npz"
    save_weights(other, Network(load_project(write_project("xor", rename)).graph))
    r = cli("train", XOR, "--init-weights", other, "--partial", *outputs)
    assert_clean_failure(r, str(other), "no layer")


def test_pickle_is_refused_in_a_real_process(tmp_path):
    path, _ = _weights_cases(tmp_path)["pickle"]
    r = run_process("train", XOR, "--init-weights", path, "--out-weights", tmp_path / "w.npz")
    assert_clean_failure(r, str(path), "not a NetCanvas weights file")
    assert not (tmp_path / "UNPICKLED").exists()
    assert not (tmp_path / "w.npz").exists()


# -- inputs to predict -------------------------------------------------------------------

@pytest.fixture(scope="module")
def xor_weights(tmp_path_factory) -> Path:
    from nncore.cli import main

    w = tmp_path_factory.mktemp("xor") / "xor.npz"
    assert main(["train", str(XOR), "--quiet", "--epochs", "3", "--out-weights", str(w)]) == 0
    return w


@pytest.mark.parametrize("text, fragments", [
    ("x1,x2\n1,2\n3,NaN\n", ["line 3", "'x2'"]),
    ("x1,x2\n1,2\nthree,4\n", ["line 3", "'x1'", "three"]),
    ("x1,x2,x3\n1,2,3\n", ["2 feature", "(3,)"]),
    ("", ["empty"]),
], ids=["nan", "text", "columns", "empty"])
def test_bad_prediction_inputs(cli, tmp_path, xor_weights, text, fragments):
    inputs = tmp_path / "inputs.csv"
    inputs.write_text(text, encoding="utf-8")
    out = tmp_path / "pred.csv"
    r = cli("predict", XOR, "--weights", xor_weights, "--input", inputs, "--output", out)
    assert_clean_failure(r, "inputs.csv", *fragments)
    assert not out.exists()


# -- output paths ------------------------------------------------------------------------

def test_outputs_in_a_missing_folder(cli, tmp_path, xor_weights):
    missing = tmp_path / "no" / "such" / "folder"
    for args, option in [
        (["train", XOR, "--out-weights", missing / "w.npz"], "--out-weights"),
        (["train", XOR, "--metrics", missing / "m.csv"], "--metrics"),
        (["predict", XOR, "--weights", xor_weights, "--input", CORPUS / "csv_nan.csv",
          "--output", missing / "p.csv"], "--output"),
        (["export", XOR, "--weights", xor_weights, "--onnx", missing / "m.onnx"], "--onnx"),
        (["export", XOR, "--weights", xor_weights, "--python", missing / "m.py"], "--python"),
    ]:
        r = cli(*args)
        assert_clean_failure(r, option, str(missing), "does not exist")
        assert r.steps == 0  # refused before any training
    assert not (tmp_path / "no").exists()


def test_outputs_that_would_overwrite_an_input(cli, tmp_path, write_project, xor_weights):
    project = write_project("xor")
    before = _digest(project)
    assert_clean_failure(cli("train", project, "--out-weights", project), "project file")
    assert_clean_failure(cli("train", project, "--metrics", project), "project file")
    w_before = _digest(xor_weights)
    assert_clean_failure(cli("train", project, "--init-weights", xor_weights, "--metrics",
                             xor_weights), "--init-weights")
    inputs = tmp_path / "x.csv"
    inputs.write_text("1,2\n", encoding="utf-8")
    assert_clean_failure(cli("predict", project, "--weights", xor_weights, "--input", inputs,
                             "--output", inputs), "--input")
    assert_clean_failure(cli("train", project, "--out-weights", tmp_path), "folder")
    assert _digest(project) == before
    assert _digest(xor_weights) == w_before
    assert inputs.read_text(encoding="utf-8") == "1,2\n"


def test_bad_option_values(cli, outputs):
    assert_clean_failure(cli("train", XOR, "--epochs", 0, *outputs), "--epochs")
    assert_clean_failure(cli("train", XOR, "--epochs", 10**9, *outputs), "--epochs")
    assert_clean_failure(cli("train", XOR, "--seed", -1, *outputs), "--seed")


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_output_folder_that_cannot_be_written(cli, tmp_path):
    # /proc refuses new files even for root, for whom permission bits do not apply.
    r = cli("train", XOR, "--out-weights", "/proc/netcanvas-test.npz")
    assert_clean_failure(r, "--out-weights", "cannot write", "/proc")
    assert r.steps == 0  # refused before training


def test_data_with_a_single_class(cli, tmp_path, write_project, outputs):
    (tmp_path / "one.csv").write_text(
        "x1,x2,label\n" + "".join(f"{i},{i % 3},only\n" for i in range(20)), encoding="utf-8")
    project = write_project("xor", lambda p: p.update(data={
        "source": "file", "path": "one.csv", "params": {"target": "label"}}))
    assert_clean_failure(cli("train", project, *outputs), str(project), "single class",
                         "'only'")


def test_initial_weights_that_do_not_fit_are_named_not_the_project(cli, tmp_path, outputs,
                                                                 xor_weights, write_project):
    """An error about the --init-weights file starts with that file (the project file is
    named only in errors about the project)."""
    project = write_project("xor", lambda p: p["network"]["nodes"][1]["params"].update(
        units=5))
    r = cli("train", project, "--quiet", "--init-weights", xor_weights, *outputs)
    assert_clean_failure(r, "dense1")
    assert r.err.startswith(f"netcanvas: error: {xor_weights}: ")


@pytest.mark.parametrize("training, fragments", [
    ({"epochs": True}, ["training.epochs", "positive integer", "True"]),
    ({"warmup": 2}, ["training.warmup", "unknown field", "warmup_epochs"]),
    ({"optimizer": "adamax"}, ["training.optimizer", "'adam'", "'adamax'"]),
    ({"optimizer_params": [1]}, ["training.optimizer_params", "object", "[1]"]),
    ({"optimizer_params": {"beta1": 2}}, ["training.optimizer_params.beta1", "adam",
                                          "between 0 and 0.9999", "2"]),
    ({"optimizer": "sgd", "optimizer_params": {"beta1": 0.9}},
     ["training.optimizer_params.beta1", "sgd", "unknown parameter 'beta1'"]),
    ({"schedule": "step", "schedule_params": {"gamma": 1.5}},
     ["training.schedule_params.gamma", "step", "1.5"]),
    ({"loss_params": {"delta": 1.0}}, ["training.loss_params.delta",
                                       "categorical_crossentropy", "'delta'"]),
])
def test_bad_training_settings_name_their_path_and_value(cli, write_project, outputs,
                                                         training, fragments):
    project = write_project("xor", lambda p: p["training"].update(training))
    assert_clean_failure(cli("train", project, *outputs), str(project), *fragments)
