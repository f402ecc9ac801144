"""One BLAS thread while a loop of small matrix products runs.

A recurrent layer makes two small products per time step (an LSTM of 128 units on a batch
of 32: a (512 x 128) @ (128 x 32) product, 4 MFLOP). Split over OpenBLAS's threads, each
product pays for waking the other thread (``OPENBLAS_THREAD_TIMEOUT`` makes them sleep at
once, see ``nncore/__init__.py``) and for their hand-over, which costs more than the second
core gains; on a machine whose other core is busy (the window's GUI thread, another
process) the other thread also waits for that core. One thread per product is faster then
(``benchmarks/bench_lstm.py``).

NumPy's wheels bundle an OpenBLAS with ``openblas_set_num_threads_local``, which despite
its name sets the thread count of the whole process (in OpenBLAS's pthreads builds) and
returns the previous one. So :func:`small_products` counts the threads inside such blocks:
the first to enter sets one BLAS thread, the last to leave restores the count it found
(two trainings running at once cannot leave BLAS on one thread). Meanwhile another thread's
products also run on one thread: a cost to large products run at the same moment (a
window's analysis job while a recurrent network trains), never to results. With another
BLAS, or an older
OpenBLAS, nothing changes. Results do not depend on the thread count (every output element
is computed by one thread either way). ``NNCORE_SMALL_PRODUCTS=0`` turns this off.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import threading
from collections.abc import Callable, Iterator

import numpy as np

#: Products of at most this many floating-point operations run on one thread inside
#: :func:`small_products`. benchmarks/bench_small_products.py, 2026-12-07 (50 steps of an
#: LSTM-shaped product and element-wise work, two threads' time over one thread's): 1.11 at
#: 4.2 MFLOP (one thread faster), 0.95 at 6.3, 0.78 at 16.8, 0.52 at 2 GFLOP.
SMALL_PRODUCT_FLOPS = 1 << 22

_UNSET = object()
_setter: object | Callable[[int], int] | None = _UNSET
_lock = threading.Lock()
_inside = 0  # threads inside small_products blocks
_restore = 0  # the thread count found by the first of them


def _find_setter() -> Callable[[int], int] | None:
    """``openblas_set_num_threads_local`` of the OpenBLAS NumPy loaded, if it has one."""
    here = os.path.dirname(np.__file__)
    for pattern in (os.path.join(here, os.pardir, "numpy.libs", "*openblas*"),
                    os.path.join(here, ".dylibs", "*openblas*")):
        for path in sorted(glob.glob(pattern)):
            try:
                fn = ctypes.CDLL(path).openblas_set_num_threads_local
            except (OSError, AttributeError):
                continue
            fn.argtypes, fn.restype = [ctypes.c_int], ctypes.c_int
            return fn
    return None


def local_thread_setter() -> Callable[[int], int] | None:
    """OpenBLAS's thread-count setter that returns the previous count, found once; None
    when the BLAS NumPy uses has none (or ``NNCORE_SMALL_PRODUCTS=0``)."""
    global _setter
    if _setter is _UNSET:
        _setter = _find_setter() if os.environ.get("NNCORE_SMALL_PRODUCTS", "1") != "0" else None
    return _setter  # type: ignore[return-value]


@contextlib.contextmanager
def small_products(flops: int) -> Iterator[None]:
    """Run the block's BLAS calls on one thread when each of its products costs at most
    :data:`SMALL_PRODUCT_FLOPS` floating-point operations; otherwise change nothing."""
    global _inside, _restore
    setter = local_thread_setter() if flops <= SMALL_PRODUCT_FLOPS else None
    if setter is None:
        yield
        return
    with _lock:
        if _inside == 0:
            _restore = setter(1)
        _inside += 1
    try:
        yield
    finally:
        with _lock:
            _inside -= 1
            if _inside == 0:
                setter(_restore)
