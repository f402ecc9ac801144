"""nncore.blas: recurrent time loops run their small products on one BLAS thread, the count
found is restored by the last thread to leave, large products are left alone, and results
are bit for bit those of the default thread count."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from nncore import blas
from nncore.network import Network
from nncore.spec import GraphSpec


class FakeSetter:
    """Records thread counts set; returns the previous one, as OpenBLAS does."""

    def __init__(self, count: int = 2) -> None:
        self.count, self.calls = count, []

    def __call__(self, n: int) -> int:
        self.calls.append(n)
        previous, self.count = self.count, n
        return previous


@pytest.fixture
def fake(monkeypatch) -> FakeSetter:
    setter = FakeSetter()
    monkeypatch.setattr(blas, "_setter", setter)
    return setter


def test_numpys_openblas_has_the_setter() -> None:
    # NumPy's wheels bundle OpenBLAS >= 0.3.27 (the project installs NumPy from wheels).
    assert blas.local_thread_setter() is not None


def test_one_thread_inside_and_the_count_restored_after(fake) -> None:
    with blas.small_products(blas.SMALL_PRODUCT_FLOPS):
        assert fake.count == 1
    assert fake.count == 2 and fake.calls == [1, 2]


def test_large_products_keep_their_threads(fake) -> None:
    with blas.small_products(blas.SMALL_PRODUCT_FLOPS + 1):
        assert fake.count == 2
    assert fake.calls == []


def test_the_count_is_restored_after_an_error(fake) -> None:
    with pytest.raises(KeyError), blas.small_products(10):
        raise KeyError("x")
    assert fake.count == 2


def test_overlapping_blocks_of_two_threads_restore_the_first_count(fake) -> None:
    entered, leave = threading.Event(), threading.Event()

    def other() -> None:
        with blas.small_products(10):
            entered.set()
            leave.wait(10)

    t = threading.Thread(target=other)
    with blas.small_products(10):
        t.start()
        assert entered.wait(10)
        assert fake.count == 1
    assert fake.count == 1  # the other thread is still inside
    leave.set()
    t.join(10)
    assert fake.count == 2 and fake.calls == [1, 2]


def test_turned_off_by_the_environment(monkeypatch) -> None:
    monkeypatch.setattr(blas, "_setter", blas._UNSET)
    monkeypatch.setenv("NNCORE_SMALL_PRODUCTS", "0")
    assert blas.local_thread_setter() is None
    monkeypatch.setattr(blas, "_setter", blas._UNSET)
    monkeypatch.delenv("NNCORE_SMALL_PRODUCTS")
    assert blas.local_thread_setter() is not None


@pytest.mark.parametrize("layer", ["LSTM", "GRU", "SimpleRNN"])
def test_recurrent_steps_are_bit_for_bit_those_of_the_default_threads(monkeypatch, layer):
    def one_step(setter):
        monkeypatch.setattr(blas, "_setter", setter)
        net = Network(GraphSpec.sequential([("Input", {"shape": [12, 16]}),
                                            (layer, {"units": 64}),
                                            ("Dense", {"units": 3})]), seed=1)
        x = np.random.default_rng(2).normal(size=(48, 12, 16)).astype(np.float32)
        out = net.forward(x, True)
        net.backward(np.ones_like(out))
        return out, net.grads_flat.copy(), net.predict(x)

    calls = FakeSetter()
    real = blas._find_setter()

    def counting(n):
        calls(n)
        return real(n)

    single = one_step(counting)
    # The same step with every product on two threads (the test session runs OpenBLAS on
    # one: conftest.py), products of (256 x 64) @ (64 x 48), above OpenBLAS's threshold
    # for threading.
    before = real(2)
    try:
        default = one_step(None)
    finally:
        real(before)
    # forward, backward and predict each ran their loop on one thread, then restored the
    # session's count
    assert calls.calls == [1, before] * 3
    for a, b in zip(single, default):
        np.testing.assert_array_equal(a, b)
