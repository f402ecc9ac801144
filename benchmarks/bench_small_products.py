"""Where one BLAS thread beats two for a recurrent layer's time-step product.

The recurrent layers run their time loops inside ``nncore.blas.small_products``: products
of at most ``SMALL_PRODUCT_FLOPS`` run on one OpenBLAS thread. This prints, for the
product of a step, (gates x units) @ (units x batch) as an LSTM makes it, the median time
of 50 steps (the product, then element-wise work on its result) with one thread and
with two, and their ratio (two / one: above 1,
one thread is faster), so the threshold can be checked on a machine.

    .venv/bin/python benchmarks/bench_small_products.py
"""

from __future__ import annotations

# isort: off
import nncore  # noqa: F401 (first: the engine's BLAS settings apply before NumPy loads)
# isort: on

import statistics
import time

import numpy as np

from nncore.blas import SMALL_PRODUCT_FLOPS, local_thread_setter

SHAPES = [(64, 32), (128, 32), (128, 48), (128, 64), (192, 32), (128, 128), (256, 64), (256, 256),
          (512, 128), (1024, 256)]


def loop_ms(U: np.ndarray, h: np.ndarray, out: np.ndarray) -> float:
    """50 steps: the product, then element-wise work on its result, as a time step does
    (between products OpenBLAS's threads go to sleep: nncore sets
    OPENBLAS_THREAD_TIMEOUT)."""
    units = h.shape[0]
    t = time.perf_counter()
    for _ in range(50):
        np.dot(U, h, out=out)
        np.tanh(out, out=out)
        np.multiply(out[:units], out[units:2 * units], out=h)
    return (time.perf_counter() - t) * 1e3


def main() -> None:
    setter = local_thread_setter()
    if setter is None:
        print("NumPy's BLAS has no openblas_set_num_threads_local: nothing to measure")
        return
    rng = np.random.default_rng(0)
    print(f"threshold SMALL_PRODUCT_FLOPS = {SMALL_PRODUCT_FLOPS:,} (one thread at or below)")
    print(f"{'units':>6} {'batch':>6} {'MFLOP':>8} {'1 thread ms':>12} {'2 threads ms':>13} "
          f"{'2/1':>6}  side of the threshold")
    before = setter(1)
    try:
        for units, batch in SHAPES:
            U = rng.normal(size=(4 * units, units)).astype(np.float32)
            h = rng.normal(size=(units, batch)).astype(np.float32)
            out = np.empty((4 * units, batch), np.float32)
            times = {1: [], 2: []}
            for _ in range(7):  # alternating, so a load change hits both
                for n in (1, 2):
                    setter(n)
                    times[n].append(loop_ms(U, h, out))
            one, two = statistics.median(times[1]), statistics.median(times[2])
            flops = 2 * 4 * units * units * batch
            side = "one thread" if flops <= SMALL_PRODUCT_FLOPS else "OpenBLAS's count"
            print(f"{units:6} {batch:6} {flops / 1e6:8.1f} {one:12.3f} {two:13.3f} "
                  f"{two / one:6.2f}  {side}")
    finally:
        setter(before)


if __name__ == "__main__":
    main()
