"""train.py of the PyTorch project trains as the engine does: in float64, from the same
seed and without dropout, every weight after 100 steps equals the engine's to 1e-9
(relative) for each optimizer, schedule with warm-up, L1/L2 and clipping, early stopping,
and for a CNN (with batch normalization and augmentation), recurrent and multi-input
networks; in float32 the per-epoch training losses match ``netcanvas train``'s to 1e-4.
Its weights load in ``netcanvas predict``; with dropout it reaches the engine's accuracy."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from nncore.cli import main as cli_main
from nncore.config import TrainingConfig
from nncore.project import DataSpec, Project, save_project
from nncore.spec import EdgeSpec, GraphSpec, NodeSpec
from nncore.weights import read_weights

from .pytorch_support import (
    engine_train,
    example,
    export,
    import_model,
    max_relative,
    run_train,
    spiral_project,
)

pytestmark = pytest.mark.torch

VARIANTS = {
    "sgd": {"optimizer": "sgd", "learning_rate": 0.1},
    "momentum": {"optimizer": "momentum", "optimizer_params": {"momentum": 0.8}},
    "nesterov": {"optimizer": "nesterov", "optimizer_params": {"momentum": 0.7}},
    "rmsprop": {"optimizer": "rmsprop", "optimizer_params": {"rho": 0.8, "epsilon": 1e-6}},
    "adagrad": {"optimizer": "adagrad", "learning_rate": 0.1,
                "optimizer_params": {"initial_accumulator": 0.2, "epsilon": 1e-6}},
    "adam": {"optimizer": "adam", "optimizer_params": {"beta1": 0.8, "beta2": 0.99,
                                                       "epsilon": 1e-6}},
    "adamw": {"optimizer": "adamw", "optimizer_params": {"weight_decay": 0.05}},
    "step+warmup": {"schedule": "step", "warmup_epochs": 1.5,
                    "schedule_params": {"step_size": 2, "gamma": 0.7}},
    "exponential": {"schedule": "exponential", "schedule_params": {"gamma": 0.8}},
    "cosine": {"schedule": "cosine", "schedule_params": {"min_factor": 0.1}},
    "l1+l2": {"l1": 0.002, "l2": 0.003},
    "clipping": {"clip_norm": 0.05},
    "l2+clipping": {"l2": 0.01, "clip_norm": 0.3, "optimizer": "momentum"},
    "no shuffle": {"shuffle": False},
    "early stopping": {"early_stopping": True, "patience": 2, "min_delta": 0.01,
                       "learning_rate": 0.05},
}


def _check_float64_match(project, tmp_path, base_dir=None, rtol=1e-9):
    """Train with the engine (float64) and with train.py --float64; compare every weight
    and the metrics."""
    kwargs = {} if base_dir is None else {"base_dir": base_dir}
    net, finished = engine_train(project, **kwargs)
    folder = export(project, tmp_path / "proj", **kwargs)
    code = run_train(folder, "--float64", "--quiet", "--out-weights", str(folder / "w.npz"),
                     "--metrics", str(folder / "m.csv"))
    assert code == 0
    got = read_weights(folder / "w.npz").arrays
    assert got[net.slots[0].key].dtype == np.float64
    assert max_relative(got, net.get_weights()) < rtol
    rows = list(csv.DictReader(open(folder / "m.csv")))
    assert len(rows) == finished.epochs_run
    h = finished.history
    np.testing.assert_allclose([float(r["train_loss"]) for r in rows], h.train_loss, rtol=1e-9)
    np.testing.assert_allclose([float(r["val_loss"]) for r in rows], h.val_loss, rtol=1e-9)
    return net, finished


@pytest.mark.parametrize("name", list(VARIANTS))
def test_float64_training_matches_the_engine(name, tmp_path):
    project = spiral_project(**VARIANTS[name])
    net, finished = _check_float64_match(project, tmp_path)
    if name == "early stopping":
        assert finished.reason == "early_stopping" and finished.restored_best
    else:
        assert finished.epochs_run * 10 == 100  # 100 steps


def test_float64_cnn_with_batchnorm_and_augmentation_matches_the_engine(tmp_path):
    """Conv2D (same and valid, strided), BatchNormalization on channels, both pools, and
    augmentation drawn from NetCanvas' generator (shift, flip, noise)."""
    g = GraphSpec.sequential([
        ("Input", {"shape": [1, 8, 8]}),
        ("Conv2D", {"filters": 4, "kernel_size": [3, 3], "activation": "relu"}),
        ("BatchNormalization", {"momentum": 0.9}),
        ("MaxPool2D", {"pool_size": [2, 2]}),
        ("Conv2D", {"filters": 6, "kernel_size": [2, 2], "strides": [2, 1],
                    "padding": "valid", "activation": "elu"}),
        ("AvgPool2D", {"pool_size": [2, 2], "padding": "same"}),
        ("Flatten", {}),
        ("Dense", {"units": 10, "activation": "softmax"}),
    ])
    data = DataSpec("bundled", "digits", val_fraction=0.8, params={"as_images": True})
    cfg = TrainingConfig(batch_size=36, epochs=10, learning_rate=0.01, seed=2,
                         augment_shift=1, augment_flip_horizontal=True, augment_noise=0.05)
    _check_float64_match(Project("CNN", "", g, data, cfg), tmp_path)


def test_float64_recurrent_network_matches_the_engine(tmp_path):
    """GRU (sequences) -> LSTM -> Dense, with BatchNormalization over the sequence's
    features, on a sine."""
    g = GraphSpec.sequential([
        ("Input", {"shape": [12, 1]}),
        ("GRU", {"units": 5, "return_sequences": True}),
        ("BatchNormalization", {}),
        ("SimpleRNN", {"units": 4, "return_sequences": True, "activation": "relu"}),
        ("LSTM", {"units": 6}),
        ("Dense", {"units": 1, "activation": "linear"}),
    ])
    data = DataSpec("synthetic", "sine", val_fraction=0.2,
                    params={"n_points": 250, "window": 12, "noise": 0.05, "seed": 1})
    cfg = TrainingConfig(loss="huber", batch_size=24, epochs=10, learning_rate=0.01,
                         loss_params={"delta": 0.5})
    _check_float64_match(Project("RNN", "", g, data, cfg), tmp_path)


def test_float64_multi_input_network_matches_the_engine(tmp_path):
    """Two Inputs of ids, Embedding, Concatenate, Add, Dot with normalize (recommender)."""
    nodes = [NodeSpec("user", "Input", {"shape": [1]}), NodeSpec("item", "Input", {"shape": [1]}),
             NodeSpec("u", "Embedding", {"input_dim": 100, "output_dim": 4}),
             NodeSpec("i", "Embedding", {"input_dim": 80, "output_dim": 4}),
             NodeSpec("uf", "Flatten"), NodeSpec("if", "Flatten"),
             NodeSpec("both", "Concatenate"), NodeSpec("h", "Dense", {"units": 4,
                                                                      "activation": "gelu"}),
             NodeSpec("sum", "Add"), NodeSpec("cos", "Dot", {"normalize": True}),
             NodeSpec("rating", "Dense", {"units": 1, "activation": "linear"})]
    edges = [("user", "u"), ("item", "i"), ("u", "uf"), ("i", "if"), ("uf", "both"),
             ("if", "both"), ("both", "h"), ("h", "sum"), ("uf", "sum"), ("sum", "cos"),
             ("if", "cos"), ("cos", "rating")]
    data = DataSpec("synthetic", "recommender", normalization="none",
                    params={"n_users": 100, "n_items": 80, "n_ratings": 1000, "seed": 0})
    cfg = TrainingConfig(loss="mae", batch_size=80, epochs=10, learning_rate=0.02)
    g = GraphSpec(nodes, [EdgeSpec(a, b) for a, b in edges])
    _check_float64_match(Project("Rec", "", g, data, cfg), tmp_path)


@pytest.mark.parametrize("name", ["sine_lstm", "regression", "iris"])
def test_float32_epoch_losses_match_netcanvas_train(name, tmp_path):
    project = example(name)
    save_project(project, tmp_path / "p.json")  # (synthetic or bundled data: no paths)
    assert cli_main(["train", str(tmp_path / "p.json"), "--epochs", "3", "--quiet",
                     "--metrics", str(tmp_path / "engine.csv")]) == 0
    folder = export(project, tmp_path / "proj")
    assert run_train(folder, "--epochs", "3", "--quiet", "--metrics",
                     str(tmp_path / "torch.csv")) == 0
    engine = list(csv.DictReader(open(tmp_path / "engine.csv")))
    torch_rows = list(csv.DictReader(open(tmp_path / "torch.csv")))
    assert list(engine[0]) == list(torch_rows[0])  # the same columns
    for e, t in zip(engine, torch_rows, strict=True):
        assert float(t["train_loss"]) == pytest.approx(float(e["train_loss"]), rel=1e-4)


def test_trained_weights_predict_in_netcanvas_as_the_module(tmp_path):
    """train.py's weights file (normalization statistics and classes included) gives
    `netcanvas predict` the module's probabilities on raw inputs."""
    import torch

    project = example("iris")
    save_project(project, tmp_path / "p.json")
    folder = export(project, tmp_path / "proj")
    assert run_train(folder, "--epochs", "5", "--quiet", "--out-weights",
                     str(tmp_path / "w.npz")) == 0
    raw = np.random.default_rng(0).normal([5.8, 3.0, 3.8, 1.2], [0.8, 0.4, 1.7, 0.7],
                                          (40, 4))
    np.savetxt(tmp_path / "x.csv", raw, delimiter=",")
    assert cli_main(["predict", str(tmp_path / "p.json"), "--weights", str(tmp_path / "w.npz"),
                     "--input", str(tmp_path / "x.csv"), "--output",
                     str(tmp_path / "pred.csv")]) == 0
    rows = list(csv.DictReader(open(tmp_path / "pred.csv")))
    got = np.array([[float(r[k]) for k in r if k.startswith("p_")] for r in rows])
    m = import_model(folder)
    model = m.Net()
    m.load_netcanvas_weights(model, tmp_path / "w.npz")
    w = read_weights(tmp_path / "w.npz")
    x = w.normalizer().transform(raw)
    model.eval()
    want = model(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(got, want, atol=1e-5)
    assert [k[2:] for k in rows[0] if k.startswith("p_")] == w.class_names


def test_divergence_exits_1_and_writes_nothing(tmp_path, capsys):
    project = spiral_project(optimizer="sgd", learning_rate=1e6)
    folder = export(project, tmp_path / "proj")
    (tmp_path / "w.npz").write_bytes(b"old")
    code = run_train(folder, "--quiet", "--out-weights", str(tmp_path / "w.npz"))
    assert code == 1
    assert "training diverged" in capsys.readouterr().err
    assert (tmp_path / "w.npz").read_bytes() == b"old"


@pytest.mark.parametrize("name,epochs", [("digits_mlp", 15), ("digits_cnn", 6)])
def test_dropout_networks_reach_the_engine_accuracy_band(name, epochs, tmp_path):
    project = example(name)
    project.training = project.training.replace(epochs=epochs)
    _, finished = engine_train(project, dtype=np.float32)
    engine_acc = finished.history.val_metrics[-1]["accuracy"]
    folder = export(project, tmp_path / "proj")
    assert run_train(folder, "--quiet", "--metrics", str(tmp_path / "m.csv")) == 0
    torch_acc = float(list(csv.DictReader(open(tmp_path / "m.csv")))[-1]["val_accuracy"])
    assert engine_acc > 0.9 and abs(torch_acc - engine_acc) < 0.03, (engine_acc, torch_acc)


def test_training_from_given_weights_matches_the_engine(tmp_path):
    """Exported with --weights: train.py starts from them (and draws the shuffles after
    the initial weights, as `netcanvas train --init-weights` does)."""
    from nncore.run import build_network, check_run, fit, load_initial_weights, prepare_data
    from nncore.weights import save_weights

    project = spiral_project(epochs=3)
    start = build_network(project, seed=42)
    start.params_flat *= 1.5
    save_weights(tmp_path / "start.npz", start)
    weights = read_weights(tmp_path / "start.npz")
    net = build_network(project, dtype=np.float64)
    load_initial_weights(net, weights)
    fit(check_run(net, prepare_data(project.data), project.training))
    folder = export(project, tmp_path / "proj", weights=weights)
    assert run_train(folder, "--float64", "--quiet", "--out-weights",
                     str(folder / "w.npz")) == 0
    assert max_relative(read_weights(folder / "w.npz").arrays, net.get_weights()) < 1e-9


def test_missing_or_foreign_files_exit_2_with_a_message(tmp_path, capsys):
    folder = export(spiral_project(), tmp_path / "proj")
    assert run_train(folder, "--quiet", "--data", str(tmp_path / "none.npz")) == 2
    assert "none.npz" in capsys.readouterr().err
    from nncore.run import build_network
    from nncore.spec import GraphSpec as G
    from nncore.weights import save_weights

    other = spiral_project()
    other.graph = G.sequential([("Input", {"shape": [2]}), ("Dense", {"units": 2})])
    save_weights(tmp_path / "other.npz", build_network(other))
    assert run_train(folder, "--quiet", "--init-weights", str(tmp_path / "other.npz")) == 2
    assert "dense1/W" in capsys.readouterr().err
