"""Memory-bound NumPy work split in two halves that run at once: one on the calling thread,
one on a helper thread.

NumPy releases the interpreter lock inside block copies and ufunc loops over large arrays,
so two threads each doing half of an element-wise job (the tap copies of im2col, col2im's
adds, a ReLU, a pooling window's comparisons) use two cores, as PyTorch's intra-op threads
do; the matrix products already use the BLAS library's threads. The halves are disjoint
and each element is computed exactly as by one thread, so results are bit for bit the same.
Jobs smaller than :data:`MIN_VALUES` values stay on one thread: handing work over costs
tens of microseconds.

``NNCORE_HALVES=0`` in the environment (or :func:`set_enabled`) keeps all work on the
calling thread; so does a machine with one core.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

#: Jobs touching fewer values than this run on the calling thread alone.
MIN_VALUES = 1 << 17


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


_enabled = _cores() > 1 and os.environ.get("NNCORE_HALVES", "1") != "0"
_pool: ThreadPoolExecutor | None = None
_pool_pid = -1
_lock = threading.Lock()


def set_enabled(on: bool) -> None:
    """Split large jobs in two threads (True, the default on a multi-core machine) or keep
    them on the calling thread (benchmarks limited to one thread)."""
    global _enabled
    _enabled = bool(on)


def enabled() -> bool:
    return _enabled


def _helper() -> ThreadPoolExecutor:
    global _pool, _pool_pid
    with _lock:
        # A forked child inherits the executor but not its thread: make a new one.
        if _pool is None or _pool_pid != os.getpid():
            _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nncore-halves")
            _pool_pid = os.getpid()
        return _pool


def in_halves(job: Callable[[int, int], object], n: int, values: int) -> None:
    """Run ``job(start, stop)`` over the index range [0, n): the upper half on the helper
    thread while the calling thread runs the lower half, when the job touches at least
    :data:`MIN_VALUES` ``values`` in all; otherwise ``job(0, n)`` on the calling thread.
    The two halves must write disjoint memory."""
    if not _enabled or n < 2 or values < MIN_VALUES:
        job(0, n)
        return
    mid = n // 2
    upper = _helper().submit(job, mid, n)
    try:
        job(0, mid)
    finally:
        upper.result()
