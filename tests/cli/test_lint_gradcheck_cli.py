"""``netcanvas lint`` and ``netcanvas gradcheck``: output and exit codes (0 clean or
passed, 1 findings or a failed check, 2 bad usage or input, one message and no traceback)."""

from __future__ import annotations

import numpy as np
import pytest

from nncore.layers.core import Dense

from .conftest import EXAMPLES, run_process


def _no_traceback(r):
    assert "Traceback" not in r.err and r.err.startswith("netcanvas: error: ")
    assert len(r.err.strip().splitlines()) == 1


# -- lint ---------------------------------------------------------------------------------

def test_lint_a_clean_project(cli):
    r = cli("lint", EXAMPLES / "iris.json")
    assert (r.code, r.out.strip(), r.err) == (0, f"{EXAMPLES / 'iris.json'}: no findings", "")


def test_lint_prints_one_line_per_finding_and_exits_1(cli, write_project):
    def edit(p):
        p["training"].update(loss="mse", learning_rate=5.0, batch_size=400)
        p["network"]["nodes"][1]["params"]["activation"] = "linear"

    r = cli("lint", write_project("xor", edit))
    assert r.code == 1 and r.err == ""
    lines = r.out.strip().splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("error: node 'dense2', training.loss: the data holds 2 "
                               "classes and the loss is mean squared error. Why: ")
    assert all(". Why: " in line and ". Fix: " in line for line in lines)
    assert {line.split(":")[0] for line in lines} == {"error", "warning"}
    assert any(line.startswith("warning: training.learning_rate: ") for line in lines)
    assert any(line.startswith("warning: node 'dense1': Dense 'dense1' has no activation")
               for line in lines)


def test_lint_without_its_data_prints_a_note_and_exits_0(cli, write_project):
    def edit(p):
        p["data"] = {"source": "file", "path": "missing.csv"}

    r = cli("lint", write_project("xor", edit))
    assert r.code == 0
    assert r.out.startswith("note: data: the data was not loaded (data.path: 'missing.csv' "
                            "not found")


@pytest.mark.parametrize("content", ["{", '{"format": "netcanvas-project", "version": 99}'])
def test_lint_bad_project_file_exits_2(cli, tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    r = cli("lint", path)
    assert r.code == 2 and r.out == ""
    _no_traceback(r)


def test_lint_as_a_process():
    r = run_process("lint", EXAMPLES / "spiral.json")
    assert r.code == 0 and "no findings" in r.out


# -- gradcheck ------------------------------------------------------------------------------

def test_gradcheck_passes_and_prints_the_table(cli):
    r = cli("gradcheck", EXAMPLES / "xor.json", "--samples", "5", "--seed", "7")
    assert r.code == 0 and r.err == ""
    lines = r.out.strip().splitlines()
    assert lines[0].split() == ["layer", "array", "checked", "kinks", "max", "rel", "error",
                                "worst", "index", "backprop", "numerical"]
    assert [line.split()[:2] for line in lines[1:-1]] == [
        ["dense1", "W"], ["dense1", "b"], ["dense1", "input"], ["dense2", "W"],
        ["dense2", "b"], ["dense2", "input"]]
    assert lines[2].split()[2] == "8/8" and lines[3].split()[2] == "10/10"  # 5 samples x 2
    assert lines[-1].startswith("passed: every relative error is within 1e-05 on 5 samples")


def test_gradcheck_fails_with_exit_1_naming_the_layer(cli, monkeypatch):
    original = Dense.backward

    def wrong(self, grad):
        gin = original(self, grad)
        if self.name == "dense2":
            self.grads["W"] *= 0.9
        return gin

    monkeypatch.setattr(Dense, "backward", wrong)
    r = cli("gradcheck", EXAMPLES / "iris.json")
    assert r.code == 1
    assert r.out.strip().splitlines()[-1].startswith(
        "FAILED: 1 of 6 arrays exceed 1e-05; back-propagation first goes wrong at layer "
        "'dense2', W (relative error 1.")


def test_gradcheck_at_given_weights(cli, digits_weights):
    r = cli("gradcheck", EXAMPLES / "digits_mlp.json", "--weights", digits_weights,
            "--samples", "4")
    assert r.code == 0 and "passed" in r.out


@pytest.mark.parametrize("args,message", [
    (["--samples", "0"], "--samples must be at least 1, got 0"),
    (["--samples", "100000"], "cannot check 100000 samples: the training split has 320"),
    (["--seed", "-1"], "--seed must be between 0 and 2^32-1"),
    (["--weights", "nowhere.npz"], "nowhere.npz"),
])
def test_gradcheck_bad_usage_exits_2(cli, args, message):
    r = cli("gradcheck", EXAMPLES / "xor.json", *args)
    assert r.code == 2 and r.out == "" and message in r.err
    _no_traceback(r)


def test_gradcheck_weights_of_another_network_exit_2(cli, tmp_path):
    w = tmp_path / "w.npz"
    np.savez(w, **{"dense1/W": np.zeros((3, 3), np.float32)})
    r = cli("gradcheck", EXAMPLES / "xor.json", "--weights", w)
    assert r.code == 2 and str(w) in r.err
    _no_traceback(r)


def test_gradcheck_project_whose_data_does_not_fit_exits_2(cli, write_project):
    def edit(p):
        p["network"]["nodes"][0]["params"]["shape"] = [3]

    r = cli("gradcheck", write_project("xor", edit))
    assert r.code == 2 and "xor.json: Input 'input1': expects samples of shape (3,)" in r.err
    _no_traceback(r)
