"""``netcanvas train --checkpoint / --resume``: 10 epochs equal 5, a checkpoint and 5 more
(weights and metrics file, byte for byte); a fork with a changed setting applies it; bad
usage exits 2 and writes nothing."""

from __future__ import annotations

import json

import numpy as np

from nncore.checkpoint import read_checkpoint


def edit(p: dict) -> None:
    p["training"].update(schedule="step", schedule_params={"step_size": 2, "gamma": 0.5},
                         warmup_epochs=1.0, epochs=10)


def same_weights(a, b) -> bool:
    with np.load(a) as x, np.load(b) as y:
        return x.files == y.files and all(np.array_equal(x[k], y[k]) for k in x.files)


def test_resume_continues_the_run_exactly(cli, tmp_path, write_project):
    project = write_project("digits_mlp", edit)
    full_w, full_m = tmp_path / "full.npz", tmp_path / "full.csv"
    assert cli("train", project, "--quiet", "--out-weights", full_w, "--metrics",
               full_m).code == 0
    ckpt = tmp_path / "five.ckpt.npz"
    r = cli("train", project, "--quiet", "--epochs", "5", "--checkpoint", ckpt)
    assert r.code == 0 and "checkpoint written" in r.out
    assert read_checkpoint(ckpt).epoch == 5
    res_w, res_m = tmp_path / "res.npz", tmp_path / "res.csv"
    r = cli("train", project, "--quiet", "--resume", ckpt, "--out-weights", res_w,
            "--metrics", res_m, "--checkpoint", tmp_path / "ten.npz")
    assert r.code == 0, r.err
    assert "epochs 10" in r.out
    assert same_weights(full_w, res_w)
    assert full_m.read_bytes() == res_m.read_bytes()
    ten = read_checkpoint(tmp_path / "ten.npz")
    assert ten.epoch == 10 and len(ten.history) == 10
    assert ten.project["training"]["epochs"] == 10


def test_a_fork_with_another_learning_rate_differs_from_there(cli, tmp_path, write_project):
    project = write_project("digits_mlp", edit)
    ckpt = tmp_path / "c.npz"
    assert cli("train", project, "--quiet", "--epochs", "3", "--checkpoint", ckpt).code == 0

    def slower(p):
        edit(p)
        p["training"]["learning_rate"] = 1e-9
        p["training"]["epochs"] = 4
    fork = write_project("digits_mlp", slower, filename="fork.json")
    out = tmp_path / "fork.npz"
    assert cli("train", fork, "--quiet", "--resume", ckpt, "--out-weights", out,
               "--checkpoint", tmp_path / "after.npz").code == 0
    saved = read_checkpoint(ckpt).weights
    with np.load(out) as w:  # a rate of 1e-9 barely moves the weights of epoch 3
        for k, v in saved.items():
            np.testing.assert_allclose(w[k], v, atol=1e-5)
    after = read_checkpoint(tmp_path / "after.npz")
    assert after.project["training"]["learning_rate"] == 1e-9
    assert [round(x, 12) for x in after.history.lr[3:]] == [1e-9 * 0.5]


def test_bad_usage_exits_2_and_writes_nothing(cli, tmp_path, write_project):
    project = write_project("digits_mlp", edit)
    ckpt = tmp_path / "c.npz"
    assert cli("train", project, "--quiet", "--epochs", "2", "--checkpoint", ckpt).code == 0
    out = tmp_path / "w.npz"
    r = cli("train", project, "--quiet", "--resume", ckpt, "--epochs", "2",
            "--out-weights", out)
    assert r.code == 2 and "nothing to train" in r.err
    r = cli("train", project, "--quiet", "--resume", ckpt, "--init-weights", ckpt)
    assert r.code == 2 and "--resume and --init-weights" in r.err
    r = cli("train", project, "--quiet", "--resume", ckpt, "--checkpoint", ckpt)
    assert r.code == 2 and "--checkpoint" in r.err
    other = write_project("iris")
    r = cli("train", other, "--quiet", "--resume", ckpt, "--out-weights", out)
    assert r.code == 2 and str(ckpt) in r.err and "does not fit" in r.err
    weights = tmp_path / "plain.npz"
    assert cli("train", project, "--quiet", "--epochs", "1", "--out-weights",
               weights).code == 0
    r = cli("train", project, "--quiet", "--resume", weights)
    assert r.code == 2 and "not a NetCanvas checkpoint" in r.err
    assert not out.exists()
    meta = json.loads(str(np.load(ckpt)["__meta__"]))
    assert meta["epoch"] == 2
