"""NetCanvas's engine: a pure-NumPy neural-network library that never imports Qt."""

import os as _os

# OpenBLAS's worker threads busy-wait for about 0.1 s after every matrix product (2^28
# cycles) before sleeping. On a 2-core machine that spinning steals a core from whatever
# runs next: the optimizer's two update threads, the GUI thread. 2^4 cycles makes them
# sleep at once; waking them costs microseconds against milliseconds of matmul (measured
# with benchmarks/bench_engine.py). Only effective if set before NumPy loads OpenBLAS, so
# entry points import nncore first; a value the user set is kept.
_os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

__version__ = "0.1.0"
