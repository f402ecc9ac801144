"""``netcanvas sweep``: a 2x2 grid writes 4 rows whose metrics equal single ``netcanvas
train`` runs of the same settings and seed; bad values are refused before any run, naming
the --set and the value; Ctrl+C writes the rows so far."""

from __future__ import annotations

import csv
import signal
import subprocess
import sys
import threading

from .conftest import EXAMPLES, ROOT, read_metrics

XOR = EXAMPLES / "xor.json"


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_a_2x2_grid_equals_four_single_runs(cli, tmp_path, write_project):
    out = tmp_path / "results.csv"
    r = cli("sweep", XOR, "--set", "training.learning_rate=0.01,0.05", "--set",
            "network.nodes.dense1.params.units=3,8", "--epochs", "6", "--seed", "4",
            "--out", out)
    assert r.code == 0, r.err
    assert "4 of 4 runs written" in r.out
    rows = read_rows(out)
    assert len(rows) == 4
    for row in rows:
        lr = float(row["training.learning_rate"])
        units = int(row["network.nodes.dense1.params.units"])

        def edit(p, lr=lr, units=units):
            p["training"]["learning_rate"] = lr
            p["network"]["nodes"][1]["params"]["units"] = units
        project = write_project("xor", edit, filename=f"xor_{lr}_{units}.json")
        metrics = tmp_path / f"m_{lr}_{units}.csv"
        assert cli("train", project, "--quiet", "--epochs", "6", "--seed", "4",
                   "--metrics", metrics).code == 0
        _, epochs = read_metrics(metrics)
        last = epochs[-1]
        for key in ("train_loss", "val_loss", "train_accuracy", "val_accuracy"):
            assert row[f"final_{key}"] == last[key], (row, key)
        assert row["status"] == "completed" and row["epochs"] == "6"
        best = int(row["best_epoch"])
        assert row["best_val_loss"] == epochs[best - 1]["val_loss"]
        assert min(float(e["val_loss"]) for e in epochs) == float(row["best_val_loss"])
        assert float(row["seconds"]) > 0


def test_bad_values_are_refused_before_any_run(cli, tmp_path):
    out = tmp_path / "r.csv"
    for sets, message in (
            (["training.learning_rate=0.1,abc"], "--set training.learning_rate=abc"),
            (["network.nodes.nope.params.units=2"], "no node is named 'nope'"),
            (["training.batch_size"], "expected PATH=VALUE1,VALUE2"),
            (["network.nodes.dense2.params.units=2,5"], "units=5")):
        args = [a for s in sets for a in ("--set", s)]
        r = cli("sweep", XOR, *args, "--epochs", "1", "--out", out)
        assert r.code == 2 and message in r.err, (sets, r.err)
        assert "run 1/" not in r.err and not out.exists()
    r = cli("sweep", XOR, "--set", "training.seed=1,2", "--random", "5", "--out", out)
    assert r.code == 2 and "the grid has 2" in r.err


def test_random_combinations_and_the_rows_so_far_on_ctrl_c(cli, tmp_path):
    out = tmp_path / "r.csv"
    r = cli("sweep", XOR, "--set", "training.learning_rate=0.01,0.02,0.03", "--set",
            "training.batch_size=8,16", "--random", "2", "--epochs", "1", "--quiet",
            "--out", out)
    assert r.code == 0 and len(read_rows(out)) == 2 and r.err == ""

    proc = subprocess.Popen(
        [sys.executable, "-m", "nncore.cli", "sweep", str(XOR), "--set",
         "training.seed=1,2,3", "--epochs", "100000", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    watchdog = threading.Timer(120, proc.kill)
    watchdog.start()
    try:
        seen = []
        while True:
            line = proc.stderr.readline()
            if not line:
                break
            seen.append(line)
            if line.startswith("run 1/3"):
                break
        proc.send_signal(signal.SIGINT)
        stdout, err = proc.communicate(timeout=60)
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, "".join(seen) + err
    assert "1 of 3 runs written" in stdout
    rows = read_rows(out)
    assert [row["status"] for row in rows] == ["stopped"]
    assert rows[0]["training.seed"] == "1"
