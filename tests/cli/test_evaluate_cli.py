"""``netcanvas evaluate``: the printed and JSON results are the engine's evaluation of the
weights on the chosen split (recomputed here), and a missing split exits 2."""

from __future__ import annotations

import json

import numpy as np

from nncore.project import load_project
from nncore.run import build_network, prepare_data
from nncore.weights import load_into, read_weights

from .conftest import EXAMPLES

DIGITS = EXAMPLES / "digits_mlp.json"


def test_evaluate_prints_and_writes_the_confusion_matrix_and_class_table(
        cli, tmp_path, digits_weights):
    out = tmp_path / "r.json"
    r = cli("evaluate", DIGITS, "--weights", digits_weights, "--output", out)
    assert r.code == 0, r.err
    assert "confusion matrix" in r.out and "precision" in r.out and "macro" in r.out
    result = json.loads(out.read_text())
    project = load_project(DIGITS)
    net = build_network(project)
    load_into(net, read_weights(digits_weights))
    data = prepare_data(project.data)
    pred = net.predict(data.val.X).argmax(axis=1)
    confusion = np.zeros((10, 10), int)
    for t, p in zip(data.val.y, pred):
        confusion[t, p] += 1
    assert result["confusion"] == confusion.tolist()
    assert result["n"] == len(data.val.y) and result["split"] == "val"
    assert result["metrics"]["accuracy"] == np.mean(pred == data.val.y)
    assert [c["support"] for c in result["per_class"]] == confusion.sum(axis=1).tolist()
    assert f"accuracy {np.mean(pred == data.val.y):.4f}" in r.out


def test_train_split_and_missing_test_split(cli, tmp_path, digits_weights):
    r = cli("evaluate", DIGITS, "--weights", digits_weights, "--split", "train")
    assert r.code == 0 and r.out.startswith("train: ")
    r = cli("evaluate", DIGITS, "--weights", digits_weights, "--split", "test")
    assert r.code == 2 and "no test split" in r.err
    r = cli("evaluate", DIGITS, "--weights", digits_weights, "--output", digits_weights)
    assert r.code == 2 and "--weights" in r.err
