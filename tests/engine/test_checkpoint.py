"""Checkpoints (nncore.checkpoint, Trainer.resume): 10 epochs in one run equal, bit for
bit, 5 epochs, a checkpoint through a file, and 5 more, for SGD with momentum and Adam
under a learning-rate schedule with warm-up, with dropout, batch normalization, early
stopping and shuffling in play; forks with other settings keep what still applies; bad
files are refused by name."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from nncore.checkpoint import checkpoint_bytes, read_checkpoint, resume
from nncore.config import TrainingConfig
from nncore.errors import FormatError
from nncore.network import Network
from nncore.project import load_project
from nncore.run import check_run, fit, prepare_data
from nncore.spec import GraphSpec
from nncore.trainer import Trainer

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"

GRAPH = GraphSpec.sequential([("Input", {"shape": [2]}),
                              ("Dense", {"units": 12, "activation": "tanh"}),
                              ("BatchNormalization", {"momentum": 0.9}),
                              ("Dropout", {"rate": 0.2}),
                              ("Dense", {"units": 2, "activation": "softmax"})])

SETTINGS = {
    "momentum": dict(optimizer="momentum", optimizer_params={"momentum": 0.8},
                     learning_rate=0.05, schedule="exponential",
                     schedule_params={"gamma": 0.7}, warmup_epochs=1.5),
    "adam": dict(optimizer="adam", optimizer_params={"beta1": 0.85, "beta2": 0.99},
                 learning_rate=0.01, schedule="step",
                 schedule_params={"step_size": 3, "gamma": 0.5}, warmup_epochs=1.0),
}


@pytest.fixture(scope="module")
def data():
    return prepare_data(load_project(EXAMPLES / "spiral.json").data)


def config(name: str, epochs: int, **extra) -> TrainingConfig:
    return TrainingConfig(**{"batch_size": 16, "epochs": epochs, "seed": 3,
                             "early_stopping": True, "patience": 50, **SETTINGS[name],
                             **extra})


def run(data, cfg: TrainingConfig, ckpt=None, graph=GRAPH):
    net = Network(graph, seed=cfg.seed)
    checked = check_run(net, data, cfg)
    if ckpt is not None:
        resume(checked.trainer, ckpt)
    finished = fit(checked)
    return checked.trainer, finished


def through_file(tmp_path, trainer, cfg) -> object:
    path = tmp_path / "c.npz"
    path.write_bytes(checkpoint_bytes(trainer, {"training": cfg.to_dict()}))
    return read_checkpoint(path, trainer.net.weight_shapes())


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_resuming_continues_bit_for_bit(tmp_path, data, name):
    whole, fin_whole = run(data, config(name, 10))
    half, _ = run(data, config(name, 5))
    ckpt = through_file(tmp_path, half, config(name, 5))
    assert ckpt.epoch == 5
    resumed, fin = run(data, config(name, 10), ckpt)
    np.testing.assert_array_equal(resumed.net.params_flat, whole.net.params_flat)
    for key in whole.optimizer.state:
        np.testing.assert_array_equal(resumed.optimizer.state[key], whole.optimizer.state[key])
    assert resumed.step == whole.step and resumed.optimizer.iterations == whole.step
    assert fin.epochs_run == 10 and fin.best_epoch == fin_whole.best_epoch
    assert fin.history.epoch == list(range(1, 11))
    assert fin.history.val_loss == fin_whole.history.val_loss
    assert fin.history.lr == fin_whole.history.lr


def test_early_stopping_resumes_with_its_best_epoch_and_weights(tmp_path, data):
    cfg = dict(learning_rate=0.3, patience=2, min_delta=10.0)  # no epoch improves enough
    whole, fin_whole = run(data, config("momentum", 10, **cfg))
    assert fin_whole.reason == "early_stopping" and fin_whole.epochs_run == 3
    half, _ = run(data, config("momentum", 2, **cfg))
    resumed, fin = run(data, config("momentum", 10, **cfg),
                       through_file(tmp_path, half, config("momentum", 2)))
    assert (fin.reason, fin.epochs_run, fin.best_epoch) == ("early_stopping", 3, 1)
    np.testing.assert_array_equal(resumed.net.params_flat, whole.net.params_flat)


def test_a_trainer_that_has_not_trained_stands_at_the_start():
    point = Trainer(Network(GRAPH, seed=0), config("adam", 2)).resume_point()
    assert (point.epoch, point.step, point.iterations) == (0, 0, 0)
    assert (point.best_epoch, point.best_loss, point.bad_epochs) == (0, math.inf, 0)
    assert point.best_weights is None


@pytest.mark.parametrize("kept_before, kept_after", [(False, True), (True, False)])
def test_resuming_with_best_weights_kept_on_one_side_only(tmp_path, data, kept_before,
                                                          kept_after):
    """A checkpoint made without kept best weights resumes into a run that keeps them,
    and the other way round: the weights trained so far carry over either way."""
    half, _ = run(data, config("momentum", 2, restore_best=kept_before))
    ckpt = through_file(tmp_path, half, config("momentum", 2))
    assert bool(ckpt.best) is kept_before
    resumed, fin = run(data, config("momentum", 3, restore_best=kept_after), ckpt)
    assert fin.reason == "completed" and fin.history.epoch == [1, 2, 3]
    whole, _ = run(data, config("momentum", 3, restore_best=kept_after))
    np.testing.assert_array_equal(resumed.net.params_flat, whole.net.params_flat)


def test_a_fork_with_other_adam_betas_keeps_the_true_moments(tmp_path, data):
    half, _ = run(data, config("adam", 3))
    saved = half.optimizer.moments()
    ckpt = through_file(tmp_path, half, config("adam", 3))
    cfg = config("adam", 4, optimizer_params={"beta1": 0.5, "beta2": 0.9})
    net = Network(GRAPH, seed=cfg.seed)
    checked = check_run(net, data, cfg)
    resume(checked.trainer, ckpt)
    opt = checked.trainer.optimizer
    assert opt.config["beta1"] == 0.5 and opt.iterations == half.step
    for k in ("m", "v"):
        np.testing.assert_allclose(opt.moments()[k], saved[k], rtol=1e-6, atol=1e-12)


def test_another_optimizer_or_an_unfrozen_layer_starts_its_state_fresh(tmp_path, data):
    half, _ = run(data, config("momentum", 2))
    ckpt = through_file(tmp_path, half, config("momentum", 2))
    net = Network(GRAPH, seed=0)
    checked = check_run(net, data, config("adam", 4))
    resume(checked.trainer, ckpt)
    assert checked.trainer.optimizer.iterations == 0
    assert not checked.trainer.optimizer.state["m_scaled"].any()
    np.testing.assert_array_equal(net.params_flat, half.net.params_flat)
    # dense1 frozen when saved: its velocity starts at zero once unfrozen
    frozen = GRAPH.copy()
    frozen.nodes[1].frozen = True
    net = Network(frozen, seed=0)
    net.set_frozen("dense1", True)
    checked = check_run(net, data, config("momentum", 2))
    fit(checked)
    ckpt = through_file(tmp_path, checked.trainer, config("momentum", 2))
    assert "dense1/W" not in ckpt.optimizer_state["velocity"]
    net2 = Network(GRAPH, seed=0)
    checked2 = check_run(net2, data, config("momentum", 4))
    resume(checked2.trainer, ckpt)
    v = checked2.trainer.optimizer.state["velocity"]
    w_slot = next(s for s in net2.slots if s.key == "dense1/W")
    assert not v[w_slot.start:w_slot.stop].any()
    out_slot = next(s for s in net2.slots if s.key == "dense2/W")
    np.testing.assert_array_equal(v[out_slot.start:out_slot.stop],
                                  ckpt.optimizer_state["velocity"]["dense2/W"].ravel())


def test_the_file_holds_the_documented_keys(tmp_path, data):
    trainer, _ = run(data, config("adam", 2))
    path = tmp_path / "c.npz"
    path.write_bytes(checkpoint_bytes(trainer, {"name": "x"}))
    with np.load(path, allow_pickle=False) as z:
        keys = set(z.files)
        meta = json.loads(str(z["__meta__"]))
    assert {"dense1/W", "batchnormalization1/moving_mean", "__optimizer__/m_scaled/dense1/W",
            "__optimizer__/v_scaled/dense2/b", "__best__/dense1/W"} <= keys
    assert "__optimizer__/m_scaled/batchnormalization1/moving_mean" not in keys
    assert meta["format"] == "netcanvas-checkpoint" and meta["version"] == 1
    assert (meta["epoch"], meta["step"]) == (2, trainer.step)
    assert meta["optimizer"]["name"] == "adam" and meta["optimizer"]["iterations"] == 2 * 25
    assert meta["project"] == {"name": "x"} and len(meta["history"]) == 2
    assert meta["rng"]["bit_generator"] == "PCG64"


def _rewrite(src: Path, dst: Path, change) -> Path:
    with np.load(src, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(str(arrays["__meta__"]))
    change(arrays, meta)
    arrays["__meta__"] = np.array(json.dumps(meta))
    np.savez(dst, **arrays)
    return dst


def test_bad_checkpoints_are_refused_by_name(tmp_path, data):
    trainer, _ = run(data, config("adam", 1))
    good = tmp_path / "good.npz"
    good.write_bytes(checkpoint_bytes(trainer, {}))
    shapes = trainer.net.weight_shapes()

    def case(change):
        return _rewrite(good, tmp_path / "bad.npz", change)

    def meta_field(key, value):
        return lambda a, m: m.__setitem__(key, value)

    for change, message in (
            (meta_field("format", "netcanvas-weights"), "not a NetCanvas checkpoint"),
            (meta_field("version", 9), "newer NetCanvas"),
            (meta_field("epoch", -1), "epoch"),
            (meta_field("rng", {"bit_generator": "PCG64", "state": 5}), "__meta__"),
            (lambda a, m: m["optimizer"].__setitem__("name", "lbfgs"), "optimizer"),
            (lambda a, m: m["optimizer"]["config"].__setitem__("beta1", 7), "beta1"),
            (lambda a, m: m["history"].append({"epoch": 1}), "history"),
            (lambda a, m: a.__setitem__("dense1/W", np.full((2, 12), np.nan, np.float32)),
             "finite"),
            (lambda a, m: a.__setitem__("dense1/W", np.zeros((3, 12), np.float32)),
             "does not fit this network")):
        with pytest.raises(FormatError, match=message):
            read_checkpoint(case(change), shapes)
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(FormatError, match="text.npz"):
        read_checkpoint(tmp_path / "text.npz")
    other = GraphSpec.sequential([("Input", {"shape": [2]}), ("Dense", {"units": 2,
                                                                        "activation": "softmax"})])
    with pytest.raises(FormatError, match="does not fit"):
        read_checkpoint(good, Network(other).weight_shapes())
    ckpt = read_checkpoint(good)
    checked = check_run(Network(other), data, config("adam", 2))
    with pytest.raises(FormatError, match="good.npz"):
        resume(checked.trainer, ckpt)
    assert math.isfinite(ckpt.resume_point(trainer.net).best_loss)
