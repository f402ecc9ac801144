"""Embedding and Dot against direct formulas, id checks, networks with several Inputs fed
from a multi-input Dataset (end to end through nncore.run.train_project), and the
recommender example trained through the CLI."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from nncore.config import TrainingConfig
from nncore.data import Dataset, recommender_ratings
from nncore.errors import DataError, ShapeError
from nncore.layers.embedding import Dot, Embedding
from nncore.network import Network
from nncore.project import DataSpec, Project, load_project
from nncore.run import network_inputs, prepare_data, train_project
from nncore.spec import EdgeSpec, GraphSpec, NodeSpec

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def embedding(input_dim=6, output_dim=3, shape=(4,), seed=0):
    layer = Embedding("emb", input_dim=input_dim, output_dim=output_dim)
    layer.input_shapes = [shape]
    layer.output_shape = layer.compute_output_shape(layer.input_shapes)
    table = np.random.default_rng(seed).normal(size=(input_dim, output_dim))
    layer.weights["embeddings"] = table
    layer.grads["embeddings"] = np.zeros_like(table)
    layer.on_built()
    return layer


# ---------------------------------------------------------------------------------------------
# Embedding
# ---------------------------------------------------------------------------------------------
def test_embedding_looks_up_rows():
    layer = embedding()
    ids = np.array([[0, 5, 2, 2], [1, 1, 1, 3]])
    out = layer.forward(ids, training=True)
    assert out.shape == (2, 4, 3)
    table = layer.weights["embeddings"]
    for i in range(2):
        for t in range(4):
            np.testing.assert_array_equal(out[i, t], table[ids[i, t]])


def test_embedding_shapes():
    assert Embedding("e", input_dim=5, output_dim=4).compute_output_shape([()]) == (4,)
    assert Embedding("e", input_dim=5, output_dim=4).compute_output_shape([(1,)]) == (1, 4)
    assert Embedding("e", input_dim=5, output_dim=4).compute_output_shape([(7,)]) == (7, 4)
    assert Embedding("e", input_dim=5, output_dim=4).count_params([(7,)]) == (20, 20)
    layer = embedding(shape=())
    assert layer.forward(np.array([3, 0, 3]), True).shape == (3, 3)


def test_embedding_gradient_adds_up_repeated_ids():
    layer = embedding()
    ids = np.array([[0, 5, 2, 2], [2, 1, 1, 3]])
    layer.forward(ids, True)
    layer.grads["embeddings"][...] = 123.0  # stale values must not leak in
    g = np.random.default_rng(1).normal(size=(2, 4, 3))
    assert layer.backward(g) is None  # ids have no gradient
    want = np.zeros((6, 3))
    for i in range(2):
        for t in range(4):
            want[ids[i, t]] += g[i, t]
    np.testing.assert_allclose(layer.grads["embeddings"], want, rtol=1e-12)
    assert not want[4].any()  # an id not in the batch gets no gradient


@pytest.mark.parametrize("bad,shown", [(6, "id 6"), (-1, "id -1"), (100, "id 100")])
def test_out_of_range_ids_name_the_layer_and_the_id(bad, shown):
    layer = embedding()
    ids = np.array([[0, 1, 2, 3], [1, bad, 0, 0]])
    with pytest.raises(DataError, match=f"Embedding 'emb': {shown} is out of range.*0 to 5"):
        layer.forward(ids, True)


def test_float_ids_must_be_whole_numbers():
    layer = embedding()
    out = layer.forward(np.array([[0.0, 1.0, 5.0, 2.0]], np.float32), True)
    np.testing.assert_array_equal(out[0, 2], layer.weights["embeddings"][5])
    with pytest.raises(DataError, match="Embedding 'emb': expects integer ids, got 1.5"):
        layer.forward(np.array([[0.0, 1.5, 5.0, 2.0]]), True)


# ---------------------------------------------------------------------------------------------
# Dot
# ---------------------------------------------------------------------------------------------
def test_dot_product_and_cosine():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    plain = Dot("d")
    np.testing.assert_allclose(plain.forward([a, b], True)[:, 0],
                               [np.dot(a[i], b[i]) for i in range(5)], rtol=1e-12)
    cos = Dot("d", normalize=True)
    want = [np.dot(a[i], b[i]) / np.linalg.norm(a[i]) / np.linalg.norm(b[i]) for i in range(5)]
    np.testing.assert_allclose(cos.forward([a, b], True)[:, 0], want, rtol=1e-12)
    # Parallel vectors have cosine 1 whatever their lengths; a zero vector gives 0, finite.
    np.testing.assert_allclose(cos.forward([a, 3 * a], True), 1.0, rtol=1e-12)
    zero = cos.forward([np.zeros((2, 4)), b[:2]], True)
    assert np.all(zero == 0)
    grads = cos.backward(np.ones((2, 1)))
    assert all(np.isfinite(g).all() for g in grads)


def test_dot_shape_errors():
    with pytest.raises(ShapeError, match="Dot 'd': inputs must have the same length, got 3 "
                                         "and 4"):
        Dot("d").compute_output_shape([(3,), (4,)])
    with pytest.raises(ShapeError, match="Dot 'd': expects two flat vectors.*Flatten"):
        Dot("d").compute_output_shape([(1, 3), (1, 3)])
    assert Dot("d").compute_output_shape([(8,), (8,)]) == (1,)


# ---------------------------------------------------------------------------------------------
# networks with several Inputs, fed from a multi-input Dataset
# ---------------------------------------------------------------------------------------------
def recommender_graph(n_users=100, n_items=80, dim=8, user_id="user", item_id="item"):
    nodes = [NodeSpec(user_id, "Input", {"shape": [1]}),
             NodeSpec(item_id, "Input", {"shape": [1]}),
             NodeSpec("uv", "Embedding", {"input_dim": n_users, "output_dim": dim}),
             NodeSpec("iv", "Embedding", {"input_dim": n_items, "output_dim": dim}),
             NodeSpec("uf", "Flatten", {}), NodeSpec("if", "Flatten", {}),
             NodeSpec("dot", "Dot", {}),
             NodeSpec("out", "Dense", {"units": 1, "activation": "linear"})]
    edges = [(user_id, "uv"), (item_id, "iv"), ("uv", "uf"), ("iv", "if"), ("uf", "dot"),
             ("if", "dot"), ("dot", "out")]
    return GraphSpec(nodes, [EdgeSpec(a, b) for a, b in edges])


def recommender_project(graph=None, epochs=5, **data_params):
    return Project("rec", "", graph or recommender_graph(),
                   DataSpec(source="synthetic", name="recommender", normalization="none",
                            val_fraction=0.2, params=data_params),
                   TrainingConfig(loss="mse", optimizer="adam", learning_rate=0.01,
                                  batch_size=32, epochs=epochs, seed=0))


def test_dataset_ids_feed_inputs_of_shape_one_by_name():
    ds = recommender_ratings(n_users=10, n_items=7, n_ratings=30, seed=1)
    net = Network(recommender_graph(10, 7, 3))
    feeds = network_inputs(net, ds)
    assert set(feeds) == {"user", "item"}
    np.testing.assert_array_equal(feeds["user"][:, 0], ds.inputs["user"])
    np.testing.assert_array_equal(feeds["item"][:, 0], ds.inputs["item"])
    assert feeds["user"].shape == (30, 1) and feeds["user"].dtype == np.int64
    out = net.predict(feeds)
    assert out.shape == (30, 1) and np.isfinite(out).all()


def test_multi_input_network_trains_end_to_end_through_train_project():
    result = train_project(recommender_project(epochs=15))
    h = result.finished.history
    assert result.finished.epochs_run == 15
    assert h.train_loss[-1] < 0.5 * h.train_loss[0]
    assert h.val_loss[-1] < h.val_loss[0]


def test_missing_input_name_is_a_data_error_naming_it():
    project = recommender_project(recommender_graph(item_id="product"))
    with pytest.raises(DataError, match="no data column for Input 'product'.*user, item"):
        train_project(project)


def test_out_of_range_id_in_the_data_stops_training_with_the_node_named():
    # 100 users in the data, a vocabulary of 50 in the network.
    project = recommender_project(recommender_graph(n_users=50))
    with pytest.raises(DataError, match=r"Embedding 'uv': id \d+ is out of range"):
        train_project(project)


def test_multi_input_dataset_with_float_and_id_inputs():
    """A numeric input and an id input side by side (Concatenate), from a Dataset built
    by hand: the ids stay integers all the way to the Embedding."""
    rng = np.random.default_rng(0)
    n = 200
    ids = rng.integers(0, 5, n)
    num = rng.normal(size=(n, 2)).astype(np.float32)
    y = (np.arange(5)[ids] * 0.5 + num[:, 0]).astype(np.float32)
    ds = Dataset(X=num, y=y, task="regression", inputs={"num": num, "cat": ids})
    g = GraphSpec([NodeSpec("cat", "Input", {"shape": [1]}),
                   NodeSpec("num", "Input", {"shape": [2]}),
                   NodeSpec("e", "Embedding", {"input_dim": 5, "output_dim": 2}),
                   NodeSpec("f", "Flatten", {}), NodeSpec("c", "Concatenate", {}),
                   NodeSpec("out", "Dense", {"units": 1, "activation": "linear"})],
                  [EdgeSpec("cat", "e"), EdgeSpec("e", "f"), EdgeSpec("f", "c"),
                   EdgeSpec("num", "c"), EdgeSpec("c", "out")])
    project = Project("mixed", "", g, DataSpec(source="synthetic", val_fraction=0.25),
                      TrainingConfig(loss="mse", optimizer="adam", learning_rate=0.05,
                                     batch_size=16, epochs=40, seed=0))
    data = prepare_data(project.data, dataset=ds)
    result = train_project(project, data=data)
    assert result.finished.history.val_loss[-1] < 0.05 * float(np.var(y))


def test_embedding_feeding_an_lstm_learns_a_sequence_task():
    """Ids (T,) -> Embedding -> LSTM -> Dense(sigmoid): does id 3 occur before id 5? Needs
    the gradient to flow through the LSTM into the table (and order information)."""
    from nncore.trainer import Trainer

    rng = np.random.default_rng(0)
    ids = rng.integers(0, 8, (800, 7))
    first = lambda row, v: int(np.argmax(row == v)) if (row == v).any() else 99  # noqa: E731
    y = np.array([first(r, 3) < first(r, 5) for r in ids], np.int64)
    assert 0.3 < y.mean() < 0.7
    g = GraphSpec.sequential([("Input", {"shape": [7]}),
                              ("Embedding", {"input_dim": 8, "output_dim": 4}),
                              ("LSTM", {"units": 12}),
                              ("Dense", {"units": 1, "activation": "sigmoid"})])
    net = Network(g, seed=0)
    table0 = net.get_weights()["embedding1/embeddings"]
    cfg = TrainingConfig(loss="binary_crossentropy", optimizer="adam", learning_rate=0.02,
                         batch_size=32, epochs=25, seed=0)
    fin = Trainer(net, cfg).fit(ids[:600], y[:600], ids[600:], y[600:])
    assert fin.history.val_metrics[-1]["accuracy"] > 0.9
    assert not np.allclose(net.get_weights()["embedding1/embeddings"], table0)


# ---------------------------------------------------------------------------------------------
# the example
# ---------------------------------------------------------------------------------------------
def test_recommender_example_beats_the_mean_by_30_percent_through_the_cli(tmp_path):
    from nncore.cli import main

    path = EXAMPLES / "recommender.json"
    project = load_project(path)
    assert project.data.name == "recommender"
    assert {n.id for n in project.graph.nodes if n.type == "Input"} == {"user", "item"}
    assert sum(n.type == "Embedding" for n in project.graph.nodes) == 2
    metrics = tmp_path / "m.csv"
    assert main(["train", str(path), "--quiet", "--metrics", str(metrics)]) == 0
    val_rmse = float(list(csv.DictReader(metrics.open()))[-1]["val_rmse"])
    # Baseline on the same validation split: predict the training split's mean rating.
    data = prepare_data(project.data)
    assert not project.data.standardize_target
    mean = float(data.train.y.mean())
    baseline = float(np.sqrt(np.mean((data.val.y.astype(np.float64) - mean) ** 2)))
    assert baseline > 0.5
    assert val_rmse <= 0.7 * baseline, (val_rmse, baseline)


# ---------------------------------------------------------------------------------------------
# a CSV file with several named inputs
# ---------------------------------------------------------------------------------------------
def _ratings_csv(path, n=600, seed=0):
    """user_id, item_id, hours (a number), rating: rating = user effect + item effect +
    0.1 hours, all recoverable from the columns."""
    rng = np.random.default_rng(seed)
    users, items = rng.integers(0, 12, n), rng.integers(0, 9, n)
    hours = rng.uniform(0, 10, n).round(2)
    ue, ie = rng.normal(0, 1, 12), rng.normal(0, 1, 9)
    rating = 3 + ue[users] + ie[items] + 0.1 * hours
    lines = ["user_id,item_id,hours,rating"]
    lines += [f"{u},{i},{h},{r:.4f}" for u, i, h, r in zip(users, items, hours, rating)]
    path.write_text("\n".join(lines) + "\n")
    return rating


def test_load_csv_with_named_inputs(tmp_path):
    from nncore.data import load_csv

    path = tmp_path / "ratings.csv"
    rating = _ratings_csv(path, n=50)
    ds = load_csv(path, target="rating",
                  inputs={"user": ["user_id"], "item": "item_id", "extra": ["hours"]})
    assert list(ds.inputs) == ["user", "item", "extra"]
    assert ds.inputs["user"].dtype == np.int64 and ds.inputs["user"].shape == (50,)
    assert ds.inputs["extra"].dtype == np.float32 and ds.inputs["extra"].shape == (50, 1)
    assert ds.meta["vocab_sizes"] == {"user": int(ds.inputs["user"].max()) + 1,
                                      "item": int(ds.inputs["item"].max()) + 1}
    np.testing.assert_allclose(ds.y[:, 0], rating, atol=1e-4)
    assert ds.X is ds.inputs["user"]
    with pytest.raises(DataError, match="'rating' is the target"):
        load_csv(path, target="rating", inputs={"user": ["rating"]})
    with pytest.raises(DataError, match="listed for both 'a' and 'b'"):
        load_csv(path, target="rating", inputs={"a": ["user_id"], "b": ["user_id"]})
    with pytest.raises(DataError, match="cannot be combined"):
        load_csv(path, target="rating", inputs={"a": ["user_id"]}, categorical=["item_id"])


def test_csv_with_named_inputs_trains_a_two_id_network_through_train_project(tmp_path):
    """DataSpec.params {"target": ..., "inputs": {...}} -> ids -> Embeddings; a numeric
    input column with whole numbers feeding a Dense still arrives as floats."""
    path = tmp_path / "ratings.csv"
    _ratings_csv(path)
    g = GraphSpec(
        [NodeSpec("user", "Input", {"shape": [1]}), NodeSpec("item", "Input", {"shape": [1]}),
         NodeSpec("hours", "Input", {"shape": [1]}),
         NodeSpec("ue", "Embedding", {"input_dim": 12, "output_dim": 1}),
         NodeSpec("ie", "Embedding", {"input_dim": 9, "output_dim": 1}),
         NodeSpec("uf", "Flatten", {}), NodeSpec("if", "Flatten", {}),
         NodeSpec("c", "Concatenate", {}),
         NodeSpec("out", "Dense", {"units": 1, "activation": "linear"})],
        [EdgeSpec(a, b) for a, b in [("user", "ue"), ("item", "ie"), ("ue", "uf"),
                                     ("ie", "if"), ("uf", "c"), ("if", "c"), ("hours", "c"),
                                     ("c", "out")]])
    project = Project("csv", "", g,
                      DataSpec(source="file", path=str(path), normalization="none",
                               val_fraction=0.2,
                               params={"target": "rating",
                                       "inputs": {"user": ["user_id"], "item": ["item_id"],
                                                  "hours": ["hours"]}}),
                      TrainingConfig(loss="mse", optimizer="adam", learning_rate=0.05,
                                     batch_size=32, epochs=60, seed=0))
    result = train_project(project)
    data = result.data
    baseline = float(np.mean((data.val.y - data.train.y.mean()) ** 2))
    assert result.finished.history.val_loss[-1] < 0.05 * baseline
