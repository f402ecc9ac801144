"""Tests of the synthetic generators and their registry."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nncore.data import GENERATORS, split, synthetic
from nncore.data.synthetic import (
    circle,
    gauss,
    moons,
    multi_gaussian,
    plane,
    recommender_ratings,
    sine_series,
    spiral,
    xor,
)
from nncore.errors import DataError

CLASSIFIERS = [circle, xor, gauss, spiral, moons]
REGRESSORS = [plane, multi_gaussian]


@pytest.mark.parametrize("gen", CLASSIFIERS + REGRESSORS)
def test_deterministic_per_seed(gen) -> None:
    a, b, c = gen(n_samples=200, seed=7), gen(n_samples=200, seed=7), gen(n_samples=200, seed=8)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.X, c.X)


@pytest.mark.parametrize("gen", CLASSIFIERS)
def test_classification_shapes(gen) -> None:
    ds = gen(n_samples=301, noise=0.2, seed=1)
    assert ds.X.shape == (301, 2) and ds.X.dtype == np.float32
    assert ds.y.shape == (301,) and ds.y.dtype == np.int64
    assert ds.task == "classification" and ds.n_classes == 2
    assert set(np.unique(ds.y)) == {0, 1}
    assert ds.feature_names == ["x1", "x2"]
    assert np.abs(ds.X).max() <= 7.0          # Playground coordinates


@pytest.mark.parametrize("gen", REGRESSORS)
def test_regression_shapes(gen) -> None:
    ds = gen(n_samples=120, seed=2)
    assert ds.X.shape == (120, 2) and ds.y.shape == (120, 1) and ds.y.dtype == np.float32
    assert ds.task == "regression"
    assert np.abs(ds.X).max() <= 6.0


def test_circle_labels_without_noise() -> None:
    ds = circle(n_samples=400, noise=0.0, seed=3)
    r = np.hypot(ds.X[:, 0], ds.X[:, 1])
    np.testing.assert_array_equal(ds.y, (r < 2.5).astype(int))
    assert np.all((r <= 2.5) | ((r >= 3.5) & (r <= 5.0)))
    assert ds.class_counts().tolist() == [200, 200]


def test_xor_labels_without_noise() -> None:
    ds = xor(n_samples=400, noise=0.0, seed=3)
    np.testing.assert_array_equal(ds.y, (ds.X[:, 0] * ds.X[:, 1] > 0).astype(int))
    assert np.all(np.abs(ds.X) >= 0.3 - 1e-6)


def test_gauss_clusters() -> None:
    ds = gauss(n_samples=2000, noise=0.0, seed=4)
    for c, centre in ((0, -2.0), (1, 2.0)):
        pts = ds.X[ds.y == c].astype(np.float64)
        np.testing.assert_allclose(pts.mean(axis=0), [centre, centre], atol=0.1)
        np.testing.assert_allclose(pts.std(axis=0), [math.sqrt(0.5)] * 2, rtol=0.1)


def test_spiral_points_on_arms_without_noise() -> None:
    ds = spiral(n_samples=300, noise=0.0, seed=0, n_classes=3)
    assert ds.class_counts().tolist() == [100, 100, 100]
    for k in range(3):
        pts = ds.X[ds.y == k].astype(np.float64)
        r = np.hypot(pts[:, 0], pts[:, 1])
        order = np.argsort(r)
        i = np.arange(100) / 100
        np.testing.assert_allclose(r[order], i * 5.0, atol=1e-5)
        t = 1.75 * i * 2 * math.pi + 2 * math.pi * k / 3
        expected = np.stack([i * 5 * np.sin(t), i * 5 * np.cos(t)], axis=1)
        np.testing.assert_allclose(pts[order][1:], expected[1:], atol=1e-4)


def test_moons_without_noise_lie_on_half_circles() -> None:
    ds = moons(n_samples=200, noise=0.0, seed=5)
    unit = ds.X.astype(np.float64) / 3.0 + np.array([0.5, 0.25])
    upper, lower = unit[ds.y == 0], unit[ds.y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, atol=1e-5)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0, atol=1e-5)
    assert np.all(upper[:, 1] >= -1e-6) and np.all(lower[:, 1] <= 0.5 + 1e-6)


def test_plane_target_without_noise() -> None:
    ds = plane(n_samples=100, noise=0.0, seed=6)
    np.testing.assert_allclose(ds.y[:, 0], (ds.X[:, 0] + ds.X[:, 1]) / 10.0, atol=1e-6)


def test_multi_gaussian_target_without_noise() -> None:
    ds = multi_gaussian(n_samples=50, noise=0.0, seed=6)
    bumps = [(-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1)]
    for (x, y), target in zip(ds.X.tolist(), ds.y[:, 0].tolist(), strict=True):
        label = 0.0
        for cx, cy, sign in bumps:
            v = sign * min(1.0, max(0.0, 1.0 - math.dist((x, y), (cx, cy)) / 2.0))
            if abs(v) > abs(label):
                label = v
        assert target == pytest.approx(label, abs=1e-5)


def test_noise_flips_some_labels() -> None:
    clean = circle(n_samples=1000, noise=0.0, seed=1)
    noisy = circle(n_samples=1000, noise=0.5, seed=1)
    r = np.hypot(noisy.X[:, 0], noisy.X[:, 1])
    wrong = np.mean(noisy.y != (r < 2.5))
    assert 0.02 < wrong < 0.5
    assert np.all(clean.y == (np.hypot(clean.X[:, 0], clean.X[:, 1]) < 2.5))


def _train_mlp(X: np.ndarray, y: np.ndarray, Xv: np.ndarray, seed: int = 0,
               steps: int = 1500) -> float:
    """Full-batch Adam on a 2-16-16-2 tanh MLP with softmax cross-entropy; val accuracy."""
    rng = np.random.default_rng(seed)
    sizes = [2, 16, 16, 2]
    params = []
    for a, b in zip(sizes[:-1], sizes[1:], strict=True):
        params += [rng.normal(0, math.sqrt(1.0 / a), (a, b)), np.zeros(b)]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    X = X.astype(np.float64) / 5.0
    onehot = np.eye(2)[y]

    def forward(inp):
        h1 = np.tanh(inp @ params[0] + params[1])
        h2 = np.tanh(h1 @ params[2] + params[3])
        return h1, h2, h2 @ params[4] + params[5]

    for t in range(1, steps + 1):
        h1, h2, z = forward(X)
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        dz = (p - onehot) / len(X)
        g5, g4 = dz.sum(0), h2.T @ dz
        d2 = (dz @ params[4].T) * (1 - h2 ** 2)
        g3, g2 = d2.sum(0), h1.T @ d2
        d1 = (d2 @ params[2].T) * (1 - h1 ** 2)
        g1, g0 = d1.sum(0), X.T @ d1
        for i, g in enumerate([g0, g1, g2, g3, g4, g5]):
            m[i] = 0.9 * m[i] + 0.1 * g
            v[i] = 0.999 * v[i] + 0.001 * g * g
            params[i] -= 0.03 * (m[i] / (1 - 0.9 ** t)) / (np.sqrt(v[i] / (1 - 0.999 ** t)) + 1e-8)
    return forward(Xv.astype(np.float64) / 5.0)[2].argmax(axis=1)


def test_spiral_default_noise_is_learnable() -> None:
    ds = spiral(seed=0)                        # default n_samples and noise
    train, val, _ = split(ds, 0.2, seed=0)
    pred = _train_mlp(train.X, train.y, val.X)
    assert np.mean(pred == val.y) >= 0.97


def test_spiral_classes_parameter() -> None:
    ds = spiral(n_samples=400, n_classes=4, seed=1)
    assert ds.n_classes == 4 and ds.class_counts().tolist() == [100] * 4


def test_sine_series() -> None:
    s = sine_series(200, noise=0.0, seed=0, period=40.0)
    assert s.shape == (200,) and s.dtype == np.float32
    np.testing.assert_allclose(s, np.sin(2 * np.pi * np.arange(200) / 40.0), atol=1e-6)
    noisy_a, noisy_b = sine_series(200, 0.1, seed=3), sine_series(200, 0.1, seed=3)
    np.testing.assert_array_equal(noisy_a, noisy_b)
    resid = noisy_a - np.sin(2 * np.pi * np.arange(200) / 50.0)
    assert 0.07 < resid.std() < 0.13


def test_recommender_ratings() -> None:
    ds = recommender_ratings(n_users=30, n_items=20, rank=2, n_ratings=400, noise=0.0, seed=1)
    assert ds.inputs is not None and set(ds.inputs) == {"user", "item"}
    users, items = ds.inputs["user"], ds.inputs["item"]
    assert users.dtype == np.int64 and items.dtype == np.int64
    assert users.shape == (400,) and ds.y.shape == (400, 1) and ds.y.dtype == np.float32
    assert users.max() < 30 and items.max() < 20
    assert len(set(zip(users.tolist(), items.tolist(), strict=True))) == 400   # distinct pairs
    assert ds.y.min() >= 1.0 and ds.y.max() <= 5.0
    assert ds.meta["vocab_sizes"] == {"user": 30, "item": 20}
    assert ds.y.std() > 0.1                      # ratings depend on the (user, item) pair
    again = recommender_ratings(n_users=30, n_items=20, rank=2, n_ratings=400, noise=0.0, seed=1)
    np.testing.assert_array_equal(ds.y, again.y)
    with pytest.raises(DataError, match="cannot exceed"):
        recommender_ratings(n_users=3, n_items=3, n_ratings=10)


@pytest.mark.parametrize("bad", [{"n_samples": 1}, {"noise": -0.1}, {"noise": 2.0},
                                 {"seed": -1}, {"n_samples": 2.5}])
def test_bad_parameters(bad: dict) -> None:
    with pytest.raises(DataError):
        circle(**bad)


def test_registry_describes_parameters() -> None:
    assert {"circle", "xor", "gauss", "spiral", "moons", "plane", "multi_gaussian",
            "sine", "recommender"} <= set(GENERATORS)
    for name, gen in GENERATORS.items():
        assert callable(gen) and gen.description and gen.task in ("classification", "regression")
        for p in gen.params:
            assert p.name and p.help and p.min <= p.default <= p.max, (name, p)
        ds = gen.generate()                     # every default is valid
        assert ds.task == gen.task
    spiral_gen = GENERATORS["spiral"]
    assert [p.name for p in spiral_gen.params] == ["n_samples", "noise", "seed", "n_classes"]
    ds = spiral_gen(n_samples=60, seed=1)
    np.testing.assert_array_equal(ds.X, spiral(n_samples=60, seed=1).X)
    with pytest.raises(DataError, match="between"):
        spiral_gen.generate({"noise": 5})
    with pytest.raises(DataError, match="no parameter"):
        spiral_gen.generate({"colour": 1})
    assert synthetic.GENERATORS is GENERATORS
