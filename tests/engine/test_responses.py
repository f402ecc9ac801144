"""Unit responses over the input plane (nncore.responses): every unit's value at a grid point
is what the network's own forward pass gives for that point, normalized as in training; the
grid's geometry; refusals; and the time one grid takes for the shipped 2-D examples."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from nncore.data import Normalizer
from nncore.errors import DataError, SpecError
from nncore.network import Network
from nncore.project import load_project
from nncore.responses import GRID_SIZE, ResponseGrid, plane_ranges
from nncore.run import build_network, prepare_data
from nncore.spec import GraphSpec
from nncore.trainer import Trainer

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def graph():
    return GraphSpec.sequential([("Input", {"shape": [2]}),
                                 ("Dense", {"units": 5, "activation": "relu"}),
                                 ("Dropout", {"rate": 0.5}),
                                 ("BatchNormalization", {}),
                                 ("Dense", {"units": 4, "activation": "tanh"}),
                                 ("Dense", {"units": 3, "activation": "softmax"})])


@pytest.mark.parametrize("fused", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_each_unit_at_each_point_is_the_networks_own_forward(fused, dtype):
    rng = np.random.default_rng(0)
    data = rng.normal([3.0, -10.0], [2.0, 0.5], size=(200, 2))
    norm = Normalizer("standardize").fit(data)
    net = Network(graph(), dtype=dtype, seed=2)
    net.layers["batchnormalization1"].weights["moving_mean"][:] = rng.normal(size=5)
    if fused:  # as a cross-entropy trainer leaves it: the output layer gives logits
        Trainer(net, _ce_config())
    grid = ResponseGrid((-1.0, 7.0), (-12.0, -8.5), size=23, normalizer=norm)
    out = grid.responses(net)
    assert list(out) == ["dense1", "dropout1", "batchnormalization1", "dense2", "dense3"]
    assert out["dense1"].shape == (5, 23, 23) and out["dense3"].shape == (3, 23, 23)
    np.testing.assert_allclose(grid.xs, np.linspace(-1, 7, 23))
    np.testing.assert_allclose(grid.ys, np.linspace(-12, -8.5, 23))
    for i, j in [(0, 0), (22, 0), (0, 22), (7, 15), (22, 22)]:
        point = norm.transform(np.array([[grid.xs[j], grid.ys[i]]])).astype(dtype)
        net.forward(point, training=False)
        acts = net.activations()
        for node_id, values in out.items():
            want = acts[node_id][0]
            if node_id == "dense3":
                want = net.predict(point)[0]
                np.testing.assert_allclose(values[:, i, j].sum(), 1.0, rtol=1e-5)
            np.testing.assert_allclose(values[:, i, j], want, rtol=1e-5, atol=1e-6,
                                       err_msg=f"{node_id} at ({i}, {j})")


def _ce_config():
    from nncore.config import TrainingConfig

    return TrainingConfig(loss="categorical_crossentropy")


def test_without_a_normalizer_the_points_are_the_grid():
    net = Network(GraphSpec.sequential([("Input", {"shape": [2]}),
                                        ("Dense", {"units": 1, "activation": "linear"})]),
                  dtype=np.float64)
    w = net.layers["dense1"].weights
    grid = ResponseGrid((0.0, 1.0), (10.0, 20.0), size=5)
    out = grid.responses(net)["dense1"][0]
    xx, yy = np.meshgrid(np.linspace(0, 1, 5), np.linspace(10, 20, 5))
    np.testing.assert_allclose(out, xx * w["W"][0, 0] + yy * w["W"][1, 0] + w["b"][0])


def test_plane_ranges_add_margins():
    X = np.array([[0.0, 5.0], [10.0, 5.0], [4.0, 5.0]])
    (x0, x1), (y0, y1) = plane_ranges(X, margin=0.1)
    assert (x0, x1) == (-1.0, 11.0) and (y0, y1) == (4.0, 6.0)
    with pytest.raises(DataError, match="2 features"):
        plane_ranges(np.zeros((4, 3)))


def test_refusals():
    net = Network(GraphSpec.sequential([("Input", {"shape": [3]}),
                                        ("Dense", {"units": 2})]))
    with pytest.raises(SpecError, match=r"Input of shape \[2\]"):
        ResponseGrid((0, 1), (0, 1)).responses(net)
    with pytest.raises(DataError, match="points per side"):
        ResponseGrid((0, 1), (0, 1), size=1)
    with pytest.raises(DataError, match="y range"):
        ResponseGrid((0, 1), (1, 1))


@pytest.mark.parametrize("name", ["xor", "spiral", "regression"])
def test_a_grid_is_fast_enough_for_every_redraw(name):
    """Median CPU time (all threads; wall time on a shared machine measures the others)
    of one 64 x 64 grid through the example's network: measured 0.3 (xor) to 2.4 ms
    (regression); the bound is loose (a redraw at 30 Hz has 33 ms)."""
    project = load_project(EXAMPLES / f"{name}.json")
    data = prepare_data(project.data)
    net = build_network(project)
    Trainer(net, project.training)  # (fused output, as in a run)
    grid = ResponseGrid(*plane_ranges(data.dataset.X), size=GRID_SIZE,
                        normalizer=data.normalizer)
    grid.responses(net)
    times = []
    for _ in range(15):
        t0 = time.process_time()
        grid.responses(net)
        times.append(time.process_time() - t0)
    assert np.median(times) < 0.010, f"{name}: {np.median(times) * 1e3:.2f} ms"
