"""``netcanvas lr-find``: on every shipped example (not digits_transfer, which starts from
trained weights) the rate it suggests, as printed, trains the example to its bar with
``netcanvas train``; the curve's CSV and PNG; bad usage."""

from __future__ import annotations

import csv
import io
import math
import re

import numpy as np
import pytest

from .conftest import EXAMPLES, read_metrics

# (example, last-row metric, bar, higher is better); the recommender's bar is relative.
BARS = [
    ("xor", "val_accuracy", 0.97, True),
    ("spiral", "val_accuracy", 0.95, True),
    ("iris", "val_accuracy", 0.93, True),
    ("digits_mlp", "val_accuracy", 0.96, True),
    ("regression", "val_loss", 0.05, False),
    ("digits_cnn", "val_accuracy", 0.98, True),
    ("sine_lstm", "val_loss", 0.01, False),
    ("recommender", "val_rmse", None, False),
]


def suggested(out: str) -> float:
    m = re.search(r"suggested learning rate: (\S+) ", out)
    assert m, out
    return float(m.group(1))


def recommender_bar() -> float:
    """30 % below the RMSE of predicting the training split's mean rating."""
    from nncore.project import load_project
    from nncore.run import prepare_data

    data = prepare_data(load_project(EXAMPLES / "recommender.json").data)
    y = data.val.y.astype(np.float64)
    return 0.7 * float(np.sqrt(np.mean((y - float(data.train.y.mean())) ** 2)))


@pytest.mark.parametrize("name, metric, bar, higher", BARS, ids=[b[0] for b in BARS])
def test_the_suggested_rate_trains_the_example_to_its_bar(cli, tmp_path, write_project,
                                                           name, metric, bar, higher):
    r = cli("lr-find", EXAMPLES / f"{name}.json")
    assert r.code == 0, r.err
    rate = suggested(r.out)
    project = write_project(name, lambda p: p["training"].update(learning_rate=rate))
    metrics = tmp_path / "m.csv"
    r = cli("train", project, "--quiet", "--metrics", metrics)
    assert r.code == 0, r.err
    value = float(read_metrics(metrics)[1][-1][metric])
    bar = recommender_bar() if bar is None else bar
    assert (value >= bar) if higher else (value <= bar), (name, rate, metric, value, bar)


def test_curve_csv_and_plot(cli, tmp_path):
    from PIL import Image

    project = EXAMPLES / "iris.json"
    before = project.read_bytes()
    out, plot = tmp_path / "curve.csv", tmp_path / "curve.png"
    r = cli("lr-find", project, "--out", out, "--plot", plot, "--start", "1e-5", "--end",
            "3", "--steps", "60")
    assert r.code == 0, r.err
    assert project.read_bytes() == before
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert list(rows[0]) == ["step", "learning_rate", "loss", "smoothed_loss"]
    assert 10 < len(rows) <= 60
    rates = np.array([float(row["learning_rate"]) for row in rows])
    assert rates[0] == pytest.approx(1e-5)
    np.testing.assert_allclose(rates[1:] / rates[:-1], (3 / 1e-5) ** (1 / 59), rtol=1e-9)
    assert all(math.isfinite(float(row["smoothed_loss"])) for row in rows)
    assert f"swept {len(rows)} of 60 steps from 1e-05" in r.out
    assert "curve written to" in r.out and "plot written to" in r.out
    rate = suggested(r.out)
    assert rates[0] <= rate <= rates[-1]
    with Image.open(plot) as image:
        assert image.format == "PNG" and image.size == (800, 500)
        pixels = np.asarray(image.convert("RGB")).reshape(-1, 3)
    # The raw and smoothed curves and the red suggestion marker are drawn.
    for color in [(160, 190, 230), (25, 70, 160), (210, 40, 40)]:
        near = np.abs(pixels.astype(int) - color).sum(axis=1) < 40
        assert near.sum() > 200, color


def test_no_suggestion_when_the_sweep_explodes_at_once(cli, tmp_path):
    out = tmp_path / "c.csv"
    r = cli("lr-find", EXAMPLES / "xor.json", "--start", "5", "--end", "1e6", "--steps",
            "30", "--out", out)
    assert r.code == 1, r.out + r.err
    assert "no rate to suggest" in r.out and "--start" in r.out
    assert out.exists()  # the curve shows why


@pytest.mark.parametrize("args, words", [
    (["--start", "0"], ["--start", "positive"]),
    (["--start", "1", "--end", "0.1"], ["--start", "larger end"]),
    (["--steps", "1"], ["--steps", "2 to 100,000"]),
    (["--rule", "median"], ["--rule", "invalid choice"]),
    (["--plot", "/no/such/folder/p.png"], ["--plot", "does not exist"]),
])
def test_bad_usage_is_refused(cli, args, words):
    r = cli("lr-find", EXAMPLES / "xor.json", *args)
    assert r.code == 2
    assert all(w in r.err for w in words), r.err
    assert "Traceback" not in r.err


def test_another_rule_and_a_refused_project(cli, write_project):
    r = cli("lr-find", EXAMPLES / "regression.json", "--rule", "minimum/10")
    assert r.code == 0 and "(minimum/10; the project uses 0.005)" in r.out
    bad = write_project("xor", lambda p: p["network"]["nodes"][-1]["params"].update(units=3))
    r = cli("lr-find", bad)
    assert r.code == 2 and "3 units" not in r.out and "dense2" in r.err
