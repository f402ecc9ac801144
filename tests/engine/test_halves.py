"""The image layers' work split over two threads (nncore.layers.halves) and their CHWN
fast paths (in-place ReLU, the bias row of the column matrix, tiling max pooling) compute
exactly what one thread and the plain formulas do."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from nncore.layers import halves
from nncore.network import Network
from nncore.spec import GraphSpec


def test_in_halves_covers_the_range_once_and_uses_a_second_thread_for_large_jobs(
        monkeypatch):
    monkeypatch.setattr(halves, "_enabled", True)
    seen: list[tuple[int, int, int]] = []
    lock = threading.Lock()

    def job(a: int, b: int) -> None:
        with lock:
            seen.append((a, b, threading.get_ident()))

    halves.in_halves(job, 7, halves.MIN_VALUES)
    assert sorted((a, b) for a, b, _ in seen) == [(0, 3), (3, 7)]
    assert len({t for _, _, t in seen}) == 2
    seen.clear()
    halves.in_halves(job, 7, halves.MIN_VALUES - 1)  # small: the caller alone
    assert seen == [(0, 7, threading.get_ident())]


def test_an_error_in_a_half_reaches_the_caller(monkeypatch):
    monkeypatch.setattr(halves, "_enabled", True)

    def job(a: int, b: int) -> None:
        if a > 0:
            raise ValueError("upper half failed")

    with pytest.raises(ValueError, match="upper half"):
        halves.in_halves(job, 4, halves.MIN_VALUES)


def _graph() -> GraphSpec:
    return GraphSpec.sequential([
        ("Input", {"shape": [2, 10, 9]}),
        ("Conv2D", {"filters": 5, "kernel_size": [3, 3], "padding": "same",
                    "activation": "relu"}),
        ("MaxPool2D", {"pool_size": [2, 2], "strides": [2, 2]}),        # disjoint, not tiling
        ("Conv2D", {"filters": 4, "kernel_size": [2, 2], "activation": "relu"}),
        ("MaxPool2D", {"pool_size": [2, 2], "strides": [1, 1], "padding": "same"}),
        ("Conv2D", {"filters": 6, "kernel_size": [3, 2], "padding": "same",
                    "activation": "relu", "use_bias": False}),
        ("MaxPool2D", {"pool_size": [2, 2]}),                             # tiling 4x8
        ("Flatten", {}),
        ("Dense", {"units": 3, "activation": "linear"}),
    ])


def _step(net: Network, x: np.ndarray, g: np.ndarray) -> tuple:
    out = net.forward(x, True).copy()
    grads = net.backward(g)
    return out, net.grads_flat.copy(), grads[0].copy()


def test_two_threads_give_bit_identical_outputs_and_gradients(monkeypatch):
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, (6, 2, 10, 9)).astype(np.float32)
    x[:, :, 4:6] = 0.5  # ties inside pooling windows
    g = rng.normal(0, 1, (6, 3)).astype(np.float32)
    results = []
    for on in (False, True):
        monkeypatch.setattr(halves, "_enabled", on)
        monkeypatch.setattr(halves, "MIN_VALUES", 1)  # split even these small arrays
        net = Network(_graph(), seed=2)
        net.track_gradients(True)
        results.append(_step(net, x, g))
    for one, two in zip(*results):
        np.testing.assert_array_equal(one, two)


@pytest.mark.parametrize("use_bias", [True, False])
def test_relu_conv_equals_the_linear_conv_then_relu(use_bias):
    """The in-place ReLU and its gradient in two halves against a linear Conv2D with the
    same weights followed by max(z, 0) and dL/dz = dL/dy * (z > 0)."""
    def net(act):
        return Network(GraphSpec.sequential([
            ("Input", {"shape": [3, 7, 6]}),
            ("Conv2D", {"filters": 4, "kernel_size": [3, 3], "padding": "same",
                        "activation": act, "use_bias": use_bias}),
            ("Flatten", {}),
        ]), dtype=np.float64, seed=5)

    relu, lin = net("relu"), net("linear")
    if use_bias:
        relu.layers["conv2d1"].weights["b"][:] = np.linspace(-0.5, 0.5, 4)
    lin.set_weights(relu.get_weights())
    rng = np.random.default_rng(1)
    x = rng.normal(0, 1, (5, 3, 7, 6))
    g = rng.normal(0, 1, (5, 4 * 7 * 6))
    z = lin.forward(x, True)
    np.testing.assert_allclose(relu.forward(x, True), np.maximum(z, 0), rtol=1e-12)
    relu.backward(g)
    lin.backward(g * (z > 0))
    np.testing.assert_allclose(relu.grads_flat, lin.grads_flat, rtol=1e-12, atol=1e-12)
