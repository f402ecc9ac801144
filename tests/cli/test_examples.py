"""Every example project trains to its documented bar with ``netcanvas train``; the bars are
read from the ``--metrics`` CSV the command writes."""

from __future__ import annotations

import math

import pytest

from .conftest import EXAMPLES, example, read_metrics

CLASSIFICATION_COLUMNS = ["epoch", "train_loss", "val_loss", "train_accuracy", "val_accuracy"]

# (example, metric read from the last CSV row, bar, higher is better)
BARS = [
    ("xor", "val_accuracy", 0.97, True),
    ("spiral", "val_accuracy", 0.95, True),
    ("iris", "val_accuracy", 0.93, True),
    ("digits_mlp", "val_accuracy", 0.96, True),
    ("regression", "val_loss", 0.05, False),
]


@pytest.mark.parametrize("name, metric, bar, higher", BARS, ids=[b[0] for b in BARS])
def test_example_trains_to_its_bar(cli, tmp_path, name, metric, bar, higher):
    metrics = tmp_path / "metrics.csv"
    r = cli("train", EXAMPLES / f"{name}.json", "--quiet", "--metrics", metrics)
    assert r.code == 0, r.err
    assert r.steps > 0
    header, rows = read_metrics(metrics)
    epochs = example(name)["training"]["epochs"]
    # One row per epoch, numbered 1..epochs, every value a finite number.
    assert [int(row["epoch"]) for row in rows] == list(range(1, epochs + 1))
    for row in rows:
        assert all(math.isfinite(float(v)) for v in row.values()), row
    if example(name)["training"]["loss"] == "categorical_crossentropy":
        assert header == CLASSIFICATION_COLUMNS
        assert all(0.0 <= float(row["val_accuracy"]) <= 1.0 for row in rows)
    else:
        assert header[:3] == ["epoch", "train_loss", "val_loss"]
    value = float(rows[-1][metric])
    if higher:
        assert value >= bar, f"{name}: final {metric} {value:.4f} < {bar}"
    else:
        assert value <= bar, f"{name}: final {metric} {value:.4f} > {bar}"
    # The summary line on stdout reports the same final value as the CSV's last row.
    assert f"{metric} {value:.4f}" in r.out
